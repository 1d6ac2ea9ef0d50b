"""The plain engine next to the one it replaced, in one run: what did legibility cost?

Issue 10 rewrote ``smtpsim.protocol``, ``message``, ``trace`` and ``sim`` as plain code
and moved every speed device that earned its place into the opt-in ``smtpsim._accel``.
This script measures, side by side and interleaved (so the machine's noise falls on
every side alike):

* **base** - a checkout of the commit before the redesign (``--base DIR``, e.g. a git
  worktree: ``git worktree add --detach ../base <commit>``);
* **plain** - this checkout, as every module imports it;
* **accelerated** - this checkout with ``smtpsim._accel`` switched on.

Each side runs in its own fresh interpreter, with its own tree first on ``sys.path``:

* dialogs per second, in memory (:func:`smtpsim.protocol.converse` between a
  ``MailSender`` and a ``ServerConnection``), engines only and with the full
  transcript, the same 2 KB, two-recipient dialog as ``bench_protocol.py``;
* microseconds per message through ``bench_sim.py``'s 4-hop network, 10^4 messages,
  with the counts-only trace and with the full trace.

It also times the stdlib's ``smtplib`` against ``aiosmtpd`` over loopback in the same
rounds, so the in-memory engines' lead over a real socket is measured beside them.

Targets (issue 10): accelerated no slower than base within 5 %; plain within 25 % of
base; the in-memory engine pair >= 20x smtplib -> aiosmtpd over loopback.

    python benchmarks/bench_redesign.py --base ../base             # 3 rounds
    python benchmarks/bench_redesign.py --base ../base --rounds 5 --messages 10000

Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
SIDES = ("base", "plain", "accelerated")


# --- the worker: one measurement, in a fresh interpreter --------------------------------

def _bench_module(name: str) -> Any:
    """Another script of this folder, imported by path (it uses the smtpsim on the path)."""
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _accelerate() -> Any:
    """The speed layer's switch, for the accelerated side: ``smtpsim._accel``."""
    import smtpsim._accel as accel  # the one place that imports it

    return accel


def dialogs_per_second(accelerated: bool, record: bool, seconds: float) -> float:
    """In-memory dialogs per second, ``bench_protocol.py``'s dialog."""
    bench = _bench_module("bench_protocol")
    from smtpsim.protocol import MailSender, Outgoing, ServerConnection, converse

    server: Any = ServerConnection
    if accelerated:
        server = _accelerate().server_connection

    def dialog() -> None:
        sender = MailSender("client.example.org",
                            [Outgoing(bench.SENDER, bench.RECIPIENTS, bench.MESSAGE)])
        converse(sender, server(), record=record)
        assert sender.results[-1].reply.code == 250

    return float(bench.rate(dialog, seconds))


def us_per_message(accelerated: bool, n: int, keep: str) -> dict[str, float]:
    """Microseconds per message through ``bench_sim.py``'s 4-hop network."""
    bench = _bench_module("bench_sim")
    try:
        from smtpsim.trace import LiveConservation
    except ImportError:  # the base commit kept it in smtpsim.sim
        from smtpsim.sim import LiveConservation  # type: ignore[attr-defined,no-redef]

    net, box = bench.build(n, keep)
    if accelerated:
        _accelerate().accelerate(net)
    live = LiveConservation()
    net.trace.subscribe(live)
    t0 = time.perf_counter()
    net.run(n * bench.INTERVAL + 3600)
    net.finish()
    elapsed = time.perf_counter() - t0
    assert box.delivered + len(box.messages) == n
    assert live.check() == []
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"us": elapsed / n * 1e6, "peak_mb": peak}


def worker(args: argparse.Namespace) -> None:
    accelerated = args.side == "accelerated"
    if args.worker == "protocol":
        out: dict[str, Any] = {
            "engines": dialogs_per_second(accelerated, False, args.seconds),
            "full": dialogs_per_second(accelerated, True, args.seconds)}
    else:
        out = {keep: us_per_message(accelerated, args.messages, keep)
               for keep in ("counts", "all")}
    print(json.dumps(out))


# --- the driver: interleaved rounds, medians, ratios -----------------------------------

