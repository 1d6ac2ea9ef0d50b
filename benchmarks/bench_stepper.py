"""How long does one Stepper step take, with every pane updated and the picture redrawn?

For each scenario, the Stepper walks the steps forward and prints medians (ms):

* **step**: one ``Stepper.step(1)``: the cursor moves, and the transcript, envelope,
  headers and queue panes and the SVG topology picture are all rebuilt from the
  trace. The picture has no cache to switch off: it is redrawn at every step, at the
  quality a student sees (vector, real text). **This is the target figure.**
* **picture**: the SVG picture alone (:func:`smtpsim.widgets._stepper.picture_at`);
* **panes**: the HTML panes alone (transcript, envelope, headers, queues);
* **p95**: the 95th percentile of *step*, so a slow tail is seen too.

The widgets are ipywidgets models with no frontend attached, so the figures are what
the kernel spends; the browser then parses a few tens of kilobytes of markup.

Target: step median <= 50 ms on the classic scenario and on one of >= 10 nodes.
Usage: ``python benchmarks/bench_stepper.py [--scenarios classic relay-denied ...]``.
Not a test.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

from smtpsim.scenarios import load
from smtpsim.trace.queries import session_at
from smtpsim.widgets import Stepper, _html
from smtpsim.widgets._stepper import picture_at

DEFAULT = ("classic", "relay-denied", "unknown-user", "smarthost", "mail-loop")
TARGET_MS = 50.0


def _times(run: Callable[[int], None], positions: list[int]) -> list[float]:
    out = []
    for p in positions:
        t = time.perf_counter()
        run(p)
        out.append(1000 * (time.perf_counter() - t))
    return out


def bench(name: str, limit: int) -> tuple[int, float]:
    net = load(name).run()
    s = Stepper(net)
    n = min(limit, len(s.steps) - 1)
    steps = []
    s.index = 0
    for _ in range(n):
        t = time.perf_counter()
        s.step(1)
        steps.append(1000 * (time.perf_counter() - t))
    positions = [s._positions[k] for k in range(n)]
    events, msg = s.events, s.msg
    picture = _times(lambda p: picture_at(events, p, msg), positions)

    def panes(p: int) -> None:
        session = session_at(events, p)
        _html.transcript_html(events, p, session)
        _html.envelope_html(events, p, session)
        _html.headers_html(events, p, msg)
        _html.queues_html(events, p, msg)

    pane = _times(panes, positions)
    median = statistics.median(steps)
    p95 = sorted(steps)[int(0.95 * (len(steps) - 1))]
    size = len(s._picture.value)
    print(f"{name:14s} {len(net.nodes):3d} nodes {len(s.steps):5d} steps  "
          f"step {median:6.2f}  p95 {p95:6.2f}  picture {statistics.median(picture):5.2f}  "
          f"panes {statistics.median(pane):5.2f}  (SVG {size / 1024:.0f} KiB)")
    return len(net.nodes), median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="*", default=list(DEFAULT))
    parser.add_argument("--limit", type=int, default=400, help="steps measured per scenario")
    args = parser.parse_args()
    print(f"median ms per step, all panes and the SVG picture redrawn "
          f"({platform.python_implementation()} {platform.python_version()})")
    results = {name: bench(name, args.limit) for name in args.scenarios}
    print(f"\ntarget: step median <= {TARGET_MS:.0f} ms (classic and a >= 10-node scenario)")
    for name, (nodes, median) in results.items():
        verdict = "ok" if median <= TARGET_MS else "MISSED"
        print(f"  {name:14s} {nodes:3d} nodes  step {median:6.2f} ms  {verdict}")
    big = [name for name, (nodes, _) in results.items() if nodes >= 10]
    if "classic" in results and big:
        met = all(results[n][1] <= TARGET_MS for n in ("classic", *big))
        print("target " + ("met" if met else "NOT met") + f" (classic, {', '.join(big)})")


if __name__ == "__main__":
    main()
