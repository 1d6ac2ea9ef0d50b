"""Which client bytes did each event consume? Lines for the trace.

The protocol engine turns bytes into events but, being sans-IO, does not say which
bytes made which event. The trace wants exactly that: one ``C:`` line per line the
client sent, written right after the server handled it (so its ``state`` is the
state the line led to), followed by the server's ``S:`` reply.

:class:`ClientLines` keeps a copy of what arrived and cuts it the way the engine does:

* outside DATA a command ends at LF (the engine tolerates a bare LF there);
* inside DATA only ``<CRLF>`` ends a line, and only ``<CRLF>.<CRLF>`` ends the content
  (RFC 5321 §4.5.2). A bare CR or LF inside a content line is shown as ``<CR>`` or
  ``<LF>``, so an SMTP-smuggling attempt is visible in the transcript.

Memory stays bounded: a line that grows past :attr:`ClientLines.MAX_LINE` octets
without ending is cut in the middle and shown as ``head[… N octets …]tail``.
"""

from __future__ import annotations

import re

__all__ = ["ClientLines", "show"]

_BARE = re.compile(rb"\r\n|\r|\n")


def show(raw: bytes) -> str:
    """A wire line for people: UTF-8 (bad bytes replaced), bare CR/LF made visible."""
    text = raw.decode("utf-8", "replace")
    return text.replace("\r", "<CR>").replace("\n", "<LF>")


class ClientLines:
    """A shadow copy of the client's bytes, cut into lines as the engine consumes them."""

    #: Past this many octets an unfinished line is cut for display (the engine itself
    #: refuses commands over 512 octets and text lines over 1000).
    MAX_LINE = 2048
    _HEAD = 200
    _TAIL = 4

    def __init__(self) -> None:
        self._buf = bytearray()
        self._cut = 0  # octets dropped from the middle of the first buffered line

    def feed(self, data: bytes) -> None:
        """Bytes just received from the client."""
        self._buf += data

    def _pop(self, end: int, terminator: int) -> bytes:
        raw = bytes(self._buf[: end - terminator])
        del self._buf[:end]
        if self._cut:
            raw = raw[: self._HEAD] + f"[… {self._cut} octets …]".encode() + raw[self._HEAD :]
            self._cut = 0
        return raw

    def take_command(self) -> list[str]:
        """The command line the engine just parsed (ending at LF)."""
        i = self._buf.find(b"\n")
        if i < 0:
            return []
        raw = self._pop(i + 1, 1)
        return [show(raw[:-1] if raw.endswith(b"\r") else raw)]

    def take_content(self) -> list[str]:
        """The content lines up to and including the lone dot that ended them."""
        j = (b"\r\n" + self._buf).find(b"\r\n.\r\n")
        if j < 0:  # pragma: no cover - the engine saw the end, so it is here
            return self.flush_content()
        block = self._pop(j + 3, 2)
        return [show(line) for line in block.split(b"\r\n")]

    def flush_content(self) -> list[str]:
        """Complete content lines received so far (the message is still arriving)."""
        i = self._buf.rfind(b"\r\n")
        if i < 0:
            return []
        block = self._pop(i + 2, 2)
        return [show(line) for line in block.split(b"\r\n")]

    def trim(self, in_data: bool) -> None:
        """Bound memory: cut the middle of an unfinished line that is too long."""
        ends = b"\r\n" if in_data else b"\n"
        if len(self._buf) > self.MAX_LINE and ends not in self._buf:
            drop = len(self._buf) - self._HEAD - self._TAIL
            del self._buf[self._HEAD : self._HEAD + drop]
            self._cut += drop

    def rest(self) -> list[str]:
        """Whatever is left (an unfinished line when the client vanished)."""
        if not self._buf:
            return []
        raw = self._pop(len(self._buf), 0)
        return [show(raw)]
