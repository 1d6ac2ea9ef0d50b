"""From a trace to packets: every dialog line, as TCP/IP would have carried it.

The trace records what was *said*: each SMTP, POP3, IMAP or HTTP line, when it crossed,
who opened each connection, each DNS question and answer. :func:`packets` turns that
into what a network card would have seen, with nothing invented that the trace does not
imply:

* a connection (:class:`~smtpsim.trace.SessionOpened`) starts with TCP's three-way
  handshake, drawn within the one-way latency the simulation spends on it: ``SYN``
  from the client, ``SYN-ACK`` from the server, ``ACK`` from the client;
* every *flight* (the lines one side wrote before waiting for the other, all recorded
  at the same moment) is one TCP segment, or several of at most 1460 octets (an
  Ethernet frame's worth), each carrying a sequence number that counts the octets
  sent so far and an acknowledgement number that counts the octets received; a long
  message is acknowledged every two segments, as receivers do;
* the end (:class:`~smtpsim.trace.SessionClosed`) is ``FIN`` from the side that spoke
  last, ``FIN-ACK`` back, and a last ``ACK``;
* a refused connection (a :class:`~smtpsim.trace.Deferred` whose reply says
  "Connection refused") is a ``SYN`` answered by ``RST``;
* a DNS question and its answer are two UDP datagrams between the asking node and the
  DNS server, on port 53.

Ports: the server's is the session's; the client's is an *ephemeral* port, 49152 and
up, one per connection in order. Initial sequence numbers are derived from the session
id, so the same run always gives the same capture. Addresses are those in the
network's description (:class:`~smtpsim.trace.NetworkDescribed`).

Each :class:`Packet` keeps the layers apart (what the Stepper's layers view shows);
:func:`frame` writes one as Ethernet bytes, and :func:`write_capture` a whole trace as
a pcapng (or pcap) file.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from .. import imap, pop3
from ..protocol import explain_command, explain_line
from ..trace import (
    Deferred,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    NetworkDescribed,
    SessionClosed,
    SessionOpened,
    TraceEvent,
)
from ._dns import query_wire, response_wire
from ._frames import PROTOCOL_TCP, PROTOCOL_UDP, ethernet, ipv4, mac_address, tcp, udp
from ._pcapng import write_pcap, write_pcapng

__all__ = ["MSS", "Packet", "frame", "packets", "write_capture"]

#: The most payload one TCP segment carries: a 1500-octet Ethernet payload less the
#: 20-octet IPv4 and 20-octet TCP headers.
MSS = 1460
#: The first ephemeral port (RFC 6335).
EPHEMERAL = 49152
#: When the trace says nothing of a link's latency.
_DEFAULT_LATENCY = 0.01


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet, layer by layer.

    Attributes:
        t: when it was sent, in simulated seconds.
        src, dst: the node names; ``src_ip``, ``dst_ip`` their addresses.
        transport: ``"TCP"`` or ``"UDP"``; ``sport``, ``dport`` the ports.
        flags: TCP flags as letters (``"S"``, ``"SA"``, ``"A"``, ``"PA"``, ``"FA"``,
            ``"RA"``); ``""`` for UDP.
        seq, ack: TCP's sequence and acknowledgement numbers (0 for UDP).
        payload: the application's bytes.
        application: ``"SMTP"``, ``"POP3"``, ``"IMAP"``, ``"HTTP"``, ``"DNS"`` or ``""``
            (a packet of TCP's own: handshake, ACK, FIN, RST).
        session: the trace's session id (``""`` for DNS).
        lines: the dialog lines it carries (or the DNS question and answer, in words).
        index: the position in the trace of the event it comes from.
        comment: what its lines mean, in plain English (a pcapng packet comment).
        side: ``"client"`` or ``"server"`` for TCP (who sent it), ``""`` for UDP.
    """

    t: float
    src: str
    dst: str
    src_ip: str
    dst_ip: str
    transport: str
    sport: int
    dport: int
    flags: str
    seq: int
    ack: int
    payload: bytes
    application: str
    session: str
    lines: tuple[str, ...]
    index: int
    comment: str = ""
    side: str = ""

    @property
    def relative_seq(self) -> int:
        """The sequence number counted from this side's first (its SYN is 0), as
        Wireshark shows it."""
        return (self.seq - _isn(self.session, self.side)) & 0xFFFFFFFF if self.side else 0

    @property
    def relative_ack(self) -> int:
        """The acknowledgement number counted from the other side's SYN."""
        if not self.side or "A" not in self.flags:
            return 0
        other = "server" if self.side == "client" else "client"
        return (self.ack - _isn(self.session, other)) & 0xFFFFFFFF


