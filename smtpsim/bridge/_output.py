"""What a running server prints: never blocking, never spoofable.

Two things can go wrong with a plain ``print()`` inside an asyncio server:

* **It can block the whole server.** ``print`` writes to a pipe or a terminal; when
  nobody reads the other end (``smtpsim serve | less`` left paused, a pipe never
  read), the pipe fills up (64 KiB on Linux) and the write waits - and with it the
  event loop: no client is greeted, no timeout fires. :class:`LinePrinter` hands each
  line to a bounded queue instead, emptied by a writer thread. If the queue is full
  the line is *dropped and counted* (the server goes on serving), and
  :meth:`LinePrinter.close` says how many were lost.
* **It can lie to the operator.** An address may hold characters a terminal obeys
  rather than shows: U+202E RIGHT-TO-LEFT OVERRIDE turns the rest of the line
  around, C1 controls such as U+009B (CSI) start terminal escape sequences. Every
  piece of client-supplied text goes through :func:`printable` first, which writes
  such characters as visible escapes (``\\u202e``).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import TextIO

__all__ = ["LinePrinter", "printable"]


def printable(text: str) -> str:
    """``text`` with every character that is not printable written as an escape.

    Printable is :meth:`str.isprintable` (letters, digits, punctuation, symbols and
    the ordinary space, in any script); everything else - C0 and C1 controls, bidi
    overrides and other format characters, line and paragraph separators - becomes
    ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``. A backslash is doubled, so an escape in
    the output always means the client sent that character.

    >>> printable("bob\\u202e@example.org")
    'bob\\\\u202e@example.org'
    """
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


class LinePrinter:
    """Print lines from an event loop without ever waiting for the reader.

    Args:
        stream: where the lines go (default: standard output, written straight to
            its file descriptor).
        capacity: how many lines may wait; more are dropped (and counted).

    Attributes:
        dropped: lines thrown away because the queue was full.
    """

    def __init__(self, stream: TextIO | None = None, capacity: int = 256) -> None:
        if stream is None and sys.stdout is not sys.__stdout__:
            stream = sys.stdout  # redirected (a test's capture, say): write through it
        self._stream = stream
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=capacity)
        self.dropped = 0
        # A daemon thread: if the reader never reads, it stays blocked in write()
        # and the process can still exit.
        self._thread = threading.Thread(target=self._write_lines, name="smtpsim-stdout",
                                        daemon=True)
        self._thread.start()

    def print(self, line: str) -> None:
        """Queue ``line`` (a newline is added); never blocks."""
        try:
            self._queue.put_nowait(line + "\n")
        except queue.Full:
            self.dropped += 1

    def _write_lines(self) -> None:
        while (line := self._queue.get()) is not None:
            try:
                if self._stream is None:
                    # Straight to the file descriptor: a write blocked on a full pipe
                    # then holds no lock that the interpreter needs at exit.
                    data = line.encode(sys.stdout.encoding or "utf-8", "replace")
                    while data:
                        data = data[os.write(sys.stdout.fileno(), data):]
                else:
                    self._stream.write(line)
                    self._stream.flush()
            except (OSError, ValueError):  # the reader went away: nothing more to do
                return

    def close(self, timeout: float = 2.0) -> int:
        """Let the queued lines out (waiting at most ``timeout`` s); return how many
        lines were dropped in all, and say so on standard error if any were."""
        try:
            self._queue.put(None, timeout=timeout)
            ended = 1
        except queue.Full:
            ended = 0
        self._thread.join(timeout)
        stuck = max(self._queue.qsize() - ended, 0) if self._thread.is_alive() else 0
        lost = self.dropped + stuck
        if lost:
            print(f"smtpsim serve: standard output was not read fast enough; "
                  f"{lost} line(s) were dropped", file=sys.stderr, flush=True)
        return lost
