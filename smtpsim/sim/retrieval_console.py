"""A person reading a mailbox by hand: POP3 (and IMAP) typed at a mailbox server.

Theory of operation
-------------------
SMTP's console (:class:`~smtpsim.sim.ConsoleSession`) lets a student *send* mail by
typing. This module lets them *pick it up* again, as with ``telnet pop.example.com
110``: :class:`RetrievalConsoleSession` puts a server engine of one retrieval protocol
in front of a person. Each typed line goes to that engine, which answers it from the
mail store itself (there is no policy to ask, unlike SMTP), and the dialog is written
to the trace like any fetch a simulated user agent makes.

The console does not know POP3 or IMAP. Everything it needs of a protocol is one entry
in :data:`RETRIEVAL_PROTOCOLS`, a :class:`RetrievalProtocol`: how to make its server
engine (any :class:`~smtpsim.wire.LineServer`), its port, its two explainers (what a
command asks, what an answer says), and three small facts about its dialog (which word
of a typed line names the command, which lines of an answer are the server's own
words rather than a message it carries, and what the engine's events did to the
mailbox). A new retrieval protocol is a new entry, not a new console.

Rules this module keeps:

* The server engine decides every answer; nothing here changes a byte of it.
* A typed line is the answer's *command* unless the server had asked the client to go
  on (a ``+`` continuation line, as POP3's ``AUTH PLAIN`` and IMAP's literals use):
  then the line belongs to the command before it, and its answer is that command's.
* On a network, what a session did to the mailbox is recorded as it happens, with the
  events a simulated fetch records (:class:`~smtpsim.trace.Fetched` for a message
  downloaded whole, :class:`~smtpsim.trace.Removed` when it leaves the mailbox,
  :class:`~smtpsim.trace.Flagged` when IMAP sets its flags), so the conservation
  check, the summary ("read by student-pc via POP3") and the Stepper see the student's
  session too. A console over bare :class:`~smtpsim.mailstore.Accounts` has no
  network messages to speak of: its trace holds the dialog only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from .. import imap, pop3
from ..mailstore import Accounts
from ..trace import (
    DialogLine,
    Fetched,
    Flagged,
    ImapLine,
    Pop3Line,
    Removed,
    SessionClosed,
    SessionOpened,
    Trace,
    TraceEvent,
)
from ..wire import LineServer
from .agents import MailboxServer
from .network import Network

__all__ = ["RETRIEVAL_PROTOCOLS", "Happened", "RetrievalConsoleSession", "RetrievalProtocol",
           "retrieval_protocol"]


class ServerFactory(Protocol):
    """How a protocol's server engine is made: ``Pop3Server(accounts, hostname=...)``."""

    def __call__(self, accounts: Accounts, *, hostname: str) -> LineServer: ...


@dataclass(frozen=True, slots=True)
class Happened:
    """What one event of a server engine did, in the words the trace uses: a login
    (``user``), messages sent whole to the client (``fetched``, their keys), messages
    removed from the mailbox (``removed``, their keys), messages whose flags are now
    these (``flagged``: ``(key, flags)`` pairs; IMAP). Most events did none of these."""

    user: str = ""
    fetched: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    flagged: tuple[tuple[str, frozenset[str]], ...] = ()


def first_word(line: str) -> str:
    """The command a typed line names when it comes first: ``"RETR 1"`` -> ``"RETR"``."""
    return line.split(" ", 1)[0].upper()


def outside_literals(answer: Sequence[str]) -> list[bool]:
    """Which lines of an answer are the server's own words, when the content it carries
    comes as *literals*: a line ending in ``{n}`` announces that the next ``n`` octets
    are content (a message, say), sent as they are (IMAP, RFC 9051 §4.3). The lines
    those octets fill are content; every other line is the server's. An answer with no
    literal is all the server's words.

    >>> outside_literals(["* 1 FETCH (BODY[] {14}", "Subject: x", "", ")", "a1 OK done"])
    [True, False, False, True, True]
    """
    marks = []
    content = 0  # octets of a literal still to come
    for line in answer:
        if content > 0:
            marks.append(False)
            content -= len(line.encode("utf-8")) + 2  # the line and its CRLF
            continue
        marks.append(True)
        _, brace, count = line.rpartition("{")
        if brace and count.endswith("}") and count[:-1].isdigit():
            content = int(count[:-1])
    return marks


