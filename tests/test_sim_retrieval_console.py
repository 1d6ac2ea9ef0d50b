"""A person at the console of a mailbox server: POP3 typed by hand, against real mail."""

from __future__ import annotations

import doctest
from typing import Any

import pytest
from sim_worlds import two_domains
from test_scenarios_retrieval import spec as pickup_spec

import smtpsim.sim.retrieval_console
from smtpsim.mailstore import Accounts
from smtpsim.pop3 import State
from smtpsim.scenarios import load
from smtpsim.sim import (
    RETRIEVAL_PROTOCOLS,
    ConsoleSession,
    Network,
    RetrievalConsoleSession,
    retrieval_protocol,
)
from smtpsim.sim.agents.mailbox_server import PORTS
from smtpsim.sim.retrieval_console import outside_literals
from smtpsim.trace import (
    Fetched,
    Flagged,
    Pop3Line,
    Removed,
    SessionClosed,
    SessionOpened,
    check_conservation,
    summarize,
)


def delivered_world() -> Network:
    """The pickup scenario, run with no fetch of Alice's own: Bob's message waits in her
    mailbox on pop.example.com (password wonderland)."""
    data: dict[str, Any] = pickup_spec()
    for node in data["nodes"]:
        node.pop("fetch", None)
    return load(data).run()


def dialog(session: RetrievalConsoleSession, *lines: str) -> list[tuple[str, str]]:
    """The rows a console shows: the greeting, then each typed line and its answer."""
    rows = [("S", line) for line in session.greeting]
    for line in lines:
        rows.append(("C", line))
        rows += [("S", answer) for answer in session.send_line(line)]
    return rows


def test_a_typed_pop3_session_reads_and_deletes_real_mail_on_a_network() -> None:
    net = delivered_world()
    box = net.nodes["mailbox:alice@example.com"]
    [stored] = box.messages
    pop = RetrievalConsoleSession(net, protocol="POP3")
    assert (pop.host, pop.port) == ("pop.example.com", 110)
    assert pop.greeting == ["+OK pop.example.com POP3 server ready"]
    assert pop.send_line("STAT")[0].startswith("-ERR")  # not logged in yet
    assert pop.send_line("USER alice") == ["+OK send your password"]
    assert pop.send_line("PASS wonderland")[0].startswith("+OK logged in as alice, 1 message")
    assert pop.user == "alice" and pop.state is State.TRANSACTION
    assert pop.send_line("STAT") == [f"+OK 1 {len(stored)}"]
    assert pop.send_line("LIST") == [f"+OK 1 message ({len(stored)} octets)",
                                     f"1 {len(stored)}", "."]
    retr = pop.send_line("RETR 1")
    assert retr[0] == f"+OK {len(stored)} octets" and retr[-1] == "."
    assert retr[1] == "Return-Path: <bob@example.com>"
    assert "Subject: Test message" in retr and "Hello Alice." in retr
    assert pop.send_line("DELE 1") == ["+OK message 1 marked for deletion"]
    assert box.messages == [stored]  # marked, not removed: POP3 removes at QUIT
    assert pop.send_line("QUIT")[0].endswith("(1 deleted, 0 left)")
    assert pop.closed and pop.send_line("NOOP") == []
    assert box.messages == [] and box.ids == []

    ours = [e for e in net.trace if getattr(e, "session", None) == pop.session]
    assert isinstance(ours[0], SessionOpened) and ours[0].port == 110
    assert isinstance(ours[-1], SessionClosed) and ours[-1].reason == "QUIT"
    lines = [e for e in ours if isinstance(e, Pop3Line)]
    assert [e.line for e in lines if e.dir == "C"] == ["STAT", "USER alice", "PASS wonderland",
                                                       "STAT", "LIST", "RETR 1", "DELE 1",
                                                       "QUIT"]
    assert {e.peer for e in lines} == {"student-pc"}
    [fetched] = net.trace.of(Fetched)
    [removed] = net.trace.of(Removed)
    assert fetched.msg == removed.msg == box_key(net)
    assert (fetched.peer, fetched.user, fetched.protocol) == ("student-pc", "alice", "POP3")
    assert fetched.mailbox == "mailbox:alice@example.com"
    assert pop.fetched == pop.removed == [fetched.msg]
    assert check_conservation(net.trace) == []
    [outcome] = summarize(net.trace)
    assert outcome.read_by == (("student-pc", "POP3"),)


