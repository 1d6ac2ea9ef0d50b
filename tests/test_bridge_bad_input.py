"""Every kind of bad input, sent on a raw socket, and the reply a careful server gives.

After each test the ``bridge`` fixture opens a fresh smtplib session and sends a
message: whatever a client did, the server must still serve the next one.
"""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Iterator

import pytest

from smtpsim.bridge import BridgeThread, Limits, SMTPBridge
from smtpsim.protocol import ServerConfig

IDLE = 0.5


@pytest.fixture
def bridge() -> Iterator[SMTPBridge]:
    config = ServerConfig(hostname="mx.example.com", max_message_size=2000, max_recipients=3)
    limits = Limits(max_connections=2, idle_timeout=IDLE)
    with BridgeThread(SMTPBridge(config, limits=limits)) as running:
        yield running
        before = len(running.mailbox)
        with smtplib.SMTP(*running.address, timeout=5) as client:
            assert client.sendmail("ok@example.org", ["a@example.com"], b"Subject: ok\r\n\r\n"
                                   b"still serving\r\n") == {}
        assert len(running.mailbox) == before + 1


class Raw:
    """A client that types raw bytes, like telnet."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=5)
        self.file = self.sock.makefile("rb")

    def reply(self) -> bytes:
        """The last line of the next reply (``b""`` if the server closed)."""
        while True:
            line = self.file.readline()
            if not line:
                return b""
            if line[3:4] != b"-":
                return line.rstrip(b"\r\n")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def cmd(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return self.reply()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def raw(bridge: SMTPBridge) -> Iterator[Raw]:
    client = Raw(bridge.address)
    assert client.reply().startswith(b"220 mx.example.com")
    yield client
    client.close()


def ehlo(raw: Raw) -> None:
    assert raw.cmd(b"EHLO client.example.org").startswith(b"250 ")


@pytest.mark.parametrize(("lines", "expected"), [
    ([b"RCPT TO:<a@example.com>"], b"503 5.5.1"),                   # out of sequence
    ([b"DATA"], b"503 5.5.1"),
    ([b"FROB the server"], b"500 5.5.2"),                           # unknown command
    ([b"MAIL FROM:bob@example.org"], b"501 "),                      # no angle brackets
    ([b"MAIL FROM:<bob@@example.org>"], b"553 5.1."),               # bad address
    ([b"MAIL FROM:<b\xc3\xb6b@example.org>"], b"553 5.6.7"),        # UTF-8, no SMTPUTF8
    ([b"MAIL FROM:<a@example.org> SIZE=999999"], b"552 5.3.4"),     # declared too big
    ([b"NOOP \x00 hidden"], b"500 5.5.2"),                          # NUL
    ([b"MAIL FROM:<a@example.org> FOO=BAR"], b"555 5.5.4"),          # unknown parameter
])
def test_bad_command_gets_error_reply(raw: Raw, lines: list[bytes], expected: bytes) -> None:
    ehlo(raw)
    for line in lines:
        reply = raw.cmd(line)
    assert reply.startswith(expected), reply
    assert raw.cmd(b"NOOP").startswith(b"250")  # the session goes on after an error


def test_bad_recipient_address(raw: Raw) -> None:
    ehlo(raw)
    assert raw.cmd(b"MAIL FROM:<a@example.org>").startswith(b"250")
    assert raw.cmd(b"RCPT TO:<not an address>").startswith(b"553 5.1.3")
    assert raw.cmd(b"RCPT TO:not-even-brackets@example.com").startswith(b"501")
    assert raw.cmd(b"RCPT TO:<\xe7\x94\xa8@example.com>").startswith(b"553")


def test_command_line_over_512_octets(raw: Raw) -> None:
    ehlo(raw)
    assert raw.cmd(b"NOOP " + b"x" * 600).startswith(b"500 5.5.2")
    assert raw.cmd(b"NOOP").startswith(b"250")


def test_too_many_recipients(raw: Raw) -> None:
    ehlo(raw)
    raw.cmd(b"MAIL FROM:<a@example.org>")
    codes = [raw.cmd(f"RCPT TO:<r{i}@example.com>".encode())[:3] for i in range(4)]
    assert codes == [b"250", b"250", b"250", b"452"]


def start_data(raw: Raw) -> None:
    ehlo(raw)
    assert raw.cmd(b"MAIL FROM:<a@example.org>").startswith(b"250")
    assert raw.cmd(b"RCPT TO:<b@example.com>").startswith(b"250")
    assert raw.cmd(b"DATA").startswith(b"354")


def test_text_line_over_1000_octets(raw: Raw, bridge: SMTPBridge) -> None:
    start_data(raw)
    raw.send(b"Subject: long\r\n\r\n" + b"y" * 1200 + b"\r\n.\r\n")
    assert raw.reply().startswith(b"500 5.5.6")
    assert bridge.mailbox == []


def test_message_bigger_than_the_limit(raw: Raw, bridge: SMTPBridge) -> None:
    start_data(raw)
    raw.send(b"Subject: big\r\n\r\n" + b"".join(b"line %d\r\n" % i for i in range(400))
             + b".\r\n")
    assert raw.reply().startswith(b"552 5.3.4")
    assert bridge.mailbox == []


def test_bare_lf_smuggling_is_refused(raw: Raw, bridge: SMTPBridge) -> None:
    """CVE-2023-51764: ``<LF>.<LF>`` must not end the content, so the "second
    message" hidden after it is never seen as commands."""
    start_data(raw)
    raw.send(b"Subject: innocent\r\n\r\nhello\n.\nMAIL FROM:<admin@example.com>\n"
             b"RCPT TO:<victim@example.com>\nDATA\nSubject: smuggled\n\nevil\n.\r\n"
             b"tail\r\n.\r\n")
    assert raw.reply().startswith(b"550 5.6.0")
    assert raw.cmd(b"NOOP").startswith(b"250")
    assert bridge.mailbox == []


