"""How long does one Stepper step take, with every pane updated?

For each scenario, the Stepper walks every step forward twice and prints medians:

* **cold**: the topology PNG cache is emptied before each step, so every step draws
  and encodes the matplotlib figure (the worst case: a new highlight every step);
* **warm**: the normal case; a scenario has only a handful of distinct pictures
  (highlighted link, message position), so after the first pass they come from the cache;
* **panes**: the HTML panes alone (transcript, envelope, headers, queues), no picture.

Target: a warm step, and the median over a first pass, stay under 100 ms.
Usage: ``python benchmarks/bench_stepper.py [--scenarios classic relay-denied ...]``.
Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from smtpsim.scenarios import load
from smtpsim.widgets import Stepper

DEFAULT = ("classic", "relay-denied", "unknown-user", "mail-loop")


def _median_ms(stepper: Stepper, before_each: Callable[[], None], limit: int) -> float:
    times = []
    stepper.index = 0
    for _ in range(min(limit, len(stepper.steps) - 1)):
        before_each()
        t = time.perf_counter()
        stepper.step(1)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def bench(name: str, limit: int) -> None:
    net = load(name).run()
    s = Stepper(net)
    cold = _median_ms(s, s._png.clear, min(limit, 40))
    s._png.clear()
    first = _median_ms(s, lambda: None, limit)
    warm = _median_ms(s, lambda: None, limit)
    s.topology_png = lambda position=None: b""  # type: ignore[method-assign]
    panes = _median_ms(s, lambda: None, limit)
    print(f"{name:14s} {len(net.nodes):3d} nodes {len(s.steps):6d} steps   "
          f"cold {cold:7.1f} ms   first pass {first:6.1f} ms   warm {warm:6.2f} ms   "
          f"panes {panes:6.2f} ms   ({len(s._png)} distinct pictures)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="*", default=list(DEFAULT))
    parser.add_argument("--limit", type=int, default=400, help="steps measured per pass")
    args = parser.parse_args()
    for name in args.scenarios:
        bench(name, args.limit)


if __name__ == "__main__":
    main()
