"""The bridge against real SMTP software: smtplib as client, aiosmtpd as server.

Every test runs on loopback with a port the system picks (port 0). The central
promise checked here: the message stored is *byte for byte* the message sent (only
``Return-Path`` is added in front of it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from smtpsim.bridge import BridgeThread, Maildir, SMTPBridge, send_over_socket
from smtpsim.protocol import Outgoing, ServerConfig


@pytest.fixture
def maildir(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Maildir", hostname="test")


@pytest.fixture
def bridge(maildir: Maildir):
    with BridgeThread(SMTPBridge(ServerConfig(hostname="mx.example.com"),
                                 deliver=maildir.deliver)) as running:
        yield running


def stored(maildir: Maildir, index: int = -1) -> bytes:
    return maildir.messages()[index].read_bytes()


def assert_stored_exactly(maildir: Maildir, sender: str, sent: bytes) -> None:
    data = stored(maildir)
    first, rest = data.split(b"\r\n", 1)
    assert first == f"Return-Path: <{sender}>".encode()
    assert rest == sent


def test_several_recipients_and_leading_dots(bridge: SMTPBridge, maildir: Maildir) -> None:
    sent = (b"From: bob@example.org\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n"
            b".a line starting with a dot\r\n..two dots\r\n.\r\nlast\r\n")
    rcpts = ["alice@example.com", "theodore@example.com", "carol@example.net"]
    with smtplib.SMTP(*bridge.address, timeout=5) as client:
        refused = client.sendmail("bob@example.org", rcpts, sent)
    assert refused == {}
    assert_stored_exactly(maildir, "bob@example.org", sent)
    assert bridge.mailbox[-1].envelope.rcpt_tos == rcpts
    assert bridge.mailbox[-1].content == sent


def test_8bitmime_utf8_body(bridge: SMTPBridge, maildir: Maildir) -> None:
    sent = ("Subject: café\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln — ☕\r\n").encode()
    with smtplib.SMTP(*bridge.address, timeout=5) as client:
        client.sendmail("bob@example.org", ["alice@example.com"], sent,
                        mail_options=["BODY=8BITMIME"])
    assert_stored_exactly(maildir, "bob@example.org", sent)
    assert bridge.mailbox[-1].envelope.body == "8BITMIME"


def test_smtputf8_addresses(bridge: SMTPBridge, maildir: Maildir) -> None:
    sent = "From: jörg@bücher.example\r\nTo: 用户@例子.广告\r\n\r\nHallo\r\n".encode()
    with smtplib.SMTP(*bridge.address, timeout=5) as client:
        client.sendmail("jörg@bücher.example", ["用户@例子.广告"], sent,
                        mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert_stored_exactly(maildir, "jörg@bücher.example", sent)
    env = bridge.mailbox[-1].envelope
    assert env.smtputf8
    assert env.rcpt_tos == ["用户@例子.广告"]


def test_send_message_picks_smtputf8_itself(bridge: SMTPBridge) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "jörg@bücher.example"
    msg["To"] = "alice@example.com"
    msg["Subject"] = "Grüße"
    msg.set_content("Hallo Alice\n")
    with smtplib.SMTP(*bridge.address, timeout=5) as client:
        client.send_message(msg)
    assert bridge.mailbox[-1].envelope.smtputf8
    assert bridge.mailbox[-1].envelope.mail_from == "jörg@bücher.example"


def read_reply(sock_file) -> list[bytes]:
    """One complete (possibly multi-line) reply from a socket's file."""
    lines = []
    while True:
        line = sock_file.readline()
        assert line.endswith(b"\r\n"), line
        lines.append(line[:-2])
        if line[3:4] == b" ":
            return lines


