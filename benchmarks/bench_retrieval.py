"""Benchmark: POP3 and IMAP sessions per second, the engine pairs in memory beside
poplib and imaplib over loopback.

Issue 13's target: the in-memory engines (``Pop3Fetcher`` talking to ``Pop3Server``,
``ImapFetcher`` to ``ImapServer``, through :func:`smtpsim.wire.talk`) run at least 20x
as many sessions per second as Python's own ``poplib`` and ``imaplib`` against
``smtpsim serve --pop3-port --imap-port`` over a real loopback socket. The rounds are
interleaved, so the machine's noise falls on every side alike.

Each session is what a mail client does to check mail and keep it on the server, with
two messages of 2 KB:

* POP3: greeting, CAPA, USER, PASS, UIDL, RETR 1, RETR 2, QUIT (no DELE);
* IMAP: greeting, LOGIN, SELECT INBOX, UID FETCH 1:* (UID FLAGS), UID FETCH of both
  with BODY.PEEK[] (so every session finds them unread, as the first did), LOGOUT.

    python benchmarks/bench_retrieval.py             # 5 rounds of 1 s per side
    python benchmarks/bench_retrieval.py --rounds 3 --seconds 2

Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import imaplib
import poplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from smtpsim.imap import ImapFetcher, ImapServer
from smtpsim.mailstore import Accounts
from smtpsim.pop3 import Pop3Fetcher, Pop3Server
from smtpsim.wire import talk

_LINE = b"The quick brown fox jumps over the lazy dog, and the lazy dog sleeps on.\r\n"
MESSAGE = (b"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.com>\r\n"
           b"Subject: benchmark\r\n\r\n" + _LINE * 27 + b".a line that starts with a dot\r\n")
TARGET = 20.0


def pop3_in_memory(accounts: Accounts) -> None:
    fetcher = Pop3Fetcher("alice", "pw", delete=False)
    talk(fetcher, Pop3Server(accounts))
    assert len(fetcher.fetched) == 2


def imap_in_memory(accounts: Accounts) -> None:
    fetcher = ImapFetcher("alice", "pw", peek=True)
    talk(fetcher, ImapServer(accounts))
    assert len(fetcher.fetched) == 2


def rate(fn: Callable[[], None], seconds: float) -> float:
    """Calls of ``fn`` per second, timed over at least ``seconds``."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


def pop3_loopback(port: int) -> None:
    client = poplib.POP3("127.0.0.1", port, timeout=10)
    client.capa()
    client.user("alice")
    client.pass_("pw")
    _, uids, _ = client.uidl()
    for entry in uids:
        client.retr(int(entry.split()[0]))
    client.quit()


def imap_loopback(port: int) -> None:
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    client.login("alice", "pw")
    client.select("INBOX")
    _, listing = client.uid("FETCH", "1:*", "(UID FLAGS)")
    _, bodies = client.uid("FETCH", "1:2", "(BODY.PEEK[])")
    assert len(listing) == 2
    assert len(bodies) == 4  # two (response, literal) pairs, each followed by b")"
    client.logout()


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
             "--pop3-port", "0", "--imap-port", "0", "--account", "alice:pw",
             "--max-connections", "100"],
            stdout=subprocess.PIPE, text=True)
        try:
            assert serve.stdout is not None
            serve.stdout.readline()  # the SMTP listener
            ports = {}
            for _ in range(2):  # "pop3 listening on HOST:PORT", then imap's
                line = serve.stdout.readline()
                ports[line.split()[0]] = int(line.rsplit(":", 1)[1])
            sides: dict[str, tuple[Callable[[], None], Callable[[], None], str]] = {
                "POP3": (lambda: pop3_in_memory(accounts),
                         lambda: pop3_loopback(ports["pop3"]), "poplib"),
                "IMAP": (lambda: imap_in_memory(accounts),
                         lambda: imap_loopback(ports["imap"]), "imaplib"),
            }
            figures: dict[str, tuple[list[float], list[float]]] = {
                name: ([], []) for name in sides}
            for i in range(args.rounds):
                for name, (memory_fn, loopback_fn, client) in sides.items():
                    memory, loopback = figures[name]
                    memory.append(rate(memory_fn, args.seconds))
                    loopback.append(rate(loopback_fn, args.seconds))
                    print(f"  round {i + 1} {name}: in memory {memory[-1]:,.0f}/s, "
                          f"{client} over loopback {loopback[-1]:,.0f}/s", flush=True)
        finally:
            serve.terminate()
            serve.wait(timeout=15)
    for name, (memory, loopback) in figures.items():
        m, lb = statistics.median(memory), statistics.median(loopback)
        verdict = "met" if m / lb >= TARGET else "NOT met"
        print(f"{name} sessions/s (median of {args.rounds}): in memory {m:,.0f}, "
              f"{sides[name][2]} -> smtpsim serve over loopback {lb:,.0f}; ratio "
              f"{m / lb:.1f}x (target >= {TARGET:.0f}x: {verdict}; {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
