"""Store accepted messages the way a real mail server does: in a Maildir.

A Maildir (D. J. Bernstein, 1995; used by Postfix, Dovecot, qmail) is a directory
with three subdirectories:

* ``tmp/`` - a message is written here first, under a unique name;
* ``new/`` - once the file is completely written (and synced to disk) it is
  *renamed* here; a rename is atomic, so a reader never sees half a message;
* ``cur/`` - a mail reader moves a message here once it has seen it.

No locks are needed, which is why Maildir replaced the single mbox file.

Two details make a 250 trustworthy. The rename is itself a change to the ``new/``
directory, which lives on disk separately from the file: after the rename the
directory is synced too (``fsync`` on the directory), or a power cut could lose
the name and so the message. And a mailbox is private: files are created ``0600``
(owner only), whatever the umask. A unique
name is ``<seconds>.M<microseconds>P<pid>Q<counter>.<hostname>``: unique on one
host because one process never reuses a (time, counter) pair.

As the final hop (RFC 5321 §4.4) the server prepends ``Return-Path: <sender>``,
the envelope sender, so that a mail reader knows where bounces go. It is prepended
to the bytes as received: the message is never parsed and re-serialised, which
could change earlier headers (and break their DKIM signatures).
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..message import prepend_header

if TYPE_CHECKING:
    from ..protocol import Envelope

__all__ = ["Maildir", "with_return_path"]


def with_return_path(content: bytes, sender: str | None) -> bytes:
    """``content`` with ``Return-Path: <sender>`` in front (``<>`` for a bounce)."""
    return prepend_header(content, "Return-Path", f"<{sender or ''}>")


class Maildir:
    """A Maildir at ``path`` (created with ``tmp``, ``new`` and ``cur`` if missing).

    Args:
        path: the Maildir's directory.
        hostname: the host part of file names (default: this machine's name).
    """

    def __init__(self, path: str | Path, hostname: str | None = None) -> None:
        self.path = Path(path)
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        host = hostname or socket.gethostname() or "localhost"
        # The Maildir spec: "/" and ":" may not appear in the host part.
        self.hostname = host.replace("/", r"\057").replace(":", r"\072")
        self._counter = itertools.count(1)

    def unique_name(self) -> str:
        """A file name no other delivery on this host will use."""
        now = time.time()
        sec, usec = int(now), int((now % 1) * 1_000_000)
        return f"{sec}.M{usec:06d}P{os.getpid()}Q{next(self._counter)}.{self.hostname}"

    def add(self, data: bytes) -> Path:
        """Write ``data`` to ``tmp/`` (mode 0600), sync it, rename it into ``new/``, sync
        ``new/``; return the path."""
        name = self.unique_name()
        tmp = self.path / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        new = self.path / "new" / name
        tmp.rename(new)
        _sync_directory(new.parent)
        return new

    def deliver(self, envelope: Envelope, content: bytes, peer: str = "") -> Path:
        """Store one accepted message with its ``Return-Path`` (a bridge ``deliver`` hook).

        ``peer`` is accepted so the method fits :data:`smtpsim.bridge.Deliver`; a
        Received header naming it is the job of a relaying MTA, not of this store.
        """
        return self.add(with_return_path(content, envelope.mail_from))

    def messages(self) -> list[Path]:
        """The files in ``new/``, oldest first (by name)."""
        return sorted((self.path / "new").iterdir(), key=_arrival)


def _sync_directory(path: Path) -> None:
    """``fsync`` a directory, so that a rename into it survives a power cut."""
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows cannot open one
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _arrival(path: Path) -> tuple[int, ...]:
    """Sort key from a unique name: (seconds, microseconds, counter)."""
    m = re.match(r"(\d+)\.M(\d+)P\d+Q(\d+)\.", path.name)
    return tuple(int(g) for g in m.groups()) if m else (0,)
