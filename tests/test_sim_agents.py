"""The agents: user agent, MSA, MTA, MDA and mailboxes, gateway and app."""

from __future__ import annotations

import re

import pytest
from sim_worlds import BODY, two_domains

from smtpsim import message
from smtpsim.sim import MDA, MTA, ConsoleSession, Mailbox
from smtpsim.trace import (
    Bounced,
    MessageAccepted,
    check_conservation,
)


def _send(net, bob, to, at=0.0, **kw):
    net.at(at, lambda: bob.send(to, subject="Test", body=BODY, **kw))


def test_received_headers_one_per_hop_newest_first_and_earlier_ones_untouched() -> None:
    net, bob, boxes = two_domains()
    _send(net, bob, ["alice@example.com"])
    net.run()
    stored = boxes["alice@example.com"].messages[0]
    assert stored.startswith(b"Return-Path: <bob@example.org>\r\nDelivered-To: alice@example.com")
    hops = message.parse_received_chain(stored)
    assert [(h.from_host, h.by_host) for h in hops] == [
        ("bob-laptop", "smtp.example.org"), ("smtp.example.org", "mx.example.com")]
    assert hops[0].protocol == "ESMTPA" and hops[1].protocol == "ESMTP"
    assert hops[0].for_addr == "alice@example.com"  # exactly one recipient: "for" present
    # What the MSA stored is byte-for-byte the tail of what the mailbox holds.
    accepted = [e for e in net.trace.of(MessageAccepted) if e.node == "smtp.example.org"][0]
    assert accepted.headers.split("\r\n")[0].startswith("Received: from bob-laptop")


def test_loop_is_caught_by_counting_received_headers() -> None:
    net, bob, boxes = two_domains()
    for a, b in (("loop-a.example.net", "loop-b.example.net"),
                 ("loop-b.example.net", "loop-a.example.net")):
        net.add(MTA(a, "example.net", transport={"example.net": b},
                    relay_domains=["example.net"]))
    net.zone.mx["example.net"] = [(10, "loop-a.example.net")]
    _send(net, bob, ["x@example.net"])
    net.run()
    net.finish()
    b = [e for e in net.trace.of(Bounced) if e.msg == "m1"][0]
    assert b.status == "5.4.6"
    assert check_conservation(net.trace) == []


def test_the_msa_adds_a_message_id_when_the_header_block_has_none() -> None:
    # Like Postfix's cleanup(8) for submitted mail; a "Message-ID:" line in the *body*
    # is text, not a header, and must not stop the MSA from adding one.
    import base64

    net, bob, boxes = two_domains()
    con = ConsoleSession(net, "smtp.example.org")
    token = base64.b64encode(b"\0bob@example.org\0secret").decode()
    for line in ("EHLO bob-laptop", f"AUTH PLAIN {token}", "MAIL FROM:<bob@example.org>",
                 "RCPT TO:<alice@example.com>", "DATA", "Subject: no id", "",
                 "Message-ID: <not-a-header@example.org>", ".", "QUIT"):
        con.send_line(line)
    net.run()
    [data] = boxes["alice@example.com"].messages
    headers, _, body = data.partition(b"\r\n\r\n")
    assert re.search(rb"(?m)^Message-ID: <[^>]+@smtp\.example\.org>\r?$", headers)
    assert b"Message-ID: <not-a-header@example.org>" in body


def test_bad_building_blocks_raise_clear_errors() -> None:
    net, _, _ = two_domains()
    with pytest.raises(ValueError, match="already exists"):
        net.add(MTA("mx.example.com", "example.com"))
    with pytest.raises(ValueError, match="unknown node"):
        net.link("mx.example.com", "nowhere")
    with pytest.raises(ValueError, match="need an MDA"):
        MTA("x", "y", local_domains=["y"])
    with pytest.raises(ValueError, match="end after"):
        net.take_down("mx.example.com", 10, 5)
    box = Mailbox("a@b.example")
    MDA("m", "b.example", [box])


def test_the_msa_requires_auth_with_a_config_of_its_own() -> None:
    from smtpsim.sim import SubmissionServer

    msa = SubmissionServer("msa.example.org", "example.org", users={"b@example.org": "pw"})
    mta = MTA("mx.example.org", "example.org")
    config = msa.server_config()
    assert config.require_auth and config.auth_mechanisms == ("PLAIN", "LOGIN")
    assert config.hostname == "msa.example.org" and msa.port == 587
    assert not mta.server_config().require_auth and mta.port == 25
    assert msa.server_config() is not config  # a fresh one per connection


def test_a_user_agent_submits_everything_to_its_msa_with_its_login() -> None:
    from smtpsim.sim import UserAgent

    ua = UserAgent("pc", "bob@example.org", password="pw", submit_to="msa.example.org")
    assert ua.route_for("anyone@anywhere.example").hosts == ("msa.example.org",)
    assert ua.credentials("msa.example.org") == ("bob@example.org", "pw")
    assert ua.sends_dsn is False and ua.inbox() == []


def test_the_mda_adds_return_path_and_delivered_to() -> None:
    from smtpsim.trace import Delivered

    net, bob, boxes = two_domains()
    _send(net, bob, [], bcc=["theodore@example.com"])
    net.run()
    [stored] = boxes["theodore@example.com"].messages
    assert stored.startswith(b"Return-Path: <bob@example.org>\r\n"
                             b"Delivered-To: theodore@example.com\r\n")
    assert [e.mailbox for e in net.trace.of(Delivered)] == ["mailbox:theodore@example.com"]
