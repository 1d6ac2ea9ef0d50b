"""The IMAP client session (smtpsim.imap.ImapFetcher) against the server engine, the
syntax reader, and property tests: random bytes, and bodies through literals."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpsim.errors import RemoteProtocolError
from smtpsim.imap import (
    Atom,
    Expunged,
    ImapFetcher,
    ImapServer,
    ImapSyntaxError,
    Retrieved,
    SequenceSet,
    State,
    explain_command,
    explain_response,
    read,
)
from smtpsim.mailstore import Accounts
from smtpsim.pop3 import Pop3Fetcher, Pop3Server
from smtpsim.wire import talk

WHEN = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
MESSAGES = [b"Subject: one\r\n\r\nfirst\r\n", b"Subject: two\r\n\r\n.\r\n)\r\n{5}\r\nend\r\n"]


def store(*messages: bytes) -> Accounts:
    accounts = Accounts()
    drop = accounts.add("alice", "pw")
    for i, message in enumerate(messages, 1):
        drop.add(message, WHEN, key=f"m{i}")
    return accounts


def commands(dialog) -> list[str]:
    return [line.line for line in dialog.lines if line.dir == "C"]


def test_read_and_keep_on_the_server_the_imap_way():
    accounts = store(*MESSAGES)
    fetcher = ImapFetcher("alice", "pw")
    dialog = talk(fetcher, ImapServer(accounts))
    assert fetcher.done and fetcher.error == ""
    assert fetcher.fetched == [("1.1", MESSAGES[0]), ("1.2", MESSAGES[1])]
    assert commands(dialog) == ['a1 LOGIN "alice" "pw"', "a2 SELECT INBOX",
                                "a3 UID FETCH 1:* (UID FLAGS)", "a4 UID FETCH 1:2 (BODY[])",
                                "a5 LOGOUT"]
    drop = accounts.maildrop("alice")
    assert len(drop) == 2 and all(m.flags == {"\\Seen"} for m in drop.messages())
    assert fetcher.flags == {"1.1": {"\\Seen"}, "1.2": {"\\Seen"}} and fetcher.exists == 2
    whole = [e for _, e in dialog.events if isinstance(e, Retrieved)]
    assert [(e.key, e.whole) for e in whole] == [("m1", True), ("m2", True)]


def test_delete_flags_then_expunges():
    accounts = store(*MESSAGES)
    fetcher = ImapFetcher("alice", "pw", delete=True)
    dialog = talk(fetcher, ImapServer(accounts))
    assert commands(dialog)[-3:] == ["a5 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)", "a6 EXPUNGE",
                                     "a7 LOGOUT"]
    assert len(accounts.maildrop("alice")) == 0
    assert Expunged((1, 2), ("m1", "m2")) in [e for _, e in dialog.events]


def test_a_second_device_downloads_only_what_is_new_and_sees_seen_flags():
    accounts = store(*MESSAGES)
    phone = ImapFetcher("alice", "pw")
    talk(phone, ImapServer(accounts))
    accounts.maildrop("alice").add(b"Subject: three\r\n\r\n3\r\n", WHEN, key="m3")
    again = ImapFetcher("alice", "pw", known=phone.known, peek=True)
    dialog = talk(again, ImapServer(accounts))
    assert again.fetched == [("1.3", b"Subject: three\r\n\r\n3\r\n")]
    assert "a4 UID FETCH 3 (BODY.PEEK[])" in commands(dialog)
    assert again.flags == {"1.1": {"\\Seen"}, "1.2": {"\\Seen"}, "1.3": frozenset()}


def test_pop3_and_imap_name_a_message_alike():
    accounts = store(*MESSAGES)
    imap = ImapFetcher("alice", "pw", peek=True)
    talk(imap, ImapServer(accounts))
    pop = Pop3Fetcher("alice", "pw", delete=False)
    talk(pop, Pop3Server(accounts))
    assert [i for i, _ in imap.fetched] == [i for i, _ in pop.fetched] == ["1.1", "1.2"]


def test_a_refused_login_logs_out_and_fetches_nothing():
    fetcher = ImapFetcher("alice", "wrong")
    dialog = talk(fetcher, ImapServer(store(*MESSAGES)))
    assert fetcher.error == "a1 NO [AUTHENTICATIONFAILED] invalid user name or password"
    assert commands(dialog)[-1] == "a2 LOGOUT" and fetcher.fetched == [] and fetcher.done


def test_an_empty_mailbox():
    fetcher = ImapFetcher("alice", "pw")
    dialog = talk(fetcher, ImapServer(store()))
    assert commands(dialog)[-2:] == ["a2 SELECT INBOX", "a3 LOGOUT"] and fetcher.exists == 0


def test_the_fetcher_refuses_what_is_not_imap():
    fetcher = ImapFetcher("alice", "pw")
    fetcher.receive_data(b"* OK ready\r\n")
    with pytest.raises(RemoteProtocolError, match="not the IMAP response expected"):
        fetcher.receive_data(b"zz OK what\r\n")
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        ImapFetcher("alice", "p\r\nw")


def test_the_reader_on_the_grammar():
    tokens = read(b'a1 LOGIN "a \\"b\\" \\\\c" {3}\r\nx\r\n\r\n')
    assert tokens == ["a1", "LOGIN", 'a "b" \\c', b"x\r\n"]
    tokens = read(b"a2 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>)")
    assert tokens[3] == ["FLAGS", "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>"]
    assert isinstance(read(b"NIL")[0], Atom) and not isinstance(read(b'"NIL"')[0], Atom)
    assert read(b"(()(a))") == [[[], ["a"]]]
    for bad, why in [(b'"x\r\ny"', "line break"), (b"{x}\r\n", "number"), (b"a\\", None),
                     (b"{9}\r\nab", "shorter"), (b"[x", "without"), (b"a) b", "expected a space")]:
        if why is None:
            assert read(bad) == ["a\\"]
            continue
        with pytest.raises(ImapSyntaxError, match=why):
            read(bad)


def test_sequence_sets():
    assert list(SequenceSet.parse("4:2,7,9:*").resolve(10)) == [2, 3, 4, 7, 9, 10]
    assert str(SequenceSet.parse("1:*,3")) == "1:*,3"
    for bad in ("0", "1:", "a", "1,,2", ""):
        with pytest.raises(ImapSyntaxError):
            SequenceSet.parse(bad)


def test_explanations_cover_each_kind_of_line():
    assert explain_command("a3 UID FETCH 1:* (FLAGS)").startswith("Tag a3: FETCH by UID.")
    assert explain_command("DONE") == "Ends IDLE."
    assert "new mail" in explain_response("* 4 EXISTS")
    assert "moves down by one" in explain_response("* 2 EXPUNGE")
    assert explain_response("* OK [UIDVALIDITY 3] UIDs valid").startswith(
        "Untagged OK [UIDVALIDITY]: if this number changed, the UIDs the client remembers")
    assert explain_response("* 3 EXISTS") == (
        "Untagged: the mailbox holds 3 messages now (a higher count than before: new mail).")
    assert explain_response("a2 NO [AUTHENTICATIONFAILED] invalid", "LOGIN").startswith(
        "Tagged NO for a2: refused: the command LOGIN was understood")
    assert explain_response("+ go ahead").startswith("Continuation")
    assert explain_response(" FLAGS (\\Seen))").startswith("The rest of the response")


bodies = st.lists(st.text(alphabet=st.characters(blacklist_characters="\r\n",
                                                 blacklist_categories=("Cs",)),
                          max_size=30), max_size=8)


@settings(max_examples=150, deadline=None)
@given(bodies)
def test_any_message_round_trips_through_literals(body_lines):
    message = b"Subject: t\r\n\r\n" + b"".join(line.encode() + b"\r\n" for line in body_lines)
    fetcher = ImapFetcher("alice", "pw")
    talk(fetcher, ImapServer(store(message)))
    assert fetcher.fetched == [("1.1", message)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=60),
                          st.sampled_from([b"a1 LOGIN alice pw\r\n", b"a2 SELECT INBOX\r\n",
                                           b"a3 FETCH 1:* (BODY[] FLAGS)\r\n", b"{3}\r\n",
                                           b"a4 IDLE\r\n", b"DONE\r\n", b"(", b'"', b"\r\n",
                                           b"a5 AUTHENTICATE PLAIN\r\n", b"{2+}\r\n"])),
                max_size=12))
def test_random_bytes_get_responses_only(pieces):
    server = ImapServer(store(*MESSAGES))
    for piece in pieces:
        server.receive_data(piece)
    server.receive_data(b"")
    out = server.data_to_send()
    assert server.state is State.LOGOUT
    # Every line the server wrote is a response (tagged, untagged, or a continuation
    # request), except the octets of a literal it announced and the rest of the line
    # that announced it, which goes on after them.
    pos, going_on = 0, False
    while pos < len(out):
        end = out.index(b"\r\n", pos)
        line = out[pos:end]
        if not going_on:
            words = line.split(b" ")
            assert words[0] in (b"*", b"+") or words[1:2] in ([b"OK"], [b"NO"], [b"BAD"]), line
        if line.endswith(b"}"):
            pos = end + 2 + int(line.rpartition(b"{")[2][:-1])
            going_on = True
        else:
            pos, going_on = end + 2, False