@dataclass
class _Connection:
    """What TCP keeps for one connection while the trace is read."""

    client: str
    server: str
    cport: int
    sport: int
    latency: float
    application: str
    client_next: int  # the next sequence number the client will send
    server_next: int
    flight: list[DialogLine] = field(default_factory=list)
    flight_index: int = 0
    last_dir: str = "S"


def _application(event: SessionOpened, kind: str) -> str:
    if kind in ("pop3", "imap"):
        return kind.upper()
    return "HTTP" if event.port in (80, 443) else "SMTP"


def _isn(session: str, side: str) -> int:
    """A deterministic initial sequence number, different for each side and session."""
    return zlib.crc32(f"{session}/{side}".encode())


class _Reader:
    """Reads a trace event by event and writes the packets it implies."""

    def __init__(self) -> None:
        self.out: list[tuple[float, int, Packet]] = []  # (time, order, packet)
        self.order = itertools.count()
        self.addresses: dict[str, str] = {}
        self.latencies: dict[frozenset[str], float] = {}
        self.dns = "dns"
        self.open: dict[str, _Connection] = {}
        self.connections = itertools.count()
        self.dns_ids: dict[tuple[str, str, str], int] = {}
        self.next_dns_id = itertools.count(1)
        self.pending_open: dict[str, tuple[int, SessionOpened]] = {}

    def address(self, node: str) -> str:
        return self.addresses.get(node, "192.0.2.1")

    def ephemeral_port(self) -> int:
        """The client's port of the next connection: 49152, 49153 ... 65535, then
        49152 again (a real host reuses them too, once a connection is long closed)."""
        return EPHEMERAL + next(self.connections) % (65536 - EPHEMERAL)

    def latency(self, a: str, b: str) -> float:
        return self.latencies.get(frozenset((a, b)), _DEFAULT_LATENCY)

    def emit(self, t: float, src: str, dst: str, sport: int, dport: int, flags: str,
             seq: int, ack: int, payload: bytes = b"", *, application: str = "",
             session: str = "", lines: tuple[str, ...] = (), index: int = 0,
             comment: str = "", transport: str = "TCP") -> None:
        # Of a connection's two ends, the client is the one on an ephemeral port.
        side = ("client" if sport >= EPHEMERAL else "server") if transport == "TCP" and session \
            else ""
        packet = Packet(t, src, dst, self.address(src), self.address(dst), transport, sport,
                        dport, flags, seq, ack, payload, application, session, lines,
                        index, comment, side)
        self.out.append((t, next(self.order), packet))

    # -- events ---------------------------------------------------------------------

    def read(self, index: int, event: TraceEvent) -> None:
        if isinstance(event, NetworkDescribed):
            self.addresses.update(dict(event.addresses))
            for a, b, _, _, latency in event.links:
                self.latencies[frozenset((a, b))] = latency
            self.dns = next((name for name, kind, _ in event.nodes if kind == "dns"), "dns")
        elif isinstance(event, SessionOpened):
            # The protocol is known from its first line; wait for it.
            self.pending_open[event.session] = (index, event)
        elif isinstance(event, DialogLine):
            self.line(index, event)
        elif isinstance(event, SessionClosed):
            self.close(index, event)
        elif isinstance(event, Deferred) and "Connection refused" in event.reply:
            self.refused(index, event)
        elif isinstance(event, DnsQuery):
            self.dns_query(index, event)
        elif isinstance(event, DnsAnswer):
            self.dns_answer(index, event)

    def connect(self, index: int, event: SessionOpened, kind: str) -> _Connection:
        latency = self.latency(event.peer, event.node)
        conn = _Connection(event.peer, event.node, self.ephemeral_port(), event.port, latency,
                           _application(event, kind), _isn(event.session, "client"),
                           _isn(event.session, "server"))
        self.open[event.session] = conn
        t = event.t
        c, s = conn.client, conn.server
        self.emit(t - latency, c, s, conn.cport, conn.sport, "S", conn.client_next, 0,
                  session=event.session, index=index, comment="SYN: open a connection")
        conn.client_next += 1  # a SYN counts as one octet
        self.emit(t - latency / 2, s, c, conn.sport, conn.cport, "SA", conn.server_next,
                  conn.client_next, session=event.session, index=index,
                  comment="SYN-ACK: the server accepts")
        conn.server_next += 1
        self.emit(t, c, s, conn.cport, conn.sport, "A", conn.client_next, conn.server_next,
                  session=event.session, index=index,
                  comment="ACK: the connection is open")
        return conn

    def line(self, index: int, event: DialogLine) -> None:
        conn = self.open.get(event.session)
        if conn is None:
            opened = self.pending_open.pop(event.session, None)
            if opened is None:
                return  # a line of a session whose opening is not in this trace
            conn = self.connect(opened[0], opened[1], event.kind)
        if conn.flight and (conn.flight[-1].dir != event.dir or conn.flight[-1].t != event.t):
            self.flush(conn)
        if not conn.flight:
            conn.flight_index = index
        conn.flight.append(event)

    def flush(self, conn: _Connection) -> None:
        """Send the flight waiting: one segment per MSS octets."""
        lines = conn.flight
        if not lines:
            return
        conn.flight = []
        first = lines[0]
        from_client = first.dir == "C"
        conn.last_dir = first.dir
        payload = "".join(line.line + "\r\n" for line in lines).encode("utf-8")
        src, dst = (conn.client, conn.server) if from_client else (conn.server, conn.client)
        sport, dport = (conn.cport, conn.sport) if from_client else (conn.sport, conn.cport)
        texts = tuple(line.line for line in lines)
        comment = _comment(conn.application, lines)
        index = conn.flight_index
        chunks = [payload[i:i + MSS] for i in range(0, len(payload), MSS)]
        for k, chunk in enumerate(chunks):
            seq = conn.client_next if from_client else conn.server_next
            ack = conn.server_next if from_client else conn.client_next
            self.emit(first.t, src, dst, sport, dport, "PA", seq, ack, chunk,
                      application=conn.application, session=first.session,
                      lines=texts if k == 0 else (), index=index,
                      comment=comment if k == 0 else f"(the flight goes on: part {k + 1})")
            if from_client:
                conn.client_next += len(chunk)
            else:
                conn.server_next += len(chunk)
            if k % 2 == 1 and k < len(chunks) - 1:  # the receiver acknowledges every two
                self.emit(first.t, dst, src, dport, sport, "A",
                          conn.server_next if from_client else conn.client_next,
                          conn.client_next if from_client else conn.server_next,
                          session=first.session, index=index)

    def close(self, index: int, event: SessionClosed) -> None:
        conn = self.open.pop(event.session, None)
        if conn is None:
            opened = self.pending_open.pop(event.session, None)
            if opened is None:
                return
            conn = self.connect(opened[0], opened[1], "smtp")  # opened, closed, no word
        self.flush(conn)
        # The side that spoke last closes first (after 221 Bye, the server).
        first_server = conn.last_dir == "S"
        a, b = (conn.server, conn.client) if first_server else (conn.client, conn.server)
        pa, pb = (conn.sport, conn.cport) if first_server else (conn.cport, conn.sport)

        def nexts() -> tuple[int, int]:
            return ((conn.server_next, conn.client_next) if first_server
                    else (conn.client_next, conn.server_next))

        t, latency = event.t, conn.latency
        seq, ack = nexts()
        self.emit(t, a, b, pa, pb, "FA", seq, ack, session=event.session, index=index,
                  comment=f"FIN: {a} closes the connection ({event.reason})")
        self._count_fin(conn, first_server)
        seq_b, ack_b = nexts()[::-1]
        self.emit(t + latency, b, a, pb, pa, "FA", seq_b, ack_b, session=event.session,
                  index=index, comment=f"FIN-ACK: {b} closes its side too")
        self._count_fin(conn, not first_server)
        seq, ack = nexts()
        self.emit(t + 2 * latency, a, b, pa, pb, "A", seq, ack, session=event.session,
                  index=index, comment="ACK: the connection is closed")

    @staticmethod
    def _count_fin(conn: _Connection, server: bool) -> None:
        if server:
            conn.server_next += 1  # a FIN counts as one octet
        else:
            conn.client_next += 1

    def refused(self, index: int, event: Deferred) -> None:
        port = _port_of(event.reply)
        latency = self.latency(event.node, event.to)
        cport, isn = self.ephemeral_port(), _isn(f"refused-{index}", "client")
        self.emit(event.t - 2 * latency, event.node, event.to, cport, port, "S", isn, 0,
                  index=index, comment=f"SYN: {event.node} tries {event.to} port {port}")
        self.emit(event.t - latency, event.to, event.node, port, cport, "RA", 0, isn + 1,
                  index=index, comment="RST: nothing listens there: Connection refused")

    def dns_query(self, index: int, event: DnsQuery) -> None:
        ident = next(self.next_dns_id) & 0xFFFF
        self.dns_ids[(event.node, event.qname, event.qtype)] = ident
        sport = 53000 + ident % 1000
        self.emit(event.t, event.node, self.dns, sport, 53, "", 0, 0,
                  query_wire(event.qname, event.qtype, ident), application="DNS",
                  lines=(f"{event.qtype}? {event.qname}",), index=index,
                  comment=f"DNS question: the {event.qtype} records of {event.qname}?",
                  transport="UDP")

    def dns_answer(self, index: int, event: DnsAnswer) -> None:
        ident = self.dns_ids.pop((event.node, event.qname, event.qtype), None)
        if ident is None:
            return
        sport = 53000 + ident % 1000
        said = ", ".join(event.answers) or "no records"
        self.emit(event.t, self.dns, event.node, 53, sport, "", 0, 0,
                  response_wire(event.qname, event.qtype, ident, event.rcode, event.answers),
                  application="DNS", lines=(f"{event.rcode}: {said}",), index=index,
                  comment=f"DNS answer ({event.rcode}): {said}", transport="UDP")

    def finish(self) -> list[Packet]:
        for conn in self.open.values():
            self.flush(conn)  # a run that ended mid-session: what was said was sent
        # In time order; at the same moment, in the order of the trace events they come
        # from (a flight is written when it is complete, after its last line).
        self.out.sort(key=lambda item: (item[0], item[2].index, item[1]))
        return [packet for _, _, packet in self.out]


