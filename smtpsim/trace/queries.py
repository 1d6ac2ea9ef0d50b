"""Questions asked of a trace: where things were, how long they waited, what became of them.

Theory of operation
-------------------
Every view (figures, text twins, the Stepper's panes, the CLI's summary) answers its
questions here, so a picture, its text and a summary can never disagree. These
functions only *read* events; nothing here re-runs simulation logic. They come in
three groups:

1. **Paths and stays** (what the figures draw). Store and forward shows up as
   three shapes:

   * a **transfer**: the message moved from one node to the next (an accepted
     ``DATA``, a relay, a final delivery into a mailbox);
   * a **failed attempt**: a delivery try that ended in a 4xx reply or no
     connection (a :class:`~smtpsim.trace.Deferred` event); the message stayed put;
   * a **stay**: the time the message waited in one node's queue, from ``Queued``
     (or its acceptance) until the last recipient left (relayed, delivered,
     bounced) or the run ended with it still there.

   After delivery comes the pull hop, which is no store and forward: a **read**
   (:class:`Read`), a user agent downloading the message from its mailbox server
   with POP3 or IMAP (:class:`~smtpsim.trace.Fetched`). The message stays in the
   mailbox, for other devices too, unless that session removes it
   (:class:`~smtpsim.trace.Removed`).

2. **The world at one moment** (what a Stepper shows at step ``index``): pure
   functions of ``(events, index)``, where ``events[index]`` is "now" and an event
   has happened when its position is ``<= index``. Queue rules: a message enters
   ``node``'s queue with :class:`~smtpsim.trace.Queued`; recipients leave it when
   ``node`` relays them (:class:`~smtpsim.trace.Relayed`, written only after the
   next hop's 250) and when they are delivered or bounced anywhere
   (:class:`~smtpsim.trace.Delivered` and :class:`~smtpsim.trace.Bounced` are
   written by the MDA or the node that gives up, not always by the queue holding
   the copy). A :class:`~smtpsim.trace.GaveUp` message is still in its queue at the
   end of the run, so it stays.

3. **Outcomes** (the delivery summary and the conservation check). For each
   (message, recipient) pair the summary gives the path of nodes it took, its
   outcome (delivered, bounced, or still queued) and how long that took.
   :func:`check_conservation` is the store-and-forward guarantee in code: every
   pair ends in exactly one of those outcomes, never none and never two (a
   duplicate is allowed only where the trace labels one, see
   :class:`~smtpsim.trace.Duplicated`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ._events import (
    Bounced,
    Deferred,
    Delivered,
    DialogLine,
    Duplicated,
    Fetched,
    Flagged,
    GaveUp,
    Injected,
    MessageAccepted,
    NetworkDescribed,
    Queued,
    Relayed,
    Removed,
    RetryScheduled,
    SessionOpened,
    TraceEvent,
)

__all__ = [
    "Failure",
    "LiveConservation",
    "Outcome",
    "Read",
    "Stay",
    "Transfer",
    "Waiting",
    "check_conservation",
    "check_retrieval",
    "end_time",
    "envelope_at",
    "failures",
    "followed_message",
    "format_summary",
    "headers_at",
    "injections",
    "message_ids",
    "message_position",
    "network",
    "network_of",
    "queue_stays",
    "queues_at",
    "reads",
    "require_message",
    "session_at",
    "session_lines",
    "summarize",
    "transfers",
]


# ----------------------------------------------------------------------------
# 1. Paths and stays
# ----------------------------------------------------------------------------

def network_of(events: Iterable[TraceEvent]) -> NetworkDescribed | None:
    """The trace's network description (a simulated run writes it first), or None."""
    for e in events:
        if isinstance(e, NetworkDescribed):
            return e
    return None


def network(trace: Iterable[TraceEvent]) -> NetworkDescribed:
    """The first :class:`NetworkDescribed` event of the trace.

    Raises:
        ValueError: the trace does not describe its network.
    """
    found = network_of(trace)
    if found is not None:
        return found
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


def transfers(trace: Iterable[TraceEvent], msg: str) -> list[Transfer]:
    """The hops ``msg`` made, in time order and numbered from 1.

    An accepted ``DATA`` (``MessageAccepted``, peer -> node) and the sender's
    ``Relayed`` (node -> to) describe the same hand-over and count once; a
    ``Delivered`` is the last step, from the MDA into the mailbox.
    """
    events = list(trace)
    net = network_of(events)
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


