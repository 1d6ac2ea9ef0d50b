"""What each speed device of ``smtpsim._accel`` earns, one at a time.

A device stays in the speed layer only while it earns at least 10 % (issue 10). This
runs ``bench_sim.py``'s 4-hop network (counts trace and full trace) in fresh
interpreters: plain, accelerated, accelerated with one device switched off in turn,
and accelerated with GC batching (``run(gc_batch=True)``, an option that is off by
default), interleaved over the rounds. A device's gain is what the accelerated path
costs without it, over what it costs with everything on, minus one.

    python benchmarks/bench_devices.py                  # 3 rounds, 3000 messages
    python benchmarks/bench_devices.py --rounds 5 --messages 10000

Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEVICES = ("header memo",)


def _switch_off(device: str, accel: Any) -> None:
    """Undo one device of the speed layer (in this interpreter only)."""
    if device == "header memo":
        accel.message._REPEATING_FIELDS = frozenset()
    else:
        raise ValueError(f"unknown device {device!r}")


def worker(mode: str, n: int, keep: str) -> float:
    spec = importlib.util.spec_from_file_location("bench_sim", HERE / "bench_sim.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    net, box = bench.build(n, keep)
    if mode != "plain":
        import smtpsim._accel as accel

        if mode.startswith("without "):
            _switch_off(mode.removeprefix("without "), accel)
        net.engines = accel.ENGINES
        if mode == "accelerated + gc batching":
            net.engines = dataclasses.replace(accel.ENGINES, gc_batch=True)
    t0 = time.perf_counter()
    net.run(n * bench.INTERVAL + 3600)
    net.finish()
    elapsed = time.perf_counter() - t0
    assert box.delivered + len(box.messages) == n
    return elapsed / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--keep", default="counts", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.messages, args.keep)))
        return
    modes = ["plain", "accelerated", *(f"without {d}" for d in DEVICES),
             "accelerated + gc batching"]
    runs: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):
        for keep in ("counts", "all"):
            for mode in modes:
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", mode, "--keep", keep,
                     "--messages", str(args.messages)],
                    capture_output=True, text=True, check=True)
                runs.setdefault((mode, keep), []).append(float(out.stdout))
        print(f"  round {r + 1} done", flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"\nµs/message, {args.messages} messages, median of {args.rounds} rounds")
    print(f"{'':28}{'counts':>10}{'all':>10}{'gain c.':>10}{'gain all':>10}")
    for mode in modes:
        c, a = med[(mode, "counts")], med[(mode, "all")]
        base_c, base_a = med[("accelerated", "counts")], med[("accelerated", "all")]
        if mode.startswith("without "):  # what the device saves
            gc_, ga = c / base_c - 1, a / base_a - 1
        elif mode.endswith("gc batching"):  # what the option saves
            gc_, ga = base_c / c - 1, base_a / a - 1
        if mode.startswith("without ") or mode.endswith("gc batching"):
            verdict = "earns" if max(gc_, ga) >= 0.10 else "below 10 %"
            print(f"{mode:28}{c:10,.0f}{a:10,.0f}{gc_:+10.0%}{ga:+10.0%}  {verdict}")
        else:
            print(f"{mode:28}{c:10,.0f}{a:10,.0f}")


if __name__ == "__main__":
    main()
