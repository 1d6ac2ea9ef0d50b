"""Benchmark: POP3 sessions per second, the engine pair in memory beside poplib over loopback.

Issue 13's target: the in-memory engines (``Pop3Fetcher`` talking to ``Pop3Server``
through :func:`smtpsim.wire.talk`) run at least 20x as many sessions per second as
Python's own ``poplib`` against ``smtpsim serve --pop3-port`` over a real loopback
socket. The rounds are interleaved, so the machine's noise falls on both sides alike.

Each session is what a mail client does to check mail and keep it on the server:
greeting, CAPA, USER, PASS, UIDL, RETR of two messages of 2 KB, QUIT (no DELE, so
every session finds the same mail).

    python benchmarks/bench_retrieval.py             # 5 rounds of 1 s per side
    python benchmarks/bench_retrieval.py --rounds 3 --seconds 2

Not a test: it prints figures. (IMAP joins it once its engine exists.)
"""

from __future__ import annotations

import argparse
import poplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from smtpsim.mailstore import Accounts
from smtpsim.pop3 import Pop3Fetcher, Pop3Server
from smtpsim.wire import talk

_LINE = b"The quick brown fox jumps over the lazy dog, and the lazy dog sleeps on.\r\n"
MESSAGE = (b"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.com>\r\n"
           b"Subject: benchmark\r\n\r\n" + _LINE * 27 + b".a line that starts with a dot\r\n")
TARGET = 20.0


def in_memory_session(accounts: Accounts) -> None:
    fetcher = Pop3Fetcher("alice", "pw", delete=False)
    talk(fetcher, Pop3Server(accounts))
    assert len(fetcher.fetched) == 2


def rate(fn: Callable[[], None], seconds: float) -> float:
    """Calls of ``fn`` per second, timed over at least ``seconds``."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


def loopback_session(port: int) -> None:
    client = poplib.POP3("127.0.0.1", port, timeout=10)
    client.capa()
    client.user("alice")
    client.pass_("pw")
    _, uids, _ = client.uidl()
    for entry in uids:
        client.retr(int(entry.split()[0]))
    client.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one time slice")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per side")
    args = parser.parse_args()

    accounts = Accounts()
    drop = accounts.add("alice", "pw")
    for _ in range(2):
        drop.add(MESSAGE, datetime(2026, 12, 4, tzinfo=timezone.utc))

    with tempfile.TemporaryDirectory() as tmp:
        maildir = Path(tmp) / "alice" / "new"
        maildir.mkdir(parents=True)
        for i in range(2):
            (maildir / f"{i}.M0P0Q{i}.bench").write_bytes(MESSAGE)
        serve = subprocess.Popen(
            [sys.executable, "-m", "smtpsim", "serve", "--port", "0", "--maildir", tmp,
             "--pop3-port", "0", "--account", "alice:pw", "--max-connections", "100"],
            stdout=subprocess.PIPE, text=True)
        try:
            assert serve.stdout is not None
            serve.stdout.readline()  # the SMTP listener
            pop3 = serve.stdout.readline()
            port = int(pop3.rsplit(":", 1)[1])
            memory, loopback = [], []
            for i in range(args.rounds):
                memory.append(rate(lambda: in_memory_session(accounts), args.seconds))
                loopback.append(rate(lambda: loopback_session(port), args.seconds))
                print(f"  round {i + 1}: in memory {memory[-1]:,.0f}/s, "
                      f"poplib over loopback {loopback[-1]:,.0f}/s", flush=True)
        finally:
            serve.terminate()
            serve.wait(timeout=15)
    m, lb = statistics.median(memory), statistics.median(loopback)
    verdict = "met" if m / lb >= TARGET else "NOT met"
    print(f"POP3 sessions/s (median of {args.rounds}): in memory {m:,.0f}, poplib -> smtpsim "
          f"serve over loopback {lb:,.0f}; ratio {m / lb:.1f}x (target >= {TARGET:.0f}x: "
          f"{verdict}; {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