@dataclass(frozen=True, slots=True)
class Read:
    """The pull hop: user agent ``reader`` downloaded the message from the mailbox
    server ``server`` with ``protocol`` (first at ``t``), out of the mailbox node
    ``mailbox`` (``""`` if the trace does not say). ``removed`` is when that same
    reader's session took it out of the mailbox (POP3 ``QUIT``, IMAP ``EXPUNGE``),
    or None if it was left there for other devices to read."""

    t: float
    server: str
    mailbox: str
    reader: str
    protocol: str
    user: str
    removed: float | None = None


def reads(trace: Iterable[TraceEvent], msg: str) -> list[Read]:
    """Who read ``msg`` after its delivery, one :class:`Read` per (reader, protocol,
    mailbox), in the order of their first download (a phone that checks every 30
    seconds downloads a message only once, but a second fetch would not count twice)."""
    found: dict[tuple[str, str, str, str], Read] = {}
    for e in trace:
        if isinstance(e, Fetched) and e.msg == msg:
            found.setdefault((e.node, e.mailbox, e.peer, e.protocol),
                             Read(e.t, e.node, e.mailbox, e.peer, e.protocol, e.user))
        elif isinstance(e, Removed) and e.msg == msg:
            for key, r in found.items():
                if (r.server, r.reader, r.protocol, r.user) == (e.node, e.peer, e.protocol,
                                                                e.user) and r.removed is None:
                    found[key] = Read(r.t, r.server, r.mailbox, r.reader, r.protocol, r.user,
                                      e.t)
    return list(found.values())


def injections(trace: Iterable[TraceEvent], msg: str) -> list[Injected]:
    """The ``Injected`` events of ``msg`` (normally one: where it was written)."""
    return [e for e in trace if isinstance(e, Injected) and e.msg == msg]


# ----------------------------------------------------------------------------
# 2. The world at one moment
# ----------------------------------------------------------------------------

#: ``(msg, recipients, since)``: one message waiting in a queue since time ``since``
#: (what :func:`queues_at` lists; the sending side's own record is ``smtpsim.sim``'s queue entry).
Waiting = tuple[str, tuple[str, ...], float]


def followed_message(events: Sequence[TraceEvent]) -> str | None:
    """The message a stepper follows by default: the first one written or accepted."""
    for e in events:
        if isinstance(e, (Injected, MessageAccepted)):
            return e.msg
    return None


def queues_at(events: Sequence[TraceEvent], index: int) -> dict[str, list[Waiting]]:
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


class EnvelopeRecipient(NamedTuple):
    """One ``RCPT TO`` of an envelope and what the server said to it.

    ``reply`` is the server's reply line (``"250 2.1.5 Ok"``, ``"550 5.1.1 ..."``), or
    None while the reply is still on its way (with PIPELINING a client sends several
    commands before the first reply comes back).
    """

    address: str
    reply: str | None = None

    @property
    def accepted(self) -> bool:
        """True once the server answered 2xx: this recipient is in the envelope."""
        return self.reply is not None and self.reply[:1] == "2"

    @property
    def refused(self) -> bool:
        """True once the server answered 4xx or 5xx: this recipient is *not* in it."""
        return self.reply is not None and self.reply[:1] in ("4", "5")


def envelope_at(events: Sequence[TraceEvent], index: int,
                session: str | None) -> tuple[str | None, list[EnvelopeRecipient]]:
    """``(MAIL FROM, [RCPT TO and its reply, ...])`` of ``session`` so far.

    A new MAIL FROM (or RSET) starts a new envelope, as in RFC 5321 §4.1.4. Each
    recipient carries the reply to its RCPT command, or None until that reply has
    been read: a refused recipient (``550``) stays listed, *marked refused*, since
    the lesson is that the server said no to it and the message goes on without it.
    """
    mail_from: str | None = None
    rcpts: list[EnvelopeRecipient] = []
    waiting = _PendingReplies()
    for _, line in session_lines(events, index, session):
        if line.dir == "S":
            answered = waiting.answer(line.line)
            if answered is not None:  # a RCPT's reply (of this envelope or a reset one)
                envelope, k = answered
                envelope[k] = envelope[k]._replace(reply=line.line)
            continue
        if line.state == "DATA":  # the message content: no commands in it ...
            if line.line == ".":  # ... but its end is answered, like a command
                waiting.send(None)
            continue
        verb = line.line.upper()
        if verb.startswith("MAIL FROM:"):
            mail_from, rcpts = _address(line.line[10:]), []
            waiting.send(None)
        elif verb.startswith("RCPT TO:"):
            rcpts.append(EnvelopeRecipient(_address(line.line[8:])))
            waiting.send((rcpts, len(rcpts) - 1))
        else:  # any other command (RSET also empties the envelope)
            if verb.startswith("RSET"):
                mail_from, rcpts = None, []
            waiting.send(None)
    return mail_from, rcpts


