"""The typed records a trace is made of.

Theory of operation
-------------------
Everything that happens in an smtpsim run is written down, in order, as one of the
small frozen records below. Nothing else is kept: a view that wants to show where a
message is, what a queue holds or which reply a server sent reads these records and
nothing more. That is what makes replay, stepping backwards and export free, and is
why two views can never disagree.

Rules every record keeps:

* ``t`` is simulated seconds since the run started (a float); ``node`` is the name of
  the node the event happened at.
* Records are immutable and hold only JSON-friendly values (str, int, float, bool,
  None and tuples of those), so :meth:`TraceEvent.to_dict` and
  :func:`event_from_dict` round-trip exactly.
* For an SMTP dialog line, ``node`` is the *server* side of the session and ``peer`` the
  client side, whichever way the line travels; ``dir`` says the direction
  (``"C"`` client to server, ``"S"`` server to client), as in RFC 5321's examples.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "EVENT_KINDS",
    "NODE_KINDS",
    "Bounced",
    "Converted",
    "Deferred",
    "Delivered",
    "DialogLine",
    "DnsAnswer",
    "DnsQuery",
    "Duplicated",
    "Fetched",
    "Flagged",
    "GaveUp",
    "ImapLine",
    "Injected",
    "MessageAccepted",
    "NetworkDescribed",
    "NodeState",
    "Pop3Line",
    "Queued",
    "Relayed",
    "Removed",
    "RetryScheduled",
    "SessionClosed",
    "SessionOpened",
    "TraceEvent",
    "event_from_dict",
]


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One thing that happened at simulated time ``t`` at ``node``."""

    kind: ClassVar[str] = "event"
    #: Simulated seconds since the start of the run.
    t: float
    #: The node where it happened.
    node: str

    def to_dict(self) -> dict[str, Any]:
        """This event as a plain dict with ``kind`` first, ready for ``json.dumps``."""
        d: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d


def _lists(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_lists(v) for v in value]
    return value


# ---------------------------------------------------------------------------
# SMTP sessions
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionOpened(TraceEvent):
    """A client (``peer``) opened a TCP connection to ``node`` on ``port``.

    ``messages`` lists the ids of the messages the client means to send in it (empty
    for a person typing at a console or telnet).
    """

    kind: ClassVar[str] = "session-open"
    peer: str
    session: str
    port: int
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DialogLine(TraceEvent):
    """One line of an SMTP dialog, exactly as sent (without its CRLF).

    ``state`` is where the dialog stands once the line has crossed the wire: a command
    changes nothing until its reply, so a client line carries the state it was sent in
    (``"DATA"`` for the message content), and a reply the state it led to (``"MAIL"``
    after the 250 to MAIL FROM). Message content lines are recorded too, so the dialog
    shows the headers, the body and the lone dot.
    """

    kind: ClassVar[str] = "smtp"
    peer: str
    session: str
    dir: str
    line: str
    state: str = ""


@dataclass(frozen=True, slots=True)
class Pop3Line(DialogLine):
    """One line of a POP3 dialog (RFC 1939): a user agent fetching its mail from a
    mailbox server. The fields are those of :class:`DialogLine`; ``state`` is a POP3
    state (``AUTHORIZATION``, ``TRANSACTION``, ``UPDATE`` ...)."""

    kind: ClassVar[str] = "pop3"


@dataclass(frozen=True, slots=True)
class ImapLine(DialogLine):
    """One line of an IMAP dialog (RFC 9051): a user agent reading its mailbox on the
    server. The fields are those of :class:`DialogLine`; ``state`` is an IMAP state
    (``NOT_AUTHENTICATED``, ``AUTHENTICATED``, ``SELECTED``, ``LOGOUT`` ...)."""

    kind: ClassVar[str] = "imap"


@dataclass(frozen=True, slots=True)
class SessionClosed(TraceEvent):
    """The connection between ``peer`` and ``node`` closed; ``reason`` says why."""

    kind: ClassVar[str] = "session-close"
    peer: str
    session: str
    reason: str = "QUIT"


# ---------------------------------------------------------------------------
# DNS
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DnsQuery(TraceEvent):
    """``node`` asked DNS for the ``qtype`` records (``"MX"`` or ``"A"``) of ``qname``."""

    kind: ClassVar[str] = "dns-query"
    qname: str
    qtype: str


