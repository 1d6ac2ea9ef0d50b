"""The classic textbook dialog (RFC 5321 D.1, as every textbook and Wikipedia tell it)."""

from __future__ import annotations

from smtpsim.protocol import (
    Helo,
    MailFrom,
    MailSender,
    MessageReceived,
    Outgoing,
    RcptTo,
    Reply,
    ServerConfig,
    ServerConnection,
    ServerEvent,
    State,
    converse,
)

CONTENT = (
    b'From: "Bob Example" <bob@example.org>\r\n'
    b'To: "Alice Example" <alice@example.com>\r\n'
    b"Cc: theodore@example.com\r\n"
    b"Date: Tue, 15 Jan 2008 16:02:43 -0500\r\n"
    b"Subject: Test message\r\n"
    b"\r\n"
    b"Hello Alice.\r\n"
    b"This is a test message with 5 header fields and 4 lines in the message body.\r\n"
    b"Your friend,\r\n"
    b"Bob\r\n"
)

GOLDEN = """\
S: 220 smtp.example.com ESMTP Postfix
C: HELO relay.example.org
S: 250 Hello relay.example.org, I am glad to meet you
C: MAIL FROM:<bob@example.org>
S: 250 Ok
C: RCPT TO:<alice@example.com>
S: 250 Ok
C: RCPT TO:<theodore@example.com>
S: 250 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: From: "Bob Example" <bob@example.org>
C: To: "Alice Example" <alice@example.com>
C: Cc: theodore@example.com
C: Date: Tue, 15 Jan 2008 16:02:43 -0500
C: Subject: Test message
C:
C: Hello Alice.
C: This is a test message with 5 header fields and 4 lines in the message body.
C: Your friend,
C: Bob
C: .
S: 250 Ok: queued as 12345
C: QUIT
S: 221 Bye"""


def test_textbook_dialog() -> None:
    received: list[MessageReceived] = []

    def postfix(event: ServerEvent) -> Reply | None:
        if isinstance(event, Helo):
            return Reply.of(250, f"Hello {event.domain}, I am glad to meet you")
        if isinstance(event, (MailFrom, RcptTo)):
            # enhanced codes are set, and must NOT appear: HELO negotiated nothing
            return Reply.of(250, "Ok", "2.1.0" if isinstance(event, MailFrom) else "2.1.5")
        if isinstance(event, MessageReceived):
            received.append(event)
        return None  # 354, "250 Ok: queued as 12345", "221 Bye" are the defaults

    server = ServerConnection(ServerConfig(banner="ESMTP Postfix"))
    sender = MailSender("relay.example.org", [Outgoing(
        "bob@example.org", ("alice@example.com", "theodore@example.com"), CONTENT)],
        ehlo=False)
    wire = converse(sender, server, postfix)
    assert "\n".join(f"{w.dir}: {w.line}".rstrip() for w in wire) == GOLDEN
    assert not any(" 2." in w.line for w in wire if w.dir == "S")
    # the message arrived exactly, and both recipients were delivered
    assert [m.content for m in received] == [CONTENT]
    assert received[0].envelope.rcpt_tos == ["alice@example.com", "theodore@example.com"]
    assert [(r.recipient, r.status) for r in sender.results] == [
        ("alice@example.com", "sent"), ("theodore@example.com", "sent")]
    # one command per round trip without PIPELINING; where the dialog stands: the
    # content travels in DATA, and only its 250 brings the dialog back to READY
    assert [w.flight for w in wire if w.dir == "C" and w.line.startswith("RCPT")] == [3, 4]
    assert wire[-1].state is State.CLOSED
    assert {w.state for w in wire if w.dir == "C" and w.flight == 6} == {State.DATA}
    [handover] = [w for w in wire if w.end_of_data]
    assert handover.line == "250 Ok: queued as 12345"
    assert handover.state is State.READY


def test_a_pipelined_flight_is_recorded_in_wire_order_with_states_that_only_move_on_replies(
) -> None:
    from smtpsim.protocol import ServerConfig as Config

    sender = MailSender("relay.example.org", [Outgoing(
        "bob@example.org", ("alice@example.com", "theodore@example.com"), CONTENT)])
    wire = converse(sender, ServerConnection(Config()))
    batch = [w for w in wire if w.flight == 2]  # MAIL, RCPT, RCPT, DATA in one go
    assert [w.dir for w in batch] == ["C"] * 4 + ["S"] * 4
    assert [w.line.split(":")[0].split()[0] for w in batch[:4]] == ["MAIL", "RCPT", "RCPT",
                                                                    "DATA"]
    assert {w.state for w in batch[:4]} == {State.READY}  # nothing answered yet
    assert [w.state for w in batch[4:]] == [State.MAIL, State.RCPT, State.RCPT, State.DATA]
