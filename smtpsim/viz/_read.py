"""Reading a trace into the few shapes the pictures need (no drawing here).

Every figure and its plain-text twin in :mod:`smtpsim.viz.text` call these helpers, so
a picture and its text can never disagree. They only *read* events; nothing here
re-runs simulation logic. Store and forward shows up as three shapes:

* a **transfer**: the message moved from one node to the next (an accepted ``DATA``,
  a relay, a final delivery into a mailbox);
* a **failed attempt**: a delivery try that ended in a 4xx reply or no connection
  (a :class:`~smtpsim.trace.Deferred` event); the message stayed where it was;
* a **stay**: the time the message waited in one node's queue, from ``Queued`` (or
  its acceptance) until the last recipient left (relayed, delivered, bounced) or
  the run ended with it still there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..trace import (
    Bounced,
    Deferred,
    Delivered,
    GaveUp,
    Injected,
    MessageAccepted,
    NetworkDescribed,
    Queued,
    Relayed,
    RetryScheduled,
    SessionOpened,
    TraceEvent,
)

__all__ = [
    "Failure",
    "Stay",
    "Transfer",
    "end_time",
    "failures",
    "message_ids",
    "network",
    "queue_stays",
    "require_message",
    "transfers",
]


def network(trace: Iterable[TraceEvent]) -> NetworkDescribed:
    """The first :class:`NetworkDescribed` event of the trace.

    Raises:
        ValueError: the trace does not describe its network.
    """
    for e in trace:
        if isinstance(e, NetworkDescribed):
            return e
    raise ValueError(
        "the trace has no NetworkDescribed event, so there is no topology to draw "
        "(a simulated run writes one first)"
    )


def end_time(trace: Iterable[TraceEvent]) -> float:
    """The time of the last event (0.0 for an empty trace)."""
    t = 0.0
    for e in trace:
        t = max(t, e.t)
    return t


def message_ids(trace: Iterable[TraceEvent]) -> list[str]:
    """Every message id in the trace, in order of first appearance."""
    seen: dict[str, None] = {}
    for e in trace:
        msg = getattr(e, "msg", None)
        if isinstance(msg, str) and msg:
            seen.setdefault(msg, None)
    return list(seen)


def require_message(trace: Iterable[TraceEvent], msg: str) -> None:
    """Raise a ValueError naming the known ids if ``msg`` is not in the trace."""
    known = message_ids(trace)
    if msg not in known:
        listed = ", ".join(known[:10]) or "none"
        raise ValueError(f"unknown message id {msg!r}; the trace has: {listed}")


@dataclass(frozen=True, slots=True)
class Transfer:
    """The message moved from ``src`` to ``dst`` at ``t`` (``number`` counts from 1)."""

    number: int
    t: float
    src: str
    dst: str
    #: ``"relay"`` (SMTP/LMTP/HTTP hand-over) or ``"deliver"`` (into a mailbox).
    kind: str
    #: What to print beside it: the receiving queue id, or the mailbox.
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Failure:
    """A delivery attempt from ``src`` to ``dst`` at ``t`` that failed: ``reply`` says why."""

    t: float
    src: str
    dst: str
    reply: str
    permanent: bool = False


def _mailbox_node(net: NetworkDescribed | None, mda: str, mailbox: str) -> str:
    """The network node standing for ``mailbox``: itself, the MDA's only mailbox, or the MDA."""
    if net is None:
        return mailbox
    names = {n for n, _, _ in net.nodes}
    if mailbox in names:
        return mailbox
    kinds = {n: k for n, k, _ in net.nodes}
    linked = sorted(
        {b if a == mda else a for a, b, *_ in net.links if mda in (a, b)}
        - {mda}
    )
    boxes = [n for n in linked if kinds.get(n) == "mailbox"]
    return boxes[0] if len(boxes) == 1 else mda


def _network_or_none(events: list[TraceEvent]) -> NetworkDescribed | None:
    try:
        return network(events)
    except ValueError:
        return None


def transfers(trace: Iterable[TraceEvent], msg: str) -> list[Transfer]:
    """The hops ``msg`` made, in time order and numbered from 1.

    An accepted ``DATA`` (``MessageAccepted``, peer -> node) and the sender's
    ``Relayed`` (node -> to) describe the same hand-over and count once; a
    ``Delivered`` is the last step, from the MDA into the mailbox.
    """
    events = list(trace)
    net = _network_or_none(events)
    raw: list[tuple[float, str, str, str, str]] = []
    pending: list[tuple[float, str, str, str]] = []  # accepted, not yet matched by a Relayed
    for e in events:
        if getattr(e, "msg", None) != msg:
            continue
        if isinstance(e, MessageAccepted):
            pending.append((e.t, e.peer, e.node, e.queue_id))
        elif isinstance(e, Relayed):
            match = next((p for p in pending if p[1] == e.node and p[2] == e.to), None)
            if match is not None:
                pending.remove(match)
                raw.append((match[0], e.node, e.to, "relay", match[3]))
            else:
                raw.append((e.t, e.node, e.to, "relay", ""))
        elif isinstance(e, Delivered):
            box = _mailbox_node(net, e.node, e.mailbox)
            if box != e.node:
                raw.append((e.t, e.node, box, "deliver", e.recipient))
    raw.extend((t, src, dst, "relay", qid) for t, src, dst, qid in pending)
    raw.sort(key=lambda r: r[0])  # stable: same-time hops keep trace order
    return [Transfer(i, *r) for i, r in enumerate(raw, 1)]


