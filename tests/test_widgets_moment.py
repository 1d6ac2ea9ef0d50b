"""The pure "what is true at step i" functions behind the Stepper's panes."""

from __future__ import annotations

import pytest
from sim_worlds import BODY, two_domains

from smtpsim.trace import Delivered, DialogLine, MessageAccepted, Queued, Relayed, TraceEvent
from smtpsim.trace.queries import (
    envelope_at,
    followed_message,
    headers_at,
    message_position,
    queues_at,
    session_at,
)
from smtpsim.widgets._moment import category, explain_reply, focus_at


@pytest.fixture(scope="module")
def events() -> list[TraceEvent]:
    net, bob, _ = two_domains()
    bob.send(["alice@example.com"], subject="Hi", body=BODY)
    net.run()
    net.finish()
    return list(net.trace)


def _first(events: list[TraceEvent], cls: type, **match: object) -> int:
    return next(i for i, e in enumerate(events)
                if isinstance(e, cls) and all(getattr(e, k) == v for k, v in match.items()))


def test_queue_holds_the_message_from_queued_until_relayed(events: list[TraceEvent]) -> None:
    queued = _first(events, Queued, node="smtp.example.org")
    relayed = _first(events, Relayed, node="smtp.example.org")
    assert "smtp.example.org" not in queues_at(events, queued - 1)
    assert queues_at(events, queued)["smtp.example.org"] == [
        ("m1", ("alice@example.com",), events[queued].t)]
    assert "smtp.example.org" in queues_at(events, relayed - 1)
    assert "smtp.example.org" not in queues_at(events, relayed)


def test_store_and_forward_both_hold_it_between_accept_and_relay(
        events: list[TraceEvent]) -> None:
    relayed = _first(events, Relayed, node="smtp.example.org")
    assert {"smtp.example.org", "mx.example.com"} <= set(queues_at(events, relayed - 1))


def test_delivery_empties_every_queue(events: list[TraceEvent]) -> None:
    # The MTA's hand-over to its MDA (a Relayed to the MDA) empties the last queue,
    # just before the MDA writes the Delivered record.
    handoff = _first(events, Relayed, node="mx.example.com")
    delivered = _first(events, Delivered)
    assert handoff < delivered
    assert "mx.example.com" in queues_at(events, handoff - 1)
    assert queues_at(events, handoff) == {}
    assert queues_at(events, delivered) == {}
    assert queues_at(events, len(events) - 1) == {}


def test_message_position_follows_the_hops(events: list[TraceEvent]) -> None:
    assert message_position(events, 0, "m1") is None
    assert message_position(events, 1, "m1") == "bob-laptop"
    at_msa = _first(events, MessageAccepted, node="smtp.example.org")
    assert message_position(events, at_msa, "m1") == "smtp.example.org"
    at_mx = _first(events, MessageAccepted, node="mx.example.com")
    assert message_position(events, at_mx, "m1") == "mx.example.com"
    assert message_position(events, len(events) - 1, "m1") == "mailbox:alice@example.com"
    assert message_position(events, len(events) - 1, None) is None


def test_headers_grow_one_received_per_hop(events: list[TraceEvent]) -> None:
    first = _first(events, MessageAccepted, node="smtp.example.org")
    second = _first(events, MessageAccepted, node="mx.example.com")
    assert headers_at(events, first - 1, "m1") is None
    count = [headers_at(events, i, "m1").headers.count("Received:") for i in (first, second)]
    assert count == [1, 2]


def test_envelope_and_session(events: list[TraceEvent]) -> None:
    rcpt = _first(events, DialogLine, session="s1", line="RCPT TO:<alice@example.com>")
    assert session_at(events, rcpt) == "s1"
    assert envelope_at(events, rcpt, "s1") == ("bob@example.org", [("alice@example.com", None)])
    assert envelope_at(events, rcpt - 1, "s1") == ("bob@example.org", [])
    assert envelope_at(events, 2, None) == (None, [])
    reply = _first(events, DialogLine, session="s1", line="250 2.1.5 Ok")
    (alice,) = envelope_at(events, reply, "s1")[1]
    assert alice.address == "alice@example.com" and alice.accepted and not alice.refused


def _dialog(script: str) -> list[TraceEvent]:
    """Dialog lines of session s1 from ``C: ...``/``S: ...`` rows; content in DATA."""
    out: list[TraceEvent] = []
    in_data = False
    for k, row in enumerate(script.strip().splitlines()):
        d, line = row[0], row[3:]
        out.append(DialogLine(k / 100, "mx", "client", "s1", d, line,
                              "DATA" if in_data and d == "C" else "READY"))
        if d == "S" and line.startswith("354"):
            in_data = True
        if d == "C" and line == ".":
            in_data = False
    return out


def test_envelope_pairs_pipelined_rcpts_with_their_replies_and_keeps_refused_ones() -> None:
    events = _dialog("""
S: 220 mx ESMTP
C: EHLO pc
S: 250-mx
S: 250 PIPELINING
C: MAIL FROM:<bob@example.org>
C: RCPT TO:<alice@example.com>
C: RCPT TO:<nobody@example.com>
C: RCPT TO:<carol@example.com>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 550 5.1.1 <nobody@example.com>: no such user
S: 451 4.7.1 try again later
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: hi
C: RCPT TO:<not-a-command@example.com>
C: .
S: 250 2.0.0 Ok: queued as 1
""")
    before_replies = envelope_at(events, 8, "s1")[1]  # all sent, nothing answered yet
    assert [r.address for r in before_replies] == [
        "alice@example.com", "nobody@example.com", "carol@example.com"]
    assert all(r.reply is None for r in before_replies)
    mail_from, rcpts = envelope_at(events, 11, "s1")  # up to the 550
    assert mail_from == "bob@example.org"
    assert [(r.address, r.reply) for r in rcpts] == [
        ("alice@example.com", "250 2.1.5 Ok"),
        ("nobody@example.com", "550 5.1.1 <nobody@example.com>: no such user"),
        ("carol@example.com", None)]
    assert [r.refused for r in rcpts] == [False, True, False]
    _, rcpts = envelope_at(events, len(events) - 1, "s1")  # a content line is no RCPT
    assert [r.address for r in rcpts] == [
        "alice@example.com", "nobody@example.com", "carol@example.com"]
    assert rcpts[2].reply == "451 4.7.1 try again later" and rcpts[2].refused


def test_focus_lights_the_link_of_the_dialog(events: list[TraceEvent]) -> None:
    line = _first(events, DialogLine, session="s2")
    assert focus_at(events, line) == (("mx.example.com",),
                                      ("smtp.example.org", "mx.example.com"))
    assert focus_at(events, -1) == ((), None)


def test_categories_and_followed_message(events: list[TraceEvent]) -> None:
    assert category(events[0]) is None  # the network description is not a step
    assert {category(e) for e in events[1:]} == {"smtp", "dns", "queue", "delivery"}
    assert followed_message(events) == "m1"


@pytest.mark.parametrize(("line", "needle"), [
    ("250 2.1.5 Ok", "2.1.5"),
    ("354 End data with <CR><LF>.<CR><LF>", "dot"),
    ("250-PIPELINING", "completed"),
    ("EHLO me", ""),
])
def test_explain_reply(line: str, needle: str) -> None:
    text = explain_reply(line)
    assert (needle in text) if needle else text == ""
