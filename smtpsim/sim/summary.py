"""What happened to every message: the delivery summary and the conservation check.

Both read only the trace. For each (message, recipient) pair the summary gives the
path of nodes it took, its outcome (delivered, bounced, or still queued) and how long
that took. :func:`check_conservation` is the store-and-forward guarantee in code:
every pair ends in exactly one of those outcomes, never none and never two (a
duplicate is allowed only where the trace labels one, see
:class:`~smtpsim.trace.Duplicated`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..trace import Bounced, Delivered, Duplicated, GaveUp, Injected, Relayed, TraceEvent

__all__ = ["LiveConservation", "Outcome", "check_conservation", "format_summary", "summarize"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate of one message for one recipient."""

    msg: str
    recipient: str
    outcome: str  # "delivered" | "bounced" | "queued"
    path: tuple[str, ...]
    seconds: float
    detail: str = ""


def summarize(events: Iterable[TraceEvent]) -> list[Outcome]:
    """One :class:`Outcome` per (message, recipient), in the order they were injected."""
    injected: dict[tuple[str, str], tuple[float, str]] = {}
    paths: dict[tuple[str, str], list[str]] = {}
    final: dict[tuple[str, str], tuple[str, float, str, str | None]] = {}
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
    out = []
    for key, (t0, _) in injected.items():
        outcome, t1, detail, mda = final.get(key, ("unknown", t0, "no outcome recorded", None))
        path = paths.get(key, [])
        if mda is not None:
            path = [*path, *([] if path and path[-1] == mda else [mda]), detail]
        out.append(Outcome(key[0], key[1], outcome, tuple(path), t1 - t0, detail))
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
        if o.outcome != "delivered":
            lines.append(f"      {o.detail}")
    return "\n".join(lines) + "\n"