def _port_of(reply: str) -> int:
    """The port in ``connect to mx1.example.com[192.0.2.10]:25: Connection refused``."""
    head = reply.partition("]:")[2]
    digits = head.partition(":")[0]
    return int(digits) if digits.isdigit() else 25


def _comment(application: str, lines: list[DialogLine]) -> str:
    """What a flight's lines mean, one ``dir: line -- meaning`` per line that has one.

    The content of a message (SMTP's DATA, a RETR, an IMAP literal) is summed up, not
    explained line by line.
    """
    out: list[str] = []
    content = 0
    for line in lines:
        text = line.line
        if application == "SMTP":
            if line.dir == "C" and line.state == "DATA" and text != ".":
                content += 1
                continue
            if line.dir == "C":
                meaning = explain_command(text)
            else:
                meaning = explain_line(text) if text[3:4] in (" ", "") else ""
        elif application in ("POP3", "IMAP") and line is not lines[0]:
            content += 1
            continue
        elif application == "POP3":
            meaning = (pop3.explain_command(text) if line.dir == "C"
                       else pop3.explain_response(text))
        elif application == "IMAP":
            meaning = (imap.explain_command(text) if line.dir == "C"
                       else imap.explain_response(text))
        else:
            meaning = ""
        shown = text if len(text) <= 72 else text[:69] + "..."
        out.append(f"{line.dir}: {shown}" + (f" -- {meaning}" if meaning else ""))
    if content:
        out.append(f"(and {content} more line(s): the message or the rest of the answer)")
    return "\n".join(out)


