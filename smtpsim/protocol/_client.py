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

from collections import deque
from dataclasses import dataclass

from ..errors import LocalProtocolError, RemoteProtocolError
from ._commands import AuthData, Command, Ehlo, Helo
from ._data import dot_stuff
from ._events import NEED_DATA, ConnectionClosed, NeedData
from ._replies import Reply, ReplyReader
from ._state import (
    AUTH_DATA,
    END_OF_DATA,
    GREETING,
    INTERMEDIATE_REPLIES,
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


def _key(command: Command) -> str:
    """What ``command`` is in :data:`TRANSITIONS`: its verb, or "auth data"."""
    return AUTH_DATA if isinstance(command, AuthData) else command.verb


def _keywords(lines: tuple[str, ...]) -> dict[str, str]:
    """The extensions an EHLO reply lists: ``{keyword: argument}`` for each line after
    the first (the server's name), e.g. ``{"SIZE": "10240000", "PIPELINING": ""}``."""
    keywords = {}
    for line in lines[1:]:
        word, _, arg = line.partition(" ")
        keywords[word.upper()] = arg
    return keywords


class ClientConnection:
    """One SMTP connection, client side.

    Attributes:
        state: the protocol :class:`State` after the replies received so far.
        extensions: the server's EHLO keywords and their arguments, e.g.
            ``{"SIZE": "10240000", "PIPELINING": ""}`` (empty until EHLO succeeds).
    """

    def __init__(self) -> None:
        self.state = State.CONNECTED
        self.extensions: dict[str, str] = {}
        self._reader = ReplyReader()
        # What each reply still expected answers, and its key in TRANSITIONS.
        self._pending: deque[tuple[Command | str, str]] = deque([(GREETING, GREETING)])
        self._eof = False
        self._closed_reported = False

    # ---------------------------------------------------------------- output
    def _expected_state(self) -> State:
        """The state the dialog will be in if every pending command succeeds: DATA
        with its 354 (nothing may follow until it arrives), AUTH data with another
        334 challenge, anything else with a 250."""
        state = self.state
        for _, key in self._pending:
            code = INTERMEDIATE_REPLIES[key] if key in ("DATA", AUTH_DATA) else 250
            state = next_state(state, key, code)
        return state

    def send(self, command: Command) -> bytes:
        """The bytes for ``command``.

        Raises:
            LocalProtocolError: the command is out of sequence (``RCPT`` before
                ``MAIL``, anything after ``DATA`` before its 354 arrived, ...).
        """
        if not isinstance(command, Command) or type(command) is Command:
            raise LocalProtocolError(f"{command!r} is not an SMTP command")
        key = _key(command)
        expected = self._expected_state()
        if expected is State.DATA:
            raise LocalProtocolError("wait for the reply to DATA, then send the content")
        if self._pending:
            self._check_pipelining(command)
        if not in_sequence(expected, key):
            if key == AUTH_DATA:
                raise LocalProtocolError("AUTH data only answers a 334 challenge")
            raise LocalProtocolError(f"{command.verb} is out of sequence in state {expected.name}")
        self._pending.append((command, key))
        return command.to_bytes()

    def _check_pipelining(self, command: Command) -> None:
        """Raise unless ``command`` may go before the pending replies arrive.

        RFC 2920 §3.1: only RSET, MAIL and RCPT may be followed by more commands
        before their replies arrive, and only when the server offers PIPELINING.
        (Every queued command but the last is one of those three, so the last one is
        the only one to look at.)
        """
        last = self._pending[-1][1]
        if last == GREETING:
            raise LocalProtocolError("wait for the server's greeting first")
        if "PIPELINING" not in self.extensions:
            raise LocalProtocolError("the server did not offer PIPELINING: wait for "
                                     f"the reply to {last}")
        if last not in ("MAIL", "RCPT", "RSET"):
            raise LocalProtocolError(f"{command.verb or 'AUTH data'} cannot be "
                                     f"pipelined after {last}: wait for its reply")

    def send_content(self, content: bytes) -> bytes:
        """The message content, dot-stuffed and ended with ``.CRLF``; only after 354."""
        if self.state is not State.DATA or self._pending:
            raise LocalProtocolError("message content may only be sent after DATA got 354")
        self._pending.append((END_OF_DATA, END_OF_DATA))
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
                self.state = State.CLOSED
                return ConnectionClosed(discarded=bool(self._pending))
            return NEED_DATA
        if not self._pending:
            if reply.code == 421:  # a server may say 421 at any time, then close
                self.state = State.CLOSED
                return ReplyReceived("unsolicited", reply)
            raise RemoteProtocolError(f"reply nobody asked for: {reply}")
        command, key = self._pending.popleft()
        self.state = next_state(self.state, key, reply.code)
        if key == "DATA" and reply.code == 354:
            # The server now reads the message, even where by our count it should not
            # have said so (it accepted no MAIL or RCPT: RFC 2920 §3.1). The only way
            # out of its DATA state is the content's lone dot, so it may be sent.
            self.state = State.DATA
        if reply.is_success and isinstance(command, (Ehlo, Helo)):
            # A successful hello starts afresh: after HELO no extension is in use
            # (RFC 5321 §4.1.1.1), after EHLO exactly those the reply lists.
            self.extensions = _keywords(reply.lines) if isinstance(command, Ehlo) else {}
            self._reader.enhanced = "ENHANCEDSTATUSCODES" in self.extensions
        return ReplyReceived(command, reply)
