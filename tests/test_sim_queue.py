"""The mail queue: store and forward, next hops, retries on the Postfix schedule."""

from __future__ import annotations

import pytest
from sim_worlds import BODY, two_domains

from smtpsim.sim import MTA, RetryPolicy
from smtpsim.trace import (
    Deferred,
    Delivered,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    MessageAccepted,
    Queued,
    Relayed,
    RetryScheduled,
    check_conservation,
)


def _send(net, bob, to, at=0.0, **kw):
    net.at(at, lambda: bob.send(to, subject="Test", body=BODY, **kw))


def test_message_leaves_a_queue_only_after_the_next_hops_250() -> None:
    net, bob, _ = two_domains()
    _send(net, bob, ["alice@example.com"])
    net.run()
    relayed = [e for e in net.trace.of(Relayed) if e.node == "smtp.example.org"][0]
    accepted = [e for e in net.trace.of(MessageAccepted) if e.node == "mx.example.com"][0]
    end_of_data = [e for e in net.trace.of(DialogLine)
                   if e.node == "mx.example.com" and e.line.startswith("250 2.0.0 Ok: queued")][0]
    assert relayed.t == accepted.t == end_of_data.t
    assert relayed.reply.startswith("250")


def test_mx_lookup_is_in_the_trace_and_next_mx_is_tried_when_the_first_refuses() -> None:
    net, bob, boxes = two_domains(seed=3)
    net.add(MTA("mx2.example.com", "example.com", relay_domains=["example.com"],
                transport={"example.com": "mx.example.com"}))
    net.zone.mx["example.com"] = [(10, "mx.example.com"), (20, "mx2.example.com")]
    net.take_down("mx.example.com", 0, 1200)
    _send(net, bob, ["alice@example.com"])
    net.run()
    net.finish()
    q = net.trace.of(DnsQuery)[0]
    a = net.trace.of(DnsAnswer)[0]
    assert (q.qname, q.qtype) == ("example.com", "MX")
    assert a.answers == ("10 mx.example.com.", "20 mx2.example.com.")
    first = net.trace.of(Deferred)[0]
    assert first.to == "mx.example.com" and "Connection refused" in first.reply
    queued_at_backup = [e for e in net.trace.of(Queued) if e.node == "mx2.example.com"]
    delivered = net.trace.of(Delivered)[0]
    assert queued_at_backup and delivered.t >= 1200
    assert len(boxes["alice@example.com"].messages) == 1
    assert check_conservation(net.trace) == []


def test_retry_follows_postfix_backoff_and_queue_scans() -> None:
    policy = RetryPolicy()
    # Failed at 10 s after arrival at 0: wait the minimum 300 s, then the next scan (600).
    assert policy.next_attempt(0.0, 10.0) == 600.0
    # In the queue for 2000 s: wait 2000 s more -> due at 4100, picked up at the 4200 scan.
    assert policy.next_attempt(100.0, 2100.0) == 4200.0
    # Never more than 4000 s of backoff.
    assert policy.next_attempt(0.0, 50_000.0) == 54_000.0
    with pytest.raises(ValueError, match="minimal_backoff_time"):
        RetryPolicy(minimal_backoff_time=5000, maximal_backoff_time=4000)


def test_greylisting_defers_then_accepts_on_retry() -> None:
    net, bob, boxes = two_domains()
    net.nodes["mx.example.com"].greylisting = True
    _send(net, bob, ["alice@example.com"])
    net.run()
    lines = [e for e in net.trace.of(DialogLine) if e.node == "mx.example.com"]
    assert any(e.line.startswith("450 4.7.1") for e in lines)
    assert net.trace.of(RetryScheduled)
    assert len(boxes["alice@example.com"].messages) == 1


def test_a_busy_421_greeting_sends_the_client_to_the_next_mx() -> None:
    net, bob, boxes = two_domains()
    net.add(MTA("mx2.example.com", "example.com", relay_domains=["example.com"],
                transport={"example.com": "mx.example.com"}))
    net.nodes["mx.example.com"].busy = True
    net.zone.mx["example.com"] = [(10, "mx.example.com"), (20, "mx2.example.com")]
    _send(net, bob, ["alice@example.com"])
    net.run(3600)
    net.finish()
    first = net.trace.of(Deferred)[0]
    assert first.to == "mx.example.com"
    assert first.reply.startswith("421 mx.example.com Service not available")  # no EHLO yet:
    # enhanced codes come only after EHLO (RFC 2034)
    assert any(e.node == "mx2.example.com" for e in net.trace.of(Queued))
    assert check_conservation(net.trace) == []


def test_a_queue_holds_an_entry_until_every_recipient_is_handed_over() -> None:
    net, bob, _ = two_domains()
    net.take_down("mx.example.com", 0, 1000)
    _send(net, bob, ["alice@example.com"])
    net.run(500)
    msa_queue = net.nodes["smtp.example.org"].mail_queue()
    [entry] = msa_queue.entries.values()
    assert (entry.msg, entry.pending, entry.attempts) == ("m1", ["alice@example.com"], 1)
    assert "Connection refused" in entry.last_error
    assert len(bob.mail_queue()) == 0  # the user agent handed it over at once
    net.run()
    assert len(msa_queue) == 0


def test_finish_reports_what_is_still_waiting() -> None:
    from smtpsim.trace import GaveUp

    net, bob, _ = two_domains()
    net.take_down("mx.example.com", 0)
    _send(net, bob, ["alice@example.com"])
    net.run(700)
    net.finish()
    [waiting] = net.trace.of(GaveUp)
    assert (waiting.node, waiting.msg, waiting.recipients) == (
        "smtp.example.org", "m1", ("alice@example.com",))
    assert "Connection refused" in waiting.reason
    assert check_conservation(net.trace) == []


def test_recipients_of_one_domain_share_one_route_and_one_session() -> None:
    from smtpsim.trace import SessionOpened

    net, bob, boxes = two_domains()
    _send(net, bob, ["alice@example.com", "theodore@example.com"])
    net.run()
    assert len(net.trace.of(DnsQuery)) == 1  # one lookup per domain per attempt
    sessions = [e for e in net.trace.of(SessionOpened) if e.node == "mx.example.com"]
    assert len(sessions) == 1
