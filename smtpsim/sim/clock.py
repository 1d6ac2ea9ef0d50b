"""The simulation's clock: a discrete-event scheduler, with SimPy behind it.

Simulated time does not tick; it jumps from one event to the next. A hop that takes
50 ms of network latency or a retry four hours later costs the same to simulate.
smtpsim uses SimPy for this (a well-kept, pure-Python engine) and keeps it behind this
one module, so nothing else in smtpsim imports simpy and the vocabulary stays SimPy's:
``now``, ``peek()``, ``step()``, ``run(until=...)``.

Processes are generators that ``yield clock.timeout(seconds)`` to wait. Events at the
same time run first-in first-out, which keeps every run deterministic.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Generator, Iterator
from typing import Any

import simpy

__all__ = ["Clock", "Event", "Process"]

#: What a simulated process is: a generator that yields SimPy events.
Process = Generator[Any, Any, Any]

#: Something a process can wait for (a timeout, another process ...).
Event = simpy.Event


class Clock:
    """The virtual clock of one simulation run."""

    def __init__(self) -> None:
        # Starting at 0.0 (not SimPy's default int 0) keeps ``now`` a float throughout.
        self._env = simpy.Environment(initial_time=0.0)

    @property
    def now(self) -> float:
        """The current simulated time, in seconds since the run started."""
        now: float = self._env.now
        return now

    def timeout(self, delay: float) -> Event:
        """An event that fires ``delay`` seconds from now (yield it to wait)."""
        return self._env.timeout(delay if delay > 0.0 else 0.0)

    def process(self, generator: Process) -> Event:
        """Start a process (a generator that yields events)."""
        return self._env.process(generator)

    def event(self) -> Event:
        """A bare event that a process can wait on and another can trigger."""
        return self._env.event()

    def peek(self) -> float:
        """The time of the next scheduled event (``inf`` if there is none)."""
        return float(self._env.peek())

    def step(self) -> None:
        """Process exactly one event."""
        self._env.step()

    def run(self, until: float | None = None, *, gc_batch: bool = False) -> None:
        """Run until simulated time ``until``, or until nothing is left to do.

        ``gc_batch=True`` runs with the garbage collector batched (see
        :func:`batched_gc`): worth it for a long run that keeps the full trace.
        """
        if until is not None and until <= self.now:
            return
        if not gc_batch:
            self._env.run(until=until)
            return
        with batched_gc():
            self._env.run(until=until)


#: The first-generation threshold of the cyclic garbage collector while a run goes on.
GC_BATCH = 10_000


@contextlib.contextmanager
def batched_gc(first: int = GC_BATCH) -> Iterator[None]:
    """Let CPython's cycle collector run in bigger batches, and never twice over the
    same survivors, for the duration.

    A run with the full trace keeps millions of small immutable records, and the
    collector, which runs every 700 new objects by default, walks all the old ones
    again and again: a quarter of a long run's time, growing with the trace. Two
    settings make the cost per message flat again:

    * the first threshold is raised, so young collections are rarer;
    * after each full collection, what survived it is frozen (``gc.freeze()``): the
      next full collection walks only what is new since. (A full collection comes each
      time the heap has grown by a quarter, and would otherwise walk the whole trace
      every time.)

    Garbage cycles are still collected, a batch later; a cycle among objects frozen
    during the run waits until it ends, when everything frozen is handed back to the
    collector (``gc.unfreeze()``). The old settings come back when the run ends (or
    fails). A threshold already higher (a run inside a run), a collector switched off,
    or objects someone else froze are left alone. (Python 3.12 starts with a few
    objects of its own frozen, so there a run does not freeze: slower with the full
    trace, never wrong.)
    """
    old = gc.get_threshold()
    if not gc.isenabled() or old[0] >= first:
        yield
        return
    freeze = gc.get_freeze_count() == 0

    def settle(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.set_threshold(first, *old[1:])
    if freeze:
        gc.callbacks.append(settle)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if freeze:
            gc.callbacks.remove(settle)
            gc.unfreeze()
