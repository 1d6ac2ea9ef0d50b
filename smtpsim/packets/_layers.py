"""One packet as layers, the way Wireshark's packet details (or Packet Tracer's PDU
view) show it: link, network, transport, application, each with its fields.

:func:`layers` reads the same :class:`~smtpsim.packets.Packet` that
:func:`~smtpsim.packets.frame` turns into bytes, so what the Stepper's layers pane
shows is what the capture holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..trace import TraceEvent
from ._capture import Packet
from ._frames import mac_address

__all__ = ["Layer", "layers", "packet_at"]

#: One layer: its name, what it is (``"IPv4"``), and its fields as (name, value).
Layer = tuple[str, str, tuple[tuple[str, str], ...]]

_FLAG_NAMES = {"S": "SYN", "A": "ACK", "P": "PSH", "F": "FIN", "R": "RST"}


def _mac(ip: str) -> str:
    return ":".join(f"{b:02x}" for b in mac_address(ip))


def layers(packet: Packet) -> list[Layer]:
    """The layers of ``packet``, from the wire up."""
    transport_name = "TCP" if packet.transport == "TCP" else "UDP"
    ip_header = 20
    transport_header = 20 if packet.transport == "TCP" else 8
    out: list[Layer] = [
        ("link", "Ethernet II", (
            ("source", _mac(packet.src_ip)), ("destination", _mac(packet.dst_ip)),
            ("type", "0x0800 (IPv4)"))),
        ("network", "IPv4", (
            ("source", f"{packet.src_ip} ({packet.src})"),
            ("destination", f"{packet.dst_ip} ({packet.dst})"),
            ("protocol", f"{transport_name} ({6 if transport_name == 'TCP' else 17})"),
            ("total length", f"{ip_header + transport_header + len(packet.payload)} octets"),
            ("time to live", "64"))),
    ]
    ports = (("source port", str(packet.sport)), ("destination port", str(packet.dport)))
    if packet.transport == "TCP":
        flags = " ".join(_FLAG_NAMES[f] for f in "SFRPA" if f in packet.flags)
        out.append(("transport", "TCP", (*ports, ("flags", flags),
                                         ("sequence number", str(packet.relative_seq)),
                                         ("acknowledgement", str(packet.relative_ack)
                                          if "A" in packet.flags else "-"),
                                         ("payload", f"{len(packet.payload)} octets"))))
    else:
        out.append(("transport", "UDP", (*ports, ("length", f"{8 + len(packet.payload)} octets"))))
    if packet.application:
        shown = tuple(("line", line) for line in packet.lines[:6])
        if len(packet.lines) > 6:
            shown += (("", f"... {len(packet.lines) - 6} more line(s)"),)
        out.append(("application", packet.application, shown))
    return out


def packet_at(found: Sequence[Packet], events: Sequence[TraceEvent],
              position: int) -> Packet | None:
    """The packet that carries the event at ``position`` of the trace: the segment
    holding a dialog line (the flight it belongs to), the handshake's SYN for a
    connection opening, the FIN for a closing, the datagram of a DNS question or
    answer; None for an event nothing on the wire carries (a queue, a delivery)."""
    if not 0 <= position < len(events):
        return None
    session = getattr(events[position], "session", "")
    best = None
    for packet in found:
        if packet.index > position:
            continue
        if packet.index == position and (best is None or best.index != position):
            best = packet  # the first packet of this very event
        elif session and packet.session == session and packet.payload and (
                best is None or best.index != position):
            best = packet  # the latest flight of its session so far
    if best is not None and best.index != position and not session:
        return None
    return best
