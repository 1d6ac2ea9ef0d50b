"""The POP3 client session (Pop3Fetcher) against the server engine, joined by wire.talk;
and the properties both must keep whatever the bytes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpsim.errors import RemoteProtocolError
from smtpsim.mailstore import Accounts
from smtpsim.pop3 import LoggedIn, Pop3Fetcher, Pop3Server, Retrieved, State, Updated
from smtpsim.wire import talk

WHEN = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
MESSAGES = [b"Subject: one\r\n\r\nfirst\r\n", b"Subject: two\r\n\r\n.\r\n..\r\nend\r\n"]


def store(*messages: bytes) -> Accounts:
    accounts = Accounts()
    drop = accounts.add("alice", "pw")
    for i, data in enumerate(messages):
        drop.add(data, WHEN, key=f"m{i + 1}")
    return accounts


def test_download_and_delete_the_classic_pop3_way():
    accounts = store(*MESSAGES)
    fetcher = Pop3Fetcher("alice", "pw")
    dialog = talk(fetcher, Pop3Server(accounts))
    assert fetcher.done and fetcher.error == ""
    assert fetcher.fetched == [("1.1", MESSAGES[0]), ("1.2", MESSAGES[1])]
    assert len(accounts.maildrop("alice")) == 0
    commands = [line.line for line in dialog.lines if line.dir == "C"]
    assert commands == ["CAPA", "USER alice", "PASS pw", "UIDL", "RETR 1", "DELE 1",
                        "RETR 2", "DELE 2", "QUIT"]
    # One command per flight, each answered in the same flight.
    assert [line.flight for line in dialog.lines if line.dir == "C"] == list(range(1, 10))
    assert dialog.lines[0].line.startswith("+OK") and dialog.lines[0].flight == 0
    assert dialog.lines[-1].state == State.UPDATE.value
    kinds = [type(event).__name__ for _, event in dialog.events]
    assert kinds == ["LoggedIn", "Retrieved", "Marked", "Retrieved", "Marked", "Updated",
                     "ConnectionClosed"]
    assert dialog.events[0] == (3, LoggedIn("alice", "USER/PASS", 2))
    assert dialog.events[-2] == (9, Updated((1, 2), ("m1", "m2")))


def test_keep_on_server_and_fetch_only_what_is_new():
    accounts = store(*MESSAGES)
    first = Pop3Fetcher("alice", "pw", delete=False)
    talk(first, Pop3Server(accounts))
    assert [uid for uid, _ in first.fetched] == ["1.1", "1.2"]
    accounts.maildrop("alice").add(b"Subject: three\r\n\r\nnew\r\n", WHEN)
    again = Pop3Fetcher("alice", "pw", delete=False, known=first.known)
    dialog = talk(again, Pop3Server(accounts))
    assert again.fetched == [("1.3", b"Subject: three\r\n\r\nnew\r\n")]
    assert len(accounts.maildrop("alice")) == 3
    assert [e for _, e in dialog.events if isinstance(e, Retrieved)] == [Retrieved(3, "", 23)]


def test_a_refused_login_says_quit_and_fetches_nothing():
    accounts = store(*MESSAGES)
    fetcher = Pop3Fetcher("alice", "wrong")
    dialog = talk(fetcher, Pop3Server(accounts))
    assert fetcher.error == "-ERR [AUTH] invalid user name or password"
    assert fetcher.fetched == [] and fetcher.done
    assert [line.line for line in dialog.lines if line.dir == "C"][-1] == "QUIT"
    assert len(accounts.maildrop("alice")) == 2


def test_an_empty_maildrop():
    fetcher = Pop3Fetcher("alice", "pw")
    dialog = talk(fetcher, Pop3Server(store()))
    assert fetcher.fetched == [] and fetcher.done
    assert [line.line for line in dialog.lines if line.dir == "C"][-2:] == ["UIDL", "QUIT"]


def test_the_fetcher_refuses_what_is_not_pop3():
    fetcher = Pop3Fetcher("alice", "pw")
    with pytest.raises(RemoteProtocolError, match="not a POP3 status line"):
        fetcher.receive_data(b"220 smtp.example.com ESMTP\r\n")


@pytest.mark.parametrize("user", ["", "a b", "a\r\nQUIT"])
def test_the_fetcher_refuses_a_user_name_it_could_not_send(user):
    with pytest.raises(ValueError, match="user name"):
        Pop3Fetcher(user, "pw")


# -- properties ---------------------------------------------------------------------

#: A message body as the store keeps it: any lines (dots, blanks, UTF-8) ended by CRLF.
lines = st.lists(st.one_of(st.sampled_from(["", ".", "..", ". x", "From x"]),
                           st.text(st.characters(blacklist_categories=["Cs", "Cc"]),
                                   max_size=30)), max_size=12)


@given(lines)
@settings(max_examples=150, deadline=None)
def test_any_message_round_trips_through_dot_stuffing(body_lines):
    data = b"".join(line.encode() + b"\r\n" for line in body_lines)
    fetcher = Pop3Fetcher("alice", "pw")
    talk(fetcher, Pop3Server(store(data)))
    assert fetcher.fetched == [("1.1", data)]


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_random_bytes_get_answers_only(noise):
    server = Pop3Server(store(*MESSAGES))
    server.receive_data(noise)
    server.receive_data(b"\r\n")
    out = server.data_to_send()
    assert out == b"" or out.endswith(b"\r\n")
    # Every answer is a status line, a SASL continuation, or part of a multi-line one
    # (those begin with +OK too); nothing is removed without QUIT.
    first_lines = [line for line in out.split(b"\r\n") if line.startswith((b"+", b"-"))]
    assert all(line.startswith((b"+OK", b"-ERR", b"+ ")) for line in first_lines)
    if server.state is not State.UPDATE:
        assert len(server.accounts.maildrop("alice")) == 2
