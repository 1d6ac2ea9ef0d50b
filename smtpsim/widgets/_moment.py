"""What the world looks like at one moment of a trace: pure functions of (events, index).

Theory of operation
-------------------
A stepper is a cursor over a finished trace, and every pane it shows is computed
from ``(events, index)`` alone: the queues, where the message is, which SMTP session
is on screen, the envelope so far, the headers the message carries. Nothing here
keeps state between calls, so stepping back, replaying and scrubbing need no undo
logic, and every function can be tested with a list of events and no widgets.

``index`` is a position in the *whole* trace (``events[index]`` is "now"); an event
counts as having happened when its position is ``<= index``.

Queue rules (store and forward): a message enters ``node``'s queue with
:class:`~smtpsim.trace.Queued`; recipients leave it when ``node`` relays them
(:class:`~smtpsim.trace.Relayed`, written only after the next hop's 250) and when
they are delivered or bounced anywhere (:class:`~smtpsim.trace.Delivered` and
:class:`~smtpsim.trace.Bounced` are written by the MDA or the node that gives up, not
always by the queue holding the copy). A :class:`~smtpsim.trace.GaveUp` message is
still in its queue at the end of the run, so it stays.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..protocol import explain
from ..trace import (
    Bounced,
    Converted,
    Deferred,
    Delivered,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    Duplicated,
    GaveUp,
    Injected,
    MessageAccepted,
    NetworkDescribed,
    NodeState,
    Queued,
    Relayed,
    RetryScheduled,
    SessionClosed,
    SessionOpened,
    TraceEvent,
)

__all__ = [
    "CATEGORIES",
    "QueueEntry",
    "category",
    "describe",
    "envelope_at",
    "explain_reply",
    "focus_at",
    "followed_message",
    "headers_at",
    "involves",
    "message_position",
    "network_of",
    "queues_at",
    "session_at",
    "session_lines",
]

#: Filter categories of a stepper, in display order: key -> label.
CATEGORIES: dict[str, str] = {
    "smtp": "SMTP lines",
    "dns": "DNS",
    "queue": "queue events",
    "delivery": "deliveries & bounces",
}

_CATEGORY_OF: dict[type[TraceEvent], str] = {
    DialogLine: "smtp", SessionOpened: "smtp", SessionClosed: "smtp",
    DnsQuery: "dns", DnsAnswer: "dns",
    Injected: "queue", MessageAccepted: "queue", Queued: "queue", Deferred: "queue",
    RetryScheduled: "queue", Relayed: "queue", GaveUp: "queue", Duplicated: "queue",
    Converted: "queue", NodeState: "queue",
    Delivered: "delivery", Bounced: "delivery",
}

#: ``(msg, recipients, since)``: one message waiting in a queue since time ``since``.
QueueEntry = tuple[str, tuple[str, ...], float]


def category(event: TraceEvent) -> str | None:
    """The filter category of ``event`` (a key of :data:`CATEGORIES`), or None
    for the network description, which is not a step."""
    return _CATEGORY_OF.get(type(event))


def involves(event: TraceEvent, node: str) -> bool:
    """True if ``node`` takes part in ``event``: where it happened, the peer, or the hop."""
    return node in (event.node, getattr(event, "peer", None), getattr(event, "to", None))


def network_of(events: Sequence[TraceEvent]) -> NetworkDescribed | None:
    """The trace's network description (its first event), if it has one."""
    for e in events[:3]:
        if isinstance(e, NetworkDescribed):
            return e
    return None


