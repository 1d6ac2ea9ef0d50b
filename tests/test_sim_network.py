"""The simulated network: store and forward, routing, retries, bounces, the trace."""

from __future__ import annotations

import re

import pytest
from sim_worlds import BODY, two_domains

from smtpsim import message
from smtpsim.sim import MDA, MTA, ConsoleSession, Mailbox, RetryPolicy
from smtpsim.trace import (
    Bounced,
    Deferred,
    Delivered,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    MessageAccepted,
    NetworkDescribed,
    Queued,
    Relayed,
    RetryScheduled,
    check_conservation,
    summarize,
)


def _send(net, bob, to, at=0.0, **kw):
    net.at(at, lambda: bob.send(to, subject="Test", body=BODY, **kw))


def test_two_hops_deliver_and_every_hop_is_a_real_smtp_dialog() -> None:
    net, bob, boxes = two_domains()
    _send(net, bob, ["alice@example.com", "theodore@example.com"])
    net.run()
    net.finish()
    assert check_conservation(net.trace) == []
    assert isinstance(net.trace[0], NetworkDescribed)
    for box in ("alice@example.com", "theodore@example.com"):
        assert len(boxes[box].messages) == 1
    lines = [e.line for e in net.trace.of(DialogLine) if e.node == "mx.example.com"]
    assert lines[0] == "220 mx.example.com ESMTP smtpsim"
    assert "MAIL FROM:<bob@example.org> SIZE=" in " ".join(lines)
    assert "RCPT TO:<alice@example.com>" in lines and "." in lines and lines[-1].startswith("221")
    # The submission hop logged in; the relay hop did not.
    sub = [e.line for e in net.trace.of(DialogLine) if e.node == "smtp.example.org"]
    assert any(x.startswith("AUTH PLAIN ") for x in sub)
    assert not any(x.startswith("AUTH") for x in lines)


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


def test_greylisting_defers_then_accepts_on_retry() -> None:
    net, bob, boxes = two_domains()
    net.nodes["mx.example.com"].greylisting = True
    _send(net, bob, ["alice@example.com"])
    net.run()
    lines = [e for e in net.trace.of(DialogLine) if e.node == "mx.example.com"]
    assert any(e.line.startswith("450 4.7.1") for e in lines)
    assert net.trace.of(RetryScheduled)
    assert len(boxes["alice@example.com"].messages) == 1


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


def test_null_mx_and_nxdomain_bounce_immediately() -> None:
    net, bob, _ = two_domains()
    net.zone.mx["nomail.example"] = [(0, ".")]
    _send(net, bob, ["a@nomail.example", "b@nowhere.example"])
    net.run()
    net.finish()
    status = {e.recipient: e.status for e in net.trace.of(Bounced)}
    assert status == {"a@nomail.example": "5.1.10", "b@nowhere.example": "5.1.2"}


def test_same_seed_same_trace_bytes() -> None:
    def once(seed: int) -> str:
        net, bob, _ = two_domains(seed=seed)
        net.zone.mx["example.com"] = [(10, "mx.example.com"), (10, "mx.example.com")]
        _send(net, bob, ["alice@example.com", "theodore@example.com"])
        net.run()
        net.finish()
        return net.trace.to_jsonl()

    assert once(7) == once(7)


def test_console_session_message_travels_and_is_conserved() -> None:
    net, _, boxes = two_domains()
    con = ConsoleSession(net, "mx.example.com")
    assert con.greeting == ["220 mx.example.com ESMTP smtpsim"]
    assert con.send_line("MAIL FROM:<x@y.example>")[0].startswith("503")
    assert con.send_line("HELO test") == ["250 mx.example.com Hello test"]
    con.send_line("MAIL FROM:<eve@evil.example>")
    assert con.send_line("RCPT TO:<mallory@example.com>")[0].startswith("550")
    assert con.send_line("RCPT TO:<alice@example.com>") == ["250 Ok"]
    assert con.send_line("DATA")[0].startswith("354")
    for line in ("Subject: hi", "", "hello", "."):
        replies = con.send_line(line)
    assert replies[0].startswith("250 Ok: queued as")
    assert con.send_line("QUIT") == ["221 Bye"]
    con.deliver()
    net.finish()
    assert len(boxes["alice@example.com"].messages) == 1
    assert check_conservation(net.trace) == []
    assert ConsoleSession.explain("354 End data") .startswith("Start mail input")


def test_summary_mode_keeps_outcomes_but_no_dialog() -> None:
    net, bob, _ = two_domains(keep="summary")
    _send(net, bob, ["alice@example.com"])
    net.run()
    net.finish()
    assert not net.trace.of(DialogLine)
    assert net.trace.counts["smtp"] > 0  # every line was recorded, and counted, not kept
    assert [o.outcome for o in summarize(net.trace)] == ["delivered"]


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


