"""The Console: SMTP typed at a simulated server, and the Stepper it opens."""

from __future__ import annotations

import pytest
from sim_worlds import two_domains

from smtpsim.trace.queries import message_position
from smtpsim.widgets import Console


@pytest.fixture
def console() -> Console:
    net, _, _ = two_domains()
    return Console(net, "mx.example.com")


def test_greeting_and_helo_with_explanations(console: Console) -> None:
    c = console
    assert "S: 220 mx.example.com" in c._output.value
    replies = c.send("HELO test")
    assert replies[0].startswith("250 ")
    html = c._output.value
    assert "C: HELO test" in html and "S: 250 mx.example.com" in html
    assert '<div class="smtpsim-explain">Requested action okay, completed.</div>' in html


def test_enter_in_the_text_box_sends_the_line(console: Console) -> None:
    c = console
    c._input.value = "EHLO test"  # what the browser syncs on Enter (continuous_update off)
    assert c._input.value == ""
    assert ("C", "EHLO test") in c.rows and "250-PIPELINING" in c._output.value
    c._input.value = "NOOP"
    c._send.click()  # an empty box: nothing more is sent
    assert [r for r in c.rows if r[0] == "C"] == [("C", "EHLO test"), ("C", "NOOP")]


def test_errors_are_explained_and_quit_closes(console: Console) -> None:
    c = console
    assert c.send("RCPT TO:<alice@example.com>")[0][:3] == "503"
    assert "bad sequence" in c._output.value.lower()
    c.send("QUIT")
    assert c._input.disabled and c.send("HELO again") == []


def test_open_in_stepper_after_a_full_message(console: Console) -> None:
    c = console
    assert c._open.disabled and c.open_stepper() is None
    for line in ("HELO test", "MAIL FROM:<me@student.example>",
                 "RCPT TO:<alice@example.com>", "DATA", "Subject: hi"):
        c.send(line)
    c._blank.click()
    c.send("Hello Alice")
    assert c.send(".")[0].startswith("250 ")
    assert not c._open.disabled
    c._open.click()
    s = c.stepper
    assert s is not None and c._below.children == (s.widget,)
    assert s.msg == c.session.accepted[-1]
    assert any(e.kind == "delivered" and e.msg == s.msg for e in s.events)
    s.step(len(s.steps))
    assert message_position(s.events, s.position, s.msg) == "mailbox:alice@example.com"


def test_console_fallbacks(console: Console) -> None:
    console.send("HELO test")
    bundle = console._repr_mimebundle_()
    assert "C: HELO test" in bundle["text/plain"]
    assert "Requested action okay" in bundle["text/html"]
