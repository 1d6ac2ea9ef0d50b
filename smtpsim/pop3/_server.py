"""The POP3 server engine (RFC 1939, with CAPA from RFC 2449 and AUTH PLAIN from RFC 5034).

How a POP3 session goes, in the order this file handles it:

1. The server greets: ``+OK pop.example.com POP3 server ready``.
2. **AUTHORIZATION**: the client logs in with ``USER alice`` then ``PASS secret`` (or
   ``AUTH PLAIN`` and one base64 line). A wrong password and an unknown user get the
   same ``-ERR [AUTH]``, so nobody can probe which accounts exist.
3. **TRANSACTION**: the server takes a snapshot of the maildrop and numbers its
   messages from 1. ``STAT``, ``LIST`` and ``UIDL`` describe them, ``RETR`` and ``TOP``
   send them (dot-stuffed, ended by a lone dot), ``DELE`` marks one for deletion and
   ``RSET`` unmarks them all.
4. **UPDATE**: ``QUIT`` removes the marked messages and closes. If the connection drops
   before ``QUIT``, nothing is removed.

Sans-IO, as the SMTP engine: give it bytes with :meth:`Pop3Server.receive_data`, send
what :meth:`~Pop3Server.data_to_send` returns, and read what happened from
:meth:`~Pop3Server.next_event`. The server decides every answer itself, from the
:class:`~smtpsim.mailstore.Accounts` it was given. A client that breaks the rules gets
``-ERR`` and the session goes on; nothing a client sends raises an exception.
"""

from __future__ import annotations

import base64
import binascii
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..mailstore import Accounts, Maildrop, MaildropMessage
from ..protocol import dot_stuff
from ._events import ConnectionClosed, LoggedIn, LoginFailed, Marked, Pop3Event, Retrieved, Updated
from ._state import State, allowed, next_state, where_allowed

__all__ = ["Pop3Limits", "Pop3Server"]


@dataclass(frozen=True, slots=True)
class Pop3Limits:
    """The bounds a POP3 server keeps a client within.

    Args:
        max_line: the longest command line in octets, CRLF included (RFC 2449 §4
            allows 255); a longer one is answered ``-ERR`` and thrown away.
        max_failures: failed logins before the server says goodbye and closes.
    """

    max_line: int = 255
    max_failures: int = 3

    def __post_init__(self) -> None:
        if self.max_line < 16:
            raise ValueError(f"max_line must be at least 16 octets, not {self.max_line}")
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be at least 1, not {self.max_failures}")


#: What CAPA lists (RFC 2449 §6): the optional commands this server has, and how it
#: logs in. RESP-CODES says ``-ERR`` lines may carry codes such as ``[AUTH]``.
CAPABILITIES = ("USER", "UIDL", "TOP", "SASL PLAIN", "RESP-CODES", "AUTH-RESP-CODE",
                "IMPLEMENTATION smtpsim")


