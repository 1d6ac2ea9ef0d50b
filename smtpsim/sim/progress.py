"""Running a long simulation with a progress bar (terminal and notebook alike).

Simulated time is not wall time: a day of retries may take a millisecond, and ten
thousand messages may take a minute. :func:`run_with_progress` runs the clock in
slices and, once a run has taken more than ``after`` seconds of real time, shows how
many (message, recipient) pairs have reached an outcome. It uses ``tqdm.auto``, which
draws a text bar in a terminal and a widget bar in Jupyter.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..trace import Bounced, Delivered, Injected, TraceEvent
from .network import Network

__all__ = ["run_with_progress"]


def run_with_progress(network: Network, until: float | None = None, *, after: float = 2.0,
                      slice_events: int = 2000) -> None:
    """Run ``network`` like :meth:`Network.run`, with a progress bar for long runs."""
    counts = {"pairs": 0, "done": 0}

    def count(event: TraceEvent) -> None:
        if isinstance(event, Injected):
            counts["pairs"] += len(event.recipients)
        elif isinstance(event, (Delivered, Bounced)):
            counts["done"] += 1

    network.trace.subscribe(count)
    network.run(0.0)  # records the network description
    clock = network.clock
    start = time.perf_counter()
    bar: Any = None
    limit = math.inf if until is None else until
    try:
        while clock.peek() < limit:
            for _ in range(slice_events):
                if clock.peek() >= limit:
                    break
                clock.step()
            if bar is None and time.perf_counter() - start > after:
                from tqdm.auto import tqdm

                bar = tqdm(total=max(counts["pairs"], 1), unit="rcpt", desc="delivering")
            if bar is not None:
                bar.total = max(counts["pairs"], bar.total)
                bar.n = counts["done"]
                bar.set_postfix_str(f"t={clock.now:,.0f}s", refresh=False)
                bar.refresh()
        if until is not None:
            network.run(until)
    finally:
        if bar is not None:
            bar.close()
