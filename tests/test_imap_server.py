"""The IMAP server engine (smtpsim.imap.ImapServer): RFC 9051 responses, byte for byte."""

from __future__ import annotations

import base64
import imaplib
from datetime import datetime, timezone

import pytest

from smtpsim.imap import (
    TRANSITIONS,
    ConnectionClosed,
    Expunged,
    FlagsChanged,
    ImapLimits,
    ImapServer,
    LoggedIn,
    LoginFailed,
    Retrieved,
    Selected,
    State,
    where_allowed,
)
from smtpsim.mailstore import Accounts

WHEN = datetime(2026, 12, 4, 9, 5, 7, tzinfo=timezone.utc)
FIRST = (b"From: Bob <bob@example.org>\r\nTo: alice@example.com, Theodore "
         b"<theodore@example.com>\r\nSubject: Lunch?\r\nDate: Fri, 4 Dec 2026 09:00:00 +0000"
         b"\r\nMessage-ID: <1@example.org>\r\n\r\nNoon at the usual place?\r\n.Bob\r\n")
SECOND = (b"From: carol@example.net\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n"
          b"A long body about coffee.\r\n")


@pytest.fixture
def accounts() -> Accounts:
    accounts = Accounts()
    drop = accounts.add("alice", "wonder land")
    drop.add(FIRST, WHEN, key="m1")
    drop.add(SECOND, WHEN, flags={"\\Seen"}, key="m2")
    return accounts


def say(server: ImapServer, *lines: str | bytes) -> list[str]:
    server.receive_data(b"".join((line if isinstance(line, bytes) else line.encode())
                                 + b"\r\n" for line in lines))
    return server.data_to_send().decode().split("\r\n")[:-1]


def events(server: ImapServer) -> list[object]:
    out = []
    while (e := server.next_event()) is not None:
        out.append(e)
    return out


def selected(accounts: Accounts, *, examine: bool = False, rev2: bool = False) -> ImapServer:
    server = ImapServer(accounts)
    say(server, 'a1 LOGIN alice "wonder land"', *(["e1 ENABLE IMAP4rev2"] if rev2 else []),
        "a2 EXAMINE INBOX" if examine else "a2 SELECT INBOX")
    events(server)
    return server


def test_greeting_carries_the_capabilities_imaplib_needs(accounts):
    server = ImapServer(accounts, hostname="imap.example.com")
    greeting = server.greeting()
    assert greeting.startswith(b"* OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN ")
    assert greeting.endswith(b"] imap.example.com IMAP4rev2 server ready\r\n")
    assert say(server, "c1 CAPABILITY") == [
        "* CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ ENABLE IDLE UNSELECT",
        "c1 OK CAPABILITY completed"]
    assert server.state is State.NOT_AUTHENTICATED


def test_login_then_select_says_what_the_mailbox_holds(accounts):
    server = ImapServer(accounts)
    assert say(server, 'a1 LOGIN alice "wonder land"') == ["a1 OK logged in as alice"]
    assert server.state is State.AUTHENTICATED
    assert say(server, "a2 SELECT inbox") == [
        "* 2 EXISTS",
        "* 0 RECENT",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
        "the flags you can change",
        "* OK [UNSEEN 1] message 1 is the first not seen",
        "* OK [UIDVALIDITY 1] UIDs valid",
        "* OK [UIDNEXT 3] the next message will get this UID",
        "a2 OK [READ-WRITE] SELECT completed"]
    assert server.state is State.SELECTED
    assert events(server) == [LoggedIn("alice", "LOGIN"), Selected("INBOX", False, 2)]


def test_imap4rev2_after_enable_lists_the_mailbox_and_drops_recent(accounts):
    server = ImapServer(accounts)
    lines = say(server, 'a1 LOGIN alice "wonder land"', "a2 ENABLE IMAP4rev2", "a3 SELECT INBOX")
    assert "* ENABLED IMAP4rev2" in lines and '* LIST () "/" INBOX' in lines
    assert not any("RECENT" in line or "[UNSEEN" in line for line in lines)


