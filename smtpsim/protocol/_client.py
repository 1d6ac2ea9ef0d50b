"""The client side of an SMTP connection, sans-IO.

:class:`ClientConnection` is the mirror of the server engine. You send commands with
:meth:`~ClientConnection.send` (it returns the bytes for the wire and refuses a command
that is out of sequence); you feed it the server's bytes with
:meth:`~ClientConnection.receive_data`; :meth:`~ClientConnection.next_event` hands back
each reply paired with the command it answers. It runs on the same transition table
as the server, so both sides always agree on where the dialog stands.

With PIPELINING (RFC 2920) several commands may be sent before their replies arrive;
replies still come back one per command, in order, and the engine pairs them up.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

from ..errors import LocalProtocolError, RemoteProtocolError
from ._commands import (
    Auth,
    AuthData,
    Command,
    Data,
    Ehlo,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    Vrfy,
)
from ._data import dot_stuff
from ._events import NEED_DATA, ConnectionClosed, NeedData
from ._fast import remember, slot_filler
from ._replies import Reply, ReplyReader
from ._state import (
    AUTH_DATA,
    END_OF_DATA,
    GREETING,
    S_CLOSED,
    S_CONNECTED,
    S_DATA,
    State,
    in_sequence,
    next_state,
)

__all__ = ["ClientConnection", "ReplyReceived"]


@dataclass(frozen=True, slots=True)
class ReplyReceived:
    """A reply from the server and what it answers: a :class:`Command`, or
    ``"greeting"`` / ``"end of data"`` for the banner and the end of the content."""

    to: Command | str
    reply: Reply


#: ``ReplyReceived(to, reply)`` for every reply, built the fast way (see ._fast).
_received = slot_filler(ReplyReceived)


#: Fast path for send(): the key each command type moves the state machine by (its
#: verb, or "auth data"), by exact type, as the isinstance checks would find it.
_KEYS: dict[type, str] = {
    **{cls: cls.verb for cls in (Ehlo, Helo, MailFrom, RcptTo, Data, Rset, Noop, Vrfy, Help,
                                 Quit, Auth)},
    AuthData: AUTH_DATA,
}


@functools.lru_cache(maxsize=256)
def _keywords(lines: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The extensions an EHLO reply lists: ``(keyword, argument)`` for each line after
    the first (the server's name), e.g. ``("SIZE", "10240000")``. Cached: a server
    sends the same EHLO reply to every client."""
    keywords = []
    for line in lines[1:]:
        word, _, arg = line.partition(" ")
        keywords.append((word.upper(), arg))
    return tuple(keywords)


#: Fast path for send(): where the dialog will stand once ``key`` sent in ``state``
#: succeeds, for every ``(state, key)`` that may be sent (:func:`in_sequence`), so
#: one lookup both checks the sequence and takes the next step of the fold. Read from
#: the transition table once: nothing may follow DATA until its 354 arrives, AUTH data
#: expects another 334, any other command a 250.
_PROMISED: dict[tuple[State, str], State] = {
    (state, key): S_DATA if key == "DATA" else next_state(
        state, key, 334 if key == AUTH_DATA else 250)
    for state in State for key in set(_KEYS.values())
    if in_sequence(state, key)
}

#: The command types whose wire bytes are remembered (see :func:`_command_bytes`):
#: the engine's own frozen types whose fields are all text, so one object always makes
#: the same bytes. (RcptTo and MailFrom qualify when they have no parameters.)
_TEXT_ONLY = frozenset({Ehlo, Helo, Data, Rset, Noop, Vrfy, Help, Quit, Auth, AuthData})

#: Wire bytes already made: ``id(command) -> (command, bytes)``. Keyed by identity,
#: which is safe because the entry holds the command: no other object can take its id
#: while the entry exists. Emptied when full.
_SENT: dict[int, tuple[Command, bytes]] = {}


def _command_bytes(command: Command) -> bytes:
    """``command.to_bytes()``, remembered for one object.

    A client sends the same command objects session after session (the sender keeps
    one EHLO per name, one AUTH per account, one RCPT TO per address, one DATA, RSET
    and QUIT), and the engine's commands are frozen, so the bytes ``to_bytes`` made
    (and the check it made first: no CR or LF smuggled into a field) hold for every
    later time. Anything else, a subclass included, is made afresh.
    """
    kind = type(command)
    if kind not in _TEXT_ONLY and not (kind in (RcptTo, MailFrom)
                                       and command.params == ()):  # type: ignore[attr-defined]
        return command.to_bytes()
    entry = _SENT.get(id(command))
    if entry is not None:
        return entry[1]
    data = command.to_bytes()
    remember(_SENT, id(command), (command, data))
    return data


