"""The Console: SMTP typed at a simulated server, like a terminal, and the Stepper it opens;
then POP3 typed at a mailbox server, to pick the mail up again."""

from __future__ import annotations

import re
from html import escape

import pytest
from sim_worlds import two_domains

from smtpsim.mailstore import Accounts
from smtpsim.protocol import EXTENSIONS, explain_extension, explain_line, explain_lines
from smtpsim.scenarios import load
from smtpsim.sim import ConsoleSession, Network
from smtpsim.trace import Pop3Line, SessionClosed, SessionOpened, check_conservation
from smtpsim.trace.queries import message_position
from smtpsim.widgets import Console, Stepper
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


# ------------------------------------------------------------------------- POP3
# The same Console on a mailbox server: the student picks the mail up again.


def pop_world() -> tuple[dict, Network]:
    """The course's quiet cross-domain world, with Alice's mailbox also served by POP3
    on pop.example.com (account alice, password wonderland), as notebook 07 has it."""
    spec = load("cross-domain").to_dict()
    spec["messages"] = []
    spec["nodes"].append({"kind": "mailbox_server", "name": "pop.example.com",
                          "domain": "example.com", "accounts": [
                              {"user": "alice", "password": "wonderland",
                               "mailbox": "alice@example.com"}]})
    return spec, load(spec).build()


def type_message(c: Console, subject: str) -> None:
    for line in ("EHLO student-pc", "MAIL FROM:<student@example.org>",
                 "RCPT TO:<alice@example.com>", "DATA", f"Subject: {subject}", "",
                 "Hi Alice!", ".", "QUIT"):
        press_enter(c, line)


def notes_after(html: str, line: str) -> str:
    """The explanation right after the first dialog line that starts with ``line``
    ("" if none follows)."""
    found = re.search(re.escape(escape(line)) + r'[^<]*</div>(?:<div class="smtpsim-explain">'
                      r"([^<]*)</div>)?", html)
    assert found, line
    return found.group(1) or ""


def test_send_by_smtp_then_fetch_and_delete_by_pop3_on_one_network() -> None:
    _, net = pop_world()
    smtp = Console(net, "mx.example.com")
    type_message(smtp, "typed, then fetched")
    assert smtp.open_stepper() is not None  # the message travels to Alice's mailbox
    box = net.nodes["mailbox:alice@example.com"]
    assert len(box.messages) == 1

    pop = Console(net, "pop.example.com")  # a mailbox server: POP3 by default
    assert pop.protocol == "POP3" and (pop.host, pop.port) == ("pop.example.com", 110)
    assert pop._input.placeholder == "type a command, e.g. USER alice"
    assert pop._blank.layout.display == pop._open.layout.display == "none"
    for line in ("USER alice", "PASS wonderland", "STAT", "LIST", "RETR 1"):
        press_enter(pop, line)
    html = pop._output.value
    assert "telnet pop.example.com 110  (state: TRANSACTION)" in html
    assert notes_after(html, "S: +OK pop.example.com POP3 server ready") \
        == "Yes: the server is ready and waits for you to log in."
    assert notes_after(html, "S: +OK 1 message") .startswith("Yes: one line per message")
    size = len(box.messages[0])
    assert notes_after(html, f"S: +OK {size} octets") \
        == "Yes: the message follows, dot-stuffed, ended by a lone dot."
    # the message's own lines are shown as they came, and never explained
    assert notes_after(html, "S: Subject: typed, then fetched") == ""
    assert notes_after(html, "S: Return-Path: <student@example.org>") == ""
    assert html.count("The lone dot ends a multi-line response.") == 2  # LIST and RETR
    # a typed command's meaning is its tooltip
    assert '<div class="smtpsim-command" title="Downloads one whole message, headers and ' \
           'body.">' in html
    press_enter(pop, "DELE 1")
    press_enter(pop, "QUIT")
    assert pop.closed and pop._input.disabled and "Connection closed" in pop._output.value
    assert box.messages == []
    assert pop.accepted == [] and pop.open_stepper() is None
    assert check_conservation(net.trace) == []

    assert pop.new_session() == ["+OK pop.example.com POP3 server ready"]
    assert any(d == "-" and "telnet pop.example.com 110" in t for d, t in pop.rows)
    pop.send("USER alice")
    assert pop.send("PASS wonderland") == ["+OK logged in as alice, 0 messages (0 octets)"]
    assert repr(pop).startswith("<Console to pop.example.com (POP3), ")