def test_a_password_may_be_a_literal_after_the_go_ahead(accounts):
    server = ImapServer(accounts)
    server.receive_data(b"a1 LOGIN alice {11}\r\n")
    assert server.data_to_send() == b"+ go ahead: send the 11 octets\r\n"
    server.receive_data(b"wonder land\r\n")
    assert server.data_to_send() == b"a1 OK logged in as alice\r\n"
    # LITERAL+ ({n+}): no go-ahead; the octets follow at once, CRLF inside and all.
    other = ImapServer(accounts)
    assert say(other, b'a1 LOGIN {5+}\r\nalice "wonder land"') == ["a1 OK logged in as alice"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(accounts):
    server = ImapServer(accounts)
    wrong = say(server, "a1 LOGIN alice nope")
    unknown = say(server, "a2 LOGIN zoe nope")
    assert [w.split(" ", 1)[1] for w in wrong + unknown] == [
        "NO [AUTHENTICATIONFAILED] invalid user name or password"] * 2
    assert say(server, "a3 LOGIN alice nope") == [
        "a3 NO [AUTHENTICATIONFAILED] invalid user name or password",
        "* BYE too many failed logins; goodbye"]
    assert server.closed
    assert events(server) == [LoginFailed("alice"), LoginFailed("zoe"), LoginFailed("alice"),
                              ConnectionClosed("too many failed logins")]


def test_authenticate_plain_with_a_continuation_and_with_an_initial_response(accounts):
    credentials = base64.b64encode(b"\0alice\0wonder land").decode()
    server = ImapServer(accounts)
    assert say(server, "a1 AUTHENTICATE PLAIN") == ["+ "]
    assert say(server, credentials) == ["a1 OK logged in as alice"]
    quick = ImapServer(accounts)
    assert say(quick, f"a1 AUTHENTICATE PLAIN {credentials}") == ["a1 OK logged in as alice"]
    assert events(quick) == [LoggedIn("alice", "PLAIN")]
    cancelled = ImapServer(accounts)
    assert say(cancelled, "a1 AUTHENTICATE PLAIN", "*") == ["+ ", "a1 BAD AUTHENTICATE cancelled"]
    assert say(cancelled, "a2 AUTHENTICATE CRAM-MD5")[0].startswith("a2 NO unsupported mechanism")
    assert say(cancelled, "a3 AUTHENTICATE PLAIN !!!") == [
        "a3 BAD the credentials are not base64 PLAIN"]
    assert say(cancelled, "a5 AUTHENTICATE PLAIN", "crème") == [
        "+ ", "a5 BAD the credentials are not base64 PLAIN"]
    other = base64.b64encode(b"bob\0alice\0wonder land").decode()
    assert say(cancelled, f"a4 AUTHENTICATE PLAIN {other}")[0].startswith(
        "a4 NO [AUTHORIZATIONFAILED]")


def test_fetch_items_a_mail_client_shows_a_list_with(accounts):
    server = selected(accounts)
    lines = say(server, "a3 FETCH 1:2 (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)")
    assert lines[0] == (
        f'* 1 FETCH (UID 1 FLAGS () RFC822.SIZE {len(FIRST)} INTERNALDATE " 4-Dec-2026 '
        '09:05:07 +0000" ENVELOPE ("Fri, 4 Dec 2026 09:00:00 +0000" "Lunch?" '
        '(("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) '
        '(("Bob" NIL "bob" "example.org")) ((NIL NIL "alice" "example.com")'
        '("Theodore" NIL "theodore" "example.com")) NIL NIL NIL "<1@example.org>"))')
    assert lines[1].startswith("* 2 FETCH (UID 2 FLAGS (\\Seen) RFC822.SIZE")
    assert lines[2] == "a3 OK FETCH completed"
    # What imaplib makes of INTERNALDATE: the same moment.
    stamp = imaplib.Internaldate2tuple(lines[0].encode())
    assert stamp is not None and stamp[:6] == WHEN.astimezone().timetuple()[:6]
    # The macros.
    assert say(server, "a4 FETCH 2 FAST")[0].startswith("* 2 FETCH (FLAGS (\\Seen) INTERNALDATE")


def test_body_fetch_sends_a_literal_and_marks_seen_but_peek_does_not(accounts):
    server = selected(accounts)
    server.receive_data(b"a3 FETCH 1 (BODY.PEEK[HEADER])\r\n")
    header = FIRST.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert server.data_to_send() == (b"* 1 FETCH (BODY[HEADER] {%d}\r\n" % len(header)
                                     + header + b")\r\na3 OK FETCH completed\r\n")
    assert accounts.maildrop("alice").get(1).flags == frozenset()
    server.receive_data(b"a4 FETCH 1 BODY[]\r\n")
    assert server.data_to_send() == (b"* 1 FETCH (BODY[] {%d}\r\n" % len(FIRST) + FIRST
                                     + b" FLAGS (\\Seen))\r\na4 OK FETCH completed\r\n")
    assert accounts.maildrop("alice").get(1).flags == {"\\Seen"}
    assert events(server) == [
        Retrieved(1, "m1", "BODY[HEADER]", len(header), False),
        FlagsChanged(1, "m1", frozenset({"\\Seen"})),
        Retrieved(1, "m1", "BODY[]", len(FIRST), True)]


def test_sections_text_fields_and_partial(accounts):
    server = selected(accounts)
    server.receive_data(b"a3 FETCH 1 (BODY.PEEK[TEXT] BODY.PEEK[HEADER.FIELDS (subject to)] "
                        b"BODY.PEEK[HEADER.FIELDS.NOT (To From Date Message-ID)] "
                        b"BODY.PEEK[]<6.3>)\r\n")
    to = b"To: alice@example.com, Theodore <theodore@example.com>\r\n"
    assert server.data_to_send() == (
        b"* 1 FETCH (BODY[TEXT] {32}\r\nNoon at the usual place?\r\n.Bob\r\n "
        b"BODY[HEADER.FIELDS (SUBJECT TO)] {%d}\r\n" % (len(to) + 19) + to
        + b"Subject: Lunch?\r\n\r\n BODY[HEADER.FIELDS.NOT (TO FROM DATE MESSAGE-ID)] "
          b"{19}\r\nSubject: Lunch?\r\n\r\n BODY[]<6> {3}\r\nBob)\r\na3 OK FETCH completed\r\n")


def test_rfc822_items_are_the_old_names_of_sections(accounts):
    server = selected(accounts, examine=True)
    server.receive_data(b"a3 FETCH 2 (RFC822.HEADER RFC822)\r\n")
    header = SECOND.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert server.data_to_send() == (
        b"* 2 FETCH (RFC822.HEADER {%d}\r\n" % len(header) + header
        + b" RFC822 {%d}\r\n" % len(SECOND) + SECOND + b")\r\na3 OK FETCH completed\r\n")


def test_uid_fetch_always_names_the_uid_and_skips_missing_uids(accounts):
    server = selected(accounts)
    assert say(server, "a3 UID FETCH 2:9 FLAGS") == [
        "* 2 FETCH (UID 2 FLAGS (\\Seen))", "a3 OK UID FETCH completed"]
    # "*" is the highest UID, so 9:* means 2:9 here (RFC 9051 §6.4.8).
    assert say(server, "a4 UID FETCH 9:* (FLAGS)")[0] == "* 2 FETCH (UID 2 FLAGS (\\Seen))"


def test_search_in_rev1_and_rev2(accounts):
    server = selected(accounts)
    assert say(server, "a3 SEARCH UNSEEN") == ["* SEARCH 1", "a3 OK SEARCH completed"]
    assert say(server, 'a4 SEARCH FROM "BOB" SUBJECT lunch') == [
        "* SEARCH 1", "a4 OK SEARCH completed"]
    assert say(server, "a5 SEARCH SUBJECT café")[0] == "* SEARCH 2"  # decoded first
    assert say(server, "a6 UID SEARCH OR SEEN TEXT usual")[0] == "* SEARCH 1 2"
    assert say(server, "a7 SEARCH NOT (SEEN) LARGER 10 SINCE 1-Dec-2026")[0] == "* SEARCH 1"
    assert say(server, "a8 SEARCH BEFORE 4-Dec-2026")[0] == "* SEARCH"
    assert say(server, "a9 SEARCH CHARSET ISO-2022-JP ALL") == [
        "a9 NO [BADCHARSET (UTF-8 US-ASCII)] this server searches in UTF-8"]
    assert say(server, "b1 SEARCH SUBJECT")[0] == "b1 BAD SEARCH: SUBJECT needs an argument"
    assert say(server, "b2 SEARCH WHATEVER")[0] == "b2 BAD SEARCH: unknown search key 'WHATEVER'"
    rev2 = selected(accounts, rev2=True)
    assert say(rev2, "a3 SEARCH ALL") == ['* ESEARCH (TAG "a3") ALL 1:2', "a3 OK SEARCH completed"]
    assert say(rev2, "a4 UID SEARCH DELETED")[0] == '* ESEARCH (TAG "a4") UID'


def test_store_then_expunge_removes_and_renumbers(accounts):
    drop = accounts.maildrop("alice")
    drop.add(b"Subject: three\r\n\r\n3\r\n", WHEN, key="m3")
    server = selected(accounts)
    assert say(server, "a3 STORE 1,3 +FLAGS (\\Deleted)") == [
        "* 1 FETCH (FLAGS (\\Deleted))", "* 3 FETCH (FLAGS (\\Deleted))", "a3 OK STORE completed"]
    assert say(server, "a4 STORE 3 -FLAGS.SILENT (\\Deleted)") == ["a4 OK STORE completed"]
    assert say(server, "a5 UID STORE 3 +FLAGS.SILENT \\Deleted") == ["a5 OK UID STORE completed"]
    assert len(drop) == 3  # \Deleted only marks
    # Messages 1 and 3 go: after 1 goes, the old 3 is number 2 (RFC 9051 §7.4.1).
    assert say(server, "a6 EXPUNGE") == ["* 1 EXPUNGE", "* 2 EXPUNGE", "a6 OK EXPUNGE completed"]
    assert [m.key for m in drop.messages()] == ["m2"]
    assert Expunged((1, 3), ("m1", "m3")) in events(server)
    assert say(server, "a7 FETCH 1 UID") == ["* 1 FETCH (UID 2)", "a7 OK FETCH completed"]
    assert say(server, "a8 STORE 1 FLAGS (\\Recent)")[0].startswith(
        "a8 BAD STORE: \\Recent is not a flag a client can set")
    assert say(server, "a9 STORE 1 FLAGS ($Important)") == [
        "* 1 FETCH (FLAGS ($Important))", "a9 OK STORE completed"]


def test_examine_is_read_only(accounts):
    server = selected(accounts, examine=True)
    assert say(server, "a3 FETCH 1 BODY[TEXT]")[-1] == "a3 OK FETCH completed"
    assert accounts.maildrop("alice").get(1).flags == frozenset()  # not marked \Seen
    assert say(server, "a4 STORE 1 +FLAGS (\\Seen)")[0].startswith("a4 NO [READ-ONLY]")
    assert say(server, "a5 EXPUNGE")[0].startswith("a5 NO [READ-ONLY]")


def test_close_expunges_silently_and_unselect_does_not(accounts):
    server = selected(accounts)
    say(server, "a3 STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert say(server, "a4 UNSELECT") == ["a4 OK UNSELECT completed"]
    assert len(accounts.maildrop("alice")) == 2 and server.state is State.AUTHENTICATED
    say(server, "a5 SELECT INBOX")
    assert say(server, "a6 CLOSE") == ["a6 OK CLOSE completed"]
    assert len(accounts.maildrop("alice")) == 1 and server.state is State.AUTHENTICATED


def test_two_sessions_see_each_others_changes_at_their_next_command(accounts):
    laptop, phone = selected(accounts), selected(accounts)
    say(laptop, "a3 FETCH 1 BODY[]")  # marks \Seen
    assert say(phone, "p1 NOOP") == ["* 1 FETCH (FLAGS (\\Seen))", "p1 OK NOOP completed"]
    say(laptop, "a4 STORE 2 +FLAGS (\\Deleted)", "a5 EXPUNGE")
    # During FETCH the phone is not told of the expunge (it would renumber the
    # messages it asked for); the tagged NO says something happened.
    assert say(phone, "p2 FETCH 2 FLAGS") == [
        "p2 NO [EXPUNGEISSUED] some of those messages were expunged by another session; "
        "NOOP will say which"]
    assert say(phone, "p3 NOOP") == ["* 2 EXPUNGE", "p3 OK NOOP completed"]
    accounts.maildrop("alice").add(b"Subject: new\r\n\r\nnew\r\n", WHEN, key="m3")
    # The news comes after the command's own data, before its tagged OK; the search
    # ran on the messages the phone knew of when it asked.
    assert say(phone, "p4 SEARCH ALL") == ["* SEARCH 1", "* 2 EXISTS", "p4 OK SEARCH completed"]
    assert say(phone, "p5 SEARCH ALL")[0] == "* SEARCH 1 2"


def test_idle_announces_new_mail_as_it_arrives(accounts):
    server = selected(accounts)
    assert say(server, "a3 IDLE") == ["+ idling: new mail will be announced; send DONE to stop"]
    assert server.idling
    accounts.maildrop("alice").add(b"Subject: new\r\n\r\nnew\r\n", WHEN, key="m3")
    server.mailbox_changed()
    assert server.data_to_send() == b"* 3 EXISTS\r\n"
    assert say(server, "done") == ["a3 OK IDLE terminated"]
    assert not server.idling
    server.mailbox_changed()  # not idling: told at the next command instead
    assert server.data_to_send() == b""
    say(server, "a4 IDLE")
    assert say(server, "a5 NOOP") == ["a4 BAD IDLE ends with DONE; nothing else may be sent"]


def test_list_and_status(accounts):
    server = ImapServer(accounts)
    say(server, 'a1 LOGIN alice "wonder land"')
    assert say(server, 'a2 LIST "" "*"') == ['* LIST (\\HasNoChildren) "/" INBOX',
                                             "a2 OK LIST completed"]
    assert say(server, 'a3 LIST "" ""') == ['* LIST (\\Noselect) "/" ""', "a3 OK LIST completed"]
    assert say(server, 'a4 LIST "" Sent%') == ["a4 OK LIST completed"]
    assert say(server, "a5 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)") == [
        "* STATUS INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 3)", "a5 OK STATUS completed"]
    assert say(server, "a6 SELECT Sent") == [
        "a6 NO [NONEXISTENT] no mailbox 'Sent': this server has only INBOX"]


def test_a_failed_select_closes_the_open_mailbox(accounts):
    server = selected(accounts)
    say(server, "a3 SELECT Archive")
    assert server.state is State.AUTHENTICATED


def test_logout_says_bye_then_ok_and_closes(accounts):
    server = selected(accounts)
    assert say(server, "a9 LOGOUT") == ["* BYE imap.example.com IMAP server logging out",
                                        "a9 OK LOGOUT completed"]
    assert server.closed and events(server) == [ConnectionClosed("LOGOUT")]
    assert say(server, "b1 NOOP") == []


def test_a_drop_expunges_nothing(accounts):
    server = selected(accounts)
    say(server, "a3 STORE 1:* +FLAGS (\\Deleted)")
    server.receive_data(b"")
    assert server.closed and len(accounts.maildrop("alice")) == 2
    assert events(server)[-1] == ConnectionClosed("dropped")


@pytest.mark.parametrize(("line", "answer"), [
    ("a1 FETCH 1 FLAGS", "a1 BAD FETCH needs a logged-in session: LOGIN first"),
    ("a1 SELECT INBOX", "a1 BAD SELECT needs a logged-in session: LOGIN first"),
    ("a1 FROB", "a1 BAD unknown command 'FROB'"),
    ("a1", "a1 BAD no command name after the tag"),
    ("+x NOOP", "* BAD a command starts with a tag (a1, a2 ...), then its name"),
    ('a1 LOGIN "alice', "a1 BAD a quoted string is not closed (at octet 15)"),
    ("a1 LOGIN alice", "a1 BAD LOGIN: LOGIN takes a user name and a password"),
    ("a1 NOOP now", "a1 BAD NOOP: NOOP takes no arguments"),
    ("", "* BAD empty command line"),
])
def test_bad_commands_before_login(accounts, line, answer):
    assert say(ImapServer(accounts), line) == [answer]


@pytest.mark.parametrize(("line", "answer"), [
    ("a1 FETCH 1 FLAGS", "a1 BAD FETCH needs an open mailbox: SELECT INBOX first"),
    ("a1 LOGIN alice x", "a1 BAD already logged in"),
])
def test_bad_commands_after_login(accounts, line, answer):
    server = ImapServer(accounts)
    say(server, 'a0 LOGIN alice "wonder land"')
    assert say(server, line) == [answer]


@pytest.mark.parametrize(("line", "answer"), [
    ("a1 FETCH 3 FLAGS", "a1 BAD FETCH: no message 3: INBOX holds 2 (as this session"),
    ("a1 FETCH 0 FLAGS", "a1 BAD FETCH: '0' is not a sequence set"),
    ("a1 FETCH 1 BODY", "a1 BAD FETCH: BODY (the MIME structure) is not sent by this server"),
    ("a1 FETCH 1 FULL", "a1 BAD FETCH: FULL includes BODY"),
    ("a1 FETCH 1 (BODY[1])", "a1 BAD FETCH: section [1] is not one this server cuts"),
    ("a1 FETCH 1 (BODY[]<x>)", "a1 BAD FETCH: '<x>': a partial fetch is"),
    ("a1 FETCH 1 (RFC822.SIZE", "a1 BAD a list opened with '(' is not closed"),
    ("a1 FETCH 1 (WHAT)", "a1 BAD FETCH: unknown FETCH item 'WHAT'"),
    ("a1 STORE 1 FLAGZ (\\Seen)", "a1 BAD STORE: 'FLAGZ': STORE changes FLAGS"),
    ("a1 UID EXPUNGE 1", "a1 BAD UID: UID goes before FETCH, SEARCH or STORE"),
    ("a1 LOGIN alice x", "a1 BAD already logged in"),
])
def test_bad_commands_in_selected(accounts, line, answer):
    assert say(selected(accounts), line)[0].startswith(answer)


def test_limits_on_lines_and_literals(accounts):
    server = ImapServer(accounts, limits=ImapLimits(max_line=64, max_literal=10))
    server.receive_data(b"a1 LOGIN " + b"x" * 80)
    assert server.data_to_send() == b"* BAD line too long (the limit is 64 octets)\r\n"
    server.receive_data(b"y" * 500 + b"\r\na2 NOOP\r\n")  # the rest is dropped; then on
    assert server.data_to_send() == b"a2 OK NOOP completed\r\n"
    assert say(server, "a3 LOGIN {11}") == [
        "a3 BAD a literal of 11 octets is more than this server takes (10)"]
    assert say(server, "a4 LOGIN {11+}") == [
        "* BYE a literal of 11 octets is more than this server takes (10)"]
    assert server.closed
    with pytest.raises(ValueError, match="max_line"):
        ImapLimits(max_line=10)


def test_the_state_table_is_what_the_server_runs():
    assert where_allowed("FETCH") == [State.SELECTED]
    assert where_allowed("LOGIN") == [State.NOT_AUTHENTICATED]
    assert TRANSITIONS[(State.SELECTED, "CLOSE")] is State.AUTHENTICATED
    assert TRANSITIONS[(State.AUTHENTICATED, "LOGOUT")] is State.LOGOUT
    assert {state for state, _ in TRANSITIONS} == {State.NOT_AUTHENTICATED,
                                                   State.AUTHENTICATED, State.SELECTED}
