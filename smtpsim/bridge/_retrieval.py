"""POP3 and IMAP on a real socket: the mailbox server a mail client fetches from.

The SMTP bridge receives mail; this module lets a real client (Python's ``poplib`` and
``imaplib``, telnet, Thunderbird) fetch it again. A :class:`RetrievalServer` runs one
sans-IO server engine (:class:`~smtpsim.pop3.Pop3Server`, or IMAP's) per connection,
in the same "bring your own I/O" loop as the SMTP bridge: read what the client sent,
give it to the engine, write back what the engine answers.

:class:`MaildirAccounts` is the store behind it: one Maildir per account
(``DIR/<user>/``), loaded at start and kept up to date as the SMTP side delivers.
A message deleted by POP3 (at ``QUIT``) or IMAP (``EXPUNGE``) has its file removed;
a connection that drops, or times out, removes nothing.

Ways a session ends besides the client's goodbye: the client closes the connection,
stays silent longer than ``idle_timeout``, or the session lasts longer than
``session_timeout``; the server then says goodbye in its protocol's words and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..mailstore import Accounts, Maildrop, MaildropMessage
from ..protocol import has_bare_line_ending, normalize_line_endings
from ..trace import DialogLine, ImapLine, Pop3Line, SessionClosed, SessionOpened, Trace
from ._maildir import Maildir, with_return_path
from ._session import peer_name

if TYPE_CHECKING:
    from ..protocol import Envelope
    from ._server import Limits

__all__ = ["PROTOCOLS", "MaildirAccounts", "RetrievalEngine", "RetrievalServer"]

log = logging.getLogger("smtpsim.bridge")


class RetrievalEngine(Protocol):
    """What the server needs of an engine (POP3's and IMAP's both have it)."""

    def greeting(self) -> bytes: ...
    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    def next_event(self) -> object | None: ...
    @property
    def state(self) -> Enum: ...
    @property
    def closed(self) -> bool: ...


@dataclass(frozen=True)
class _Words:
    """How one protocol says the things the socket layer has to say."""

    line: type[DialogLine]  # the trace event for its lines
    busy: bytes  # instead of a greeting: too many clients, or shutting down
    idle: bytes  # the goodbye after too long a silence


#: The two retrieval protocols, by name.
PROTOCOLS: dict[str, _Words] = {
    "pop3": _Words(Pop3Line, b"-ERR [SYS/TEMP] too many connections, try again later\r\n",
                   b"-ERR [SYS/TEMP] idle for too long; goodbye\r\n"),
    "imap": _Words(ImapLine, b"* BYE too many connections, try again later\r\n",
                   b"* BYE autologout: idle for too long\r\n"),
}


class RetrievalServer:
    """An asyncio POP3 or IMAP server around a sans-IO engine.

    Args:
        protocol: ``"pop3"`` or ``"imap"``.
        new_engine: makes a fresh engine for each connection.
        hostname: the node name the trace gives this server.
        host: the address to listen on; loopback by default.
        port: the TCP port; 0 lets the system choose (see :attr:`address`).
        limits: connections at once, idle and session time, read size (the same
            :class:`~smtpsim.bridge.Limits` the SMTP bridge keeps).
        trace: the trace its dialogs are written to (a summary-only one by default).

    Raises:
        ValueError: an unknown protocol name.
    """

    def __init__(self, protocol: str, new_engine: Callable[[], RetrievalEngine], *,
                 hostname: str = "localhost", host: str = "127.0.0.1", port: int = 0,
                 limits: Limits | None = None, trace: Trace | None = None) -> None:
        from ._server import Limits

        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}, not {protocol!r}")
        self.protocol = protocol
        self.words = PROTOCOLS[protocol]
        self.new_engine = new_engine
        self.hostname = hostname
        self.host = host
        self.port = port
        self.limits = limits or Limits()
        self.trace = trace if trace is not None else Trace(keep="summary")
        self._server: asyncio.Server | None = None
        self._live: dict[str, tuple[RetrievalEngine, asyncio.StreamWriter]] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._names = itertools.count(1)
        self._start = time.monotonic()
        self._closing = False
        #: Called after each client's data has been answered (``smtpsim serve`` tells
        #: every session in IDLE what the command changed, e.g. a POP3 QUIT's deletions).
        self.on_command: Callable[[], None] | None = None

    async def start(self) -> None:
        """Start listening; :attr:`address` then holds the real port."""
        self._closing = False
        self._server = await asyncio.start_server(self._accept, self.host, self.port)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` actually listened on."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    async def close(self, grace: float = 2.0) -> None:
        """Stop listening and end every session (a session ended this way removes
        nothing: only the client's own QUIT or EXPUNGE does)."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for _, writer in list(self._live.values()):
            writer.close()
        if self._handlers:
            _, late = await asyncio.wait(list(self._handlers), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def mailbox_changed(self) -> None:
        """Mail arrived (or left): tell every live session whose engine can announce it
        (an IMAP session in IDLE sends ``* n EXISTS`` at once)."""
        for name, (engine, writer) in list(self._live.items()):
            announce = getattr(engine, "mailbox_changed", None)
            if announce is not None:
                announce()
                self._write(name, engine, writer)

    # -- one connection -------------------------------------------------------------

    def _now(self) -> float:
        return round(time.monotonic() - self._start, 6)

    def _record(self, name: str, peer: str, direction: str, data: bytes, state: str) -> None:
        for text in data.decode("utf-8", "replace").split("\r\n")[:-1]:
            self.trace.append(self.words.line(self._now(), self.hostname, peer, name,
                                              direction, text, state))

    def _write(self, name: str, engine: RetrievalEngine, writer: asyncio.StreamWriter) -> None:
        data = engine.data_to_send()
        while engine.next_event() is not None:
            pass  # the socket server keeps no record of its own; the Maildir does
        if data and not writer.is_closing():
            self._record(name, peer_name(writer), "S", data, engine.state.value)
            writer.write(data)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._session(reader, writer)
        except asyncio.CancelledError:
            writer.transport.abort()
        except Exception:  # a bug ends this session, never the server
            log.exception("%s session failed", self.protocol)
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = f"{self.protocol}{next(self._names)}"
        peer = peer_name(writer)
        port = (writer.get_extra_info("sockname") or ("", 0))[1]
        self.trace.append(SessionOpened(self._now(), self.hostname, peer, name, port))
        if self._closing or len(self._live) >= self.limits.max_connections:
            self._record(name, peer, "S", self.words.busy, "CLOSED")
            writer.write(self.words.busy)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            self.trace.append(SessionClosed(self._now(), self.hostname, peer, name,
                                            "too many connections"))
            return
        engine = self.new_engine()
        greeting = engine.greeting()
        self._record(name, peer, "S", greeting, engine.state.value)
        writer.write(greeting)
        self._live[name] = (engine, writer)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.session_timeout
        pending = b""  # a client line not complete yet (for the trace only)
        reason = "closed by the client"
        try:
            while not engine.closed:
                await writer.drain()
                wait = min(self.limits.idle_timeout, deadline - loop.time())
                try:
                    data = await asyncio.wait_for(reader.read(self.limits.read_size),
                                                  max(wait, 0.0))
                except (asyncio.TimeoutError, TimeoutError):
                    reason = "idle for too long"
                    self._record(name, peer, "S", self.words.idle, engine.state.value)
                    writer.write(self.words.idle)
                    break
                if not data:
                    break
                pending += data
                complete, _, pending = pending.rpartition(b"\r\n")
                if complete:
                    self._record(name, peer, "C", complete + b"\r\n", engine.state.value)
                if len(pending) > self.limits.read_size:
                    pending = b""  # a runaway line: the engine refuses it, the trace drops it
                engine.receive_data(data)
                self._write(name, engine, writer)
                if self.on_command is not None:
                    self.on_command()  # e.g. an EXPUNGE: other sessions in IDLE hear of it
            else:
                reason = "goodbye"
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except ConnectionError:
            reason = "connection lost"
        finally:
            del self._live[name]
            if not engine.closed:
                engine.receive_data(b"")  # a drop: nothing marked is removed
                self._write(name, engine, writer)
            self.trace.append(SessionClosed(self._now(), self.hostname, peer, name, reason))


class MaildirAccounts:
    """Accounts whose maildrops are Maildirs: ``root/<user>/`` for each account.

    Args:
        root: the directory given to ``--maildir`` (or None: maildrops in memory only,
            gone when the server stops).
        accounts: ``(user, password)`` pairs.
        on_change: called after each delivery (the servers announce new mail with it).

    Mail is delivered (:meth:`deliver`, the SMTP bridge's hook) to the account named
    by each recipient's local part, compared without regard to case: mail for
    ``Alice@example.com`` goes to the account ``alice``. Mail for a recipient with no
    account goes to the Maildir at ``root`` itself, as plain ``smtpsim serve`` stores
    all mail: kept, but not reachable by POP3 or IMAP.
    """

    def __init__(self, root: str | Path | None, accounts: Iterable[tuple[str, str]],
                 on_change: Callable[[], None] | None = None) -> None:
        self.accounts = Accounts()
        self.root = Path(root) if root is not None else None
        self.catch_all = Maildir(self.root) if self.root is not None else None
        self.on_change = on_change
        self._by_name: dict[str, tuple[Maildrop, Maildir | None]] = {}
        for user, password in accounts:
            if user.lower() in self._by_name:
                raise ValueError(f"the account {user!r} is given twice")
            maildir = Maildir(self.root / user) if self.root is not None else None
            drop = self.accounts.add(user, password, Maildrop(
                user, on_remove=_file_remover(maildir) if maildir else None))
            if maildir is not None:
                for path in maildir.messages():
                    arrived = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
                    drop.add(_wire_form(path.read_bytes()), arrived, key=path.name)
            self._by_name[user.lower()] = (drop, maildir)

    def maildrop(self, user: str) -> Maildrop | None:
        """The maildrop of the account ``user`` (any case), or None."""
        entry = self._by_name.get(user.lower())
        return entry[0] if entry else None

    def deliver(self, envelope: Envelope, content: bytes, peer: str = "") -> None:
        """Store one accepted message for each of its recipients' accounts (with its
        ``Return-Path``), and once in the catch-all Maildir for recipients with none."""
        data = _wire_form(with_return_path(content, envelope.mail_from))
        arrived = datetime.now(timezone.utc)
        done: set[str] = set()
        unknown = False
        for recipient in envelope.rcpt_tos:
            user = recipient.rpartition("@")[0].lower()
            entry = self._by_name.get(user)
            if entry is None:
                unknown = True
            elif user not in done:
                done.add(user)
                drop, maildir = entry
                key = maildir.add(data).name if maildir is not None else ""
                drop.add(data, arrived, key=key)
        if unknown and self.catch_all is not None:
            self.catch_all.add(data)
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # stored already: a failed announcement must not make it 451
                log.exception("announcing new mail failed")


def _wire_form(data: bytes) -> bytes:
    """Every line ended by CRLF, as POP3 and IMAP send it (a Maildir file written by
    another program may use bare LF)."""
    data = normalize_line_endings(data) if has_bare_line_ending(data) else data
    return data if not data or data.endswith(b"\r\n") else data + b"\r\n"


def _file_remover(maildir: Maildir) -> Callable[[MaildropMessage], None]:
    def remove(message: MaildropMessage) -> None:
        with contextlib.suppress(FileNotFoundError):
            (maildir.path / "new" / message.key).unlink()
    return remove