@dataclass(frozen=True, slots=True)
class DnsAnswer(TraceEvent):
    """The answer: ``rcode`` is ``"NOERROR"`` or ``"NXDOMAIN"``; ``answers`` holds the
    records in zone-file form, e.g. ``("10 mx1.example.com.", "20 mx2.example.com.")``."""

    kind: ClassVar[str] = "dns-answer"
    qname: str
    qtype: str
    rcode: str
    answers: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Messages and queues
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Injected(TraceEvent):
    """A user (or an API client) handed a new message to ``node`` to send.

    ``msg`` is the message's trace id (stable across hops), ``sender`` and
    ``recipients`` its envelope.
    """

    kind: ClassVar[str] = "inject"
    msg: str
    sender: str
    recipients: tuple[str, ...]
    subject: str = ""


@dataclass(frozen=True, slots=True)
class MessageAccepted(TraceEvent):
    """``node`` answered 250 to the end of DATA: it now holds the message.

    ``headers`` is the message's header block as the node stored it (so views can show
    Received headers growing hop by hop), ``queue_id`` the id from its 250 reply.
    """

    kind: ClassVar[str] = "accept"
    msg: str
    peer: str
    session: str
    sender: str
    recipients: tuple[str, ...]
    queue_id: str
    headers: str = ""


@dataclass(frozen=True, slots=True)
class Queued(TraceEvent):
    """``msg`` entered ``node``'s queue for ``recipients``."""

    kind: ClassVar[str] = "queued"
    msg: str
    recipients: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Deferred(TraceEvent):
    """A delivery attempt from ``node`` to ``to`` failed temporarily (4xx, refused,
    unreachable); the recipients stay queued. ``reply`` is the remote reply or a
    description such as ``"connection refused"``."""

    kind: ClassVar[str] = "deferred"
    msg: str
    recipients: tuple[str, ...]
    to: str
    reply: str


@dataclass(frozen=True, slots=True)
class RetryScheduled(TraceEvent):
    """The next attempt for ``msg`` at ``node`` will be at simulated time ``at``."""

    kind: ClassVar[str] = "retry"
    msg: str
    at: float


@dataclass(frozen=True, slots=True)
class Relayed(TraceEvent):
    """``node`` handed ``msg`` for ``recipients`` to the next hop ``to``, which replied
    250 to the end of DATA; only now has it left ``node``'s queue."""

    kind: ClassVar[str] = "relayed"
    msg: str
    recipients: tuple[str, ...]
    to: str
    reply: str = ""


@dataclass(frozen=True, slots=True)
class Delivered(TraceEvent):
    """The MDA at ``node`` put ``msg`` for ``recipient`` into ``mailbox``."""

    kind: ClassVar[str] = "delivered"
    msg: str
    recipient: str
    mailbox: str


@dataclass(frozen=True, slots=True)
class Bounced(TraceEvent):
    """Delivery of ``msg`` to ``recipient`` failed for good at ``node``; ``status`` is
    the enhanced status (e.g. ``"5.1.1"``), ``reply`` the reason, and ``dsn`` the trace
    id of the bounce message sent back (empty if none could be sent, e.g. for a bounce
    of a bounce)."""

    kind: ClassVar[str] = "bounced"
    msg: str
    recipient: str
    status: str
    reply: str
    dsn: str = ""


@dataclass(frozen=True, slots=True)
class GaveUp(TraceEvent):
    """``msg`` was still undelivered at the end of the run; ``reason`` is its last error."""

    kind: ClassVar[str] = "still-queued"
    msg: str
    recipients: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Duplicated(TraceEvent):
    """A crash after the end of DATA but before the 250 reached the client: the client
    will send ``msg`` again, so a copy may arrive twice. Labelled, never hidden."""

    kind: ClassVar[str] = "duplicate"
    msg: str
    to: str


