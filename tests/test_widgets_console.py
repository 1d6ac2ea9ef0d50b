"""The Console: SMTP typed at a simulated server, like a terminal, and the Stepper it opens."""

from __future__ import annotations

import re

import pytest
from sim_worlds import two_domains

from smtpsim.protocol import EXTENSIONS, explain_extension, explain_line, explain_lines
from smtpsim.sim import ConsoleSession
from smtpsim.trace import SessionClosed, SessionOpened
from smtpsim.trace.queries import message_position
from smtpsim.widgets import Console
from smtpsim.widgets._moment import explain_reply


@pytest.fixture
def console() -> Console:
    net, _, _ = two_domains()
    return Console(net, "mx.example.com")


def press_enter(c: Console, text: str) -> None:
    """What the browser does: the box syncs each keystroke, then Enter sends 'submit'."""
    c._input.value = text
    c._input._handle_custom_msg({"event": "submit"}, [])


def explanations(html: str) -> list[str]:
    return re.findall(r'<div class="smtpsim-explain[^"]*">([^<]*)</div>', html)


def test_greeting_and_helo_with_explanations(console: Console) -> None:
    c = console
    assert "S: 220 mx.example.com" in c._output.value
    replies = c.send("HELO test")
    assert replies[0].startswith("250 ")
    html = c._output.value
    assert "C: HELO test" in html and "S: 250 mx.example.com" in html
    assert '<div class="smtpsim-explain">Requested action okay, completed.</div>' in html


def test_ehlo_is_explained_once_with_one_note_per_extension(console: Console) -> None:
    replies = console.send("EHLO student-pc")
    assert len(replies) >= 5 and replies[-1][3] == " "
    notes = explanations(console._output.value)
    # the greeting's meaning, then one note per extension line, then the 250 meaning once
    assert notes.count("Requested action okay, completed.") == 1
    assert notes[-1] == "Requested action okay, completed."
    ext_notes = notes[1:-1]
    assert len(ext_notes) == len(replies) - 1
    for line, note in zip(replies[1:], ext_notes):
        keyword = line[4:].split(" ")[0]
        assert note.startswith(keyword) and EXTENSIONS[keyword] in note.replace("&#x27;", "'")
    size = next(n for n in ext_notes if n.startswith("SIZE "))
    assert re.match(r"SIZE \d+: the largest message", size)


def test_one_explainer_for_every_caller() -> None:
    for line in ["250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "550 5.1.1 User unknown",
                 "250-PIPELINING", "EHLO me", ""]:
        assert explain_reply(line) == ConsoleSession.explain(line) == explain_line(line)
    assert "2.1.5" in explain_line("250 2.1.5 Ok") and explain_line("QUIT") == ""
    assert explain_extension("250-AUTH PLAIN LOGIN").startswith("AUTH PLAIN LOGIN: you may log in")
    assert explain_extension("X-FOO").endswith("does not describe")
    assert explain_extension("250-") == ""
    notes, meaning = explain_lines(["214-Commands:", "214 HELO EHLO"])
    assert notes == ["", ""] and meaning.startswith("Help")


def test_enter_in_the_text_box_sends_the_line(console: Console) -> None:
    c = console
    press_enter(c, "EHLO test")
    assert c._input.value == ""
    assert ("C", "EHLO test") in c.rows and "250-PIPELINING" in c._output.value
    press_enter(c, "")  # an empty box outside DATA: nothing is sent (it would be a 500)
    c._send.click()
    assert [r for r in c.rows if r[0] == "C"] == [("C", "EHLO test")]


def test_enter_on_an_empty_box_in_data_sends_a_blank_line(console: Console) -> None:
    c = console
    for line in ["HELO test", "MAIL FROM:<me@student.example>", "RCPT TO:<alice@example.com>",
                 "DATA", "Subject: hi"]:
        press_enter(c, line)
    press_enter(c, "")
    press_enter(c, "Hello")
    press_enter(c, ".")
    assert c.rows[-7:-2] == [("C", "DATA"), c.rows[-6], ("C", "Subject: hi"), ("C", ""),
                             ("C", "Hello")]
    assert c.rows[-1][1].startswith("250 ") and c.accepted
    c.open_stepper()
    stored = c.network.nodes["mailbox:alice@example.com"].messages[-1]
    assert b"Subject: hi\r\n" in stored and stored.endswith(b"\r\n\r\nHello\r\n")


def test_every_update_scrolls_the_dialog_to_its_end(console: Console) -> None:
    console.send("NOOP")
    html = console._output.value
    assert html.rstrip().endswith(">") and "smtpsim-scroll-to-end" in html
    assert html.index("C: NOOP") < html.index("smtpsim-scroll-to-end")
    assert "scrollTop=b.scrollHeight" in html


def test_quit_closes_clearly_and_new_session_reconnects(console: Console) -> None:
    c = console
    assert c.send("RCPT TO:<alice@example.com>")[0][:3] == "503"
    assert "bad sequence" in c._output.value.lower()
    c.send("QUIT")
    assert c.closed and c._input.disabled and c.send("HELO again") == []
    assert "Connection closed" in c._output.value and c._reconnect.button_style == "warning"
    assert not c._reconnect.disabled
    first = c.session.session
    c._reconnect.click()
    assert not c.closed and not c._input.disabled and c.session.session != first
    assert c.send("HELO again")[0].startswith("250 ")
    assert "Connection closed" not in c._output.value
    opened = [e.session for e in c.network.trace.of(SessionOpened)]
    assert opened[-2:] == [first, c.session.session]


def test_new_session_while_open_ends_the_old_one_in_the_trace(console: Console) -> None:
    c = console
    first = c.session.session
    c.send("HELO test")
    c.new_session()
    closed = [e for e in c.network.trace.of(SessionClosed) if e.session == first]
    assert len(closed) == 1 and "new session" in closed[0].reason
    assert any(d == "-" and "new session" in text for d, text in c.rows)


def test_open_in_stepper_after_a_full_message(console: Console) -> None:
    c = console
    assert c._open.disabled and c.open_stepper() is None
    for line in ("HELO test", "MAIL FROM:<me@student.example>",
                 "RCPT TO:<alice@example.com>", "DATA", "Subject: hi"):
        c.send(line)
    c._blank.click()
    c.send("Hello Alice")
    assert c.send(".")[0].startswith("250 ")
    c.send("QUIT")
    c.new_session()  # the accepted message is still there to follow
    assert not c._open.disabled
    c._open.click()
    s = c.stepper
    assert s is not None and c._below.children == (s.widget,)
    assert s.msg == c.accepted[-1]
    assert any(e.kind == "delivered" and e.msg == s.msg for e in s.events)
    s.step(len(s.steps))
    assert message_position(s.events, s.position, s.msg) == "mailbox:alice@example.com"


def test_console_fallbacks(console: Console) -> None:
    console.send("HELO test")
    bundle = console._repr_mimebundle_()
    assert "C: HELO test" in bundle["text/plain"]
    assert "Requested action okay" in bundle["text/html"]
    assert "onload" not in bundle["text/html"]  # exports get no script hooks
