"""How fast is a whole SMTP dialog in memory, next to a real one over loopback?

Runs the same session (EHLO, MAIL, 2 RCPT, DATA with a ~2 KB message, QUIT) two ways
in one run and prints dialogs per second for each, and their ratio:

* in memory: :class:`smtpsim.protocol.MailSender` against
  :class:`smtpsim.protocol.ServerConnection`, joined by :func:`converse`;
* loopback: the stdlib's ``smtplib`` against ``aiosmtpd`` (a thread on 127.0.0.1, a
  free port), whose handler stores each message.

Usage: ``python benchmarks/bench_protocol.py [--seconds 2] [--profile]``. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import smtplib
import socket
import time
from collections.abc import Callable

from smtpsim.protocol import MailSender, Outgoing, ServerConnection, converse

SENDER = "bob@example.org"
RECIPIENTS = ("alice@example.com", "theodore@example.com")
_LINE = b"The quick brown fox jumps over the lazy dog, and the lazy dog sleeps on.\r\n"
MESSAGE = (b"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.com>\r\n"
           b"Subject: benchmark\r\n\r\n" + _LINE * 27 + b".a line that starts with a dot\r\n")


def in_memory_dialog() -> None:
    sender = MailSender("client.example.org", [Outgoing(SENDER, RECIPIENTS, MESSAGE)])
    converse(sender, ServerConnection())
    assert sender.results[-1].reply.code == 250


def rate(fn: Callable[[], None], seconds: float) -> float:
    """Calls of ``fn`` per second, timed over at least ``seconds``."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        n += 1
    return n / elapsed


def loopback_rate(seconds: float) -> float:
    from aiosmtpd.controller import Controller

    class Store:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            self.messages.append(envelope.original_content)
            return "250 Message accepted for delivery"

    # aiosmtpd's start() probes the port it was given, so port 0 will not do: ask the
    # OS for a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Store()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:

        def dialog() -> None:
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as c:
                refused = c.sendmail(SENDER, list(RECIPIENTS), MESSAGE)
                assert not refused

        result = rate(dialog, seconds)
        assert handler.messages
    finally:
        controller.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--profile", action="store_true", help="cProfile the in-memory run")
    args = parser.parse_args()
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(rate, in_memory_dialog, args.seconds)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return
    print(f"message: {len(MESSAGE)} octets, {len(RECIPIENTS)} recipients")
    memory = rate(in_memory_dialog, args.seconds)
    loopback = loopback_rate(args.seconds)
    print(f"in memory (MailSender + ServerConnection): {memory:10,.0f} dialogs/s "
          f"({1e6 / memory:,.0f} µs each)")
    print(f"loopback (smtplib -> aiosmtpd):            {loopback:10,.0f} dialogs/s "
          f"({1e6 / loopback:,.0f} µs each)")
    ratio = memory / loopback
    print(f"ratio: {ratio:.1f}x  (target >= 20x: {'met' if ratio >= 20 else 'NOT met'})")


if __name__ == "__main__":
    main()
