"""The Stepper over the pull half: POP3 lines are steps, under their own filter, and
the dialog pane names the protocol and explains each answer."""

from __future__ import annotations

import re

from test_scenarios_retrieval import TOML

from smtpsim.scenarios import load_toml
from smtpsim.trace import Fetched, Pop3Line
from smtpsim.widgets import Stepper


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pop3_lines_are_steps_with_their_explanation():
    stepper = Stepper(load_toml(TOML).run())
    steps = list(stepper.steps)
    retr = next(i for i, e in enumerate(steps)
                if isinstance(e, Pop3Line) and e.line.startswith("+OK") and "octets" in e.line
                and "logged in" not in e.line)
    stepper.index = retr
    text = plain(stepper._repr_html_())
    assert "POP3 dialog: alice-laptop → pop.example.com" in text
    assert "this answer +OK : Yes: the message follows, dot-stuffed, ended by a lone dot." in text
    assert any(isinstance(e, Fetched) for e in steps)


def test_the_pickup_filter_hides_and_shows_them():
    stepper = Stepper(load_toml(TOML).run())
    before = len(stepper.steps)
    pop3 = sum(isinstance(e, Pop3Line) for e in stepper.steps)
    assert pop3 > 10
    stepper._kinds["pickup"].value = False
    assert not any(isinstance(e, Pop3Line) for e in stepper.steps)
    assert len(stepper.steps) < before - pop3 + 1
    stepper._kinds["pickup"].value = True
    assert len(stepper.steps) == before


def test_imap_lines_are_explained_and_a_literal_is_not():
    from smtpsim.scenarios import load
    from smtpsim.trace import ImapLine

    stepper = Stepper(load("pop-vs-imap").run())
    steps = list(stepper.steps)
    empty = next(i for i, e in enumerate(steps)
                 if isinstance(e, ImapLine) and e.line == "* 0 EXISTS")
    stepper.index = empty
    text = plain(stepper._repr_html_())
    assert "IMAP dialog: alice-phone → mail.example.com" in text
    assert ("this answer * 0 EXISTS : Untagged: the mailbox holds 0 messages now" in text)
    # Inside a BODY[] literal, the message's lines are content: the explanation is
    # still that of the FETCH line that announced it.
    inside = next(i for i, e in enumerate(steps)
                  if isinstance(e, ImapLine) and e.line.startswith("Subject: Lunch"))
    stepper.index = inside
    text = plain(stepper._repr_html_())
    assert "last answer * 1 FETCH : Untagged: data about message 1" in text
    ok = next(i for i, e in enumerate(steps)
              if isinstance(e, ImapLine) and e.line.startswith("a2 OK [READ-WRITE]"))
    stepper.index = ok
    html = stepper._repr_html_()
    assert "this answer <b>a2 OK</b>: Tagged OK for a2: done: the command SELECT worked" in html
