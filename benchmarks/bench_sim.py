"""Benchmark: messages per second and peak memory through a 4-hop network.

The path: Bob's user agent -> submission server (587, AUTH) -> outbound relay
(smarthost) -> the recipient's MX (found by DNS) -> MDA -> mailbox. Three SMTP
dialogs and one local delivery per message, each dialog really run through the
protocol engines.

Each size runs in a fresh subprocess, so peak memory (ru_maxrss) is that run's
alone; "full" keeps every trace event, "summary" only the outcomes.

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


def build(n: int, keep: str):
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
    for i in range(n):
        net.at(i * 0.05, lambda i=i: bob.send(["alice@example.com"], subject=f"Message {i}",
                                              body="Hello Alice.\nA benchmark message.\nBob"))
    return net, box


def one(n: int, keep: str) -> dict[str, float]:
    from smtpsim.sim import check_conservation

    t0 = time.perf_counter()
    net, box = build(n, keep)
    net.run()
    net.finish()
    elapsed = time.perf_counter() - t0
    assert len(box.messages) == n, (len(box.messages), n)
    assert check_conservation(net.trace) == []
    box.messages.clear()  # the mailbox itself is not the trace's memory
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "keep": keep, "seconds": elapsed, "per_sec": n / elapsed,
            "us_per_msg": elapsed / n * 1e6, "peak_mb": peak_kb / 1024,
            "events": len(net.trace)}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]), sys.argv[3])))
        return
    sizes = [1_000, 10_000] if "--quick" in sys.argv else [1_000, 10_000, 100_000]
    print(f"{'messages':>9} {'trace':>8} {'seconds':>8} {'msg/s':>8} {'us/msg':>8} "
          f"{'peak MB':>8} {'events':>9}")
    results = []
    for keep in ("summary", "all"):
        for n in sizes:
            out = subprocess.run([sys.executable, __file__, "--one", str(n), keep],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            results.append(r)
            print(f"{r['n']:>9} {keep:>8} {r['seconds']:>8.1f} {r['per_sec']:>8.0f} "
                  f"{r['us_per_msg']:>8.0f} {r['peak_mb']:>8.0f} {r['events']:>9}", flush=True)
    for keep in ("summary", "all"):
        rows = [r for r in results if r["keep"] == keep]
        ratio = rows[-1]["us_per_msg"] / rows[0]["us_per_msg"]
        print(f"{keep}: cost per message at {rows[-1]['n']} / at {rows[0]['n']} = {ratio:.2f}x "
              f"(target <= 1.5x)")


if __name__ == "__main__":
    main()