def failures(trace: Iterable[TraceEvent], msg: str) -> list[Failure]:
    """Failed delivery attempts of ``msg``: every ``Deferred``, and every bounce
    whose reply came from a next hop (it is drawn from the bouncing node)."""
    out = []
    for e in trace:
        if isinstance(e, Deferred) and e.msg == msg:
            out.append(Failure(e.t, e.node, e.to, e.reply))
    return out


@dataclass(slots=True)
class Stay:
    """The time ``msg`` spent in ``node``'s queue, and what happened meanwhile."""

    msg: str
    node: str
    start: float
    end: float
    #: False when the run ended with the message still queued here.
    done: bool = True
    attempts: list[float] = field(default_factory=list)
    deferrals: list[tuple[float, str]] = field(default_factory=list)
    retries: list[float] = field(default_factory=list)
    relays: list[tuple[float, str]] = field(default_factory=list)
    deliveries: list[tuple[float, str]] = field(default_factory=list)
    bounces: list[tuple[float, str, str]] = field(default_factory=list)
    gave_up: str = ""

    @property
    def duration(self) -> float:
        """Seconds from arrival in the queue to the last recipient leaving it."""
        return self.end - self.start


def _arrivals(events: list[TraceEvent]) -> dict[tuple[str, str], float]:
    """(msg, node) -> when the message entered that node's queue.

    ``Queued`` is the queue's own word for it; a node that accepted a message but
    logged no ``Queued`` (an MDA delivering at once) starts at its acceptance.
    """
    queued: dict[tuple[str, str], float] = {}
    accepted: dict[tuple[str, str], float] = {}
    for e in events:
        if isinstance(e, Queued):
            queued.setdefault((e.msg, e.node), e.t)
        elif isinstance(e, MessageAccepted):
            accepted.setdefault((e.msg, e.node), e.t)
    merged = dict(accepted)
    merged.update(queued)
    return dict(sorted(merged.items(), key=lambda kv: (kv[1], kv[0])))


def queue_stays(trace: Iterable[TraceEvent], msg: str | None = None) -> list[Stay]:
    """One :class:`Stay` per (message, node) where a message waited, by arrival time.

    Args:
        trace: the events.
        msg: only this message's stays (default: every message's).
    """
    events = list(trace)
    t_end = end_time(events)
    stays: dict[tuple[str, str], Stay] = {}
    for key, start in _arrivals(events).items():
        if msg is None or key[0] == msg:
            stays[key] = Stay(key[0], key[1], start, start, done=False)
    for e in events:
        m = getattr(e, "msg", None)
        if isinstance(e, SessionOpened):
            for m2 in e.messages:
                if (m2, e.peer) in stays:
                    stays[(m2, e.peer)].attempts.append(e.t)
            continue
        stay = stays.get((m, e.node)) if isinstance(m, str) else None
        if stay is None or e.t < stay.start:
            continue
        if isinstance(e, Deferred):
            stay.deferrals.append((e.t, e.reply))
        elif isinstance(e, RetryScheduled):
            stay.retries.append(e.at)
        elif isinstance(e, Relayed):
            stay.relays.append((e.t, e.to))
        elif isinstance(e, Delivered):
            stay.deliveries.append((e.t, e.recipient))
        elif isinstance(e, Bounced):
            stay.bounces.append((e.t, e.recipient, f"{e.status} {e.reply}".strip()))
        elif isinstance(e, GaveUp):
            stay.gave_up = e.reason
            stay.end = e.t
            continue
        else:
            continue
        if not isinstance(e, (Deferred, RetryScheduled)):
            stay.end, stay.done = e.t, True
    for stay in stays.values():
        if not stay.done:
            stay.end = max(stay.end, t_end)
    return list(stays.values())


def injections(trace: Iterable[TraceEvent], msg: str) -> list[Injected]:
    """The ``Injected`` events of ``msg`` (normally one: where it was written)."""
    return [e for e in trace if isinstance(e, Injected) and e.msg == msg]
