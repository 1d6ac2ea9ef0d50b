"""One TCP connection of the bridge: the sans-IO engine driven by a real socket.

Theory of operation
-------------------
A :class:`Session` is the "bring your own I/O" loop that h11's examples show, for
SMTP. It owns one :class:`~smtpsim.protocol.ServerConnection` and repeats:

1. read whatever bytes the client sent (waiting at most ``idle_timeout`` seconds);
2. give them to the engine with ``receive_data``;
3. take events with ``next_event`` until it says :data:`~smtpsim.protocol.NEED_DATA`,
   and answer each one: the policy hook ``decide(event)`` may choose the reply, else
   the engine's ``default_reply()``; a received message is *stored first* and only
   then answered 250, because a 250 means "I now hold it" (store and forward);
4. write all the replies at once (with PIPELINING, a batch of commands gets a batch
   of replies, in order).

Ways out besides QUIT: the client vanishes (EOF; a half-sent message is thrown
away), the client stays silent too long (``421 4.4.2`` - this works in the middle of
DATA too, since it is the *read* that times out), the client takes too long over one
command or one message's content, or the connection has lasted too long in all
(``421 4.4.2`` too: these stop a "trickle" client that sends a byte every few
seconds, which no per-read timeout ever catches), or the server shuts down
(``421 4.3.2``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..protocol import (
    NEED_DATA,
    ConnectionClosed,
    MessageReceived,
    MessageRejected,
    Reply,
    ServerConnection,
    ServerEvent,
    State,
)
from ..trace import DialogLine, SessionClosed, SessionOpened
from ._wire import ClientLines

if TYPE_CHECKING:
    from ..protocol import Envelope

__all__ = ["Decide", "Session", "peer_name"]

log = logging.getLogger("smtpsim.bridge")

#: The policy hook: the reply to an event, or None for the engine's default reply.
#: It may be a plain function or a coroutine function.
Decide = Callable[[ServerEvent], "Reply | Awaitable[Reply | None] | None"]

#: How the session hands an accepted message (envelope, content, peer, session,
#: the 250 reply) to its bridge.
Store = Callable[["Envelope", bytes, str, str, Reply], Awaitable[None]]

IDLE_REPLY = Reply.of(421, "Idle timeout, closing connection", "4.4.2")
COMMAND_TIMEOUT_REPLY = Reply.of(421, "Command timeout, closing connection", "4.4.2")
SESSION_LIMIT_REPLY = Reply.of(421, "Session time limit reached, closing connection", "4.4.2")
SHUTDOWN_REPLY = Reply.of(421, "Service shutting down, closing transmission channel", "4.3.2")
LOCAL_ERROR = Reply.of(451, "Local error in processing; try again later", "4.3.0")


def peer_name(writer: asyncio.StreamWriter) -> str:
    """The client's address as ``ip:port`` (``"?"`` if the socket is already gone)."""
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if peer else "?"


