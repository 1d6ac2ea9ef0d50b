"""Test helpers for the protocol engines, in the manner of h11's ``tests/helpers.py``.

* :class:`ClientServerPair` joins a :class:`ClientConnection` and a
  :class:`ServerConnection` by an imaginary wire. Every step checks the round trip:
  the command the client sends is the event the server sees, the reply the server
  sends is the reply the client reads, and both sides agree on the state afterwards.
* :func:`run_server` feeds raw client bytes (in any chunks) to a server, answers every
  event (default reply or a policy), and records what happened; the bytes-level tests
  and the hypothesis properties are built on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from smtpsim.protocol import (
    NEED_DATA,
    ClientConnection,
    Command,
    ConnectionClosed,
    Reply,
    ReplyReceived,
    ServerConfig,
    ServerConnection,
    ServerEvent,
    State,
)

CRLF = b"\r\n"


def lines(*text: str) -> bytes:
    """``lines("EHLO a", "QUIT")`` -> ``b"EHLO a\\r\\nQUIT\\r\\n"``."""
    return b"".join(t.encode() + CRLF for t in text)


def visible(reply: Reply, enhanced: bool) -> Reply:
    """The reply as the peer reads it: without its enhanced code unless negotiated."""
    return reply if enhanced else Reply(reply.code, reply.lines)


class ClientServerPair:
    """A client and a server engine, joined; each step asserts the round trip."""

    def __init__(self, config: ServerConfig | None = None,
                 greeting: Reply | None = None) -> None:
        self.client = ClientConnection()
        self.server = ServerConnection(config)
        self.client.receive_data(self.server.greet(greeting))
        event = self.client.next_event()
        assert isinstance(event, ReplyReceived)
        assert event.to == "greeting"
        self.greeting = event.reply
        self.assert_states_agree()

    def assert_states_agree(self) -> None:
        assert self.client.state is self.server.state

    def _deliver(self, reply: Reply) -> Reply:
        wire = self.server.send(reply)
        # Enhanced codes cross the wire only once EHLO has negotiated them.
        enhanced = self.server.esmtp and self.server.config.enhanced_status_codes
        self.client.receive_data(wire)
        got = self.client.next_event()
        assert isinstance(got, ReplyReceived)
        assert got.reply == visible(reply, enhanced)
        self.assert_states_agree()
        return got.reply

    def send(self, command: Command, reply: Reply | None = None, *,
             event: ServerEvent | None = None) -> Reply:
        """The client sends ``command``; the server must see it (or ``event``) and
        answers ``reply`` (default: the engine's default reply). Returns the reply as
        the client read it."""
        self.server.receive_data(self.client.send(command))
        got = self.server.next_event()
        assert got == (command if event is None else event)
        return self._deliver(reply or self.server.default_reply())

    def send_content(self, content: bytes, reply: Reply | None = None) -> tuple[object, Reply]:
        """After 354: the client sends ``content``; returns (server event, reply read)."""
        assert self.server.state is State.DATA
        self.server.receive_data(self.client.send_content(content))
        got = self.server.next_event()
        return got, self._deliver(reply or self.server.default_reply())


@dataclass
class ServerRun:
    """What :func:`run_server` saw: each event with its reply (None if unanswered)."""

    server: ServerConnection
    steps: list[tuple[ServerEvent, Reply | None]] = field(default_factory=list)
    output: bytes = b""

    @property
    def events(self) -> list[ServerEvent]:
        return [e for e, _ in self.steps]

    @property
    def codes(self) -> list[int]:
        return [r.code for _, r in self.steps if r is not None]

    def of_type(self, kind: type) -> list[object]:
        return [e for e in self.events if isinstance(e, kind)]


Policy = Callable[[ServerEvent], "Reply | None"]


def run_server(chunks: bytes | Iterable[bytes], config: ServerConfig | None = None,
               policy: Policy | None = None, *, greeting: Reply | None = None,
               eof: bool = False) -> ServerRun:
    """Feed ``chunks`` to a fresh greeted server, answering every event as it comes.

    Args:
        chunks: the client's bytes, whole or already cut into pieces.
        policy: the reply to an event, or None for the engine's default.
        eof: close the connection after the last chunk.
    """
    server = ServerConnection(config)
    run = ServerRun(server, output=server.greet(greeting))
    pieces = [chunks] if isinstance(chunks, bytes) else list(chunks)
    if eof:
        pieces.append(b"")
    for piece in pieces:
        server.receive_data(piece)
        _drain(run, policy)
    return run


def _drain(run: ServerRun, policy: Policy | None) -> None:
    server = run.server
    while (event := server.next_event()) is not NEED_DATA:
        if isinstance(event, ConnectionClosed):
            run.steps.append((event, None))
            continue
        reply = (policy(event) if policy else None) or server.default_reply()
        run.output += server.send(reply)
        run.steps.append((event, reply))


def byte_chunks(data: bytes) -> list[bytes]:
    """``data`` one byte at a time: the classic "CRLF split across reads" test."""
    return [data[i : i + 1] for i in range(len(data))]