def test_crash_after_data_before_the_250_gives_a_labelled_duplicate() -> None:
    from smtpsim.trace import Duplicated, NodeState

    net, bob, boxes = two_domains()
    net.nodes["mx.example.com"].crash_after_data = 1
    _send(net, bob, ["alice@example.com"])
    net.run()
    net.finish()
    # The server stored the message, but the client never heard its 250: it retried.
    assert len(boxes["alice@example.com"].messages) == 2
    [dup] = net.trace.of(Duplicated)
    assert (dup.node, dup.msg, dup.to) == ("smtp.example.org", "m1", "mx.example.com")
    assert any(e.state == "crashed" for e in net.trace.of(NodeState))
    deferred = [e for e in net.trace.of(Deferred) if e.msg == "m1"]
    assert deferred[0].reply.startswith("421 4.4.2")
    assert check_conservation(net.trace) == []  # the duplicate is allowed: it is labelled
    # ...and without the label the same trace would break the rule.
    unlabelled = [e for e in net.trace if not isinstance(e, Duplicated)]
    assert check_conservation(unlabelled) == [
        "m1 to alice@example.com: 2 outcomes, and no duplicate labelled"]


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


def test_progress_bar_appears_on_long_runs(capsys) -> None:
    from smtpsim.sim.progress import run_with_progress

    net, bob, boxes = two_domains()
    for i in range(5):
        net.at(i, lambda: bob.send(["alice@example.com"], subject="x", body="y"))
    run_with_progress(net, after=0.0, slice_events=5)
    assert "delivering" in capsys.readouterr().err
    assert len(boxes["alice@example.com"].messages) == 5


def _relay_world():
    net, bob, boxes = two_domains()
    net.add(MTA("relay.example.net", "example.net", relay_from=["student-pc"],
                transport={"*": "mx.example.com"}))
    return net, boxes


def _type_message(net, message_id: str | None) -> None:
    con = ConsoleSession(net, "relay.example.net")
    for line in ("EHLO student-pc", "MAIL FROM:<eve@example.net>",
                 "RCPT TO:<alice@example.com>", "DATA", "Subject: typed",
                 *([f"Message-ID: {message_id}"] if message_id else []), "", "hi", ".",
                 "QUIT"):
        con.send_line(line)


def test_a_typed_message_keeps_one_trace_id_across_hops_even_without_message_id() -> None:
    net, boxes = _relay_world()
    _type_message(net, None)
    net.run()
    net.finish()
    assert check_conservation(net.trace) == []
    [outcome] = summarize(net.trace)
    assert outcome.msg == "m1"
    assert outcome.outcome == "delivered"
    assert outcome.path[:3] == ("student-pc", "relay.example.net", "mx.example.com")
    assert {e.msg for e in net.trace.of(MessageAccepted)} == {"m1"}


def test_two_messages_sharing_a_message_id_stay_two_messages() -> None:
    net, boxes = _relay_world()
    _type_message(net, "<same@example.net>")
    _type_message(net, "<same@example.net>")
    net.run()
    net.finish()
    assert [o.msg for o in summarize(net.trace)] == ["m1", "m2"]
    assert len(boxes["alice@example.com"].messages) == 2
    assert check_conservation(net.trace) == []


def test_console_sessions_are_deterministic_too() -> None:
    def once() -> str:
        net, _ = _relay_world()
        _type_message(net, None)
        net.run()
        net.finish()
        return net.trace.to_jsonl()

    assert once() == once()


def test_console_close_mid_data_discards_the_message_and_says_why() -> None:
    from smtpsim.trace import SessionClosed

    net, _, boxes = two_domains()
    con = ConsoleSession(net, "mx.example.com")
    for line in ("HELO t", "MAIL FROM:<a@b.example>", "RCPT TO:<alice@example.com>", "DATA",
                 "Subject: half"):
        con.send_line(line)
    con.close("idle timeout")
    con.close("again")  # closing twice is harmless
    net.run()
    assert con.closed
    assert boxes["alice@example.com"].messages == []
    assert [e.reason for e in net.trace.of(SessionClosed)] == ["idle timeout"]


def test_the_topology_includes_the_dns_that_relays_ask() -> None:
    net, bob, _ = two_domains()
    described = net.describe()
    assert ("dns", "dns", "") in described.nodes
    dns_links = {(a, port, proto) for a, b, port, proto, _ in described.links if b == "dns"}
    assert dns_links == {("smtp.example.org", 53, "DNS"), ("mx.example.com", 53, "DNS")}
    assert not any(a == "bob-laptop" for a, *_ in dns_links)  # a user agent asks nobody


def test_a_host_named_dns_does_not_collide_with_the_dns() -> None:
    net, bob, _ = two_domains()
    net.add(MTA("dns", "example.net", relay_from=["smtp.example.org"]))
    described = net.describe()
    names = [n for n, _, _ in described.nodes]
    assert len(names) == len(set(names))
    assert ("(dns)", "dns", "") in described.nodes
    assert ("dns", "mta", "example.net") in described.nodes


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
