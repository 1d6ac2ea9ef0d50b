"""The trace: one append-only list of events that every view reads.

Theory of operation
-------------------
A :class:`Trace` is written by the simulation (or by the socket bridge) and read by
everything else: the transcript printer, the JSON Lines exporter, the delivery
summary, the figures and the widgets. Views never write to it.

There is exactly one way in: :meth:`Trace.record`. It checks that time never runs
backwards, counts the event by kind, stores it if the trace keeps that kind, and hands
it to every listener. Nothing else writes to a trace.

``Trace(keep=...)`` is only a filter on what :meth:`~Trace.record` *stores*; every
event is recorded, counted and shown to listeners whatever ``keep`` says:

* ``"all"`` (the default) stores every event;
* ``"summary"`` stores only what the delivery summary needs (injections, relays,
  deliveries, bounces, give-ups) and drops dialog lines, DNS and queue chatter, so a
  run of a hundred thousand messages stays small in memory;
* ``"counts"`` stores no event at all, only how many of each kind there were, so
  memory stays flat however long a load test runs.

Listeners (:meth:`Trace.subscribe`) see every event either way, which is how the
socket bridge streams a ``--trace`` file, and how a live conservation check runs,
without holding it all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Literal, TypeVar, overload

from ._events import (
    Bounced,
    Delivered,
    DialogLine,
    GaveUp,
    Injected,
    Relayed,
    TraceEvent,
    event_from_dict,
)

__all__ = ["SUMMARY_KINDS", "Keep", "Trace", "to_jsonl", "transcript"]

#: Which events a :class:`Trace` stores (it counts them all).
Keep = Literal["all", "summary", "counts"]

E = TypeVar("E", bound=TraceEvent)

#: The kinds a ``keep="summary"`` trace stores: what the delivery summary reads.
#: The kinds of record a ``keep="summary"`` trace stores: what the delivery summary reads.
SUMMARY_KINDS = (Injected, Delivered, Bounced, GaveUp, Relayed)


class Trace:
    """An append-only, ordered list of :class:`TraceEvent` records.

    Args:
        keep: which events to store: ``"all"``, ``"summary"`` (injections, relays,
            deliveries, bounces and give-ups) or ``"counts"`` (none, only
            :attr:`counts`). Every event is counted and seen by listeners either way.

    A trace is a sequence: ``len(trace)``, ``trace[i]`` and iteration work, and
    ``trace.of(DialogLine)`` picks the events of one type.
    """

    def __init__(self, keep: Keep = "all") -> None:
        if keep not in ("all", "summary", "counts"):
            raise ValueError(f"keep must be 'all', 'summary' or 'counts', not {keep!r}")
        self.keep = keep
        self._events: list[TraceEvent] = []
        self._listeners: list[Callable[[TraceEvent], None]] = []
        self._last_t: float | None = None
        self.counts: dict[str, int] = {}
        """How many events of each kind were recorded (kept or not)."""

    # -- writing -----------------------------------------------------------
    def record(self, event: TraceEvent) -> None:
        """Record ``event``: the one way anything is written to a trace.

        Events must arrive in time order. Each is counted (:attr:`counts`), stored if
        :attr:`keep` keeps its kind (:meth:`keeps`), then passed to every listener.

        Raises:
            ValueError: ``event`` is earlier than the last event recorded.
        """
        if self._last_t is not None and event.t < self._last_t:
            raise ValueError(
                f"trace events must be recorded in time order: {event.t} < {self._last_t}"
            )
        self._last_t = event.t
        self.counts[event.kind] = self.counts.get(event.kind, 0) + 1
        if self.keeps(event):
            self._events.append(event)
        for listener in self._listeners:
            listener(event)

    #: The name :meth:`record` had before; kept so that older code keeps working.
    append = record

    def keeps(self, event: TraceEvent) -> bool:
        """Whether this trace stores ``event`` (see :attr:`keep`); it counts every one."""
        if self.keep == "all":
            return True
        if self.keep == "summary":
            return isinstance(event, SUMMARY_KINDS)
        return False

    def subscribe(self, listener: Callable[[TraceEvent], None]) -> None:
        """Call ``listener(event)`` for every event recorded from now on (kept or not)."""
        self._listeners.append(listener)

    # -- reading -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self._events)

    @overload
    def __getitem__(self, i: int) -> TraceEvent: ...
    @overload
    def __getitem__(self, i: slice) -> list[TraceEvent]: ...
    def __getitem__(self, i: int | slice) -> TraceEvent | list[TraceEvent]:
        return self._events[i]

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self._events)

    def __repr__(self) -> str:
        return f"<Trace {len(self._events)} events, keep={self.keep!r}>"

    def of(self, *types: type[E]) -> list[E]:
        """The events that are instances of any of ``types``, in order."""
        return [e for e in self._events if isinstance(e, types)]

    def for_message(self, msg: str) -> list[TraceEvent]:
        """Every event that names message ``msg`` (and the sessions that carried it)."""
        sessions: set[str] = set()
        out: list[TraceEvent] = []
        for e in self._events:
            if getattr(e, "msg", None) == msg:
                out.append(e)
                s = getattr(e, "session", None)
                if s:
                    sessions.add(s)
            elif msg in getattr(e, "messages", ()):
                out.append(e)
                sessions.add(e.session)  # type: ignore[attr-defined]
            elif getattr(e, "session", None) in sessions:
                out.append(e)
        return out

    # -- import / export ---------------------------------------------------
    def to_jsonl(self) -> str:
        """The whole trace as JSON Lines (one event per line)."""
        return to_jsonl(self._events)

    def write_jsonl(self, fp: IO[str]) -> None:
        """Write the trace as JSON Lines to an open text file."""
        for e in self._events:
            fp.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")

    @classmethod
    def from_jsonl(cls, text: str | Iterable[str]) -> Trace:
        """Read a trace back from JSON Lines (a string or an iterable of lines)."""
        lines = text.splitlines() if isinstance(text, str) else text
        trace = cls()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                trace.record(event_from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"line {n}: {exc}") from None
        return trace

    def transcript(self, session: str | None = None) -> str:
        """The dialog lines as an ``S:``/``C:`` transcript (see :func:`transcript`)."""
        return transcript(self._events, session=session)


def to_jsonl(events: Iterable[TraceEvent]) -> str:
    """Events as JSON Lines text, one compact JSON object per line."""
    return "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in events)


def transcript(events: Iterable[TraceEvent], session: str | None = None) -> str:
    """Render dialog lines the way RFC 5321's examples do: ``S: 220 ...`` / ``C: EHLO ...``.

    Args:
        events: trace events; :class:`DialogLine` ones make the dialogs, and a
            :class:`Deferred` without a reply code (the connection was refused, timed
            out, or the node was down) is a connection attempt that never became a
            dialog.
        session: only this session's lines; by default every session, in the order
            they opened, each introduced by a ``--- client -> server (session) ---``
            heading (sessions that overlapped in time are not interleaved), and each
            failed connection attempt in its place as one line,
            ``--- client -> server: connection failed (why) ---``.
    """
    from ._events import Deferred  # local: only this view reads it

    blocks: dict[object, list[str]] = {}
    for e in events:
        if isinstance(e, Deferred):
            if session is None and not e.reply[:3].isdigit() and e.to != "local":
                # No SMTP was spoken: the TCP connection itself failed.
                blocks[object()] = [f"--- {e.node} -> {e.to}: connection failed ({e.reply}) ---"]
            continue
        if not isinstance(e, DialogLine) or (session is not None and e.session != session):
            continue
        lines = blocks.get(e.session)
        if lines is None:
            lines = blocks[e.session] = []
            if session is None:
                lines.append(f"--- {e.peer} -> {e.node} ({e.session}) ---")
        lines.append(f"{e.dir}: {e.line}")
    out = [line for lines in blocks.values() for line in lines]
    return "\n".join(out) + ("\n" if out else "")
