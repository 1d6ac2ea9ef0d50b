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
* the message size limit is the engine's own ``ServerConfig.max_message_size``.

Example::

    async with SMTPBridge(ServerConfig(hostname="mx.example.com")) as bridge:
        print("listening on", bridge.address)
        await bridge.serve_forever()        # until bridge.close()
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..protocol import Envelope, Reply, ServerConfig, ServerConnection
from ..trace import DialogLine, MessageAccepted, SessionClosed, SessionOpened, Trace, TraceEvent
from ._session import Decide, Session, log, peer_name

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
        read_size: the most bytes read from a socket at once.
    """

    max_connections: int = 20
    idle_timeout: float = 300.0
    read_size: int = 65536

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if self.idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive")


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

    Attributes:
        mailbox: every :class:`StoredMessage` accepted, in order (kept in memory).
        trace: the trace every session writes to.
    """

    def __init__(self, config: ServerConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, limits: Limits | None = None, decide: Decide | None = None,
                 deliver: Deliver | None = None, trace: Trace | None = None,
                 on_accept: Callable[[StoredMessage], None] | None = None) -> None:
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
        self.mailbox: list[StoredMessage] = []
        self._server: asyncio.Server | None = None
        self._sessions: dict[asyncio.Task[None], Session] = {}
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
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions.values()):
            session.stop()
        tasks = list(self._sessions)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
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
        name = f"s{next(self._names)}"
        if len(self._sessions) >= self.limits.max_connections:
            await self._refuse(name, writer)
            return
        server = ServerConnection(self.config)
        session = Session(server, reader, writer, name=name, emit=self._emit,
                          decide=self.decide, store=self._store,
                          idle_timeout=self.limits.idle_timeout,
                          read_size=self.limits.read_size)
        task = asyncio.current_task()
        assert task is not None
        self._sessions[task] = session
        try:
            await session.run()
        except Exception:  # a bug (in a hook, say) ends this session, never the server
            log.exception("session %s failed", name)
        finally:
            del self._sessions[task]

    async def _refuse(self, name: str, writer: asyncio.StreamWriter) -> None:
        """Too many clients: answer the connection with 421 instead of 220, and close.

        Postfix does the same (with an enhanced code, as here); the client's queue
        will try again later.
        """
        peer = peer_name(writer)
        base = {"peer": peer, "session": name}
        port = (writer.get_extra_info("sockname") or ("", 0))[1]
        self._emit(SessionOpened, {**base, "port": port})
        for line in TOO_MANY.to_lines():
            self._emit(DialogLine, {**base, "dir": "S", "line": line, "state": "CLOSED"})
        try:
            writer.write(TOO_MANY.to_bytes())
            await writer.drain()
            writer.close()
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
        self._emit(SessionClosed, {**base, "reason": "too many connections"})

    async def _store(self, envelope: Envelope, content: bytes, peer: str, session: str,
                     reply: Reply) -> None:
        """Hand a message to ``deliver``, then keep it in :attr:`mailbox` and the trace."""
        if self.deliver is not None:
            result = self.deliver(envelope, content, peer)
            if inspect.isawaitable(result):
                await result
        qid = _queue_id(reply)
        stored = StoredMessage(envelope, content, peer, session, qid, _header_block(content))
        self.mailbox.append(stored)
        self._emit(MessageAccepted, {
            "msg": qid or f"{session}-{len(self.mailbox)}", "peer": peer, "session": session,
            "sender": envelope.mail_from or "", "recipients": tuple(envelope.rcpt_tos),
            "queue_id": qid, "headers": stored.headers})
        if self.on_accept is not None:
            try:
                self.on_accept(stored)
            except Exception:  # the message is stored: a broken view must not make it 451
                log.exception("on_accept failed")
