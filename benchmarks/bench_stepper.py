"""How long does one Stepper step take, with every pane updated?

For each scenario, the Stepper walks the steps forward and prints medians (ms):

* **build**: the first picture after loading a trace (the topology renderer draws the
  network once, solving the layout; paid once per trace);
* **redraw**: the PNG cache is emptied before each step, so every step really redraws
  and encodes the topology picture (blitted by ``TopologyRenderer``) and updates all
  panes: the worst case, a new highlight every step. **This is the target figure.**
* **first pass / warm**: normal stepping; a scenario has only a handful of distinct
  pictures, so after the first time they come from the cache;
* **panes**: the HTML panes alone (transcript, envelope, headers, queues), no picture;
* **full fig**: for comparison, one picture the old way (``topology()`` + ``savefig``).

Target: redraw median <= 100 ms on the classic scenario and on one of >= 10 nodes.
Usage: ``python benchmarks/bench_stepper.py [--scenarios classic relay-denied ...]``.
Not a test.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

from smtpsim.scenarios import load
from smtpsim.trace.queries import message_position
from smtpsim.viz import topology
from smtpsim.widgets import Stepper
from smtpsim.widgets._moment import focus_at

DEFAULT = ("classic", "relay-denied", "smarthost", "unknown-user", "mail-loop")
TARGET_MS = 100.0


def _median_ms(stepper: Stepper, before_each: Callable[[], None], limit: int) -> float:
    times = []
    stepper.index = 0
    for _ in range(min(limit, len(stepper.steps) - 1)):
        before_each()
        t = time.perf_counter()
        stepper.step(1)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def _full_figure_ms(s: Stepper, n: int = 5) -> float:
    """The old way: a whole new figure drawn and saved per picture."""
    states = list(dict.fromkeys(
        (*focus_at(s.events, p), message_position(s.events, p, s.msg))
        for p in range(len(s.events))))[:n]
    times = []
    for nodes, link, where in states:
        t = time.perf_counter()
        fig = topology(s.events, highlight_nodes=nodes, highlight_link=link, position=where)
        fig.savefig(io.BytesIO(), format="png", dpi=s.dpi)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def bench(name: str, limit: int) -> tuple[int, float]:
    net = load(name).run()
    s = Stepper(net)  # its first picture builds the renderer; time a fresh build:
    s._renderer = None
    s._png.clear()
    t = time.perf_counter()
    s.topology_png()
    build = 1000 * (time.perf_counter() - t)
    redraw = _median_ms(s, s._png.clear, limit)
    s._png.clear()
    first = _median_ms(s, lambda: None, limit)
    warm = _median_ms(s, lambda: None, limit)
    full = _full_figure_ms(s)
    s.topology_png = lambda position=None: b""  # type: ignore[method-assign]
    panes = _median_ms(s, lambda: None, limit)
    print(f"{name:14s} {len(net.nodes):3d} nodes {len(s.steps):5d} steps  build {build:6.1f}"
          f"  redraw {redraw:6.1f}  first pass {first:5.1f}  warm {warm:5.2f}"
          f"  panes {panes:5.2f}  full fig {full:6.1f}  ({len(s._png)} pictures)")
    return len(net.nodes), redraw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="*", default=list(DEFAULT))
    parser.add_argument("--limit", type=int, default=200, help="steps measured per pass")
    args = parser.parse_args()
    print("median ms per step, all panes updated (redraw = picture cache off)")
    results = {name: bench(name, args.limit) for name in args.scenarios}
    print(f"\ntarget: redraw median <= {TARGET_MS:.0f} ms (classic and a >= 10-node scenario)")
    for name, (nodes, redraw) in results.items():
        verdict = "ok" if redraw <= TARGET_MS else "MISSED"
        print(f"  {name:14s} {nodes:3d} nodes  redraw {redraw:6.1f} ms  {verdict}")
    big = [name for name, (nodes, _) in results.items() if nodes >= 10]
    if "classic" in results and big:
        met = all(results[n][1] <= TARGET_MS for n in ("classic", *big))
        print("target " + ("met" if met else "NOT met") + f" (classic, {', '.join(big)})")


if __name__ == "__main__":
    main()
