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
from typing import NamedTuple

from ..errors import LocalProtocolError
from ._replies import Reply

__all__ = ["DataReader", "dot_stuff", "has_bare_line_ending", "normalize_line_endings"]

def has_bare_line_ending(data: bytes) -> bool:
    """True if ``data`` holds a CR not followed by LF, or an LF not preceded by CR."""
    # bytes.splitlines() cuts at every CRLF, every lone CR and every lone LF and drops
    # them. Each ending it dropped was two octets (CRLF) or one (bare CR or LF), so
    # they were all CRLF exactly when they add up to two octets per ending. (Two quick
    # passes in C: much faster than counting, or than a regular expression.)
    if not data:
        return False
    lines = data.splitlines()
    endings = len(lines) if data.endswith((b"\r", b"\n")) else len(lines) - 1
    return len(data) - len(b"".join(lines)) != 2 * endings


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
    # Double the dot that starts any other line. (``new.join(data.split(old))`` is
    # ``data.replace(old, new)`` in one search of ``data`` instead of two.)
    return b"\r\n..".join(content.split(b"\r\n.")) + b".\r\n"


class _Verdict(NamedTuple):
    """How a message ended: its content, or the reply that refuses it."""

    content: bytes | None
    reply: Reply | None


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


class DataReader:
    """Reads message content after ``354`` until ``<CRLF>.<CRLF>``, un-stuffing dots.

    Theory of operation: the received bytes are cut into lines at each CRLF. A line
    holding only a dot ends the content; any other line loses one leading dot (the
    client doubled it) and is kept. Memory stays bounded: a partial line longer than
    any legal line is consumed at once and remembered as "the middle of a line", so
    its end can never be mistaken for the start of a new one (a ``.`` that happens to
    sit at a chunk boundary must not end the message). Once the content is over
    ``max_size`` (or a line is over ``max_line``) the rest is read and thrown away, so
    that the end can still be found and the whole message refused with one 5xx reply,
    never silently truncated.

    With the ``"normalize"`` policy a bare CR or LF also ends a text line (it is
    rewritten as CRLF and the next line is un-stuffed like any other), but it never
    ends the content: only ``<CRLF>.<CRLF>`` does.

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
        self._parts: list[bytes] = []  # accepted content, line endings included
        self._mid_line = False  # the buffer starts inside a line partly consumed
        self._line_len = 0  # octets of the current text line consumed so far
        self.size = 0
        self.too_big = False
        self.too_long = False
        self.bare = False
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Take received bytes; return any bytes left over after the end of DATA."""
        buf = self._buf
        if not self._mid_line and not self._parts and not self.size and self._whole(
                bytes(buf) + data if buf else data):
            buf.clear()
            return b""
        buf += data
        pos = 0
        while True:
            i = buf.find(b"\r\n", pos)
            if i < 0:
                break
            if i == pos + 1 and buf[pos] == 0x2E and not self._mid_line:  # b"."
                self.done = True
                rest = bytes(buf[i + 2 :])
                buf.clear()
                return rest
            self._take(bytes(buf[pos:i]), complete=True)
            pos = i + 2
        if len(buf) - pos > self.max_line:
            # Longer than any legal line: consume it now; keep a final CR, which may be
            # the first half of a CRLF.
            end = len(buf) - 1 if buf[-1] == 0x0D else len(buf)
            self._take(bytes(buf[pos:end]), complete=False)
            pos = end
        del buf[:pos]
        return b""

    def _whole(self, data: bytes) -> bool:
        """The fast path: ``data`` is the whole, clean message and nothing after it (a
        client that waits for the reply, as SMTP without pipelining has it, sends
        exactly that); take it in one go.

        It gives exactly what the line-by-line path gives, or it declines (returns
        False) and leaves anything unusual to that path.
        """
        # A cheap look first: the stream must end with the line holding only a dot.
        if not data.endswith(b".\r\n") or len(data) > self.max_size + 5:
            return False  # (+ 5: the final CRLF and the ".CRLF" are not content)
        # One pass cuts the stream into lines, giving every check below.
        lines = data.splitlines()
        # The first line holding only a dot ends the content: it must be the last.
        if lines[-1] != b"." or lines.index(b".") != len(lines) - 1:
            return False
        # Every line ends in CRLF exactly when the endings add up to two octets per
        # line (see has_bare_line_ending): no bare CR or LF, and the final dot line is
        # a real <CRLF>.<CRLF>.
        lengths = list(map(len, lines))
        if len(data) - sum(lengths) != 2 * len(lines) or max(lengths) + 2 > self.max_line:
            return False
        # Un-stuff: one dot goes from the start of every line that has one
        # (``b"\r\n".join(body.split(b"\r\n."))`` is ``body.replace(b"\r\n.", b"\r\n")``
        # in one search instead of two).
        content = b"\r\n".join(data[:-3].split(b"\r\n."))
        if content[:1] == b".":
            content = content[1:]
        if len(content) > self.max_size:
            return False
        self._parts.append(content)
        self.size = len(content)
        self.done = True
        return True

    def _take(self, segment: bytes, complete: bool) -> None:
        """Account for ``segment``, the next piece of a line (all of it if ``complete``)."""
        starts_line = not self._mid_line
        self._mid_line = not complete
        if b"\r" in segment or b"\n" in segment:
            self.bare = True
            if self.policy == "normalize":
                self._take_normalized(segment, starts_line, complete)
                return
        if starts_line and segment[:1] == b".":
            segment = segment[1:]
        self._add(segment, complete)

    def _take_normalized(self, segment: bytes, starts_line: bool, complete: bool) -> None:
        # Every bare CR or LF ends a text line; each new line is un-stuffed.
        pieces = _LINE_BREAK.split(segment)
        for n, piece in enumerate(pieces):
            if (n > 0 or starts_line) and piece[:1] == b".":
                piece = piece[1:]
            self._add(piece, complete or n < len(pieces) - 1)

    def _add(self, text: bytes, ends_line: bool) -> None:
        self._line_len += len(text)
        if self._line_len + 2 > self.max_line:
            self.too_long = True
        if ends_line:
            text += b"\r\n"
            self._line_len = 0
        self.size += len(text)
        if self.size > self.max_size:
            self.too_big = True
        if not (self.too_big or self.too_long or (self.bare and self.policy == "reject")):
            self._parts.append(text)

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
        return _Verdict(b"".join(self._parts), None)
