"""How fast is a whole SMTP dialog in memory, next to a real one over loopback?

Runs the same session (EHLO, MAIL, 2 RCPT, DATA with a ~2 KB message, QUIT) three ways
in one run and prints dialogs per second for each, and the ratio:

* in memory, full trace: :class:`smtpsim.protocol.MailSender` against
  :class:`smtpsim.protocol.ServerConnection`, joined by :func:`converse` with
  ``record=True`` (every wire line kept, as the simulation's full-trace mode does);
* in memory, engines only: the same with ``record=False`` (no transcript);
* loopback: the stdlib's ``smtplib`` against ``aiosmtpd`` (a thread on 127.0.0.1, a
  free port), whose handler stores each message.

To be fair to both sides (and steady on a busy machine) each side runs for a fixed
time slice, the three are interleaved over several rounds, and the median of each is
reported. The target, in-memory >= 20x loopback, is judged on the engines-only line:
like for like, since neither smtplib nor aiosmtpd keeps a transcript (and both run in
this one process, the server in a thread, so each side has one core's worth of Python).
The full-trace ratio is printed beside it.

Usage: ``python benchmarks/bench_protocol.py [--seconds 1] [--rounds 5] [--profile]``.
Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import smtplib
import socket
import statistics
import time
from collections.abc import Callable, Iterator

from smtpsim.protocol import MailSender, Outgoing, ServerConnection, converse

SENDER = "bob@example.org"
RECIPIENTS = ("alice@example.com", "theodore@example.com")
_LINE = b"The quick brown fox jumps over the lazy dog, and the lazy dog sleeps on.\r\n"
MESSAGE = (b"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.com>\r\n"
           b"Subject: benchmark\r\n\r\n" + _LINE * 27 + b".a line that starts with a dot\r\n")
TARGET = 20.0


def in_memory_dialog(record: bool = True) -> None:
    sender = MailSender("client.example.org", [Outgoing(SENDER, RECIPIENTS, MESSAGE)])
    converse(sender, ServerConnection(), record=record)
    assert sender.results[-1].reply.code == 250


def engines_only_dialog() -> None:
    in_memory_dialog(record=False)


def rate(fn: Callable[[], None], seconds: float) -> float:
    """Calls of ``fn`` per second, timed over at least ``seconds``."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


@contextlib.contextmanager
def loopback_server() -> Iterator[Callable[[], None]]:
    """An aiosmtpd server on 127.0.0.1; yields one smtplib dialog against it."""
    from aiosmtpd.controller import Controller

    class Store:
        def __init__(self) -> None:
            self.messages = 0

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            assert envelope.original_content
            self.messages += 1  # counted, not kept: memory must not grow over the run
            return "250 Message accepted for delivery"

    # aiosmtpd's start() probes the port it was given, so port 0 will not do: ask the
    # OS for a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Store()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()

    def dialog() -> None:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as c:
            refused = c.sendmail(SENDER, list(RECIPIENTS), MESSAGE)
            assert not refused

    try:
        yield dialog
        assert handler.messages
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one time slice")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per side")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-memory run")
    args = parser.parse_args()
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(rate, in_memory_dialog, args.seconds)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return
    print(f"message: {len(MESSAGE)} octets, {len(RECIPIENTS)} recipients; "
          f"median of {args.rounds} interleaved {args.seconds:g} s slices per side")
    full: list[float] = []
    engines: list[float] = []
    loop: list[float] = []
    with loopback_server() as loopback_dialog:
        for _ in range(args.rounds):
            full.append(rate(in_memory_dialog, args.seconds))
            engines.append(rate(engines_only_dialog, args.seconds))
            loop.append(rate(loopback_dialog, args.seconds))
    memory, bare, loopback = (statistics.median(x) for x in (full, engines, loop))
    for label, value in (("in memory, full trace (record=True):", memory),
                         ("in memory, engines only (record=False):", bare),
                         ("loopback (smtplib -> aiosmtpd):", loopback)):
        print(f"{label:<40}{value:8,.0f} dialogs/s ({1e6 / value:7,.1f} µs each)")
    ratio = bare / loopback
    print(f"ratio, judged on the engines-only line: {ratio:.1f}x "
          f"(target >= {TARGET:g}x: {'met' if ratio >= TARGET else 'NOT met'}); "
          f"with the full trace: {memory / loopback:.1f}x")


if __name__ == "__main__":
    main()
