"""Capture files: pcapng, which Wireshark writes by default, and the older pcap.

A **pcapng** file (the IETF draft "PCAP Now Generic", draft-ietf-opsawg-pcapng) is a
sequence of *blocks*. Each block starts with its type and total length and ends with
the length again (so a reader can walk backwards too), and its body is padded to a
multiple of 4 bytes. Three kinds are enough for a capture:

* a **Section Header Block** (type ``0x0A0D0D0A``): the byte-order magic
  ``0x1A2B3C4D`` (little-endian here), version 1.0, and the program that wrote it;
* an **Interface Description Block** (type 1): the link type (1: Ethernet) and how
  much of each packet was kept (0: all of it);
* an **Enhanced Packet Block** (type 6) per packet: the interface, a timestamp in
  microseconds since 1970 split into two 32-bit halves, the lengths, the frame, and
  *options*; option 1 is a comment, which Wireshark shows as ``pkt_comment``
  (``frame.comment``). That is where each SMTP line's plain-English meaning goes.

A classic **pcap** file (libpcap's format) has one 24-byte header and a 16-byte
record header per packet, and no room for comments.

Written with :mod:`struct` rather than a library: these are the only four block types
smtpsim writes, each a few lines, and python-pcapng (the one pure-Python writer)
would add a dependency for less than this file (see docs/DECISIONS.md).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import BinaryIO

__all__ = ["LINKTYPE_ETHERNET", "write_pcap", "write_pcapng"]

LINKTYPE_ETHERNET = 1
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_OPT_END, _OPT_COMMENT, _SHB_USERAPPL = 0, 1, 4


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _option(code: int, value: bytes) -> bytes:
    """One option: its code, its length, its value padded to 4 bytes."""
    return struct.pack("<HH", code, len(value)) + _pad(value)


def _options(*options: bytes) -> bytes:
    """Options end with ``opt_endofopt``; a block without options has none at all."""
    return b"".join(options) + struct.pack("<HH", _OPT_END, 0) if options else b""


def _block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)  # type, length, body, length again
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def _microseconds(seconds: float) -> int:
    return round(seconds * 1_000_000)


def write_pcapng(frames: Iterable[tuple[float, bytes, str]], out: BinaryIO, *,
                 application: str = "smtpsim") -> None:
    """Write a pcapng capture of Ethernet frames to the binary file ``out``.

    Args:
        frames: ``(timestamp, frame, comment)``: seconds since 1970 (UTC), the
            frame's bytes, and a comment (``""`` for none).
        out: where to write.
        application: the writing program, in the section header.
    """
    section = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)  # -1: section length unknown
    out.write(_block(_SHB, section + _options(_option(_SHB_USERAPPL, application.encode()))))
    out.write(_block(_IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 0)))
    for timestamp, frame, comment in frames:
        micros = _microseconds(timestamp)
        body = struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(frame),
                           len(frame)) + _pad(frame)
        if comment:
            body += _options(_option(_OPT_COMMENT, comment.encode("utf-8")))
        out.write(_block(_EPB, body))


def write_pcap(frames: Iterable[tuple[float, bytes, str]], out: BinaryIO) -> None:
    """Write a classic pcap capture (microsecond timestamps; the comments are lost:
    the format has no place for them)."""
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
    for timestamp, frame, _ in frames:
        micros = _microseconds(timestamp)
        out.write(struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame),
                              len(frame)) + frame)