class Pop3Server:
    """One POP3 session, the server side.

    Args:
        accounts: who may log in, and their maildrops.
        hostname: the name the server gives in its greeting.
        limits: line length and failed-login bounds.

    >>> from smtpsim.mailstore import Accounts
    >>> accounts = Accounts(); drop = accounts.add("alice", "pw")
    >>> server = Pop3Server(accounts)
    >>> server.greeting()
    b'+OK pop.example.com POP3 server ready\\r\\n'
    >>> server.receive_data(b"USER alice\\r\\nPASS pw\\r\\nSTAT\\r\\n")
    >>> server.data_to_send()
    b'+OK send your password\\r\\n+OK logged in as alice, 0 messages (0 octets)\\r\\n+OK 0 0\\r\\n'
    """

    def __init__(self, accounts: Accounts, *, hostname: str = "pop.example.com",
                 limits: Pop3Limits = Pop3Limits()) -> None:
        self.accounts = accounts
        self.hostname = hostname
        self.limits = limits
        self.state = State.AUTHORIZATION
        self._buffer = b""
        self._discarding = False  # inside a line that was too long, until its LF
        self._out: list[bytes] = []
        self._events: deque[Pop3Event] = deque()
        self._user = ""  # named by USER, waiting for PASS
        self._sasl = False  # AUTH PLAIN sent without credentials: the next line has them
        self._failures = 0
        # The TRANSACTION snapshot: message number n is self._messages[n - 1].
        self._maildrop: Maildrop | None = None
        self._messages: list[MaildropMessage] = []
        self._marked: set[int] = set()  # message numbers marked by DELE

    # -- the caller's side ------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the session is over (the server sends nothing more)."""
        return self.state in (State.UPDATE, State.CLOSED)

    def greeting(self) -> bytes:
        """The server's first line, sent as soon as the connection opens."""
        return f"+OK {self.hostname} POP3 server ready\r\n".encode()

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the client and answer every complete command in them.

        ``b""`` means the client closed the connection: a session that had not said
        ``QUIT`` ends without removing anything.
        """
        if self.closed:
            return
        if data == b"":
            self.state = State.CLOSED
            self._events.append(ConnectionClosed("dropped"))
            return
        self._buffer += data
        while not self.closed:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) >= self.limits.max_line and not self._discarding:
                    self._reply("-ERR line too long")
                    self._discarding = True
                if self._discarding:
                    self._buffer = b""  # a runaway line does not grow memory
                return
            raw, self._buffer = self._buffer[:end + 1], self._buffer[end + 1:]
            if self._discarding:
                self._discarding = False  # the end of the line we already refused
                continue
            if len(raw) > self.limits.max_line:
                self._reply("-ERR line too long")
                continue
            self._handle(raw.rstrip(b"\r\n").decode("utf-8", "replace"))

    def data_to_send(self) -> bytes:
        """The answers waiting to be sent (then forgotten here)."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def next_event(self) -> Pop3Event | None:
        """The next thing that happened (a login, a retrieval, the update), or None."""
        return self._events.popleft() if self._events else None

    # -- one command --------------------------------------------------------------------

    def _reply(self, line: str) -> None:
        self._out.append(line.encode("utf-8") + b"\r\n")

    def _handle(self, line: str) -> None:
        if self._sasl:
            self._sasl = False
            self._auth_plain_response(line)
            return
        keyword, _, argument = line.partition(" ")
        keyword = keyword.upper()
        handlers = {
            "CAPA": self._do_capa, "USER": self._do_user, "PASS": self._do_pass,
            "AUTH": self._do_auth, "STAT": self._do_stat, "LIST": self._do_list,
            "UIDL": self._do_uidl, "RETR": self._do_retr, "TOP": self._do_top,
            "DELE": self._do_dele, "RSET": self._do_rset, "NOOP": self._do_noop,
            "QUIT": self._do_quit,
        }
        handler = handlers.get(keyword)
        if handler is None:
            self._reply(f"-ERR unknown command {keyword[:8]!r}" if keyword
                        else "-ERR empty command")
            return
        if not allowed(self.state, keyword):
            self._reply("-ERR " + _out_of_state(keyword, self.state))
            return
        handler(argument)

    # AUTHORIZATION ----------------------------------------------------------------------

    def _do_capa(self, argument: str) -> None:
        self._reply("+OK capability list follows")
        for capability in CAPABILITIES:
            self._reply(capability)
        self._reply(".")

    def _do_user(self, argument: str) -> None:
        if not argument or " " in argument:
            self._reply("-ERR USER takes one argument: the account name")
            return
        # The same answer whether or not the account exists (RFC 1939 §13).
        self._user = argument
        self.state = next_state(self.state, "USER")
        self._reply("+OK send your password")

    def _do_pass(self, argument: str) -> None:
        # The whole rest of the line is the password: it may hold spaces (RFC 1939 §7).
        self._login(self._user, argument, "USER/PASS")

    def _do_auth(self, argument: str) -> None:
        mechanism, _, initial = argument.partition(" ")
        if mechanism.upper() != "PLAIN":
            self._reply("-ERR unsupported mechanism; this server offers AUTH PLAIN"
                        if mechanism else "-ERR name a mechanism: AUTH PLAIN")
            return
        if initial:
            self._auth_plain_response(initial)
        else:
            self._sasl = True
            self._reply("+ ")  # RFC 5034 §4: an empty challenge; credentials follow

    def _auth_plain_response(self, line: str) -> None:
        if line == "*":
            self._reply("-ERR AUTH cancelled")
            return
        try:
            decoded = base64.b64decode(line.encode(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            self._reply("-ERR [AUTH] credentials are not valid base64 PLAIN")
            return
        parts = decoded.split("\0")
        if len(parts) != 3:
            self._reply("-ERR [AUTH] PLAIN credentials are authzid NUL user NUL password")
            return
        authzid, user, password = parts
        if authzid and authzid != user:
            self._reply("-ERR [AUTH] this server does not let you act as another user")
            return
        self._login(user, password, "PLAIN")

    def _login(self, user: str, password: str, mechanism: str) -> None:
        maildrop = self.accounts.login(user, password) if user else None
        if maildrop is None:
            self._failures += 1
            self._user = ""
            self.state = State.AUTHORIZATION  # a refused PASS undoes USER (RFC 1939 §7)
            self._events.append(LoginFailed(user))
            if self._failures >= self.limits.max_failures:
                self._reply("-ERR [AUTH] too many failed logins; goodbye")
                self.state = State.CLOSED
                self._events.append(ConnectionClosed("too many failed logins"))
                return
            # One answer for an unknown user and a wrong password alike.
            self._reply("-ERR [AUTH] invalid user name or password")
            return
        self._maildrop = maildrop
        self._messages = maildrop.messages()
        self._marked = set()
        self.state = State.TRANSACTION
        count, octets = self._totals()
        self._events.append(LoggedIn(user, mechanism, count))
        self._reply(f"+OK logged in as {user}, {_messages(count)} ({octets} octets)")

    # TRANSACTION ----------------------------------------------------------------------

    def _totals(self) -> tuple[int, int]:
        """(messages, octets) not marked for deletion: what STAT counts (RFC 1939 §5)."""
        kept = [m for n, m in enumerate(self._messages, 1) if n not in self._marked]
        return len(kept), sum(m.size for m in kept)

    def _message(self, number: str) -> tuple[int, MaildropMessage] | None:
        """The message a number names, or None after answering ``-ERR`` why not."""
        if not number.isdigit() or not number.isascii():
            self._reply(f"-ERR {number!r} is not a message number" if number
                        else "-ERR give a message number")
            return None
        n = int(number)
        if not 1 <= n <= len(self._messages):
            self._reply(f"-ERR no such message: the maildrop holds {len(self._messages)}")
            return None
        if n in self._marked:
            self._reply(f"-ERR message {n} is marked for deletion")
            return None
        message = self._messages[n - 1]
        assert self._maildrop is not None
        if self._maildrop.get(message.uid) is None:
            self._reply(f"-ERR message {n} was removed by another session")
            return None
        return n, message

    def _args(self, argument: str, most: int) -> list[str] | None:
        args = argument.split(" ") if argument else []
        if any(not a for a in args):
            self._reply("-ERR arguments are separated by one space")
            return None
        if len(args) > most:
            self._reply(f"-ERR too many arguments (at most {most})")
            return None
        return args

    def _do_stat(self, argument: str) -> None:
        if self._args(argument, 0) is None:
            return
        count, octets = self._totals()
        self._reply(f"+OK {count} {octets}")

    def _do_list(self, argument: str) -> None:
        self._listing(argument, "LIST", lambda m: str(m.size))

    def _do_uidl(self, argument: str) -> None:
        self._listing(argument, "UIDL", self.unique_id)

    def unique_id(self, message: MaildropMessage) -> str:
        """A message's UIDL: the same in every session, never given to another message
        of this maildrop (RFC 1939 §7: 1 to 70 printable characters)."""
        assert self._maildrop is not None
        return f"{self._maildrop.uidvalidity}.{message.uid}"

    def _listing(self, argument: str, command: str,
                 describe: Callable[[MaildropMessage], str]) -> None:
        """LIST and UIDL: one message's line, or every unmarked message's, multi-line."""
        args = self._args(argument, 1)
        if args is None:
            return
        if args:
            found = self._message(args[0])
            if found is not None:
                self._reply(f"+OK {found[0]} {describe(found[1])}")
            return
        count, octets = self._totals()
        self._reply(f"+OK {_messages(count)} ({octets} octets)" if command == "LIST"
                    else "+OK unique ids follow")
        for n, message in enumerate(self._messages, 1):
            if n not in self._marked:
                self._reply(f"{n} {describe(message)}")
        self._reply(".")

    def _do_retr(self, argument: str) -> None:
        args = self._args(argument, 1)
        found = self._message(args[0] if args else "") if args is not None else None
        if found is None:
            return
        _, message = found
        self._reply(f"+OK {message.size} octets")
        self._out.append(dot_stuff(message.data))  # RFC 1939 §3: byte-stuffed, then "."
        self._events.append(Retrieved(message.uid, message.key, message.size))

    def _do_top(self, argument: str) -> None:
        args = self._args(argument, 2)
        if args is None:
            return
        if len(args) != 2 or not args[1].isdigit() or not args[1].isascii():
            self._reply("-ERR TOP takes a message number and a number of lines")
            return
        found = self._message(args[0])
        if found is None:
            return
        _, message = found
        lines = int(args[1])
        head, blank, body = message.data.partition(b"\r\n\r\n")
        if blank:  # RFC 1939 §7: the headers, the blank line, then ``lines`` body lines
            part = head + b"\r\n\r\n" + _first_lines(body, lines)
        else:
            part = message.data  # no body at all: the headers are the whole message
        self._reply("+OK top of message follows")
        self._out.append(dot_stuff(part))
        self._events.append(Retrieved(message.uid, message.key, len(part), lines))

    def _do_dele(self, argument: str) -> None:
        args = self._args(argument, 1)
        found = self._message(args[0] if args else "") if args is not None else None
        if found is None:
            return
        n, message = found
        self._marked.add(n)
        self._events.append(Marked(message.uid, message.key))
        self._reply(f"+OK message {n} marked for deletion")

    def _do_rset(self, argument: str) -> None:
        if self._args(argument, 0) is None:
            return
        for n in sorted(self._marked):
            message = self._messages[n - 1]
            self._events.append(Marked(message.uid, message.key, marked=False))
        self._marked.clear()
        count, octets = self._totals()
        self._reply(f"+OK maildrop has {_messages(count)} ({octets} octets)")

    def _do_noop(self, argument: str) -> None:
        self._reply("+OK")

    # UPDATE (and goodbye) -----------------------------------------------------------

    def _do_quit(self, argument: str) -> None:
        if self.state is not State.TRANSACTION:
            self.state = next_state(self.state, "QUIT")
            self._reply(f"+OK {self.hostname} POP3 server signing off")
            self._events.append(ConnectionClosed("QUIT"))
            return
        assert self._maildrop is not None
        self.state = next_state(self.state, "QUIT")  # UPDATE: now, and only now, remove
        doomed = [self._messages[n - 1].uid for n in sorted(self._marked)]
        removed = self._maildrop.remove(doomed)
        self._events.append(Updated(tuple(m.uid for m in removed),
                                    tuple(m.key for m in removed)))
        self._events.append(ConnectionClosed("QUIT"))
        left = len(self._maildrop)
        self._reply(f"+OK {self.hostname} POP3 server signing off "
                    f"({len(removed)} deleted, {left} left)")


def _messages(count: int) -> str:
    """``"1 message"``, ``"2 messages"``: the human part of an answer, in English."""
    return f"{count} message" if count == 1 else f"{count} messages"


def _first_lines(body: bytes, count: int) -> bytes:
    """The first ``count`` lines of ``body`` (CRLF-ended), for TOP."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the split after the final CRLF
    return b"".join(line + b"\r\n" for line in lines[:count])


def _out_of_state(command: str, state: State) -> str:
    """Why ``command`` is refused in ``state``, in words that say what to do."""
    states = where_allowed(command)
    if state in (State.AUTHORIZATION, State.USER) and State.TRANSACTION in states:
        return f"{command} needs a logged-in session: log in with USER and PASS first"
    if command == "PASS":
        return "PASS must follow USER: name the account first"
    if state is State.TRANSACTION:
        return f"already logged in: {command} is only for the AUTHORIZATION state"
    return f"{command} is not allowed now"