def is_continuation(line: str) -> bool:
    """Whether a server line asks the client to go on with the same command: ``+`` then
    a space (POP3's SASL challenge, RFC 5034; IMAP's, and its "ready for the literal",
    RFC 9051 §7.5). ``+OK`` is an answer, not a continuation."""
    return line == "+" or line.startswith("+ ")


@dataclass(frozen=True, slots=True)
class RetrievalProtocol:
    """What the console needs to know of one retrieval protocol.

    Args:
        name: its name, as the trace and views say it (``"POP3"``).
        port: the port its servers listen on (110 for POP3).
        hostname: the server's name when no network names it.
        server: makes a fresh server engine: ``server(accounts, hostname=...)``.
        explain_command: what a typed command asks for (``""`` if it is not one).
        explain_response: what a server line says, given the command it answers
            (``command_name`` of the typed line; ``""`` for the greeting).
        happened: what an event from the engine's ``next_event()`` did.
        line_event: the trace event for its dialog lines.
        example: the command the input box offers as an example; ``{user}`` becomes
            the first account's name.
        command_name: the command a typed line names, as ``explain_response`` wants
            it (the first word, unless the protocol puts a tag first).
        status_lines: for the lines of one answer, which are the server's own words
            to explain (True) and which the content it carries (False); by default,
            all but the octets of literals.
    """

    name: str
    port: int
    hostname: str
    server: ServerFactory
    explain_command: Callable[[str], str]
    explain_response: Callable[[str, str], str]
    happened: Callable[[object], Happened]
    line_event: type[DialogLine]
    example: str = ""
    command_name: Callable[[str], str] = first_word
    status_lines: Callable[[Sequence[str]], list[bool]] = outside_literals

    def explain_rows(self, rows: Sequence[tuple[str, str]]) -> list[str]:
        """One note per row of a console dialog (``(dir, line)``: ``C`` typed, ``S``
        the server, ``-`` a note between sessions), ``""`` where there is nothing to say.

        A typed line's note says what it asks for (``explain_command``); a server
        line's, what the answer says (``explain_response``, given the command it
        answers), for the answer's status lines only, never for a message's lines. A
        line typed after a ``+`` continuation goes on with the command before it, so
        the next answer is still that command's.
        """
        notes = [""] * len(rows)
        command = ""  # the typed line the server's next answer answers
        continuing = False
        i = 0
        while i < len(rows):
            direction, text = rows[i]
            if direction == "-":  # a new connection: its greeting answers nothing
                command, continuing = "", False
                i += 1
                continue
            if direction == "C":
                notes[i] = self.explain_command(text)
                if not continuing:
                    command = text
                i += 1
                continue
            end = i  # one answer: the server's lines up to the next typed line
            while end < len(rows) and rows[end][0] == "S":
                end += 1
            answer = [line for _, line in rows[i:end]]
            name = self.command_name(command) if command else ""
            for k, (line, status) in enumerate(zip(answer, self.status_lines(answer),
                                                   strict=True)):
                if status:
                    notes[i + k] = self.explain_response(line, name)
            continuing = bool(answer) and is_continuation(answer[-1])
            i = end
        return notes


# ---------------------------------------------------------------------------------
# POP3 (RFC 1939)
# ---------------------------------------------------------------------------------


def _pop3_status_lines(answer: Sequence[str]) -> list[bool]:
    """A POP3 answer is one status line (``+OK``/``-ERR``); a multi-line one then carries
    lines (a listing, a message) and ends with a lone dot, which is explained too."""
    marks = [i == 0 for i in range(len(answer))]
    if len(answer) > 1 and answer[-1] == ".":
        marks[-1] = True
    return marks


def _pop3_happened(event: object) -> Happened:
    if isinstance(event, pop3.LoggedIn):
        return Happened(user=event.user)
    if isinstance(event, pop3.Retrieved) and event.top is None:  # TOP is only a peek
        return Happened(fetched=(event.key,))
    if isinstance(event, pop3.Updated):
        return Happened(removed=event.keys)
    return Happened()


# ---------------------------------------------------------------------------------
# IMAP (RFC 9051)
# ---------------------------------------------------------------------------------


def _imap_command_name(line: str) -> str:
    """An IMAP command names itself second, after its tag: ``"a3 FETCH 1 BODY[]"`` ->
    ``"FETCH"`` (``"UID FETCH"`` is a FETCH too, by UID)."""
    words = line.split(" ")
    if len(words) < 2:
        return ""  # DONE, or an AUTHENTICATE answer
    if words[1].upper() == "UID" and len(words) > 2:
        return words[2].upper()
    return words[1].upper()


