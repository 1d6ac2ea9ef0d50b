"""A person at the console: talking SMTP to a node of a built network."""

from __future__ import annotations

from sim_worlds import BODY, two_domains

from smtpsim.sim import MTA, ConsoleSession
from smtpsim.trace import (
    MessageAccepted,
    check_conservation,
    summarize,
)


def _send(net, bob, to, at=0.0, **kw):
    net.at(at, lambda: bob.send(to, subject="Test", body=BODY, **kw))


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
