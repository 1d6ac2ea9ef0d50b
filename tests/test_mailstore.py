"""The mail store both retrieval protocols read (smtpsim.mailstore)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from smtpsim.mailstore import Accounts, Maildrop

WHEN = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


def test_uids_grow_and_are_never_reused():
    drop = Maildrop("alice")
    a = drop.add(b"Subject: a\r\n\r\nA\r\n", WHEN)
    b = drop.add(b"Subject: b\r\n\r\nB\r\n", WHEN)
    assert (a.uid, b.uid, drop.uidnext) == (1, 2, 3)
    assert drop.remove([1]) == [a]
    c = drop.add(b"Subject: c\r\n\r\nC\r\n", WHEN)
    assert c.uid == 3 and [m.uid for m in drop.messages()] == [2, 3]
    assert drop.get(1) is None and len(drop) == 2


def test_remove_skips_what_is_gone_and_calls_the_hook_once_per_message():
    removed = []
    drop = Maildrop("alice", on_remove=removed.append)
    m = drop.add(b"x\r\n", WHEN, key="file-1")
    assert drop.remove([m.uid, m.uid, 99]) == [m]
    assert [r.key for r in removed] == ["file-1"]
    assert drop.remove([m.uid]) == []


def test_flags_are_replaced_and_seen_by_every_holder_of_the_maildrop():
    drop = Maildrop("alice")
    m = drop.add(b"x\r\n", WHEN)
    same = drop  # a second session holds the same object
    drop.set_flags(m.uid, {"\\Seen"})
    assert same.get(m.uid).flags == {"\\Seen"}
    with pytest.raises(KeyError):
        drop.set_flags(42, {"\\Seen"})


@pytest.mark.parametrize("data", [b"bare LF\n", b"bare CR\r", b"mixed\r\nthen\n"])
def test_stored_messages_are_in_wire_form(data):
    with pytest.raises(ValueError, match="CRLF"):
        Maildrop("alice").add(data, WHEN)


def test_stored_messages_are_bytes():
    with pytest.raises(TypeError, match="bytes"):
        Maildrop("alice").add("text", WHEN)  # type: ignore[arg-type]


def test_size_counts_octets():
    assert Maildrop("a").add("Subject: é\r\n".encode(), WHEN).size == 13


def test_login_is_the_same_none_for_an_unknown_user_and_a_wrong_password():
    accounts = Accounts()
    drop = accounts.add("alice", "wonderland")
    assert accounts.login("alice", "wonderland") is drop
    assert accounts.login("alice", "nope") is None
    assert accounts.login("mallory", "wonderland") is None
    assert accounts.maildrop("alice") is drop and accounts.users() == ["alice"]


@pytest.mark.parametrize("user", ["", "al ice", "a\r\nb", "tab\there"])
def test_account_names_must_be_sendable(user):
    with pytest.raises(ValueError, match="account name"):
        Accounts().add(user, "pw")


def test_an_account_is_added_once_and_passwords_hold_no_line_breaks():
    accounts = Accounts()
    accounts.add("alice", "pw")
    with pytest.raises(ValueError, match="exists"):
        accounts.add("alice", "other")
    with pytest.raises(ValueError, match="CR, LF"):
        accounts.add("bob", "pw\r\nQUIT")