def test_client_vanishing_mid_data_stores_nothing(bridge: SMTPBridge, raw: Raw) -> None:
    start_data(raw)
    raw.send(b"Subject: half\r\n\r\nthe first half of a message\r\n")
    closes = bridge.trace.counts.get("session-close", 0)
    raw.close()
    # Wait until the server has really seen the hang-up, then look.
    deadline = time.monotonic() + 10
    while bridge.trace.counts.get("session-close", 0) == closes:
        assert time.monotonic() < deadline, "the server never noticed the hang-up"
        time.sleep(0.01)
    assert bridge.mailbox == []


def test_idle_timeout_mid_data(raw: Raw, bridge: SMTPBridge) -> None:
    start_data(raw)
    raw.send(b"Subject: slow\r\n\r\nand then nothing")
    started = time.monotonic()
    assert raw.reply() == b"421 4.4.2 Idle timeout, closing connection"
    assert IDLE * 0.8 < time.monotonic() - started < IDLE * 6
    assert raw.reply() == b""  # and the connection is closed
    assert bridge.mailbox == []


def test_idle_timeout_before_hello(raw: Raw) -> None:
    # No EHLO yet, so no enhanced status code (RFC 2034: only once negotiated).
    assert raw.reply() == b"421 Idle timeout, closing connection"
    assert raw.reply() == b""


def test_surplus_connection_gets_421(bridge: SMTPBridge, raw: Raw) -> None:
    second = Raw(bridge.address)
    assert second.reply().startswith(b"220")
    third = Raw(bridge.address)
    assert third.reply() == b"421 4.3.2 Too many connections, try again later"
    assert third.reply() == b""
    third.close()
    second.close()
    raw.cmd(b"QUIT")
    time.sleep(0.1)  # let the server notice both are gone before the fresh session


def test_shutdown_says_421_to_connected_clients() -> None:
    bridge = SMTPBridge(limits=Limits(idle_timeout=5))
    thread = BridgeThread(bridge)
    thread.start()
    try:
        client = Raw(bridge.address)
        assert client.reply().startswith(b"220")
        ehlo(client)
    finally:
        thread.stop()
    assert client.reply() == b"421 4.3.2 Service shutting down, closing transmission channel"
    assert client.reply() == b""
    client.close()
