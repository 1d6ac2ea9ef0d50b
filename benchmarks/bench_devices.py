"""What each speed device of ``smtpsim._accel`` earns, one at a time.

A device stays in the speed layer only while it earns at least 10 % (issue 10). This
runs ``bench_sim.py``'s 4-hop network (counts trace and full trace) in fresh
interpreters: plain, accelerated, and accelerated with one device switched off in
turn, interleaved over the rounds. A device's gain is what the accelerated path costs
without it, over what it costs with everything on, minus one.

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
DEVICES = ("header memo", "fold memo", "subject as text", "one-step body", "gc batching")


def _switch_off(device: str, accel: Any) -> None:
    """Undo one device of the speed layer (in this interpreter only)."""
    from email.contentmanager import raw_data_manager
    from email.policy import EmailPolicy

    msg = accel.message
    if device == "header memo":
        msg._REPEATING_FIELDS = frozenset()
    elif device == "fold memo":
        msg._MemoPolicy.fold_binary = EmailPolicy.fold_binary
    elif device == "subject as text":
        msg._AS_TEXT_FIELDS = frozenset()
    elif device == "one-step body":
        msg._TextContent.set_content = (
            lambda self, m, obj, *a, **k: raw_data_manager.set_content(m, obj, *a, **k))
    elif device == "gc batching":
        accel.ENGINES = dataclasses.replace(accel.ENGINES, gc_batch=False)
    else:
        raise ValueError(f"unknown device {device!r}")


def worker(mode: str, n: int, keep: str) -> float:
    spec = importlib.util.spec_from_file_location("bench_sim", HERE / "bench_sim.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    net, box = bench.build(n, keep)
    if mode != "plain":
        import smtpsim._accel as accel

        if mode != "accelerated":
            _switch_off(mode.removeprefix("without "), accel)
        net.engines = accel.ENGINES
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
    modes = ["plain", "accelerated", *(f"without {d}" for d in DEVICES)]
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
        if mode.startswith("without "):
            gc_ = c / med[("accelerated", "counts")] - 1
            ga = a / med[("accelerated", "all")] - 1
            verdict = "earns" if max(gc_, ga) >= 0.10 else "below 10 %"
            print(f"{mode:28}{c:10,.0f}{a:10,.0f}{gc_:+10.0%}{ga:+10.0%}  {verdict}")
        else:
            print(f"{mode:28}{c:10,.0f}{a:10,.0f}")


if __name__ == "__main__":
    main()