def describe(event: TraceEvent) -> str:
    """A one-line, human description of ``event`` for the event list."""
    t = f"{event.t:9.3f}s"
    match event:
        case DialogLine():
            arrow = f"{event.peer} → {event.node}" if event.dir == "C" else \
                f"{event.node} → {event.peer}"
            return f"{t}  {arrow}  {event.dir}: {event.line}"
        case SessionOpened():
            return f"{t}  {event.peer} connects to {event.node}:{event.port}"
        case SessionClosed():
            return f"{t}  {event.peer} ✕ {event.node} closed ({event.reason})"
        case DnsQuery():
            return f"{t}  {event.node} asks DNS: {event.qtype} {event.qname}?"
        case DnsAnswer():
            ans = ", ".join(event.answers) or "-"
            return f"{t}  DNS → {event.node}: {event.qtype} {event.qname} {event.rcode} {ans}"
        case Injected():
            return f"{t}  {event.node} writes {event.msg} to {', '.join(event.recipients)}"
        case MessageAccepted():
            return f"{t}  {event.node} accepts {event.msg} (queue id {event.queue_id})"
        case Queued():
            return f"{t}  {event.msg} enters the queue of {event.node}"
        case Relayed():
            return f"{t}  {event.node} hands {event.msg} to {event.to} (leaves its queue)"
        case Deferred():
            return f"{t}  {event.node} → {event.to} failed for now: {event.reply}"
        case RetryScheduled():
            return f"{t}  {event.node} will retry {event.msg} at {event.at:.0f}s"
        case Delivered():
            return f"{t}  {event.msg} delivered to {event.mailbox}"
        case Bounced():
            return f"{t}  {event.msg} to {event.recipient} bounced ({event.status})"
        case GaveUp():
            return f"{t}  {event.msg} still queued at {event.node}: {event.reason}"
        case NodeState():
            return f"{t}  {event.node} is {event.state}"
        case Converted():
            return f"{t}  {event.node} converts {event.msg}: {event.source} → {event.target}"
        case Duplicated():
            return f"{t}  {event.msg} may arrive twice at {event.to}"
    return f"{t}  {event.kind} at {event.node}"


def explain_reply(line: str) -> str:
    """The plain-English meaning of a reply line (``"250 2.1.5 Ok"``, ``"250-SIZE"``)."""
    code = int(line[:3]) if line[:3].isdigit() else 0
    if not 200 <= code <= 599:
        return ""
    first = line[4:].split(" ", 1)[0] if line[3:4] == " " else ""
    enhanced = first if first[:1] in ("2", "4", "5") and first.count(".") == 2 else None
    return explain(code, enhanced)


def followed_message(events: Sequence[TraceEvent]) -> str | None:
    """The message a stepper follows by default: the first one written or accepted."""
    for e in events:
        if isinstance(e, (Injected, MessageAccepted)):
            return e.msg
    return None


def queues_at(events: Sequence[TraceEvent], index: int) -> dict[str, list[QueueEntry]]:
    """Every node's queue just after ``events[index]``: ``node -> [(msg, rcpts, since)]``.

    Nodes with an empty queue are left out; entries keep their arrival order.
    """
    queues: dict[str, dict[str, tuple[list[str], float]]] = {}
    for e in events[: index + 1]:
        if isinstance(e, Queued):
            rcpts, since = queues.setdefault(e.node, {}).get(e.msg, ([], e.t))
            rcpts.extend(r for r in e.recipients if r not in rcpts)
            queues[e.node][e.msg] = (rcpts, since)
        elif isinstance(e, Relayed):
            _drop(queues, e.msg, e.recipients, only=e.node)
        elif isinstance(e, (Delivered, Bounced)):
            _drop(queues, e.msg, (e.recipient,))
    return {
        node: [(m, tuple(r), since) for m, (r, since) in held.items()]
        for node, held in queues.items() if held
    }


def _drop(queues: dict[str, dict[str, tuple[list[str], float]]], msg: str,
          rcpts: Sequence[str], only: str | None = None) -> None:
    for node, held in queues.items():
        if (only is not None and node != only) or msg not in held:
            continue
        left = [r for r in held[msg][0] if r not in rcpts]
        if left:
            held[msg] = (left, held[msg][1])
        else:
            del held[msg]