class _PendingReplies:
    """The commands sent and not yet answered, oldest first (RFC 2920: replies come
    back in the order of the commands). Each entry is ``(recipients, index)`` for a
    RCPT (the envelope's list and its place in it), or None for any other command."""

    def __init__(self) -> None:
        self._queue: list[tuple[list[EnvelopeRecipient], int] | None] = []

    def send(self, rcpt: tuple[list[EnvelopeRecipient], int] | None) -> None:
        self._queue.append(rcpt)

    def answer(self, reply: str) -> tuple[list[EnvelopeRecipient], int] | None:
        """Take the oldest command a *final* reply line answers (a ``250-`` line goes
        on; the greeting answers nothing); where its recipient is, if it was a RCPT."""
        if reply[3:4] == "-" or not self._queue:
            return None
        return self._queue.pop(0)


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




# ----------------------------------------------------------------------------
# 3. Outcomes
# ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate of one message for one recipient."""

    msg: str
    recipient: str
    outcome: str  # "delivered" | "bounced" | "queued"
    path: tuple[str, ...]
    seconds: float
    detail: str = ""
    #: Who read it from the mailbox afterwards: ``(user agent, protocol)``, in order.
    read_by: tuple[tuple[str, str], ...] = ()


def summarize(events: Iterable[TraceEvent]) -> list[Outcome]:
    """One :class:`Outcome` per (message, recipient), in the order they were injected."""
    injected: dict[tuple[str, str], tuple[float, str]] = {}
    paths: dict[tuple[str, str], list[str]] = {}
    final: dict[tuple[str, str], tuple[str, float, str, str | None]] = {}
    reads: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (msg, mailbox) -> readers
    for e in events:
        if isinstance(e, Injected):
            for r in e.recipients:
                injected.setdefault((e.msg, r), (e.t, e.node))
                paths.setdefault((e.msg, r), [e.node])
        elif isinstance(e, Relayed):
            for r in e.recipients:
                paths.setdefault((e.msg, r), [e.node]).append(e.to)
        elif isinstance(e, Delivered):
            final.setdefault((e.msg, e.recipient), ("delivered", e.t, e.mailbox, e.node))
        elif isinstance(e, Bounced):
            why = f"{e.status} {e.reply}" + (f" (bounce {e.dsn})" if e.dsn else "")
            final.setdefault((e.msg, e.recipient), ("bounced", e.t, why, None))
        elif isinstance(e, GaveUp):
            for r in e.recipients:
                final.setdefault((e.msg, r), ("queued", e.t, f"at {e.node}: {e.reason}", None))
        elif isinstance(e, Fetched):
            readers = reads.setdefault((e.msg, e.mailbox), [])
            if (e.peer, e.protocol) not in readers:
                readers.append((e.peer, e.protocol))
    out = []
    for key, (t0, _) in injected.items():
        outcome, t1, detail, mda = final.get(key, ("unknown", t0, "no outcome recorded", None))
        path = paths.get(key, [])
        if mda is not None:
            path = [*path, *([] if path and path[-1] == mda else [mda]), detail]
        read_by = tuple(reads.get((key[0], detail), ())) if mda is not None else ()
        out.append(Outcome(key[0], key[1], outcome, tuple(path), t1 - t0, detail, read_by))
    return out


