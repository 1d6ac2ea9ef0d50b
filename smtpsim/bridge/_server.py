"""The socket bridge: the same SMTP engine the simulation uses, on a real TCP port.

Theory of operation
-------------------
:class:`SMTPBridge` listens with :func:`asyncio.start_server` and gives every
accepted connection its own :class:`~smtpsim.bridge._session.Session` task, which
runs a fresh :class:`~smtpsim.protocol.ServerConnection`. Nothing about SMTP is
decided here: the engine knows the protocol, the ``decide`` hook knows the policy
(which recipients exist, which messages are welcome), and the ``deliver`` hook knows
where accepted mail goes (a :class:`~smtpsim.bridge.Maildir`, say). The bridge only
moves bytes, enforces the resource limits a real server needs, and writes the trace.

Limits (:class:`Limits`), each with a safe default:

* ``max_connections``: one client more gets ``421 4.3.2 Too many connections, try
  again later`` instead of the greeting, and is disconnected (as Postfix does);
* ``idle_timeout``: a client silent this long gets ``421 4.4.2`` and is disconnected
  (RFC 5321 §4.5.3.2.7 suggests 5 minutes for a server);
* ``command_timeout``: the time a client has to finish each command (or the whole
  content of a message) once the previous reply was sent. The idle timeout alone is
  per *read*: a client trickling one byte every few seconds would never trip it and
  could hold a connection slot forever. RFC 5321 §4.5.3.2 gives its timeouts per
  command for that reason;
* ``session_timeout``: the longest a connection may last, whatever it does;
* the line and message size limits are the engine's own (512 octets a command, 1000
  a text line, ``ServerConfig.max_message_size`` a message): the engine refuses
  what goes past them and the bridge keeps no more than one bounded line for the
  trace.

Memory stays flat however long the server runs: :attr:`SMTPBridge.mailbox` is a
window of the last ``keep_messages`` messages (100 by default, 0 for none), so a
server left running for a whole lab does not keep every message it ever accepted.

Shutting down (:meth:`SMTPBridge.close`) is race-free: once it has begun, a
connection the listening socket had already queued is answered ``421 4.3.2``
at once instead of ``220``, and ``close`` waits for every connection handler, the
late ones included, so none is left for ``asyncio.run`` to cancel.

Example::

    async with SMTPBridge(ServerConfig(hostname="mx.example.com")) as bridge:
        print("listening on", bridge.address)
        await bridge.serve_forever()        # until bridge.close()
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..protocol import Envelope, Reply, ServerConfig, ServerConnection
from ..trace import DialogLine, MessageAccepted, SessionClosed, SessionOpened, Trace, TraceEvent
from ._session import SHUTDOWN_REPLY, Decide, Session, log, peer_name

__all__ = ["Deliver", "Limits", "SMTPBridge", "StoredMessage"]

#: Where an accepted message goes: ``deliver(envelope, content, peer)``. It may be a
#: plain function or a coroutine function; if it raises, the client gets ``451``
#: (try again later) instead of ``250``.
Deliver = Callable[[Envelope, bytes, str], "Any | Awaitable[Any]"]

TOO_MANY = Reply.of(421, "Too many connections, try again later", "4.3.2")


@dataclass(frozen=True)
class Limits:
    """Resource limits of a bridge (the SMTP ones live in :class:`ServerConfig`).

    Attributes:
        max_connections: clients served at once; one more gets ``421 4.3.2``.
        idle_timeout: seconds a client may stay silent (even mid-DATA) before
            ``421 4.4.2``; RFC 5321 §4.5.3.2.7 suggests 300.
        command_timeout: seconds a client has to complete a command line, or a
            message's whole content, counted from the server's previous reply.
        session_timeout: seconds a connection may last in all.
        read_size: the most bytes read from a socket at once.

    Raises:
        ValueError: a limit that is not a finite positive number (``nan`` would
            compare false with everything and disable the limit silently).
    """

    max_connections: int = 20
    idle_timeout: float = 300.0
    command_timeout: float = 600.0
    session_timeout: float = 3600.0
    read_size: int = 65536

    def __post_init__(self) -> None:
        if isinstance(self.max_connections, bool) or not 1 <= self.max_connections <= 100_000:
            raise ValueError(f"max_connections must be 1..100000, not {self.max_connections}")
        for name in ("idle_timeout", "command_timeout", "session_timeout"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number of seconds above 0, "
                                 f"not {value}")
        if self.read_size < 1:
            raise ValueError(f"read_size must be at least 1 octet, not {self.read_size}")


@dataclass(frozen=True)
class StoredMessage:
    """A message the bridge accepted (answered 250 to), as it arrived.

    ``content`` is exactly the bytes the client meant (dots un-stuffed, nothing added).
    """

    envelope: Envelope
    content: bytes
    peer: str
    session: str
    queue_id: str
    headers: str = field(default="", repr=False)


def _queue_id(reply: Reply) -> str:
    """The id in ``250 Ok: queued as 1A2B3`` (empty if the reply has none)."""
    _, sep, rest = reply.text.partition("queued as ")
    return rest.split()[0] if sep and rest.split() else ""


def _header_block(content: bytes) -> str:
    end = content.find(b"\r\n\r\n")
    head = content if end < 0 else content[: end + 2]
    return head[:8192].decode("utf-8", "replace")


async def refuse(writer: asyncio.StreamWriter, reply: Reply) -> None:
    """Answer a connection with ``reply`` (a 421) instead of the greeting, and close it.

    A client that has already gone away is no error: there is no one left to tell.
    """
    try:
        writer.write(reply.to_bytes())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


class SMTPBridge:
    """An asyncio SMTP server around :class:`~smtpsim.protocol.ServerConnection`.

    Args:
        config: what the server offers and enforces (host name, size limit ...).
        host: the address to listen on; loopback by default, for safety.
        port: the TCP port; ``0`` lets the system choose a free one (see
            :attr:`address`).
        limits: connection limits (:class:`Limits`).
        decide: policy hook ``decide(event) -> Reply | None``; None (or returning
            None) means the engine's default reply, i.e. accept everything.
        deliver: called with ``(envelope, content, peer)`` for each message before
            it is answered 250.
        trace: the :class:`~smtpsim.trace.Trace` to write to; a fresh one keeping
            only a summary by default (subscribe to it to see every event).
        on_accept: called with each :class:`StoredMessage` once it is stored (the
            CLI prints a line per message with it).
        keep_messages: how many of the latest accepted messages :attr:`mailbox`
            holds (0: none; the ``deliver`` hook is where mail is really kept).

    Attributes:
        mailbox: the last ``keep_messages`` :class:`StoredMessage` accepted, oldest
            first (a bounded window: a long-running server's memory stays flat).
        accepted: how many messages were accepted in all.
        trace: the trace every session writes to.
    """

    def __init__(self, config: ServerConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, limits: Limits | None = None, decide: Decide | None = None,
                 deliver: Deliver | None = None, trace: Trace | None = None,
                 on_accept: Callable[[StoredMessage], None] | None = None,
                 keep_messages: int = 100) -> None:
        if keep_messages < 0:
            raise ValueError(f"keep_messages must not be negative, not {keep_messages}")
        self.config = config or ServerConfig()
        if self.config.queue_ids is None:
            # One counter for the whole server: queue ids must not repeat across
            # connections (each engine's own counter restarts).
            counter = itertools.count(0x10000)
            self.config = replace(self.config, queue_ids=lambda: f"{next(counter):X}")
        self.host = host
        self.port = port
        self.limits = limits or Limits()
        self.decide = decide
        self.deliver = deliver
        self.on_accept = on_accept
        self.trace = trace if trace is not None else Trace(keep="summary")
        self.keep_messages = keep_messages
        self.mailbox: list[StoredMessage] = []
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._sessions: dict[asyncio.Task[None], Session] = {}
        self._handlers: set[asyncio.Task[None]] = set()  # every connection, refused too
        self._closing = False
        self._names = itertools.count(1)
        self._start = time.monotonic()
        self._started = False
        self._closed = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        """Start listening; :attr:`address` then holds the real port."""
        if not self._started:  # t keeps counting over a restart (the trace is ordered)
            self._start = time.monotonic()
            self._started = True
        self._closed = asyncio.Event()
        self._closing = False
        self._server = await asyncio.start_server(self._accept, self.host, self.port)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` actually listened on."""
        if self._server is None:
            raise RuntimeError("the bridge is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    async def serve_forever(self) -> None:
        """Wait until :meth:`close` is called (the sessions run on their own)."""
        await self._closed.wait()

    async def close(self, grace: float = 2.0) -> None:
        """Stop listening, say ``421 4.3.2`` to every client, and wait for them.

        Args:
            grace: seconds to let sessions finish what they are answering before
                they are cancelled.
        """
        # From here on a newly accepted connection is answered 421 at once (see
        # _accept): the listening socket may hold connections the kernel accepted
        # before server.close(), and their handlers start after this point.
        self._closing = True
        if self._server is not None:
            self._server.close()
        deadline = asyncio.get_running_loop().time() + grace
        while True:
            await asyncio.sleep(0)  # let handlers of just-accepted sockets start
            if not self._handlers:
                break
            for session in list(self._sessions.values()):
                session.stop()
            left = deadline - asyncio.get_running_loop().time()
            _, late = await asyncio.wait(list(self._handlers), timeout=max(left, 0.0))
            if late and left <= 0:
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self._closed.set()

    async def __aenter__(self) -> SMTPBridge:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the trace -------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the bridge started: the ``t`` of its trace events."""
        return round(time.monotonic() - self._start, 6)

    def _emit(self, kind: type[TraceEvent], fields: dict[str, Any]) -> None:
        self.trace.append(kind(t=self.now(), node=self.config.hostname, **fields))

    # -- connections -----------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._handle(reader, writer, task)
        except asyncio.CancelledError:  # close() ran out of grace: end quietly
            writer.transport.abort()
        finally:
            self._handlers.discard(task)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      task: asyncio.Task[None]) -> None:
        name = f"s{next(self._names)}"
        if self._closing:
            await self._refuse(name, writer, SHUTDOWN_REPLY, "server shutdown")
            return
        if len(self._sessions) >= self.limits.max_connections:
            await self._refuse(name, writer, TOO_MANY, "too many connections")
            return
        server = ServerConnection(self.config)
        limits = self.limits
        session = Session(server, reader, writer, name=name, emit=self._emit,
                          decide=self.decide, store=self._store,
                          idle_timeout=limits.idle_timeout, read_size=limits.read_size,
                          command_timeout=limits.command_timeout,
                          session_timeout=limits.session_timeout)
        self._sessions[task] = session
        try:
            await session.run()
        except Exception:  # a bug (in a hook, say) ends this session, never the server
            log.exception("session %s failed", name)
        finally:
            del self._sessions[task]

    async def _refuse(self, name: str, writer: asyncio.StreamWriter, reply: Reply,
                      reason: str) -> None:
        """Answer the connection with a 421 instead of 220, and close.

        Too many clients (``421 4.3.2 Too many connections``, as Postfix does), or a
        connection that arrived while the server shuts down: the client's queue will
        try again later.
        """
        peer = peer_name(writer)
        base = {"peer": peer, "session": name}
        port = (writer.get_extra_info("sockname") or ("", 0))[1]
        self._emit(SessionOpened, {**base, "port": port})
        for line in reply.to_lines():
            self._emit(DialogLine, {**base, "dir": "S", "line": line, "state": "CLOSED"})
        await refuse(writer, reply)
        self._emit(SessionClosed, {**base, "reason": reason})

    async def _store(self, envelope: Envelope, content: bytes, peer: str, session: str,
                     reply: Reply) -> None:
        """Hand a message to ``deliver``, then keep it in :attr:`mailbox` and the trace."""
        if self.deliver is not None:
            result = self.deliver(envelope, content, peer)
            if inspect.isawaitable(result):
                await result
        qid = _queue_id(reply)
        stored = StoredMessage(envelope, content, peer, session, qid, _header_block(content))
        self.accepted += 1
        if self.keep_messages:
            self.mailbox.append(stored)
            if len(self.mailbox) > self.keep_messages:
                del self.mailbox[0]
        self._emit(MessageAccepted, {
            "msg": qid or f"{session}-{self.accepted}", "peer": peer, "session": session,
            "sender": envelope.mail_from or "", "recipients": tuple(envelope.rcpt_tos),
            "queue_id": qid, "headers": stored.headers})
        if self.on_accept is not None:
            try:
                self.on_accept(stored)
            except Exception:  # the message is stored: a broken view must not make it 451
                log.exception("on_accept failed")