class Session:
    """One client connection. Created by :class:`~smtpsim.bridge.SMTPBridge`.

    Args:
        server: a fresh engine for this connection.
        reader, writer: the asyncio streams of the accepted socket.
        name: the session id for the trace (``"s1"``).
        emit: appends a trace event (the bridge stamps ``t``).
        decide: the policy hook (see :data:`Decide`).
        store: keeps an accepted message; raising makes the reply ``451``.
        idle_timeout: seconds of silence before ``421 4.4.2``.
        command_timeout: seconds to complete one command (or one message's
            content) after the previous reply, before ``421 4.4.2``.
        session_timeout: seconds the whole connection may last.
    """

    def __init__(self, server: ServerConnection, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, *, name: str,
                 emit: Callable[[type, dict[str, object]], None],
                 decide: Decide | None, store: Store, idle_timeout: float,
                 read_size: int = 65536, command_timeout: float = 600.0,
                 session_timeout: float = 3600.0) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.name = name
        #: The client as ``ip:port``.
        self.peer = peer_name(writer)
        self._emit = emit
        self._decide = decide
        self._store = store
        self._idle_timeout = idle_timeout
        self._command_timeout = command_timeout
        self._session_timeout = session_timeout
        self._read_size = read_size
        self._command_deadline = 0.0  # loop time by which the next command must be done
        self._session_deadline = 0.0
        self._lines = ClientLines()
        self._reading = False
        self._stopping = False
        self.reason = "QUIT"

    @property
    def closed(self) -> bool:
        """The engine has reached CLOSED (QUIT answered, or a 421 sent)."""
        return self.server.state is State.CLOSED

    # -- tracing -----------------------------------------------------------
    def _trace_lines(self, direction: str, lines: list[str]) -> None:
        state = self.server.state.name
        for line in lines:
            self._emit(DialogLine, {"peer": self.peer, "session": self.name, "dir": direction,
                                    "line": line, "state": state})

    def _write(self, data: bytes) -> None:
        text = data.decode("utf-8", "replace").split("\r\n")
        self._trace_lines("S", text[:-1] if text[-1] == "" else text)
        if not self.writer.is_closing():
            self.writer.write(data)

    # -- the loop ----------------------------------------------------------
    async def run(self) -> None:
        """Greet, then read, answer and write until the session ends."""
        self._emit(SessionOpened, {"peer": self.peer, "session": self.name,
                                   "port": (self.writer.get_extra_info("sockname") or ("", 0))[1]})
        now = asyncio.get_running_loop().time()
        self._session_deadline = now + self._session_timeout
        self._command_deadline = now + self._command_timeout
        try:
            self._write(self.server.greet())
            while not self.closed and not self._stopping:
                data = await self._read()
                if data is None:
                    self._time_out()
                    break
                if self.closed:  # stop() said goodbye while we were waiting
                    break
                self._lines.feed(data)
                self.server.receive_data(data)
                await self._answer()
                self._lines.trim(self.server.state is State.DATA)
                await self.writer.drain()
            if self._stopping and not self.closed:
                self._goodbye(SHUTDOWN_REPLY, "server shutdown")
        except (ConnectionError, OSError) as exc:
            if not self._stopping:
                self.reason = f"connection error: {exc}"
        finally:
            await self._close()

    def _wait_limit(self) -> float:
        """How long the next read may wait: the nearest of the three time limits."""
        now = asyncio.get_running_loop().time()
        return max(0.0, min(self._idle_timeout, self._command_deadline - now,
                            self._session_deadline - now))

    def _time_out(self) -> None:
        """A read timed out: say which limit it was, with a 421."""
        now = asyncio.get_running_loop().time()
        if now >= self._session_deadline:
            self._goodbye(SESSION_LIMIT_REPLY, "session time limit")
        elif now >= self._command_deadline:
            self._goodbye(COMMAND_TIMEOUT_REPLY, "command timeout")
        else:
            self._goodbye(IDLE_REPLY, "idle timeout")

    async def _read(self) -> bytes | None:
        """The next bytes (``b""`` at EOF), or None once a time limit is reached."""
        self._reading = True
        try:
            return await asyncio.wait_for(self.reader.read(self._read_size),
                                          self._wait_limit())
        except asyncio.TimeoutError:
            return None
        except (ConnectionError, OSError):
            return b""
        finally:
            self._reading = False

    async def _answer(self) -> None:
        """Answer every complete event the engine has; queue the replies for writing."""
        server = self.server
        while (event := server.next_event()) is not NEED_DATA:
            if isinstance(event, ConnectionClosed):
                self._trace_lines("C", self._lines.rest())
                self.reason = ("client vanished mid-transaction; message discarded"
                               if event.discarded else "client closed the connection")
                return
            if isinstance(event, (MessageReceived, MessageRejected)):
                consumed = self._lines.take_content()
            else:
                consumed = self._lines.take_command()
            # The line is traced before its reply: a command changes nothing until it
            # is answered, so it carries the state the dialog is in while it travels.
            self._trace_lines("C", consumed)
            reply = await self._reply_to(event)
            data = server.send(reply)
            self._write(data)
            # The clock for the next command starts with this reply (RFC 5321 §4.5.3.2:
            # each command has its own timeout; the content after 354 counts as one).
            self._command_deadline = asyncio.get_running_loop().time() + self._command_timeout
            if server.state is State.CLOSED:
                self.reason = "QUIT" if reply.code == 221 else f"closed after {reply.code}"
                return
        if server.state is State.DATA:  # content still arriving: show what came so far
            self._trace_lines("C", self._lines.flush_content())

    async def _reply_to(self, event: ServerEvent) -> Reply:
        reply: Reply | None = None
        if self._decide is not None:
            try:
                chosen = self._decide(event)
                reply = await chosen if inspect.isawaitable(chosen) else chosen
            except Exception:
                log.exception("decide() failed for %r", event)
                reply = LOCAL_ERROR
        reply = reply or self.server.default_reply()
        if isinstance(event, MessageReceived) and reply.is_success:
            envelope = replace(event.envelope, rcpt_tos=list(event.envelope.rcpt_tos))
            try:
                await self._store(envelope, event.content, self.peer, self.name, reply)
            except Exception:
                # Never say 250 for a message we failed to keep: 451 makes the client
                # keep it in its queue and try again later.
                log.exception("delivering a message from %s failed", self.peer)
                return LOCAL_ERROR
        return reply

    # -- endings -------------------------------------------------------------
    def _goodbye(self, reply: Reply, reason: str) -> None:
        """Send a 421 (no reply owed) and mark the session over."""
        self.reason = reason
        if self.server.pending is None and self.server.state is not State.CLOSED:
            self._write(self.server.send(reply))  # a 421 leaves the engine CLOSED

    def stop(self) -> None:
        """Ask the session to end with ``421 4.3.2`` (the server is shutting down).

        If it is waiting for the client, say goodbye now and close the socket (which
        wakes the pending read with EOF); otherwise it says goodbye once the batch of
        events it is answering is done.
        """
        self._stopping = True
        if self._reading:
            self._goodbye(SHUTDOWN_REPLY, "server shutdown")
            self.writer.close()

    async def _close(self) -> None:
        self._emit(SessionClosed, {"peer": self.peer, "session": self.name,
                                   "reason": self.reason})
        try:
            if not self.writer.is_closing():
                await self.writer.drain()
            self.writer.close()
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass
