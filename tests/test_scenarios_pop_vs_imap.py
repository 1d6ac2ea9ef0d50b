"""The library's ``pop-vs-imap`` scenario: the teaching contrast of the two retrieval
protocols, checked on the run itself (not on a picture of it)."""

from __future__ import annotations

import pytest

from smtpsim.scenarios import load
from smtpsim.trace import (
    Fetched,
    Flagged,
    ImapLine,
    Removed,
    check_conservation,
    format_summary,
    summarize,
)


@pytest.fixture(scope="module")
def net():
    net = load("pop-vs-imap").run()
    return net


def sessions(net, peer: str) -> list[list[str]]:
    """The lines of each IMAP session of ``peer``, in order."""
    out: dict[str, list[str]] = {}
    for e in net.trace.of(ImapLine):
        if e.peer == peer:
            out.setdefault(e.session, []).append(e.line)
    return list(out.values())


def test_the_phone_reads_with_imap_and_keeps_the_mail_until_pop3_takes_it(net):
    first, second, third = sessions(net, "alice-phone")
    assert "* 1 EXISTS" in first and "* 2 EXISTS" in second
    # After the laptop's POP3 QUIT, the phone's SELECT finds the mailbox empty.
    assert "* 0 EXISTS" in third
    phone = net.nodes["alice-phone"]
    assert [i for _, i, _ in phone.read] == ["1.1", "1.2"]


def test_the_tablet_sees_the_seen_flags_the_phone_set(net):
    tablet = net.nodes["alice-tablet"]
    assert tablet.flags("mail.example.com") == {"1.1": {"\\Seen"}, "1.2": {"\\Seen"}}
    assert {e.peer for e in net.trace.of(Flagged)} == {"alice-phone"}


def test_pop3_downloads_everything_and_deletes_it(net):
    laptop = net.nodes["alice-laptop"]
    assert [(p, i) for p, i, _ in laptop.read] == [("POP3", "1.1"), ("POP3", "1.2")]
    assert [(e.msg, e.peer, e.protocol) for e in net.trace.of(Removed)] == [
        ("m1", "alice-laptop", "POP3"), ("m2", "alice-laptop", "POP3")]
    assert net.nodes["mailbox:alice@example.com"].messages == []


def test_every_device_got_the_bytes_the_mda_stored_and_nothing_was_lost(net):
    copies = {}
    for name in ("alice-phone", "alice-tablet", "alice-laptop"):
        for _, ident, data in net.nodes[name].read:
            copies.setdefault(ident, set()).add(data)
    assert all(len(c) == 1 for c in copies.values()) and len(copies) == 2
    assert check_conservation(net.trace) == []


def test_the_summary_says_who_read_each_message_and_how(net):
    outcomes = summarize(net.trace)
    assert [o.read_by for o in outcomes] == [
        (("alice-phone", "IMAP"), ("alice-tablet", "IMAP"), ("alice-laptop", "POP3"))] * 2
    assert ("      read by alice-phone via IMAP, alice-tablet via IMAP, alice-laptop via POP3"
            in format_summary(outcomes).splitlines())
    fetched = net.trace.of(Fetched)
    assert {e.mailbox for e in fetched} == {"mailbox:alice@example.com"}
