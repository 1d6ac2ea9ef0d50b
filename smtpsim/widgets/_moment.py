"""How a Stepper labels and filters the events of a trace, and what it highlights.

The world at one moment (queues, where the message is, the envelope so far) is asked
of the trace itself (:mod:`smtpsim.trace.queries`); this module holds what only a
stepper needs on top: the filter category of an event, its one-line description, the
explanation of a reply line, and what the topology lights up at a step. Like the
queries, these are pure functions of ``(events, index)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..protocol import explain_line
from ..trace import (
    Bounced,
    Converted,
    Deferred,
    Delivered,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    Duplicated,
    Fetched,
    Flagged,
    GaveUp,
    ImapLine,
    Injected,
    MessageAccepted,
    NodeState,
    Pop3Line,
    Queued,
    Relayed,
    Removed,
    RetryScheduled,
    SessionClosed,
    SessionOpened,
    TraceEvent,
)
from ..trace.queries import network_of

__all__ = ["CATEGORIES", "category", "describe", "explain_reply", "focus_at", "involves"]

#: Filter categories of a stepper, in display order: key -> label.
CATEGORIES: dict[str, str] = {
    "smtp": "SMTP lines",
    "dns": "DNS",
    "queue": "queue events",
    "delivery": "deliveries & bounces",
    "pickup": "POP3 & IMAP",
}

_CATEGORY_OF: dict[type[TraceEvent], str] = {
    DialogLine: "smtp", SessionOpened: "smtp", SessionClosed: "smtp",
    DnsQuery: "dns", DnsAnswer: "dns",
    Injected: "queue", MessageAccepted: "queue", Queued: "queue", Deferred: "queue",
    RetryScheduled: "queue", Relayed: "queue", GaveUp: "queue", Duplicated: "queue",
    Converted: "queue", NodeState: "queue",
    Delivered: "delivery", Bounced: "delivery",
    Pop3Line: "pickup", ImapLine: "pickup", Fetched: "pickup", Removed: "pickup",
    Flagged: "pickup",
}


def category(event: TraceEvent) -> str | None:
    """The filter category of ``event`` (a key of :data:`CATEGORIES`), or None
    for the network description, which is not a step."""
    return _CATEGORY_OF.get(type(event))


def involves(event: TraceEvent, node: str) -> bool:
    """True if ``node`` takes part in ``event``: where it happened, the peer, or the hop."""
    return node in (event.node, getattr(event, "peer", None), getattr(event, "to", None))


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
        case Fetched():
            return f"{t}  {event.peer} downloads {event.msg} from {event.node} by {event.protocol}"
        case Removed():
            return f"{t}  {event.msg} leaves {event.user}'s mailbox at {event.node} " \
                f"({event.protocol})"
        case Flagged():
            flags = " ".join(event.flags) or "no flags"
            return f"{t}  {event.msg} is now {flags} at {event.node} (set by {event.peer})"
    return f"{t}  {event.kind} at {event.node}"


def explain_reply(line: str) -> str:
    """The plain-English meaning of a reply line (``"250 2.1.5 Ok"``, ``"250-SIZE"``):
    :func:`smtpsim.protocol.explain_line`, the one explainer every view uses."""
    return explain_line(line)


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