def test_the_console_explains_pop3_as_the_stepper_does() -> None:
    _, net = pop_world()
    type_message(Console(net, "mx.example.com"), "for the stepper")
    net.run()
    pop = Console(net, protocol="pop3")
    for line in ("USER alice", "PASS wonderland", "UIDL", "RETR 1", "NOOP"):
        pop.send(line)
    stepper = Stepper(net.trace)
    ours = [(k, e) for k, e in enumerate(stepper.steps)
            if isinstance(e, Pop3Line) and e.session == pop.session.session and e.dir == "S"
            and e.line.startswith(("+OK", "-ERR"))]
    assert len(ours) == 6  # greeting, USER, PASS, UIDL, RETR, NOOP
    stepper_says = []
    for k, _ in ours:
        stepper.index = k
        [said] = re.findall(r"this answer <b>[^<]*</b>: ([^<]*)</div>", stepper._repr_html_())
        stepper_says.append(said)
    console_says = re.findall(r'S: (?:\+OK|-ERR)[^<]*</div><div class="smtpsim-explain">'
                              r"([^<]*)</div>", pop._output.value)
    assert console_says == stepper_says
    assert stepper_says[-2] == "Yes: the message follows, dot-stuffed, ended by a lone dot."


def test_a_console_over_accounts_and_their_messages() -> None:
    accounts = Accounts()
    drop = accounts.add("carol", "s3cret")
    one, two = b"Subject: first\r\n\r\nOne.\r\n", b"Subject: second\r\n\r\nTwo.\r\n"
    drop.add(one)
    drop.add(two)
    c = Console(accounts)  # accounts are read with POP3
    assert c.protocol == "POP3" and c.network is None and c.host == "pop.example.com"
    assert c._input.placeholder == "type a command, e.g. USER carol"
    press_enter(c, "AUTH PLAIN")
    assert c.session.continuing
    press_enter(c, "")  # an empty line while the server waits: sent, and refused
    assert c.rows[-2:] == [("C", ""), ("S", "-ERR [AUTH] PLAIN credentials are authzid NUL "
                                            "user NUL password")]
    press_enter(c, "")  # ... but not as a command: nothing is sent
    assert c.rows[-1][0] == "S"
    for line in ("USER carol", "PASS s3cret", "LIST"):
        press_enter(c, line)
    assert c.rows[-4:] == [("S", f"+OK 2 messages ({len(one) + len(two)} octets)"),
                           ("S", f"1 {len(one)}"), ("S", f"2 {len(two)}"), ("S", ".")]
    # "2 26" is message 2's size, not a 2xx reply: not painted green
    assert f'style="color:#222222">S: 2 {len(two)}</div>' in c._output.value
    c.new_session()  # the open session ends without QUIT: nothing is removed
    assert len(drop) == 2
    assert [e.session for e in c.session.trace.of(SessionOpened)] == ["s1", "s2"]
    assert "C: LIST" in c._repr_mimebundle_()["text/plain"]


def test_a_scenario_is_run_before_its_mail_is_fetched() -> None:
    spec, _ = pop_world()
    spec["messages"] = [{"at": 0, "from": "bob@example.org", "to": ["alice@example.com"],
                         "subject": "Lunch?", "body": "Friday?"}]
    c = Console(spec, protocol="POP3")
    assert c.host == "pop.example.com"
    c.send("USER alice")
    assert c.send("PASS wonderland")[0].startswith("+OK logged in as alice, 1 message")
    assert "Subject: Lunch?" in c.send("RETR 1")
    smtp = Console(spec)  # for SMTP the same scenario is only built: no mail yet
    assert smtp.protocol == "SMTP" and smtp.host == "smtp.example.org"  # its entry
    assert net_messages(smtp.network) == 0


def net_messages(net: Network) -> int:
    return len(net.nodes["mailbox:alice@example.com"].messages)


def test_a_console_refuses_a_protocol_it_cannot_speak_there() -> None:
    _, net = pop_world()
    with pytest.raises(ValueError, match="not an SMTP server"):
        Console(net, "pop.example.com", protocol="SMTP")
    with pytest.raises(ValueError, match="speaks POP3"):
        Console(net, protocol="NNTP")
    with pytest.raises(TypeError, match="needs a network or a scenario"):
        Console(Accounts(), protocol="SMTP")
    with pytest.raises(TypeError, match="mail Accounts"):
        Console(42)
