"""The POP3 server engine (smtpsim.pop3.Pop3Server): RFC 1939 byte for byte."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest

from smtpsim.mailstore import Accounts
from smtpsim.pop3 import (
    TRANSITIONS,
    ConnectionClosed,
    LoggedIn,
    LoginFailed,
    Marked,
    Pop3Limits,
    Pop3Server,
    Retrieved,
    State,
    Updated,
    where_allowed,
)

WHEN = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
FIRST = b"From: bob@example.org\r\nSubject: Hi\r\n\r\nHello Alice.\r\n.hidden dot\r\nBob\r\n"
SECOND = b"Subject: Two\r\n\r\n.\r\n"


@pytest.fixture
def accounts() -> Accounts:
    accounts = Accounts()
    drop = accounts.add("alice", "wonder land")
    drop.add(FIRST, WHEN, key="m1")
    drop.add(SECOND, WHEN, key="m2")
    return accounts


def say(server: Pop3Server, *lines: str) -> list[str]:
    server.receive_data(b"".join(line.encode() + b"\r\n" for line in lines))
    return server.data_to_send().decode().split("\r\n")[:-1]


def events(server: Pop3Server) -> list[object]:
    out = []
    while (e := server.next_event()) is not None:
        out.append(e)
    return out


def logged_in(accounts: Accounts) -> Pop3Server:
    server = Pop3Server(accounts)
    say(server, "USER alice", "PASS wonder land")
    events(server)
    return server


def test_greeting_and_login_with_user_and_pass(accounts):
    server = Pop3Server(accounts, hostname="pop.example.com")
    assert server.greeting() == b"+OK pop.example.com POP3 server ready\r\n"
    assert server.state is State.AUTHORIZATION
    assert say(server, "USER alice") == ["+OK send your password"]
    assert server.state is State.USER
    # The password is the rest of the line, spaces and all.
    assert say(server, "PASS wonder land") == ["+OK logged in as alice, 2 messages (89 octets)"]
    assert server.state is State.TRANSACTION
    assert events(server) == [LoggedIn("alice", "USER/PASS", 2)]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(accounts):
    server = Pop3Server(accounts)
    wrong = say(server, "USER alice", "PASS nope")
    unknown = say(server, "USER mallory", "PASS wonder land")
    assert wrong[0] == unknown[0] == "+OK send your password"
    assert wrong[1] == unknown[1] == "-ERR [AUTH] invalid user name or password"
    assert server.state is State.AUTHORIZATION  # a refused PASS undoes USER
    assert events(server) == [LoginFailed("alice"), LoginFailed("mallory")]


def test_too_many_failed_logins_close_the_connection(accounts):
    server = Pop3Server(accounts, limits=Pop3Limits(max_failures=2))
    assert say(server, "USER a", "PASS b", "USER a", "PASS b", "USER alice") == [
        "+OK send your password", "-ERR [AUTH] invalid user name or password",
        "+OK send your password", "-ERR [AUTH] too many failed logins; goodbye"]
    assert server.closed and server.state is State.CLOSED
    assert events(server)[-1] == ConnectionClosed("too many failed logins")


def plain(authzid: str, user: str, password: str) -> str:
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


def test_auth_plain_with_and_without_an_initial_response(accounts):
    server = Pop3Server(accounts)
    assert say(server, f"AUTH PLAIN {plain('', 'alice', 'wonder land')}")[0].startswith(
        "+OK logged in as alice")
    assert events(server) == [LoggedIn("alice", "PLAIN", 2)]
    server = Pop3Server(accounts)
    assert say(server, "AUTH PLAIN") == ["+ "]
    assert say(server, plain("alice", "alice", "wonder land"))[0].startswith("+OK logged in")


@pytest.mark.parametrize(("lines", "answer"), [
    (["AUTH PLAIN", "*"], "-ERR AUTH cancelled"),
    (["AUTH PLAIN", "not base64!"], "-ERR [AUTH] credentials are not valid base64 PLAIN"),
    (["AUTH PLAIN", "cr\u00e8me"], "-ERR [AUTH] credentials are not valid base64 PLAIN"),
    ([f"AUTH PLAIN {base64.b64encode(b'only-one-part').decode()}"],
     "-ERR [AUTH] PLAIN credentials are authzid NUL user NUL password"),
    ([f"AUTH PLAIN {plain('bob', 'alice', 'wonder land')}"],
     "-ERR [AUTH] this server does not let you act as another user"),
    ([f"AUTH PLAIN {plain('', 'alice', 'bad')}"], "-ERR [AUTH] invalid user name or password"),
    (["AUTH CRAM-MD5"], "-ERR unsupported mechanism; this server offers AUTH PLAIN"),
    (["AUTH"], "-ERR name a mechanism: AUTH PLAIN"),
])
def test_bad_auth_plain(accounts, lines, answer):
    server = Pop3Server(accounts)
    assert say(server, *lines)[-1] == answer
    assert server.state is State.AUTHORIZATION


def test_capa_is_multi_line_in_both_states(accounts):
    server = Pop3Server(accounts)
    capa = say(server, "CAPA")
    assert capa[0] == "+OK capability list follows" and capa[-1] == "."
    assert {"USER", "UIDL", "TOP", "SASL PLAIN", "RESP-CODES"} <= set(capa[1:-1])
    say(server, "USER alice", "PASS wonder land")
    assert say(server, "CAPA") == capa


def test_stat_list_uidl(accounts):
    server = logged_in(accounts)
    assert say(server, "STAT") == ["+OK 2 89"]
    assert say(server, "LIST") == ["+OK 2 messages (89 octets)", "1 70", "2 19", "."]
    assert say(server, "LIST 2") == ["+OK 2 19"]
    assert say(server, "UIDL") == ["+OK unique ids follow", "1 1.1", "2 1.2", "."]
    assert say(server, "UIDL 1") == ["+OK 1 1.1"]


def test_retr_is_dot_stuffed_and_ends_with_a_lone_dot(accounts):
    server = logged_in(accounts)
    server.receive_data(b"RETR 1\r\n")
    assert server.data_to_send() == (
        b"+OK 70 octets\r\nFrom: bob@example.org\r\nSubject: Hi\r\n\r\nHello Alice.\r\n"
        b"..hidden dot\r\nBob\r\n.\r\n")
    server.receive_data(b"RETR 2\r\n")
    assert server.data_to_send() == b"+OK 19 octets\r\nSubject: Two\r\n\r\n..\r\n.\r\n"
    assert events(server) == [Retrieved(1, "m1", 70), Retrieved(2, "m2", 19)]


def test_top_sends_the_headers_and_the_first_body_lines(accounts):
    server = logged_in(accounts)
    assert say(server, "TOP 1 1") == ["+OK top of message follows", "From: bob@example.org",
                                      "Subject: Hi", "", "Hello Alice.", "."]
    assert say(server, "TOP 1 0") == ["+OK top of message follows", "From: bob@example.org",
                                      "Subject: Hi", "", "."]
    assert say(server, "TOP 1 99")[-3:] == ["..hidden dot", "Bob", "."]
    assert events(server)[0] == Retrieved(1, "m1", 52, 1)
    assert say(server, "TOP 1") == ["-ERR TOP takes a message number and a number of lines"]


def test_dele_marks_and_only_quit_removes(accounts):
    server = logged_in(accounts)
    drop = accounts.maildrop("alice")
    assert say(server, "DELE 1") == ["+OK message 1 marked for deletion"]
    assert len(drop) == 2  # only marked
    assert say(server, "STAT") == ["+OK 1 19"]  # marked messages are not counted
    assert say(server, "RETR 1") == ["-ERR message 1 is marked for deletion"]
    assert say(server, "DELE 1") == ["-ERR message 1 is marked for deletion"]
    assert say(server, "LIST") == ["+OK 1 message (19 octets)", "2 19", "."]
    assert say(server, "QUIT") == ["+OK pop.example.com POP3 server signing off "
                                   "(1 deleted, 1 left)"]
    assert server.state is State.UPDATE and server.closed
    assert [m.key for m in drop.messages()] == ["m2"]
    assert events(server) == [Marked(1, "m1"), Updated((1,), ("m1",)), ConnectionClosed("QUIT")]


def test_rset_unmarks_everything(accounts):
    server = logged_in(accounts)
    say(server, "DELE 1", "DELE 2")
    assert say(server, "RSET") == ["+OK maildrop has 2 messages (89 octets)"]
    say(server, "QUIT")
    assert len(accounts.maildrop("alice")) == 2
    assert events(server)[2:4] == [Marked(1, "m1", False), Marked(2, "m2", False)]


def test_a_dropped_connection_deletes_nothing(accounts):
    server = logged_in(accounts)
    say(server, "DELE 1", "DELE 2")
    server.receive_data(b"")
    assert server.closed and server.state is State.CLOSED
    assert len(accounts.maildrop("alice")) == 2
    assert events(server)[-1] == ConnectionClosed("dropped")
    server.receive_data(b"QUIT\r\n")  # after the end, nothing happens
    assert server.data_to_send() == b""


def test_a_message_removed_by_another_session_is_reported_not_sent(accounts):
    first, second = logged_in(accounts), logged_in(accounts)
    say(first, "DELE 1", "QUIT")
    assert say(second, "RETR 1") == ["-ERR message 1 was removed by another session"]
    assert say(second, "DELE 1", "QUIT")[-1].endswith("(0 deleted, 1 left)")


@pytest.mark.parametrize(("line", "answer"), [
    ("STAT", "-ERR STAT needs a logged-in session: log in with USER and PASS first"),
    ("RETR 1", "-ERR RETR needs a logged-in session: log in with USER and PASS first"),
    ("PASS x", "-ERR PASS must follow USER: name the account first"),
    ("NOOP", "-ERR NOOP needs a logged-in session: log in with USER and PASS first"),
    ("XYZZY", "-ERR unknown command 'XYZZY'"),
    ("", "-ERR empty command"),
    ("USER", "-ERR USER takes one argument: the account name"),
])
def test_bad_commands_before_login(accounts, line, answer):
    server = Pop3Server(accounts)
    assert say(server, line) == [answer]
    assert server.state is State.AUTHORIZATION


@pytest.mark.parametrize(("line", "answer"), [
    ("USER alice", "-ERR already logged in: USER is only for the AUTHORIZATION state"),
    ("RETR", "-ERR give a message number"),
    ("RETR x", "-ERR 'x' is not a message number"),
    ("RETR 0", "-ERR no such message: the maildrop holds 2"),
    ("RETR 3", "-ERR no such message: the maildrop holds 2"),
    ("RETR ²", "-ERR '²' is not a message number"),
    ("LIST 1 2", "-ERR too many arguments (at most 1)"),
    ("STAT 1", "-ERR too many arguments (at most 0)"),
    ("DELE  1", "-ERR arguments are separated by one space"),
    ("noop", "+OK"),
])
def test_bad_commands_after_login(accounts, line, answer):
    server = logged_in(accounts)
    assert say(server, line) == [answer]
    assert server.state is State.TRANSACTION


def test_quit_before_login(accounts):
    server = Pop3Server(accounts)
    assert say(server, "QUIT") == ["+OK pop.example.com POP3 server signing off"]
    assert server.state is State.CLOSED
    assert events(server) == [ConnectionClosed("QUIT")]


def test_commands_split_across_reads_and_one_byte_at_a_time(accounts):
    server = Pop3Server(accounts)
    for byte in b"USER alice\r\nPASS wonder land\r\nSTAT\r\n":
        server.receive_data(bytes([byte]))
    assert server.data_to_send().endswith(b"+OK 2 89\r\n")


def test_an_overlong_line_is_refused_and_thrown_away(accounts):
    server = Pop3Server(accounts, limits=Pop3Limits(max_line=64))
    server.receive_data(b"USER " + b"a" * 100)  # no line end yet: refused at once
    assert server.data_to_send() == b"-ERR line too long\r\n"
    server.receive_data(b"a" * 10_000)  # the rest of it is not kept
    assert server.data_to_send() == b""
    server.receive_data(b"\r\nUSER alice\r\n")
    assert server.data_to_send() == b"+OK send your password\r\n"
    server.receive_data(b"PASS " + b"p" * 60 + b"\r\n")  # complete but too long
    assert server.data_to_send() == b"-ERR line too long\r\n"


def test_limits_are_checked():
    with pytest.raises(ValueError, match="max_line"):
        Pop3Limits(max_line=3)
    with pytest.raises(ValueError, match="max_failures"):
        Pop3Limits(max_failures=0)


def test_the_state_table_says_where_each_command_is_allowed():
    assert where_allowed("RETR") == [State.TRANSACTION]
    assert where_allowed("QUIT") == [State.AUTHORIZATION, State.USER, State.TRANSACTION]
    assert TRANSITIONS[(State.TRANSACTION, "QUIT")] is State.UPDATE
    assert all(state not in (State.UPDATE, State.CLOSED) for state, _ in TRANSITIONS)