def message_position(events: Sequence[TraceEvent], index: int, msg: str | None) -> str | None:
    """The node holding ``msg`` just after ``events[index]`` (None before it exists).

    The message is where it was written or last accepted; once delivered it is in
    the mailbox (when the network has that node), once bounced at the node that gave up.
    """
    if msg is None:
        return None
    net = network_of(events)
    names = {n for n, _, _ in net.nodes} if net else set()
    where: str | None = None
    for e in events[: index + 1]:
        if getattr(e, "msg", None) != msg:
            continue
        if isinstance(e, (Injected, Queued, MessageAccepted, Bounced)):
            where = e.node
        elif isinstance(e, Delivered):
            where = e.mailbox if e.mailbox in names else e.node
    return where


def session_at(events: Sequence[TraceEvent], index: int) -> str | None:
    """The SMTP session on screen at ``index``: the current line's, else the last one seen."""
    for e in reversed(events[: index + 1]):
        if isinstance(e, (DialogLine, SessionOpened)):
            return e.session
    return None


def session_lines(events: Sequence[TraceEvent], index: int,
                  session: str | None) -> list[tuple[int, DialogLine]]:
    """``(position, line)`` for the dialog lines of ``session`` up to ``index``."""
    if session is None:
        return []
    return [(i, e) for i, e in enumerate(events[: index + 1])
            if isinstance(e, DialogLine) and e.session == session]


def envelope_at(events: Sequence[TraceEvent], index: int,
                session: str | None) -> tuple[str | None, list[str]]:
    """``(MAIL FROM, [RCPT TO ...])`` the client of ``session`` has sent so far.

    A new MAIL FROM (or RSET) starts a new envelope, as in RFC 5321 §4.1.4.
    """
    mail_from: str | None = None
    rcpts: list[str] = []
    for _, line in session_lines(events, index, session):
        if line.dir != "C":
            continue
        verb = line.line.upper()
        if verb.startswith("MAIL FROM:"):
            mail_from, rcpts = _address(line.line[10:]), []
        elif verb.startswith("RCPT TO:"):
            rcpts.append(_address(line.line[8:]))
        elif verb.startswith("RSET"):
            mail_from, rcpts = None, []
    return mail_from, rcpts


def _address(arg: str) -> str:
    arg = arg.strip()
    if arg.startswith("<") and ">" in arg:
        return arg[1: arg.index(">")]
    return arg.split(" ", 1)[0]


def headers_at(events: Sequence[TraceEvent], index: int,
               msg: str | None) -> MessageAccepted | None:
    """The last hop that accepted ``msg`` at or before ``index`` (its ``headers`` are
    the message as that node stored it, Received headers included)."""
    found = None
    if msg is not None:
        for e in events[: index + 1]:
            if isinstance(e, MessageAccepted) and e.msg == msg:
                found = e
    return found


def focus_at(events: Sequence[TraceEvent], index: int,
             ) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """What the topology highlights at ``index``: ``(nodes, link)``.

    A dialog line lights the link between client and server; a relay or a failed
    attempt the link to the next hop; a DNS question the link to the DNS server.
    Names the network does not know (a console's student PC) are left out.
    """
    if not 0 <= index < len(events):
        return (), None
    e = events[index]
    net = network_of(events)
    kinds = {n: k for n, k, _ in net.nodes} if net else {}
    link: tuple[str, str] | None = None
    nodes: tuple[str, ...] = (e.node,)
    if isinstance(e, (DialogLine, SessionOpened, SessionClosed)):
        link, nodes = (e.peer, e.node), (e.node,)
    elif isinstance(e, (Relayed, Deferred)):
        link = (e.node, e.to)
    elif isinstance(e, (DnsQuery, DnsAnswer)):
        dns = next((n for n, k in kinds.items() if k == "dns"), None)
        link = (e.node, dns) if dns else None
    elif isinstance(e, Delivered):
        nodes = (e.node, e.mailbox)
    nodes = tuple(n for n in nodes if n in kinds)
    if link and not all(n in kinds for n in link):
        link = None
    return nodes, link
