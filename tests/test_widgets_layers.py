"""The Stepper's layers pane: the packet of the current step, read from the same
packets the capture file is written from."""

from __future__ import annotations

import re

import smtpsim
from smtpsim.packets import frame, layers
from smtpsim.trace import Deferred, DialogLine, DnsQuery


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def stepper_at(name: str, test) -> smtpsim.Stepper:
    stepper = smtpsim.Stepper(smtpsim.load(name).run(), packets=True)
    stepper.index = next(i for i, e in enumerate(stepper.steps) if test(e))
    return stepper


def test_hidden_until_pressed_then_shows_the_layers_of_the_current_line():
    stepper = smtpsim.Stepper(smtpsim.load("mx-failover").run())
    assert stepper._layers_pane.layout.display == "none" and stepper._layers.value == ""
    stepper._show_layers.value = True
    assert stepper._layers_pane.layout.display == "flex"
    stepper.index = next(i for i, e in enumerate(stepper.steps)
                         if isinstance(e, DialogLine) and e.line == "EHLO bob-laptop")
    shown = text(stepper._layers.value)
    assert "link: Ethernet II" in shown and "network: IPv4" in shown
    assert "source: 203.0.113.7 (bob-laptop)" in shown
    assert "transport: TCP source port: 49152 destination port: 587 flags: PSH ACK" in shown
    assert "application: SMTP line: EHLO bob-laptop" in shown


def test_the_pane_and_the_capture_agree():
    stepper = stepper_at("mx-failover", lambda e: isinstance(e, DialogLine)
                         and e.line.startswith("354"))
    packet = stepper.packet
    data = frame(packet)
    # The frame's TCP header carries the ports and payload the pane shows.
    assert int.from_bytes(data[34:36], "big") == packet.sport == 587
    assert data[54:] == packet.payload and b"354 End data" in packet.payload
    names = [name for _, name, _ in layers(packet)]
    assert names == ["Ethernet II", "IPv4", "TCP", "SMTP"]


def test_a_refused_connection_and_a_dns_question():
    refused = stepper_at("mx-failover", lambda e: isinstance(e, Deferred))
    assert "flags: SYN" in text(refused._layers.value)
    assert "tries mx1.example.com port 25" in text(refused._layers.value)
    asked = stepper_at("mx-failover", lambda e: isinstance(e, DnsQuery))
    shown = text(asked._layers.value)
    assert "transport: UDP" in shown and "destination port: 53" in shown
    assert "application: DNS line: MX? example.com" in shown


def test_a_step_with_nothing_on_the_wire():
    stepper = stepper_at("classic", lambda e: e.kind == "delivered")
    assert "nothing on the wire at this step" in stepper._layers.value


def test_the_static_export_has_the_packet_when_the_pane_is_open():
    stepper = stepper_at("mx-failover", lambda e: isinstance(e, DnsQuery))
    assert "network: IPv4" in text(stepper._repr_html_())
    stepper._show_layers.value = False
    assert "network: IPv4" not in text(stepper._repr_html_())