def run_side(side: str, tree: Path, what: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, __file__, "--worker", what, "--side", side,
           "--seconds", str(args.seconds), "--messages", str(args.messages)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd="/")
    if done.returncode:
        raise SystemExit(f"{side} {what} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def loopback_rate(seconds: float) -> float:
    bench = _bench_module("bench_protocol")
    with bench.loopback_server() as dialog:
        return float(bench.rate(dialog, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, help="checkout of the commit before the redesign")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="protocol time slice")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--worker", choices=("protocol", "sim"), help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.base is None or not (args.base / "smtpsim" / "__init__.py").exists():
        parser.error("--base must name a checkout of the commit before the redesign")
    trees = {"base": args.base.resolve(), "plain": CHECKOUT, "accelerated": CHECKOUT}
    if not (CHECKOUT / "smtpsim" / "_accel" / "__init__.py").exists():
        # Until the speed layer exists, the accelerated side is the plain one.
        print("smtpsim._accel does not exist yet: the accelerated side is not measured")
        sides: tuple[str, ...] = ("base", "plain")
    else:
        sides = SIDES
    runs: dict[str, list[dict[str, Any]]] = {f"{s}/{w}": [] for s in sides
                                             for w in ("protocol", "sim")}
    loop: list[float] = []
    print(f"{args.rounds} interleaved rounds; base = {trees['base']}; "
          f"{sys.version.split()[0]} at {sys.executable}\n", flush=True)
    for r in range(args.rounds):
        for what in ("protocol", "sim"):
            for side in sides:
                runs[f"{side}/{what}"].append(run_side(side, trees[side], what, args))
        loop.append(loopback_rate(args.seconds))
        print(f"  round {r + 1} done", flush=True)

    def med(side: str, what: str, *keys: str) -> float:
        if side not in sides:
            side = "plain"
        values = []
        for run in runs[f"{side}/{what}"]:
            for k in keys:
                run = run[k]
            values.append(float(run))  # type: ignore[arg-type]
        return statistics.median(values)

    rows = [
        ("dialogs/s, engines only", "protocol", ("engines",), True),
        ("dialogs/s, full trace", "protocol", ("full",), True),
        (f"µs/message, {args.messages} msgs, counts", "sim", ("counts", "us"), False),
        (f"µs/message, {args.messages} msgs, all", "sim", ("all", "us"), False),
    ]
    print(f"\n{'':38}{'base':>10}{'plain':>10}{'accel.':>10}{'plain/base':>12}"
          f"{'accel/base':>12}")
    verdicts = []
    for label, what, keys, higher_is_better in rows:
        b, p, a = (med(s, what, *keys) for s in SIDES)
        # a "cost" ratio: > 1 means slower than base, whichever way the unit runs
        cost_p, cost_a = (b / p, b / a) if higher_is_better else (p / b, a / b)
        print(f"{label:38}{b:10,.0f}{p:10,.0f}{a:10,.0f}{cost_p:11.2f}x{cost_a:11.2f}x")
        verdicts.append((label, cost_p, cost_a))
    print("(ratios are cost against base: 1.10x = 10 % slower)")
    lb = statistics.median(loop)
    engines = med("plain", "protocol", "engines")
    print(f"\nloopback smtplib -> aiosmtpd: {lb:,.0f} dialogs/s; plain engines in memory: "
          f"{engines / lb:.1f}x (target >= 20x: {'met' if engines / lb >= 20 else 'NOT met'}); "
          f"accelerated: {med('accelerated', 'protocol', 'engines') / lb:.1f}x")
    worst_p = max(v[1] for v in verdicts)
    worst_a = max(v[2] for v in verdicts)
    print(f"plain: at most {worst_p:.2f}x base (target <= 1.25x: "
          f"{'met' if worst_p <= 1.25 else 'NOT met'}); accelerated: at most {worst_a:.2f}x "
          f"base (target <= 1.05x: {'met' if worst_a <= 1.05 else 'NOT met'})")
    for side in sides:
        peaks = [run["all"]["peak_mb"] for run in runs[f"{side}/sim"]]
        print(f"peak memory, {side}, full trace at {args.messages}: {max(peaks):.0f} MB")


if __name__ == "__main__":
    main()