def _imap_happened(event: object) -> Happened:
    if isinstance(event, imap.LoggedIn):
        return Happened(user=event.user)
    if isinstance(event, imap.Retrieved) and event.whole:  # not a header, not a part
        return Happened(fetched=(event.key,))
    if isinstance(event, imap.Expunged):
        return Happened(removed=event.keys)
    if isinstance(event, imap.FlagsChanged):
        return Happened(flagged=((event.key, event.flags),))
    return Happened()


#: The retrieval protocols a console can speak, by name.
RETRIEVAL_PROTOCOLS: dict[str, RetrievalProtocol] = {
    "POP3": RetrievalProtocol(
        name="POP3", port=110, hostname="pop.example.com", server=pop3.Pop3Server,
        explain_command=pop3.explain_command, explain_response=pop3.explain_response,
        happened=_pop3_happened, line_event=Pop3Line, example="USER {user}",
        status_lines=_pop3_status_lines),
    "IMAP": RetrievalProtocol(
        name="IMAP", port=143, hostname="imap.example.com", server=imap.ImapServer,
        explain_command=imap.explain_command, explain_response=imap.explain_response,
        happened=_imap_happened, line_event=ImapLine, example="a1 LOGIN {user} password",
        command_name=_imap_command_name),
}


def retrieval_protocol(name: str) -> RetrievalProtocol:
    """The entry of the protocol ``name`` (any case: ``"pop3"`` is ``"POP3"``).

    Raises:
        ValueError: no console speaks it.
    """
    entry = RETRIEVAL_PROTOCOLS.get(name.upper())
    if entry is None:
        known = ", ".join(RETRIEVAL_PROTOCOLS)
        raise ValueError(f"a retrieval console speaks {known}, not {name!r}")
    return entry


# ---------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------


def _mailbox_server(network: Network, host: str | None, protocol: str) -> MailboxServer:
    """The network's mailbox server ``host`` (default: the first that serves
    ``protocol``)."""
    servers = [n for n in network.nodes.values() if isinstance(n, MailboxServer)]
    if host is None:
        first = next((s for s in servers if s.serves(protocol)), None)
        if first is None:
            raise ValueError(f"this network has no mailbox server that serves {protocol}")
        return first
    named = network.nodes.get(host)
    if not isinstance(named, MailboxServer):
        raise ValueError(f"{host!r} is not a mailbox server of this network")
    if not named.serves(protocol):
        raise ValueError(f"{host} does not serve {protocol} (it serves "
                         f"{', '.join(named.protocols)})")
    return named