def box_key(net: Network) -> str:
    """The trace id of the one message Alice was delivered."""
    [delivered] = [e for e in net.trace if e.kind == "delivered"]
    return delivered.msg


def test_a_dropped_session_removes_nothing_and_says_why() -> None:
    net = delivered_world()
    box = net.nodes["mailbox:alice@example.com"]
    pop = RetrievalConsoleSession(net)
    dialog(pop, "USER alice", "PASS wonderland", "DELE 1")
    pop.close("the student started a new session")
    pop.close("again")  # closing twice is harmless
    assert pop.closed and len(box.messages) == 1
    assert net.trace.of(Removed) == []
    closed = [e for e in net.trace.of(SessionClosed) if e.session == pop.session]
    assert [e.reason for e in closed] == ["the student started a new session"]
    again = RetrievalConsoleSession(net)  # the message is still there for the next session
    dialog(again, "USER alice", "PASS wonderland")
    assert again.send_line("STAT")[0].startswith("+OK 1 ")
    assert again.session != pop.session


def test_wrong_passwords_are_refused_alike_until_the_server_hangs_up() -> None:
    net = delivered_world()
    pop = RetrievalConsoleSession(net, "pop.example.com")
    unknown = dialog(pop, "USER mallory", "PASS guess")[-1][1]
    wrong = dialog(pop, "USER alice", "PASS guess")[-1][1]
    assert unknown == wrong == "-ERR [AUTH] invalid user name or password"
    last = pop.send_line("PASS again")  # PASS without USER: refused, not counted
    assert last[0].startswith("-ERR PASS must follow USER")
    dialog(pop, "USER alice", "PASS third")
    assert pop.closed and pop.user == ""
    [closed] = [e for e in net.trace.of(SessionClosed) if e.session == pop.session]
    assert closed.reason == "closed by the server"


def test_a_console_over_accounts_alone_keeps_its_dialog_in_its_own_trace() -> None:
    accounts = Accounts()
    drop = accounts.add("carol", "s3cret")
    drop.add(b"Subject: one\r\n\r\nfirst\r\n", key="m1")
    drop.add(b"Subject: two\r\n\r\n.starts with a dot\r\n", key="m2")
    pop = RetrievalConsoleSession(accounts, "pop.school.example")
    assert pop.greeting == ["+OK pop.school.example POP3 server ready"]
    rows = dialog(pop, "USER carol", "PASS s3cret", "RETR 2", "DELE 1", "QUIT")
    assert ("S", "..starts with a dot") in rows  # dot-stuffed on the wire
    assert [m.key for m in drop.messages()] == ["m2"]
    assert pop.fetched == ["m2"] and pop.removed == ["m1"]
    # no network, so no network messages: the trace holds the dialog only
    assert pop.trace.of(Fetched) == [] and pop.trace.of(Removed) == []
    assert len(pop.trace.of(Pop3Line)) == len(rows)
    second = RetrievalConsoleSession(accounts, trace=pop.trace)
    assert second.host == "pop.example.com"
    assert [e.session for e in pop.trace.of(SessionOpened)] == ["s1", "s2"]


