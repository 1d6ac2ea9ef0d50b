"""Message content on the wire: dot-stuffing and finding the end of DATA.

RFC 5321 §4.5.2 ("transparency"): the content of DATA ends with a line holding only a
dot, ``<CRLF>.<CRLF>``. So that a message line that *starts* with a dot cannot end the
message early, the client doubles that dot ("dot-stuffing") and the server removes it
again. Nothing else about the content changes: the bytes that arrive are the bytes
that were sent.

Only ``<CRLF>.<CRLF>`` ends the content. A bare LF or bare CR never does: servers
that disagreed about this let attackers hide a second message inside the first
("SMTP smuggling", CVE-2023-51764). By default a message holding a bare CR or LF is
refused outright; the ``"normalize"`` policy, for teaching, turns each one into CRLF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import LocalProtocolError
from ._replies import Reply

__all__ = ["DataReader", "dot_stuff", "has_bare_line_ending", "normalize_line_endings"]

_BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")


def has_bare_line_ending(data: bytes) -> bool:
    """True if ``data`` holds a CR not followed by LF, or an LF not preceded by CR."""
    return _BARE.search(data) is not None


def normalize_line_endings(data: bytes) -> bytes:
    """Turn every bare CR and bare LF into CRLF."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", data)


def dot_stuff(content: bytes) -> bytes:
    """The bytes a client sends after ``354``: ``content`` dot-stuffed, then ``.CRLF``.

    A final CRLF is added if ``content`` does not end with one (RFC 5321 §4.1.1.4: the
    content must end in CRLF before the terminating dot).

    Raises:
        LocalProtocolError: ``content`` holds a bare CR or LF, which SMTP cannot carry
            unambiguously (normalize it first).
    """
    if has_bare_line_ending(content):
        raise LocalProtocolError(
            "message content holds a bare CR or LF; SMTP lines end in CRLF "
            "(use normalize_line_endings first)"
        )
    if content and not content.endswith(b"\r\n"):
        content += b"\r\n"
    if content.startswith(b"."):
        content = b"." + content
    return content.replace(b"\r\n.", b"\r\n..") + b".\r\n"


@dataclass(frozen=True, slots=True)
class _Verdict:
    content: bytes | None
    reply: Reply | None


class DataReader:
    """Reads message content after ``354`` until ``<CRLF>.<CRLF>``, un-stuffing dots.

    Memory stays bounded: once the content is over ``max_size`` (or a line is over
    ``max_line``) the rest is read and thrown away, so that the end can still be found
    and the whole message refused with one 5xx reply, never silently truncated.

    Args:
        max_size: the largest message accepted, in octets (SIZE).
        max_line: the longest text line, CRLF included (RFC 5321 §4.5.3.1.6: 1000).
        bare_line_endings: ``"reject"`` or ``"normalize"`` (see the module docstring).
    """

    def __init__(self, max_size: int, max_line: int = 1000,
                 bare_line_endings: str = "reject") -> None:
        if bare_line_endings not in ("reject", "normalize"):
            raise ValueError("bare_line_endings must be 'reject' or 'normalize'")
        self.max_size = max_size
        self.max_line = max_line
        self.policy = bare_line_endings
        self._buf = bytearray()
        self._parts: list[bytes] = []
        self.size = 0
        self.too_big = False
        self.too_long = False
        self.bare = False
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Take received bytes; return any bytes left over after the end of DATA."""
        buf = self._buf
        buf += data
        pos = 0
        while True:
            i = buf.find(b"\r\n", pos)
            if i < 0:
                tail = len(buf) - pos
                if tail > self.max_line + 1 and not self._tail_ok(buf, pos):
                    self.too_long = True
                    self.bare = self.bare or has_bare_line_ending(bytes(buf[pos:-1]))
                    # keep the last byte: it may be the CR of a CRLF
                    pos = len(buf) - 1
                del buf[:pos]
                return b""
            line = bytes(buf[pos:i])
            pos = i + 2
            if line == b".":
                self.done = True
                rest = bytes(buf[pos:])
                buf.clear()
                return rest
            if line.startswith(b"."):
                line = line[1:]
            self._take(line)

    def _tail_ok(self, buf: bytearray, pos: int) -> bool:
        """With the normalize policy a bare LF or CR ends a line too."""
        if self.policy != "normalize":
            return False
        tail = bytes(buf[pos:])
        last = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
        return last >= 0 and len(tail) - last - 1 <= self.max_line

    def _take(self, line: bytes) -> None:
        if b"\r" in line or b"\n" in line:
            self.bare = True
            if self.policy == "normalize":
                pieces = re.split(rb"\r|\n", line)
                if any(len(p) + 2 > self.max_line for p in pieces):
                    self.too_long = True
                line = b"\r\n".join(pieces)
            elif len(line) + 2 > self.max_line:
                self.too_long = True
        elif len(line) + 2 > self.max_line:
            self.too_long = True
        self.size += len(line) + 2
        if self.size > self.max_size:
            self.too_big = True
        if not (self.too_big or self.too_long or (self.bare and self.policy == "reject")):
            self._parts.append(line)

    def verdict(self) -> _Verdict:
        """After the end of DATA: the content, or the reply refusing it."""
        if self.too_long:
            return _Verdict(None, Reply.of(500, "Line too long (RFC 5321 allows 1000 octets "
                                                "per line); message refused", "5.5.6"))
        if self.bare and self.policy == "reject":
            return _Verdict(None, Reply.of(550, "Message refused: bare CR or LF in content "
                                                "(lines must end in CRLF)", "5.6.0"))
        if self.too_big:
            return _Verdict(None, Reply.of(552, "Message size exceeds fixed maximum message "
                                                "size", "5.3.4"))
        if not self._parts:
            return _Verdict(b"", None)
        return _Verdict(b"\r\n".join(self._parts) + b"\r\n", None)
