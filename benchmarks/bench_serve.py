"""Figures for ``smtpsim serve`` left running in a lab (issue 12): memory, limits in
scenario mode, the shutdown race, and ``repeat``.

Run it against any checkout (the smtpsim found first on ``PYTHONPATH`` is measured)::

    PYTHONPATH=$PWD python benchmarks/bench_serve.py [--quick]

It prints one line per figure:

1. RSS of ``smtpsim serve`` before and after 200 messages of 1 MB (``/proc``);
2. in ``serve --scenario`` with ``--max-connections 5``: how many of 30 clients are
   greeted; time for one 4 MB and one 32 MB line typed to the console session;
3. stop the server (SIGSTOP), queue 50 connections, SIGTERM, SIGCONT: clients that
   got a 220 but no 421, and tracebacks on stderr;
5. ``smtpsim run`` of a message with ``repeat`` copies one second apart, stopped at
   ``--until 10``: seconds and peak memory of the process.

Loopback only. Linux only (``/proc``, signals).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def start_serve(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen([sys.executable, "-m", "smtpsim", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline().decode()
    if not first.startswith("listening on"):
        raise SystemExit(f"serve did not start: {first!r}")
    return proc, int(first.rsplit(":", 1)[1])


def drain(proc: subprocess.Popen[bytes]) -> None:
    """Read the server's stdout in the background (so it never blocks on it)."""
    import threading

    assert proc.stdout is not None
    threading.Thread(target=proc.stdout.read, daemon=True).start()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(count: int) -> None:
    proc, port = start_serve()
    drain(proc)
    body = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 1000
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.sendmail("bob@example.org", ["alice@example.com"], body)
        before = rss_mb(proc.pid)
        for _ in range(count):
            client.sendmail("bob@example.org", ["alice@example.com"], body)
        after = rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    print(f"1. serve RSS over {count} x 1 MB: {before:.1f} -> {after:.1f} MB "
          f"(+{after - before:.1f} MB)")


def scenario_limits(quick: bool) -> None:
    proc, port = start_serve("--scenario", "classic", "--max-connections", "5")
    drain(proc)
    socks, greeted = [], 0
    for _ in range(30):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        socks.append(s)
        if s.recv(4096).startswith(b"220"):
            greeted += 1
    for s in socks:
        s.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    print(f"2. serve --scenario --max-connections 5: {greeted} of 30 clients greeted")
    proc, port = start_serve("--scenario", "classic")
    drain(proc)
    body = b"Subject: 100k\r\n\r\n" + (b"y" * 98 + b"\r\n") * 1000
    count = 30 if quick else 300
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.login("bob@example.com", "secret")
        client.sendmail("bob@example.com", ["alice@example.com"], body)
        before = rss_mb(proc.pid)
        for _ in range(count):
            client.sendmail("bob@example.com", ["alice@example.com"], body)
        after = rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    print(f"2. serve --scenario RSS over {count} x 100 KB: {before:.1f} -> {after:.1f} MB "
          f"(+{after - before:.1f} MB)")
    from smtpsim.scenarios import load
    from smtpsim.sim import ConsoleSession

    chunk = b"a" * 65536
    for megabytes in (4,) if quick else (4, 32):
        console = ConsoleSession(load("classic").build(), load("classic").entry)
        start = time.perf_counter()
        for _ in range(megabytes * 16):
            console.feed(chunk)
        console.feed(b"\r\n")
        print(f"2. console session, one {megabytes} MB line: "
              f"{time.perf_counter() - start:.2f} s")


def shutdown_race() -> None:
    proc, port = start_serve("--max-connections", "100")
    drain(proc)
    proc.send_signal(signal.SIGSTOP)
    socks = []
    for _ in range(50):
        s = socket.socket()
        s.settimeout(10)
        try:
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            s.close()
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGCONT)
    dropped = refused = 0
    for s in socks:
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except OSError:
            pass
        s.close()
        if not data:
            refused += 1
        elif data.startswith(b"220") and b"\n421 " not in data:
            dropped += 1
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.wait(30)
    print(f"3. 50 queued connections at SIGTERM: {dropped} got 220 and no 421, "
          f"{refused} refused or empty, {err.count('Traceback')} tracebacks on stderr")


def repeat(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.toml"
        path.write_text(
            'name = "r"\ntitle = "t"\ndescription = "d"\n'
            '[[nodes]]\nkind = "user_agent"\nname = "pc"\nuser = "a@x.example"\n'
            'password = "p"\nsubmit_to = "mx.x.example"\n'
            '[[nodes]]\nkind = "msa"\nname = "mx.x.example"\ndomain = "x.example"\n'
            f'[[messages]]\nfrom = "a@x.example"\nto = "b@x.example"\n'
            f'repeat = {count}\ninterval = 1\n')
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "smtpsim", "run", str(path), "--until",
                               "10"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"5. run, repeat = {count}, --until 10: {took:.1f} s, peak RSS of any child so "
          f"far {peak:.0f} MB, exit {done.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller loads")
    args = parser.parse_args()
    import smtpsim

    print(f"smtpsim from {Path(smtpsim.__file__).parent}, Python {sys.version.split()[0]}, "
          f"pid {os.getpid()}")
    repeat(2_000 if args.quick else 20_000)
    memory(20 if args.quick else 200)
    scenario_limits(args.quick)
    shutdown_race()


if __name__ == "__main__":
    main()
