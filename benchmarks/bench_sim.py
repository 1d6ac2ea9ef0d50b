"""Benchmark: messages per second and peak memory through a 4-hop network.

The path: Bob's user agent -> submission server (587, AUTH) -> outbound relay
(smarthost) -> the recipient's MX (found by DNS) -> MDA -> mailbox. Three SMTP
dialogs and one local delivery per message, each dialog really run through the
protocol engines, each message really composed with the ``email`` package.

Two ways of keeping the trace:

* ``all``    - every event (every dialog line), as the widgets need;
* ``counts`` - the trace reduced to counts per kind, with the conservation check
  running live as a listener (memory: what is in flight, not what has passed).

A generator process injects one message every 50 ms of simulated time, and Alice's
mailbox is emptied once a simulated minute, so that only the simulation's own memory
is measured. Each size runs in a fresh subprocess, so peak memory (ru_maxrss) is that
run's alone.

Targets (issue 3): 10^5 messages in under 60 s on one core; cost per message flat
within 1.5x from 10^3 to 10^5; memory bounded when the full trace is off.

    python benchmarks/bench_sim.py            # 10^3, 10^4, 10^5
    python benchmarks/bench_sim.py --quick    # 10^3, 10^4
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any

INTERVAL = 0.05  # simulated seconds between two messages


def build(n: int, keep: str) -> tuple[Any, Any]:
    from smtpsim.sim import MDA, MTA, Mailbox, Network, SubmissionServer, UserAgent

    net = Network(seed=1, keep=keep)  # type: ignore[arg-type]
    box = Mailbox("alice@example.com")
    net.add(SubmissionServer("smtp.example.org", "example.org", users={"bob@example.org": "pw"},
                             transport={"*": "relay.example.org"}))
    net.add(MTA("relay.example.org", "example.org", relay_from=["smtp.example.org"]))
    net.add(MTA("mx.example.com", "example.com", local_domains=["example.com"],
                mda=MDA("mda.example.com", "example.com", [box])))
    bob = UserAgent("bob-pc", "bob@example.org", password="pw", submit_to="smtp.example.org")
    net.add(bob)
    net.zone.mx["example.com"] = [(10, "mx.example.com")]

    def inject():  # one process, not n pre-scheduled events
        for i in range(n):
            bob.send(["alice@example.com"], subject=f"Message {i}",
                     body="Hello Alice.\nA benchmark message.\nBob")
            yield net.clock.timeout(INTERVAL)

    def drain():  # the mailbox is a sink here: count, then forget
        while True:
            yield net.clock.timeout(60.0)
            box.delivered += len(box.messages)
            box.messages.clear()
            box.ids.clear()
            if net.clock.peek() == float("inf"):
                return

    box.delivered = 0  # type: ignore[attr-defined]
    net.clock.process(inject())
    net.clock.process(drain())
    return net, box


def one(n: int, keep: str) -> dict[str, Any]:
    from smtpsim.trace import LiveConservation

    net, box = build(n, keep)
    live = LiveConservation()
    net.trace.subscribe(live)
    t0 = time.perf_counter()
    net.run(n * INTERVAL + 3600)
    net.finish()
    elapsed = time.perf_counter() - t0
    delivered = box.delivered + len(box.messages)
    assert delivered == n, (delivered, n)
    assert live.check() == []
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "keep": keep, "seconds": elapsed, "per_sec": n / elapsed,
            "us_per_msg": elapsed / n * 1e6, "peak_mb": peak_kb / 1024,
            "kept": len(net.trace), "events": sum(net.trace.counts.values())}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]), sys.argv[3])))
        return
    sizes = [1_000, 10_000] if "--quick" in sys.argv else [1_000, 10_000, 100_000]
    print(f"{'messages':>9} {'trace':>7} {'seconds':>8} {'msg/s':>7} {'us/msg':>7} "
          f"{'peak MB':>8} {'events':>10} {'kept':>10}")
    results = []
    for keep in ("counts", "all"):
        for n in sizes:
            out = subprocess.run([sys.executable, __file__, "--one", str(n), keep],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            results.append(r)
            print(f"{r['n']:>9} {keep:>7} {r['seconds']:>8.1f} {r['per_sec']:>7.0f} "
                  f"{r['us_per_msg']:>7.0f} {r['peak_mb']:>8.0f} {r['events']:>10} "
                  f"{r['kept']:>10}", flush=True)
    for keep in ("counts", "all"):
        rows = [r for r in results if r["keep"] == keep]
        ratio = rows[-1]["us_per_msg"] / rows[0]["us_per_msg"]
        print(f"{keep}: cost per message at {rows[-1]['n']} / at {rows[0]['n']} = "
              f"{ratio:.2f}x (target <= 1.5x); peak memory {rows[0]['peak_mb']:.0f} -> "
              f"{rows[-1]['peak_mb']:.0f} MB")
    biggest = [r for r in results if r["keep"] == "counts"][-1]
    verdict = ("met" if biggest["seconds"] < 60 else "NOT met") if biggest["n"] == 100_000 \
        else f"at 100000 that would be about {biggest['us_per_msg'] / 10:.0f} s"
    print(f"{biggest['n']} messages (counts trace): {biggest['seconds']:.1f} s "
          f"(target < 60 s for 100000: {verdict}; {sys.version.split()[0]} "
          f"at {sys.executable})")


if __name__ == "__main__":
    main()