def check_conservation(events: Iterable[TraceEvent]) -> list[str]:
    """Problems with the never-lost, never-twice rule; an empty list when it holds.

    Call it after :meth:`Network.finish`, which records what is still queued.
    """
    events = list(events)
    pairs = {(e.msg, r) for e in events if isinstance(e, Injected) for r in e.recipients}
    duplicated = {e.msg for e in events if isinstance(e, Duplicated)}
    counts: dict[tuple[str, str], int] = {}
    for e in events:
        if isinstance(e, (Delivered, Bounced)):
            keys = [(e.msg, e.recipient)]
        elif isinstance(e, GaveUp):
            keys = [(e.msg, r) for r in e.recipients]
        else:
            continue
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
    problems = []
    for pair in sorted(pairs):
        n = counts.get(pair, 0)
        if n == 0:
            problems.append(f"{pair[0]} to {pair[1]}: lost (no delivery, bounce or queue)")
        elif n > 1 and pair[0] not in duplicated:
            problems.append(f"{pair[0]} to {pair[1]}: {n} outcomes, and no duplicate labelled")
    for pair in sorted(set(counts) - pairs):
        problems.append(f"{pair[0]} to {pair[1]}: an outcome for a message never injected")
    return problems + check_retrieval(events)


def check_retrieval(events: Iterable[TraceEvent]) -> list[str]:
    """Problems with the retrieval half of the rule; an empty list when it holds.

    A message stays in a mailbox until a POP3 ``QUIT`` or an IMAP ``EXPUNGE`` removes
    it, so: only a delivered message can be fetched, flagged or removed; it is removed
    from an account at most once; and once removed it is never fetched or flagged in
    that account again (POP3 with deletion never downloads a message twice).
    """
    delivered = {e.msg for e in events if isinstance(e, Delivered)}
    removed: set[tuple[str, str, str]] = set()
    problems = []
    for e in events:
        if not isinstance(e, (Fetched, Removed, Flagged)):
            continue
        key = (e.node, e.user, e.msg)
        where = f"{e.msg} for {e.user} at {e.node}"
        if e.msg not in delivered:
            problems.append(f"{where}: {e.kind} but never delivered")
        elif key in removed:
            problems.append(f"{where}: {e.kind} after it was removed")
        if isinstance(e, Removed):
            removed.add(key)
    return problems


class LiveConservation:
    """The conservation check as a trace listener, in memory bounded by what is in flight.

    Subscribe it (``network.trace.subscribe(live)``) before running: it remembers only
    the (message, recipient) pairs that have not reached an outcome yet, so it can watch
    a run of any length even when the trace itself keeps nothing (``keep="counts"``).
    """

    def __init__(self) -> None:
        self.open: set[tuple[str, str]] = set()
        self.duplicated: set[str] = set()
        self.injected = 0
        self.outcomes = {"delivered": 0, "bounced": 0, "queued": 0}
        self.problems: list[str] = []

    #: The kinds of event that open or close a (message, recipient) pair; the others
    #: (dialog lines, queue moves ...) are most of a trace and are passed over at once.
    _WATCHED = frozenset(k.kind for k in (Injected, Duplicated, Delivered, Bounced, GaveUp))

    def __call__(self, e: TraceEvent) -> None:
        if e.kind not in self._WATCHED:
            return
        if isinstance(e, Injected):
            self.injected += len(e.recipients)
            self.open.update((e.msg, r) for r in e.recipients)
        elif isinstance(e, Duplicated):
            self.duplicated.add(e.msg)
        elif isinstance(e, (Delivered, Bounced)):
            self._close(e.msg, e.recipient, "delivered" if isinstance(e, Delivered)
                        else "bounced")
        elif isinstance(e, GaveUp):
            for r in e.recipients:
                self._close(e.msg, r, "queued")

    def _close(self, msg: str, rcpt: str, outcome: str) -> None:
        self.outcomes[outcome] += 1
        if (msg, rcpt) in self.open:
            self.open.discard((msg, rcpt))
        elif msg not in self.duplicated:
            self.problems.append(f"{msg} to {rcpt}: a second outcome, or one never injected")

    def check(self) -> list[str]:
        """Problems so far; call after :meth:`Network.finish` for the final word."""
        lost = [f"{m} to {r}: lost (no delivery, bounce or queue)" for m, r in sorted(self.open)]
        return self.problems + lost


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def format_summary(outcomes: Iterable[Outcome]) -> str:
    """The delivery summary as text, one line per message and recipient."""
    lines = ["Delivery summary:"]
    for o in outcomes:
        lines.append(f"  {o.msg} -> {o.recipient}: {o.outcome.upper()} after "
                     f"{_duration(o.seconds)}")
        lines.append(f"      path: {' -> '.join(o.path)}")
        if o.read_by:
            lines.append("      read by " + ", ".join(f"{ua} via {protocol}"
                                                     for ua, protocol in o.read_by))
        if o.outcome != "delivered":
            lines.append(f"      {o.detail}")
    return "\n".join(lines) + "\n"