def test_each_line_is_explained_with_the_command_it_answers() -> None:
    accounts = Accounts()
    accounts.add("alice", "pw")
    pop = RetrievalConsoleSession(accounts)
    rows = dialog(pop, "CAPA", "AUTH PLAIN")
    assert pop.continuing  # the server sent "+ ": the credentials come next
    rows += dialog_lines(pop, "AGFsaWNlAG5vcGU=")  # NUL alice NUL nope: refused
    assert not pop.continuing
    rows += dialog_lines(pop, "RETR 1", "AUTH PLAIN", "AGFsaWNlAHB3")  # NUL alice NUL pw
    rows.append(("-", "new session"))
    rows += [("S", "+OK pop.example.com POP3 server ready")]
    notes = RETRIEVAL_PROTOCOLS["POP3"].explain_rows(rows)
    said = [(row, note) for row, note in zip(rows, notes) if note]
    expected = [
        (("S", "+OK pop.example.com POP3 server ready"), "Yes: the server is ready"),
        (("C", "CAPA"), "Asks which optional features"),
        (("S", "+OK capability list follows"), "Yes: the list of capabilities follows"),
        (("S", "."), "The lone dot ends a multi-line response."),
        (("C", "AUTH PLAIN"), "Logs in with a SASL mechanism"),
        (("S", "+ "), "Go on: the server waits"),
        # the base64 line is no command (no note): its answer is AUTH's
        (("S", "-ERR [AUTH] invalid user name or password"),
         "No: the server refused AUTH. [AUTH]: the user name or password is wrong"),
        (("C", "RETR 1"), "Downloads one whole message"),
        (("S", "-ERR RETR needs a logged-in session: log in with USER and PASS first"),
         "No: the server refused RETR."),
        (("C", "AUTH PLAIN"), "Logs in with a SASL mechanism"),
        (("S", "+ "), "Go on: the server waits"),
        (("S", "+OK logged in as alice, 0 messages (0 octets)"),
         "Yes: logged in; the maildrop is open (TRANSACTION state)."),
        (("S", "+OK pop.example.com POP3 server ready"), "Yes: the server is ready"),
    ]
    assert [row for row, _ in said] == [row for row, _ in expected]
    for (_, note), (_, want) in zip(said, expected):
        assert note.startswith(want), (note, want)
    assert pop.user == "alice"


