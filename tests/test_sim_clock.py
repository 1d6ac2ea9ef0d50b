"""The clock: simulated time that jumps from event to event, and the GC batching a
long run may ask for."""

from __future__ import annotations

import gc

import pytest

from smtpsim.sim import Clock
from smtpsim.sim.clock import GC_BATCH, batched_gc


def test_time_jumps_from_event_to_event_and_same_time_events_run_in_order() -> None:
    clock = Clock()
    log: list[tuple[float, str]] = []

    def proc(name: str, wait: float):  # type: ignore[no-untyped-def]
        yield clock.timeout(wait)
        log.append((clock.now, name))
        yield clock.timeout(-5)  # a negative wait is no wait
        log.append((clock.now, name + "+"))

    for name, wait in (("b", 4 * 3600.0), ("a", 0.05), ("c", 0.05)):
        clock.process(proc(name, wait))
    assert clock.peek() == 0.0
    clock.run(1.0)
    assert log == [(0.05, "a"), (0.05, "c"), (0.05, "a+"), (0.05, "c+")]
    assert clock.now == 1.0
    clock.run(0.5)  # the past: nothing happens
    assert clock.now == 1.0
    clock.run()
    assert log[-2:] == [(4 * 3600.0, "b"), (4 * 3600.0, "b+")]
    assert clock.peek() == float("inf")


def test_a_run_leaves_the_collector_alone_unless_asked() -> None:
    before = gc.get_threshold()
    seen: list[int] = []
    clock = Clock()

    def look():  # type: ignore[no-untyped-def]
        yield clock.timeout(1)
        seen.append(gc.get_threshold()[0])

    clock.process(look())
    clock.run()
    assert seen == [before[0]]


def test_a_run_batches_garbage_collection_and_restores_the_setting() -> None:
    before = gc.get_threshold()
    seen: list[int] = []
    clock = Clock()

    def look():  # type: ignore[no-untyped-def]
        yield clock.timeout(1)
        seen.append(gc.get_threshold()[0])

    clock.process(look())
    clock.run(gc_batch=True)
    assert seen == [max(GC_BATCH, before[0])] and gc.get_threshold() == before
    with pytest.raises(RuntimeError), batched_gc():
        raise RuntimeError("a failing run")
    assert gc.get_threshold() == before
    gc.set_threshold(GC_BATCH * 2, *before[1:])  # a higher setting is left alone
    try:
        with batched_gc():
            assert gc.get_threshold()[0] == GC_BATCH * 2
    finally:
        gc.set_threshold(*before)


@pytest.mark.skipif(__import__("gc").get_freeze_count() != 0,
                    reason="this Python keeps objects of its own frozen (3.12 does): "
                           "runs leave freezing alone")
def test_a_run_freezes_what_survives_a_full_collection_and_hands_it_back() -> None:
    """During a run, the survivors of each full collection are frozen (the next one
    walks only what is new); at the end, everything is unfrozen, and a garbage cycle
    made during the run is collected after all."""
    import weakref

    class Node:
        other: Node | None = None

    frozen: list[int] = []
    clock = Clock()
    cycle = Node()
    cycle.other, alive = cycle, weakref.ref(cycle)

    def look():  # type: ignore[no-untyped-def]
        yield clock.timeout(1)
        gc.collect()  # a full collection: the cycle survives it (it is still in use)...
        frozen.append(gc.get_freeze_count())
        nonlocal cycle
        cycle = None  # ...then becomes garbage while frozen
        gc.collect()
        frozen.append(alive() is not None)  # frozen: not collected during the run

    clock.process(look())
    clock.run(gc_batch=True)
    assert frozen[0] > 0 and frozen[1] is True
    assert gc.get_freeze_count() == 0  # handed back...
    gc.collect()
    assert alive() is None  # ...and collected


def test_a_run_leaves_objects_someone_else_froze_alone() -> None:
    already = gc.get_freeze_count()  # (Python 3.12 starts with some of its own)
    if not already:
        gc.freeze()  # objects someone else froze (say, before forking workers)
    try:
        count = gc.get_freeze_count()
        with batched_gc():
            gc.collect()
            assert gc.get_freeze_count() == count
        assert gc.get_freeze_count() == count
    finally:
        if not already:
            gc.unfreeze()