def packets(events: Iterable[TraceEvent]) -> list[Packet]:
    """Every packet a trace implies, in the order they were sent."""
    reader = _Reader()
    for index, event in enumerate(events):
        reader.read(index, event)
    return reader.finish()


def frame(packet: Packet, *, ident: int = 0) -> bytes:
    """One packet as an Ethernet frame: Ethernet, IPv4, TCP or UDP, payload."""
    if packet.transport == "UDP":
        inner = udp(packet.src_ip, packet.dst_ip, packet.sport, packet.dport, packet.payload)
        protocol = PROTOCOL_UDP
    else:
        inner = tcp(packet.src_ip, packet.dst_ip, packet.sport, packet.dport, seq=packet.seq,
                    ack=packet.ack, flags=packet.flags, payload=packet.payload)
        protocol = PROTOCOL_TCP
    datagram = ipv4(packet.src_ip, packet.dst_ip, protocol, inner, ident=ident)
    return ethernet(mac_address(packet.dst_ip), mac_address(packet.src_ip), datagram)


def _start(events: list[TraceEvent]) -> datetime:
    for event in events:
        if isinstance(event, NetworkDescribed) and event.start:
            return datetime.fromisoformat(event.start)
    return datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


def write_capture(events: Iterable[TraceEvent], path: str | Path | BinaryIO, *,
                  format: str = "pcapng") -> int:
    """Write the capture of a trace to ``path`` (a file name or a binary file) and
    return how many packets it holds.

    Timestamps are the wall-clock dates of the simulated times (from the run's start
    date), so Wireshark's time column matches the Received headers and the Stepper.

    Args:
        events: the trace (``net.trace``), or a list of its events.
        path: where to write.
        format: ``"pcapng"`` (with a comment on each packet saying what it carries) or
            ``"pcap"`` (no comments).

    Raises:
        ValueError: an unknown format.
    """
    if format not in ("pcapng", "pcap"):
        raise ValueError(f"a capture is pcapng or pcap, not {format!r}")
    events = list(events)
    base = _start(events).timestamp()
    found = packets(events)
    # A generator: each frame is made as it is written, so memory holds the packets only.
    frames = ((base + p.t, frame(p, ident=i + 1), p.comment) for i, p in enumerate(found))
    writer = write_pcapng if format == "pcapng" else write_pcap
    if isinstance(path, (str, Path)):
        with open(path, "wb") as out:
            writer(frames, out)
    else:
        writer(frames, path)
    return len(found)