class ClientConnection:
    """One SMTP connection, client side.

    Attributes:
        state: the protocol :class:`State` after the replies received so far.
        extensions: the server's EHLO keywords and their arguments, e.g.
            ``{"SIZE": "10240000", "PIPELINING": ""}`` (empty until EHLO succeeds).
    """

    def __init__(self) -> None:
        self.state = S_CONNECTED
        self.extensions: dict[str, str] = {}
        self._reader = ReplyReader()
        self._pending: deque[tuple[Command | str, str]] = deque([(GREETING, GREETING)])
        # _expected_state(), kept up to date by send() and forgotten (None) whenever a
        # reply changes the state or the queue in any other way.
        self._expected: State | None = None
        self._eof = False
        self._closed_reported = False

    # ---------------------------------------------------------------- output
    def _expected_state(self) -> State:
        """The state the dialog will be in if every pending command succeeds."""
        state = self.state
        for _, key in self._pending:
            if key == "DATA":
                return S_DATA  # nothing may follow DATA until its 354 arrives
            code = 334 if key == AUTH_DATA else 250
            state = next_state(state, key, code)
        return state

    def send(self, command: Command) -> bytes:
        """The bytes for ``command``.

        Raises:
            LocalProtocolError: the command is out of sequence (``RCPT`` before
                ``MAIL``, anything after ``DATA`` before its 354 arrived, ...).
        """
        key = _KEYS.get(type(command))
        if key is None:  # not one of the engine's own command types: the long way round
            if not isinstance(command, Command) or type(command) is Command:
                raise LocalProtocolError(f"{command!r} is not an SMTP command")
            key = AUTH_DATA if isinstance(command, AuthData) else command.verb
        expected = self._expected
        if expected is None:
            expected = self._expected = self._expected_state()
        if expected is S_DATA:
            raise LocalProtocolError("wait for the reply to DATA, then send the content")
        pending = self._pending
        if pending:
            # RFC 2920 §3.1: only RSET, MAIL and RCPT may be followed by more commands
            # before their replies arrive, and only when the server offers PIPELINING.
            # (This check keeps every queued command but the last one of those three,
            # so the last one is the only one to look at.)
            last = pending[-1][1]
            if last == GREETING:
                raise LocalProtocolError("wait for the server's greeting first")
            if "PIPELINING" not in self.extensions:
                raise LocalProtocolError("the server did not offer PIPELINING: wait for "
                                         f"the reply to {last}")
            if last not in ("MAIL", "RCPT", "RSET"):
                raise LocalProtocolError(f"{command.verb or 'AUTH data'} cannot be "
                                         f"pipelined after {last}: wait for its reply")
        # In sequence, and one more step of _expected_state()'s fold instead of folding
        # the queue again, both in one lookup (see _PROMISED).
        promised = _PROMISED.get((expected, key))
        if promised is None:
            if key == AUTH_DATA:
                raise LocalProtocolError("AUTH data only answers a 334 challenge")
            raise LocalProtocolError(f"{command.verb} is out of sequence in state {expected.name}")
        pending.append((command, key))
        self._expected = promised
        return _command_bytes(command)

    def send_content(self, content: bytes) -> bytes:
        """The message content, dot-stuffed and ended with ``.CRLF``; only after 354."""
        if self.state is not S_DATA or self._pending:
            raise LocalProtocolError("message content may only be sent after DATA got 354")
        self._pending.append((END_OF_DATA, END_OF_DATA))
        self._expected = None
        return dot_stuff(content)

    @property
    def waiting(self) -> int:
        """How many replies are still expected."""
        return len(self._pending)

    # ----------------------------------------------------------------- input
    def receive_data(self, data: bytes) -> None:
        """Bytes from the server; ``b""`` when it closed the connection."""
        if data == b"":
            self._eof = True
        else:
            self._reader.feed(data)

    def next_event(self) -> ReplyReceived | ConnectionClosed | NeedData:
        """The next reply (with the command it answers), or :data:`NEED_DATA`.

        Raises:
            RemoteProtocolError: the server sent something that is not a reply, or a
                reply nobody asked for.
        """
        reply = self._reader.next_reply()
        if reply is None:
            if self._eof and not self._closed_reported:
                self._closed_reported = True
                self.state = S_CLOSED
                self._expected = None
                return ConnectionClosed(discarded=bool(self._pending))
            return NEED_DATA
        if not self._pending:
            if reply.code == 421:  # a server may say 421 at any time, then close
                self.state = S_CLOSED
                self._expected = None
                return ReplyReceived("unsolicited", reply)
            raise RemoteProtocolError(f"reply nobody asked for: {reply}")
        pending = self._pending
        command, key = pending.popleft()
        code = reply.code
        self.state = state = next_state(self.state, key, code)
        # With nothing left pending, _expected_state() is the state itself (the usual
        # case: a flight's last reply); otherwise it is folded again when next needed.
        self._expected = None if pending else state
        if code < 300 and isinstance(command, (Ehlo, Helo)):  # a 2xx to a hello
            # A successful hello starts afresh: after HELO no extension is in use
            # (RFC 5321 §4.1.1.1), after EHLO exactly those the reply lists.
            self.extensions = dict(_keywords(reply.lines)) if isinstance(command, Ehlo) else {}
            self._reader.enhanced = "ENHANCEDSTATUSCODES" in self.extensions
        return _received(command, reply)
