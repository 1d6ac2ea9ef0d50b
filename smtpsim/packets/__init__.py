"""Down the stack: a simulated run as the packets a network would have carried.

Every line smtpsim's engines exchange is in the trace. This package puts each one back
where it travels on a real network: inside a TCP segment (with a real handshake,
sequence and acknowledgement numbers that add up, and a FIN at the end), inside an
IPv4 packet between the two hosts' addresses, inside an Ethernet frame; and each DNS
question and answer in a UDP datagram, in DNS's own wire format. The result is a
capture file that Wireshark and tshark open and dissect like one taken on a wire:

    smtpsim run mx-failover --pcap failover.pcapng
    tshark -r failover.pcapng -Y smtp

* :func:`packets` - the packets of a trace, each with its layers apart (:class:`Packet`).
* :func:`frame` - one packet as the bytes of an Ethernet frame.
* :func:`layers`, :func:`packet_at` - one packet as layers (link, IP, TCP or UDP, the
  application), and the packet that carries a given trace event: the Stepper's
  layers pane.
* :func:`write_capture` - a whole trace as a pcapng (or pcap) file, a comment on each
  packet saying what its lines mean.
* ``_frames`` (Ethernet, IPv4, TCP, UDP, checksums), ``_dns`` (DNS messages, with
  dnspython) and ``_pcapng`` (the file format) hold the layers, one file each.
"""

from __future__ import annotations

from ._capture import MSS, Packet, frame, packets, write_capture
from ._layers import Layer, layers, packet_at

__all__ = ["MSS", "Layer", "Packet", "frame", "layers", "packet_at", "packets",
           "write_capture"]