@dataclass(frozen=True, slots=True)
class Converted(TraceEvent):
    """A gateway at ``node`` converted ``msg`` from ``source`` to ``target`` format
    (e.g. ``"http-json"`` to ``"smtp"``); ``detail`` says what changed."""

    kind: ClassVar[str] = "converted"
    msg: str
    source: str
    target: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class NetworkDescribed(TraceEvent):
    """The first event of a simulated run: the network the run takes place on, so that
    a trace (even one read back from JSON Lines) is enough to draw the topology.

    ``nodes`` holds ``(name, kind, domain)`` triples, where kind is one of
    :data:`NODE_KINDS`; ``links`` holds ``(a, b, port, protocol, latency_seconds)``;
    ``addresses`` ``(name, IPv4 address)`` for every node that has one (all but the
    mailboxes); ``start`` the wall-clock date of time 0, ISO 8601 (so a capture's
    timestamps can match the Received headers). ``node`` is the scenario's name.
    """

    kind: ClassVar[str] = "network"
    nodes: tuple[tuple[str, str, str], ...]
    links: tuple[tuple[str, str, int, str, float], ...]
    title: str = ""
    addresses: tuple[tuple[str, str], ...] = ()
    start: str = ""


# ---------------------------------------------------------------------------
# Retrieval: the user agent fetches its mail (POP3, IMAP)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetched(TraceEvent):
    """``peer`` (a user agent) downloaded message ``msg`` from the mailbox server
    ``node`` with ``protocol`` (``"POP3"`` or ``"IMAP"``), logged in as ``user``, out
    of the mailbox node ``mailbox`` (``mailbox:alice@example.com``; ``""`` if unknown).
    The message stays in the mailbox unless a :class:`Removed` follows."""

    kind: ClassVar[str] = "fetched"
    msg: str
    peer: str
    protocol: str
    user: str
    mailbox: str = ""


@dataclass(frozen=True, slots=True)
class Removed(TraceEvent):
    """Message ``msg`` left ``user``'s mailbox on the server ``node``: deleted at POP3's
    ``QUIT`` or by IMAP's ``EXPUNGE`` in a session with ``peer``."""

    kind: ClassVar[str] = "removed"
    msg: str
    peer: str
    protocol: str
    user: str


@dataclass(frozen=True, slots=True)
class Flagged(TraceEvent):
    """Message ``msg`` in ``user``'s mailbox on ``node`` now has these IMAP ``flags``
    (set by ``peer``: a STORE, or ``\\Seen`` because BODY[] was fetched). Flags live on
    the server, so every device that reads the mailbox sees them."""

    kind: ClassVar[str] = "flagged"
    msg: str
    peer: str
    protocol: str
    user: str
    flags: tuple[str, ...]


#: The kinds of node a network can hold (see :class:`NetworkDescribed`).
NODE_KINDS = ("user_agent", "app", "msa", "mta", "gateway", "mda", "mailbox",
              "mailbox_server", "dns")


@dataclass(frozen=True, slots=True)
class NodeState(TraceEvent):
    """``node`` (or a link, named ``"a--b"``) went ``"down"``, came ``"up"``, or
    ``"crashed"`` (and restarted at once, losing the connection it was serving)."""

    kind: ClassVar[str] = "node-state"
    state: str


EVENT_KINDS: dict[str, type[TraceEvent]] = {
    cls.kind: cls
    for cls in (
        SessionOpened,
        DialogLine,
        Pop3Line,
        ImapLine,
        SessionClosed,
        DnsQuery,
        DnsAnswer,
        Injected,
        MessageAccepted,
        Queued,
        Deferred,
        RetryScheduled,
        Relayed,
        Delivered,
        Bounced,
        GaveUp,
        Duplicated,
        Converted,
        Fetched,
        Flagged,
        Removed,
        NodeState,
        NetworkDescribed,
    )
}

def _tuples(value: Any) -> Any:
    """JSON has only lists; events hold tuples (nested ones too)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def event_from_dict(d: dict[str, Any]) -> TraceEvent:
    """Rebuild an event from :meth:`TraceEvent.to_dict` output (e.g. a JSON Lines row).

    Raises:
        ValueError: the ``kind`` is unknown or a field is missing or extra.
    """
    d = dict(d)
    kind = d.pop("kind", None)
    cls = EVENT_KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown trace event kind {kind!r}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    extra = set(d) - set(names)
    if extra:
        raise ValueError(f"{kind}: unknown field(s) {sorted(extra)}")
    for name, value in d.items():
        if isinstance(value, list):
            d[name] = _tuples(value)
    try:
        return cls(**d)
    except TypeError as exc:
        raise ValueError(f"{kind}: {exc}") from None
