"""SMTP sessions and HTTP requests between nodes: real dialogs, replayed in time."""

from __future__ import annotations

import pytest
from sim_worlds import BODY, two_domains

from smtpsim.trace import (
    Deferred,
    DialogLine,
    NetworkDescribed,
    check_conservation,
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


def _session_lines(keep: str, latency: float = 0.03):
    """Bob's one message over a link of ``latency``: every line of the MSA's session,
    as (time, direction, line), seen by a listener (which sees all, whatever is kept)."""
    net, bob, _ = two_domains(keep=keep)
    net.link("bob-laptop", "smtp.example.org", latency=latency, port=587)
    seen: list = []
    net.trace.subscribe(seen.append)
    _send(net, bob, ["alice@example.com"])
    net.run()
    return [(e.t, e.dir, e.line) for e in seen
            if isinstance(e, DialogLine) and e.node == "smtp.example.org"], seen


def test_each_flight_crosses_the_link_in_one_latency() -> None:
    lines, seen = _session_lines("all", latency=0.03)
    opened = next(e for e in seen if type(e).__name__ == "SessionOpened")
    assert opened.t == pytest.approx(0.03)  # the TCP handshake
    # The greeting leaves at once; then each client flight one latency later, and
    # each reply one more: line k of the dialog is at an odd or even multiple.
    assert lines[0][1:] == ("S", "220 smtp.example.org ESMTP smtpsim")
    steps = [round((t - opened.t) / 0.03, 6) for t, _, _ in lines]
    assert steps == sorted(steps)
    for step, (_, direction, _) in zip(steps, lines):
        assert step == int(step) and (step % 2 == 1) == (direction == "C")
    closed = next(e for e in seen if type(e).__name__ == "SessionClosed")
    assert closed.t == lines[-1][0] and lines[-1][2].startswith("221")


@pytest.mark.parametrize("keep", ["summary", "counts"])
def test_the_session_takes_the_same_time_whatever_the_trace_keeps(keep: str) -> None:
    # keep= is a filter on what the trace stores: listeners see the same events at
    # the same times, in the same order, and the run ends at the same moment.
    full, full_seen = _session_lines("all")
    small, small_seen = _session_lines(keep)
    assert small == full
    assert [e.to_dict() for e in small_seen] == [e.to_dict() for e in full_seen]


def test_a_host_that_is_down_or_unknown_refuses_the_connection() -> None:
    from smtpsim.protocol import Outgoing
    from smtpsim.sim import smtp_session

    net, _, _ = two_domains()
    net.take_down("mx.example.com", 0.0)
    results = []

    def client():  # type: ignore[no-untyped-def]
        out = Outgoing("bob@example.org", ("alice@example.com",), b"Subject: x\r\n\r\nhi\r\n",
                       "m1")
        for host in ("mx.example.com", "nowhere.example"):
            result = yield from smtp_session(net, "smtp.example.org", host, [out], None,
                                             lambda *a: results.append(a))
            results.append((net.now, result.connected, result.error))

    net.process(client())
    net.run()
    latency = net.latency("smtp.example.org", "mx.example.com")
    assert results == [
        (2 * latency, False, "connect to mx.example.com[192.0.2.10]:25: Connection refused"),
        (4 * latency, False, "connect to nowhere.example[unknown]:25: Host not found")]
    assert not net.trace.of(DialogLine)


def test_an_http_request_is_recorded_like_a_dialog_and_returns_the_status() -> None:
    from smtpsim.sim import App, Gateway, http_request

    net, _, _ = two_domains()
    net.add(Gateway("api.mail.example", "mail.example", api_tokens={"t0k": "a@example.org"}))
    net.add(App("shop", "example.org", gateway="api.mail.example", token="t0k"))
    answers = []

    def client():  # type: ignore[no-untyped-def]
        answers.append((yield from http_request(net, "shop", "api.mail.example", "bad", {})))
        answers.append((yield from http_request(net, "shop", "bob-laptop", "t0k", {})))

    net.process(client())
    net.run()
    assert answers[0][0] == 401 and answers[1] == (0, "connection refused")
    lines = [(e.dir, e.line) for e in net.trace.of(DialogLine)]
    assert lines[0] == ("C", "POST /v3/mail/send HTTP/1.1")
    assert ("S", "HTTP/1.1 401 Unauthorized") in lines