def test_pipelined_batch_gets_replies_in_order(bridge: SMTPBridge, maildir: Maildir) -> None:
    with socket.create_connection(bridge.address, timeout=5) as sock:
        f = sock.makefile("rb")
        assert read_reply(f)[0].startswith(b"220 ")
        sock.sendall(b"EHLO client.example.org\r\nMAIL FROM:<bob@example.org>\r\n"
                     b"RCPT TO:<alice@example.com>\r\nRCPT TO:<no angle brackets>\r\n"
                     b"RCPT TO:<carol@example.net>\r\nDATA\r\n")
        codes = [read_reply(f)[-1][:3] for _ in range(6)]
        assert codes == [b"250", b"250", b"250", b"501", b"250", b"354"]
        sock.sendall(b"Subject: piped\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        assert read_reply(f)[0].startswith(b"250 2.0.0 Ok: queued as ")
        assert read_reply(f)[0].startswith(b"221 ")
    assert_stored_exactly(maildir, "bob@example.org", b"Subject: piped\r\n\r\nhi\r\n")
    assert bridge.mailbox[-1].envelope.rcpt_tos == ["alice@example.com", "carol@example.net"]


def test_telnet_like_session(bridge: SMTPBridge) -> None:
    """What a student types at ``telnet 127.0.0.1 2525``: banner first, then lines."""
    with socket.create_connection(bridge.address, timeout=5) as sock:
        f = sock.makefile("rb")
        assert read_reply(f) == [b"220 mx.example.com ESMTP smtpsim"]
        for line, expect in [(b"HELO me", b"250 mx.example.com Hello me"),
                             (b"NOOP", b"250 Ok"),
                             (b"MAIL FROM:<me@example.org>", b"250 Ok"),
                             (b"RSET", b"250 Ok"),
                             (b"QUIT", b"221 Bye")]:
            sock.sendall(line + b"\r\n")
            assert read_reply(f) == [expect]
        assert f.read() == b""  # the server closed after 221


# --------------------------------------------------------- our client -> aiosmtpd

class _Capture:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        self.envelopes.append(envelope)
        return "250 OK captured"


class _AnyPortController(Controller):
    """aiosmtpd's Controller, on the port the system picked when given port 0."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def aiosmtpd_server():
    handler = _Capture()
    controller = _AnyPortController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_mailsender_delivers_to_aiosmtpd(aiosmtpd_server) -> None:
    controller, handler = aiosmtpd_server
    body = (b"From: bob@example.org\r\nSubject: hello\r\n\r\n.leading dot\r\n"
            b"caf\xc3\xa9 8-bit\r\n")
    messages = [Outgoing("bob@example.org", ("alice@example.com", "theo@example.com"), body),
                Outgoing("carol@example.net", ("dave@example.com",), b"Subject: 2\r\n\r\nx\r\n")]
    results = asyncio.run(send_over_socket("127.0.0.1", controller.port, "client.example.org",
                                           messages, timeout=5))
    assert [r.status for r in results] == ["sent", "sent", "sent"]
    first, second = handler.envelopes
    assert first.original_content == body
    assert first.mail_from == "bob@example.org"
    assert first.rcpt_tos == ["alice@example.com", "theo@example.com"]
    assert "BODY=8BITMIME" in first.mail_options
    assert second.original_content == b"Subject: 2\r\n\r\nx\r\n"


def test_mailsender_delivers_to_the_bridge(bridge: SMTPBridge, maildir: Maildir) -> None:
    body = b"Subject: engine to engine\r\n\r\n.dot\r\n"
    results = asyncio.run(send_over_socket(*bridge.address, "client.example.org",
                                           [Outgoing("bob@example.org",
                                                     ("alice@example.com",), body)]))
    assert [r.status for r in results] == ["sent"]
    assert results[0].reply.text.startswith("Ok: queued as")
    assert_stored_exactly(maildir, "bob@example.org", body)


def test_send_over_socket_reports_refusals(bridge: SMTPBridge) -> None:
    big = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n"
    bridge.config = dataclasses.replace(bridge.config, max_message_size=100)  # per connection
    results = asyncio.run(send_over_socket(*bridge.address, "c.example.org",
                                           [Outgoing("bob@example.org", ("a@example.com",),
                                                     big)]))
    assert results[0].status == "failed"
    assert results[0].reply.code == 552