def dialog_lines(session: RetrievalConsoleSession, *lines: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for line in lines:
        rows.append(("C", line))
        rows += [("S", answer) for answer in session.send_line(line)]
    return rows


def test_a_message_s_own_lines_are_never_explained() -> None:
    accounts = Accounts()
    message = b"Subject: x\r\n\r\n+OK not an answer\r\n.\r\n"
    accounts.add("alice", "pw").add(message)
    pop = RetrievalConsoleSession(accounts)
    rows = dialog(pop, "USER alice", "PASS pw", "RETR 1", "LIST")
    notes = RETRIEVAL_PROTOCOLS["POP3"].explain_rows(rows)
    start = rows.index(("C", "RETR 1"))
    retr = list(zip(rows[start + 1:start + 7], notes[start + 1:start + 7]))
    assert [row for row, _ in retr] == [
        ("S", f"+OK {len(message)} octets"), ("S", "Subject: x"), ("S", ""),
        ("S", "+OK not an answer"), ("S", ".."), ("S", ".")]
    assert [bool(note) for _, note in retr] == [True, False, False, False, False, True]
    listing = notes[start + 8:]
    assert listing[0] == "Yes: one line per message follows: its number and size in octets."
    assert listing[1:] == ["", "The lone dot ends a multi-line response."]


def test_a_retrieval_console_refuses_what_it_cannot_do() -> None:
    net = delivered_world()
    with pytest.raises(ValueError, match="speaks POP3"):
        RetrievalConsoleSession(net, protocol="NNTP")
    with pytest.raises(ValueError, match=r"'smtp\.example\.com' is not a mailbox"):
        RetrievalConsoleSession(net, "smtp.example.com")
    with pytest.raises(ValueError, match="no mailbox server that serves POP3"):
        RetrievalConsoleSession(Network())
    with pytest.raises(TypeError, match="Network or Accounts"):
        RetrievalConsoleSession("pickup")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one line at a time"):
        RetrievalConsoleSession(net).send_line("USER alice\r\nPASS wonderland")
    assert retrieval_protocol("pop3") is RETRIEVAL_PROTOCOLS["POP3"]


def test_an_smtp_console_says_when_a_blank_line_matters() -> None:
    net, _, _ = two_domains()
    smtp = ConsoleSession(net, "mx.example.com")
    assert not smtp.continuing
    for line in ("EHLO me", "MAIL FROM:<bob@example.com>", "RCPT TO:<alice@example.com>"):
        smtp.send_line(line)
    smtp.send_line("DATA")
    assert smtp.continuing


@pytest.mark.parametrize("name", sorted(RETRIEVAL_PROTOCOLS))
def test_every_protocol_in_the_table_is_whole(name: str) -> None:
    """What the console needs of each entry, checked against its own engine."""
    entry = RETRIEVAL_PROTOCOLS[name]
    assert entry.name == name and entry.port == PORTS[name]
    session = RetrievalConsoleSession(Accounts(), protocol=name)
    assert session.host == entry.hostname and session.greeting
    assert entry.explain_response(session.greeting[0], "")  # the greeting is explained
    assert session.trace.of(entry.line_event) and not session.closed
    assert "{user}" in entry.example and entry.explain_command(entry.example.format(user="x"))


def test_the_examples_in_the_docstrings_hold() -> None:
    result = doctest.testmod(smtpsim.sim.retrieval_console)
    assert result.attempted >= 5 and result.failed == 0


@pytest.mark.parametrize(("answer", "marks"), [
    (["+OK 1 2", "."], [True, True]),  # no literal: all the server's words
    (["* 1 FETCH (BODY[] {22}", "Subject: x", "", "Hello.", ")", "a1 OK FETCH completed"],
     [True, False, False, False, True, True]),
    # two literals in one answer, and one that ends inside a line
    (["* 1 FETCH (BODY[] {3}", "a{1}", ")", "* 2 FETCH (BODY[] {1}", "b)", "a2 OK"],
     [True, False, True, True, False, True]),
    (["* LIST () \"/\" {5}"], [True]),  # the literal's octets have not come (yet)
    (["* OK [ALERT] {not a literal}", "a1 OK"], [True, True]),
])
def test_the_content_of_literals_is_not_the_server_s_words(answer: list[str],
                                                           marks: list[bool]) -> None:
    assert outside_literals(answer) == marks


# ---------------------------------------------------------------------------------
# IMAP, plugged in as one more entry: the console itself does not change.


def test_imap_is_one_more_entry_in_the_table() -> None:
    net = delivered_world()  # pop.example.com serves POP3 and IMAP
    box = net.nodes["mailbox:alice@example.com"]
    session = RetrievalConsoleSession(net, protocol="imap")
    assert session.port == 143 and session.greeting[0].startswith("* OK")
    rows = dialog(session, "a1 LOGIN alice {10}")
    assert session.continuing  # "+ ": send the literal's 10 octets
    rows += dialog_lines(session, "wonderland", "a2 SELECT INBOX", "a3 FETCH 1 BODY[]",
                         "a4 STORE 1 +FLAGS (\\Deleted)", "a5 EXPUNGE", "a6 LOGOUT")
    assert session.closed and session.user == "alice" and box.messages == []
    notes = dict(zip(rows, RETRIEVAL_PROTOCOLS["IMAP"].explain_rows(rows)))
    assert notes[("S", "a1 OK logged in as alice")].endswith("the command LOGIN worked.")
    assert notes[("S", "a3 OK FETCH completed")].endswith("the command FETCH worked.")
    assert notes[("S", "Subject: Test message")] == ""  # inside the literal: content
    [fetched] = net.trace.of(Fetched)
    [removed] = net.trace.of(Removed)
    assert fetched.protocol == removed.protocol == "IMAP" and fetched.msg == removed.msg
    assert [f.flags for f in net.trace.of(Flagged)][-1] == ("\\Deleted", "\\Seen")
    assert check_conservation(net.trace) == []
    assert {e.kind for e in net.trace if getattr(e, "session", "") == session.session} \
        == {"session-open", "imap", "session-close"}
