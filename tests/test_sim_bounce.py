"""Bounces: when a queue gives up on a recipient, and the DSN it sends back."""

from __future__ import annotations

from sim_worlds import BODY, two_domains

from smtpsim import message
from smtpsim.sim import RetryPolicy
from smtpsim.trace import (
    Bounced,
    DialogLine,
    RetryScheduled,
    check_conservation,
    summarize,
)


def _send(net, bob, to, at=0.0, **kw):
    net.at(at, lambda: bob.send(to, subject="Test", body=BODY, **kw))


def test_unreachable_domain_gives_up_after_the_queue_lifetime_and_bounces() -> None:
    net, bob, boxes = two_domains(retry=RetryPolicy(maximal_queue_lifetime=3600))
    net.take_down("mx.example.com", 0)
    _send(net, bob, ["alice@example.com"])
    net.run()
    net.finish()
    bounced = [e for e in net.trace.of(Bounced) if e.msg == "m1"]
    assert len(bounced) == 1 and bounced[0].status == "4.4.7"
    retries = [e for e in net.trace.of(RetryScheduled) if e.msg == "m1"]
    assert len(retries) >= 3
    assert all(b.at - a.at >= 300 for a, b in zip(retries, retries[1:]))
    # The DSN came back to Bob's own mailbox, from MAILER-DAEMON, as multipart/report.
    dsn = boxes["bob@example.org"].parsed()[0]
    assert dsn.get_content_type() == "multipart/report"
    assert dsn["From"].addresses[0].username == "MAILER-DAEMON"
    assert check_conservation(net.trace) == []


def test_unknown_user_is_refused_at_rcpt_and_bounced_once() -> None:
    net, bob, boxes = two_domains()
    _send(net, bob, ["nobody@example.com", "alice@example.com"])
    net.run()
    net.finish()
    assert any(e.line.startswith("550 5.1.1") for e in net.trace.of(DialogLine))
    out = {(o.recipient, o.outcome) for o in summarize(net.trace) if o.msg == "m1"}
    assert out == {("nobody@example.com", "bounced"), ("alice@example.com", "delivered")}
    assert len(boxes["bob@example.org"].messages) == 1  # one DSN
    assert check_conservation(net.trace) == []


def test_a_bounce_is_never_bounced() -> None:
    net, bob, boxes = two_domains()
    # Bob's envelope sender is a mailbox that does not exist: the DSN itself fails.
    _send(net, bob, ["nobody@example.com"], sender="ghost@example.org")
    net.run()
    net.finish()
    bounces = net.trace.of(Bounced)
    assert [b.msg for b in bounces] == ["m1", "m2"]
    assert bounces[0].dsn == "m2" and bounces[1].dsn == ""  # no DSN for the DSN
    assert check_conservation(net.trace) == []


def test_null_mx_and_nxdomain_bounce_immediately() -> None:
    net, bob, _ = two_domains()
    net.zone.mx["nomail.example"] = [(0, ".")]
    _send(net, bob, ["a@nomail.example", "b@nowhere.example"])
    net.run()
    net.finish()
    status = {e.recipient: e.status for e in net.trace.of(Bounced)}
    assert status == {"a@nomail.example": "5.1.10", "b@nowhere.example": "5.1.2"}


def test_delay_warning_tells_the_sender_while_the_message_waits() -> None:
    net, bob, boxes = two_domains(retry=RetryPolicy(delay_warning_time=600))
    net.take_down("mx.example.com", 0, 2 * 3600)
    _send(net, bob, ["alice@example.com"])
    net.run()
    net.finish()
    warning = boxes["bob@example.org"].parsed()[0]
    assert warning.get_content_type() == "multipart/report"
    status = next(p for p in warning.walk() if p.get_content_type() == "message/delivery-status")
    assert "Action: delayed" in status.as_string()
    assert len(boxes["alice@example.com"].messages) == 1  # delivered in the end
    assert check_conservation(net.trace) == []


class _Reporter:
    """A node that gives up (what bounce needs of it), keeping what it queues."""

    def __init__(self, sends_dsn: bool = True) -> None:
        self.name, self.domain, self.sends_dsn = "mx.example.net", "example.net", sends_dsn
        self.queued: list[tuple[str, str, list[str], bytes]] = []

    def enqueue(self, msg: str, sender: str, rcpts: list[str], content: bytes) -> None:
        self.queued.append((msg, sender, rcpts, content))


def _entry(sender: str = "bob@example.org"):
    from smtpsim.sim import QueueEntry

    return QueueEntry("m1", sender, ["a@x.example", "b@x.example", "c@x.example"],
                      b"Subject: hi\r\n\r\nhello\r\n", 0.0, last_error="451 try later")


def test_one_dsn_names_every_failed_recipient_and_takes_them_off_the_entry() -> None:
    from smtpsim.protocol import Reply
    from smtpsim.sim import Failure, Network
    from smtpsim.sim.bounce import bounce

    net, reporter, entry = Network(), _Reporter(), _entry()
    refused = Reply.of(550, "<a@x.example>: User unknown", "5.1.1")
    bounce(net, reporter, entry, [Failure("a@x.example", refused, "mx.x.example"),
                                  Failure("b@x.example", Reply.of(554, "no"))])
    assert entry.pending == ["c@x.example"]
    [(dsn_id, sender, rcpts, content)] = reporter.queued
    assert (sender, rcpts) == ("", ["bob@example.org"])  # the null sender, to the sender
    dsn = message.from_bytes(content)
    report = next(p for p in dsn.walk() if p.get_content_type() == "message/delivery-status")
    text = report.as_string()
    assert "Final-Recipient: rfc822; a@x.example" in text and "b@x.example" in text
    assert "Remote-MTA: dns; mx.x.example" in text and "Status: 5.1.1" in text
    assert [(b.recipient, b.status, b.dsn) for b in net.trace.of(Bounced)] == [
        ("a@x.example", "5.1.1", dsn_id), ("b@x.example", "5.0.0", dsn_id)]


def test_no_dsn_for_a_dsn_nor_from_a_user_agent() -> None:
    from smtpsim.protocol import Reply
    from smtpsim.sim import Failure, Network
    from smtpsim.sim.bounce import bounce, warn_delayed

    for reporter, entry in ((_Reporter(), _entry(sender="")),
                            (_Reporter(sends_dsn=False), _entry())):
        net = Network()
        bounce(net, reporter, entry, [Failure("a@x.example", Reply.of(550, "no", "5.1.1"))])
        warn_delayed(net, reporter, entry)
        assert reporter.queued == []
        assert [b.dsn for b in net.trace.of(Bounced)] == [""]


def test_an_expired_message_fails_every_pending_recipient_with_4_4_7() -> None:
    from smtpsim.sim.bounce import expired

    failures = expired(_entry())
    assert [f.recipient for f in failures] == ["a@x.example", "b@x.example", "c@x.example"]
    assert {(f.reply.code, f.reply.enhanced, f.remote_host) for f in failures} == {
        (450, "4.4.7", None)}
    assert "delivery time expired: 451 try later" in failures[0].reply.last_line()
