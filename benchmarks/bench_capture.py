"""Benchmark: writing a run as a pcapng capture, per message, at 10^3 and 10^4 messages.

Issue 14's target: the export's cost per message stays flat as a run grows (the
10^4-message figure within 1.5x of the 10^3 one), i.e. the capture is linear in the
trace. The run is ``bench_sim.py``'s 4-hop network (user agent, submission server,
relay, MX) with the full trace kept; only the export is timed, from the trace already
in memory to the bytes of the file (written to memory, so the disk is not measured).

    python benchmarks/bench_capture.py             # 10^3 and 10^4 messages, 3 rounds
    python benchmarks/bench_capture.py --rounds 1

Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from smtpsim.packets import write_capture

TARGET = 1.5


def _bench_sim() -> Any:
    path = Path(__file__).with_name("bench_sim.py")
    spec = importlib.util.spec_from_file_location("bench_sim", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_message(n: int, rounds: int) -> tuple[float, int, int]:
    """(median µs per message, packets, octets) of exporting an n-message run."""
    bench = _bench_sim()
    net, _ = bench.build(n, "all")
    net.run(n * bench.INTERVAL + 3600)
    net.finish()
    events = list(net.trace)
    times = []
    for _ in range(rounds):
        out = io.BytesIO()
        start = time.perf_counter()
        count = write_capture(events, out)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / n * 1e6, count, len(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="exports per size")
    args = parser.parse_args()
    figures = {}
    for n in (1_000, 10_000):
        us, packets, octets = per_message(n, args.rounds)
        figures[n] = us
        print(f"  {n:>6,} messages: {us:,.0f} µs per message exported "
              f"({packets:,} packets, {octets / 1e6:,.1f} MB of pcapng)", flush=True)
    ratio = figures[10_000] / figures[1_000]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"capture export: {figures[1_000]:,.0f} µs/message at 10^3, {figures[10_000]:,.0f} "
          f"at 10^4; ratio {ratio:.2f} (target <= {TARGET}: {verdict}; "
          f"{sys.version.split()[0]})")


if __name__ == "__main__":
    main()