class RetrievalConsoleSession:
    """An interactive POP3 (or IMAP) session with a mailbox server.

    Args:
        source: a :class:`~smtpsim.sim.Network` with a mailbox server (after a run,
            its mailboxes hold what was delivered), or bare
            :class:`~smtpsim.mailstore.Accounts` with their maildrops.
        host: the mailbox server (on a network: its node name, default the first
            that serves ``protocol``; with accounts: the name the server gives,
            default the protocol's, e.g. ``pop.example.com``).
        protocol: ``"POP3"``, or another name in :data:`RETRIEVAL_PROTOCOLS`.
        client: the name the trace uses for the person's machine.
        trace: with accounts, the trace to write to (a new one by default); on a
            network, its own trace is used.

    Raises:
        ValueError: an unknown protocol, or no such mailbox server.
        TypeError: ``source`` is neither a network nor accounts.

    ``send_line("USER alice")`` returns the server's answer lines.

    >>> accounts = Accounts()
    >>> drop = accounts.add("alice", "wonderland")
    >>> _ = drop.add(b"Subject: hi\\r\\n\\r\\nHello Alice.\\r\\n")
    >>> pop = RetrievalConsoleSession(accounts)
    >>> pop.greeting
    ['+OK pop.example.com POP3 server ready']
    >>> pop.send_line("USER alice"), pop.send_line("PASS wonderland")[0][:22]
    (['+OK send your password'], '+OK logged in as alice')
    >>> pop.send_line("RETR 1")
    ['+OK 29 octets', 'Subject: hi', '', 'Hello Alice.', '.']
    """

    def __init__(self, source: Network | Accounts, host: str | None = None, *,
                 protocol: str = "POP3", client: str = "student-pc",
                 trace: Trace | None = None) -> None:
        self.protocol = retrieval_protocol(protocol)
        self.client = client
        self.network: Network | None = None
        self.node: MailboxServer | None = None
        if isinstance(source, Network):
            self.network = source
            self.node = _mailbox_server(source, host, self.protocol.name)
            self.host = self.node.name
            self.accounts = self.node.accounts
            self.trace = source.trace
            self.session = source.new_session_id()
        elif isinstance(source, Accounts):
            self.host = host or self.protocol.hostname
            self.accounts = source
            self.trace = trace if trace is not None else Trace()
            self.session = f"s{self.trace.counts.get(SessionOpened.kind, 0) + 1}"
        else:
            raise TypeError(f"a retrieval console needs a Network or Accounts, not {source!r}")
        self.server = self.protocol.server(self.accounts, hostname=self.host)
        #: Who is logged in ("" before login).
        self.user = ""
        #: Keys of the messages downloaded whole, and of those removed, in this session.
        self.fetched: list[str] = []
        self.removed: list[str] = []
        self._command = ""  # the name of the last command typed (not a continuation)
        self._continuing = False
        self._record(SessionOpened(self._now(), self.host, client, self.session, self.port))
        self.greeting = self._answer(self.server.greeting())

    @property
    def port(self) -> int:
        """The port this protocol's servers listen on (110 for POP3)."""
        return self.protocol.port

    @property
    def state(self) -> Enum:
        """Where the dialog stands, as the server engine sees it (an enum member)."""
        return self.server.state

    @property
    def closed(self) -> bool:
        """True once the server has closed the session (after ``QUIT``, say)."""
        return self.server.closed

    @property
    def continuing(self) -> bool:
        """True while the server waits for the rest of a command (it sent a ``+``
        continuation line): only then is an empty line worth sending."""
        return self._continuing and not self.closed

    # -- the dialog ---------------------------------------------------------------

    def send_line(self, line: str) -> list[str]:
        """Send one line (CRLF is added) and return the server's answer lines.

        Nothing is sent once the session is closed (the answer is ``[]``).

        Raises:
            ValueError: ``line`` holds a CR or LF (type one line at a time).
        """
        if "\r" in line or "\n" in line:
            raise ValueError("send one line at a time: no CR or LF inside it")
        if self.closed:
            return []
        self._line("C", line)
        if not self._continuing:
            self._command = self.protocol.command_name(line)
        self.server.receive_data(line.encode("utf-8") + b"\r\n")
        answer = self._answer(self.server.data_to_send())
        self._drain()
        return answer

    def close(self, reason: str = "closed") -> None:
        """End the session from outside, as a dropped connection: nothing marked for
        deletion is removed (POP3 deletes only at ``QUIT``). The trace says why."""
        if self.closed:
            return
        self.server.receive_data(b"")
        self._drain(reason)

    def explain(self, line: str, command: str = "") -> str:
        """What a server line says, given the command (its name) it answers."""
        return self.protocol.explain_response(line, command)

    # -- the record ---------------------------------------------------------------

    def _now(self) -> float:
        return self.network.now if self.network is not None else 0.0

    def _record(self, event: TraceEvent) -> None:
        if self.network is not None:
            self.network.record(event)  # (the network describes itself first)
        else:
            self.trace.record(event)

    def _line(self, direction: str, text: str) -> None:
        self._record(self.protocol.line_event(self._now(), self.host, self.client,
                                              self.session, direction, text,
                                              str(self.server.state.value)))

    def _answer(self, data: bytes) -> list[str]:
        lines = data.decode("utf-8", "replace").split("\r\n")[:-1]
        for text in lines:
            self._line("S", text)
        if lines:
            self._continuing = is_continuation(lines[-1])
        return lines

    def _drain(self, reason: str = "") -> None:
        """Take the engine's events: note the login, record downloads and removals,
        and the end of the session."""
        while (event := self.server.next_event()) is not None:
            did = self.protocol.happened(event)
            self.user = did.user or self.user
            self.fetched += did.fetched
            self.removed += did.removed
            if self.node is not None:  # only a network's messages have trace ids
                now, name, user = self._now(), self.protocol.name, self.user
                box = self.node.mailbox_of(user)
                for key in did.fetched:
                    self._record(Fetched(now, self.host, key, self.client, name, user, box))
                for key in did.removed:
                    self._record(Removed(now, self.host, key, self.client, name, user))
                for key, flags in did.flagged:
                    self._record(Flagged(now, self.host, key, self.client, name, user,
                                         tuple(sorted(flags))))
        if self.closed:
            why = reason or ("QUIT" if self._command == "QUIT" else "closed by the server")
            self._record(SessionClosed(self._now(), self.host, self.client, self.session,
                                       why))
