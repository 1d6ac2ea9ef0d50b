"""The bytes of a frame, layer by layer: Ethernet, IPv4, then TCP or UDP.

An SMTP line does not travel alone. The sending host wraps it, one header per layer,
and each header says what the next layer needs to know:

* **TCP** (RFC 9293): the two *ports* (which program on each host: 25 is the mail
  server), a *sequence number* (where these bytes fall in the stream), an
  *acknowledgement number* (how much of the other side's stream has arrived), flags
  (``SYN`` to open, ``ACK``, ``PSH`` "hand it on", ``FIN`` to close, ``RST`` to refuse)
  and a checksum;
* **UDP** (RFC 768): just the ports, a length and a checksum, for DNS;
* **IPv4** (RFC 791): the two *addresses* (which host), the protocol inside (6 is TCP,
  17 UDP), a time to live and a checksum of the header;
* **Ethernet**: the two hardware (MAC) addresses and the type of what follows
  (``0x0800``: IPv4).

Every function here takes the layer's fields and the payload and returns the bytes,
written with :mod:`struct` in the order the RFCs draw them. Nothing is left for the
reader to fill in: the checksums are computed, so Wireshark finds every packet valid.
"""

from __future__ import annotations

import socket
import struct

__all__ = ["ETHERTYPE_IPV4", "TCP_FLAGS", "checksum", "ethernet", "ipv4", "mac_address",
           "tcp", "udp"]

ETHERTYPE_IPV4 = 0x0800
PROTOCOL_TCP = 6
PROTOCOL_UDP = 17

#: The TCP flag bits, by the letter tshark and the layers view use.
TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): the ones' complement of the ones' complement
    sum of the data taken as 16-bit words (a last odd byte padded with a zero).

    >>> header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    >>> hex(checksum(header))  # the checksum field (bytes 10-11) is zero while summing
    '0xb861'
    """
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:  # fold the carries back in
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_address(ip: str) -> bytes:
    """A host's made-up hardware address: ``02:00`` (locally administered, so never a
    real vendor's) then the four bytes of its IPv4 address."""
    return b"\x02\x00" + socket.inet_aton(ip)


def ethernet(destination: bytes, source: bytes, payload: bytes,
             ethertype: int = ETHERTYPE_IPV4) -> bytes:
    """An Ethernet II frame: destination MAC, source MAC, type, payload (no FCS: a
    capture does not hold it)."""
    return destination + source + struct.pack("!H", ethertype) + payload


def ipv4(source: str, destination: str, protocol: int, payload: bytes, *,
         ident: int = 0, ttl: int = 64) -> bytes:
    """An IPv4 packet: a 20-byte header (no options), then the payload.

    The header: version 4 and header length 5 words; no special service; the total
    length; an identification; "don't fragment"; the time to live; the protocol; the
    header checksum; the two addresses.
    """
    header = struct.pack("!BBHHHBBH4s4s", (4 << 4) | 5, 0, 20 + len(payload),
                         ident & 0xFFFF, 0x4000, ttl, protocol, 0,
                         socket.inet_aton(source),
                         socket.inet_aton(destination))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def _pseudo_header(source: str, destination: str, protocol: int, length: int) -> bytes:
    """What TCP's and UDP's checksums cover besides the segment: the addresses, the
    protocol and the length (RFC 9293 §3.1), so a packet delivered to the wrong host
    fails its check."""
    return (socket.inet_aton(source) + socket.inet_aton(destination)
            + struct.pack("!BBH", 0, protocol, length))


def tcp(source: str, destination: str, source_port: int, destination_port: int, *,
        seq: int, ack: int, flags: str, payload: bytes = b"", window: int = 64240) -> bytes:
    """A TCP segment (a 20-byte header, no options) inside an IPv4 packet's payload.

    ``flags`` is letters from :data:`TCP_FLAGS`: ``"S"`` for the first SYN, ``"SA"``
    for SYN-ACK, ``"PA"`` for data, ``"FA"`` to close, ``"RA"`` to refuse.
    """
    bits = 0
    for letter in flags:
        bits |= TCP_FLAGS[letter]
    header = struct.pack("!HHIIBBHHH", source_port, destination_port, seq & 0xFFFFFFFF,
                         ack & 0xFFFFFFFF if "A" in flags else 0, 5 << 4, bits, window, 0, 0)
    segment = header + payload
    total = checksum(_pseudo_header(source, destination, PROTOCOL_TCP, len(segment)) + segment)
    return segment[:16] + struct.pack("!H", total) + segment[18:]


def udp(source: str, destination: str, source_port: int, destination_port: int,
        payload: bytes) -> bytes:
    """A UDP datagram: ports, length, checksum, payload."""
    datagram = struct.pack("!HHHH", source_port, destination_port, 8 + len(payload), 0) + payload
    total = checksum(_pseudo_header(source, destination, PROTOCOL_UDP, len(datagram)) + datagram)
    return datagram[:6] + struct.pack("!H", total or 0xFFFF) + datagram[8:]
