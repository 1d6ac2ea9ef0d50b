"""Captures of simulated runs (smtpsim.packets): the layers' arithmetic, and every library
scenario judged by tshark, a dissector nobody here wrote."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smtpsim
from smtpsim.packets import MSS, Packet, frame, packets, write_capture
from smtpsim.packets._frames import _pseudo_header, checksum, ipv4, tcp
from smtpsim.scenarios import library_names
from smtpsim.trace import (
    Deferred,
    DialogLine,
    DnsQuery,
    NetworkDescribed,
    SessionClosed,
    SessionOpened,
)

TSHARK = shutil.which("tshark")


def need_tshark() -> str:
    if TSHARK is None:
        if os.environ.get("SMTPSIM_REQUIRE_TOOLS") == "1":
            pytest.fail("tshark is required (SMTPSIM_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("tshark is not installed")
    return TSHARK


def tshark_fields(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    """One row per matching frame, each field's occurrences joined by commas."""
    args = [need_tshark(), "-r", str(path), "-Y", display_filter, "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=,"]
    for name in fields:
        args += ["-e", name]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


_RUNS: dict[str, list] = {}


def run(name: str) -> list:
    if name not in _RUNS:
        net = smtpsim.load(name).run()
        net.finish()
        _RUNS[name] = list(net.trace)
    return _RUNS[name]


# -- the layers' arithmetic ----------------------------------------------------------


def test_checksum_of_the_textbook_header():
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert checksum(header) == 0xB861
    packet = ipv4("192.0.2.1", "192.0.2.2", 6, b"")
    assert checksum(packet[:20]) == 0  # a header with its checksum sums to zero


def test_tcp_checksum_covers_the_pseudo_header():
    segment = tcp("203.0.113.10", "198.51.100.10", 49152, 25, seq=7, ack=9, flags="PA",
                  payload=b"EHLO me\r\n")
    pseudo = _pseudo_header("203.0.113.10", "198.51.100.10", 6, len(segment))
    assert checksum(pseudo + segment) == 0
    other = _pseudo_header("203.0.113.11", "198.51.100.10", 6, len(segment))
    assert checksum(other + segment) != 0  # delivered to the wrong host: it fails
    assert struct.unpack("!HHII", segment[:12]) == (49152, 25, 7, 9)


def streams(found: list[Packet]) -> dict[str, list[Packet]]:
    out: dict[str, list[Packet]] = {}
    for p in found:
        if p.transport == "TCP" and p.session:
            out.setdefault(p.session, []).append(p)
    return out


@pytest.mark.parametrize("name", ["classic", "bulk-relay", "pop-vs-imap", "mx-failover"])
def test_sequence_and_acknowledgement_numbers_add_up(name):
    for session, found in streams(packets(run(name))).items():
        client = found[0].src  # the SYN's sender
        sent = {client: found[0].seq, found[1].src: found[1].seq}
        for p in found:
            assert p.seq == sent[p.src], (session, p)
            sent[p.src] += len(p.payload) + ("S" in p.flags) + ("F" in p.flags)
            if "A" in p.flags:
                other = p.dst
                assert p.ack <= sent[other], (session, p)  # never acknowledges the unsent
        closing = found[-3:]
        assert [p.flags for p in closing] == ["FA", "FA", "A"]
        assert closing[-1].ack == sent[closing[-1].dst]  # everything acknowledged


def test_a_long_message_travels_in_segments_of_at_most_one_mss():
    found = packets(run("bulk-relay"))
    assert max(len(p.payload) for p in found) <= MSS
    assert all(p.dport == 53 or p.sport == 53 for p in found if p.transport == "UDP")


def dialog(lines: list[tuple[str, str]]) -> list:
    """A made-up trace: one session, these (direction, line) pairs, one flight each."""
    events: list = [NetworkDescribed(0.0, "t", (("c", "user_agent", "x"), ("s", "mta", "x")),
                                     (("c", "s", 25, "SMTP", 0.01),), "t",
                                     (("c", "203.0.113.10"), ("s", "198.51.100.10")),
                                     "2026-11-28T09:00:00+00:00"),
                    SessionOpened(0.01, "s", "c", "s1", 25)]
    t = 0.01
    for i, (direction, text) in enumerate(lines):
        if i and direction != lines[i - 1][0]:
            t += 0.01
        events.append(DialogLine(t, "s", "c", "s1", direction, text, "READY"))
    events.append(SessionClosed(t + 0.01, "s", "c", "s1"))
    return events


texts = st.text(alphabet=st.characters(blacklist_characters="\r\n",
                                       blacklist_categories=("Cs",)), max_size=3000)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("CS"), texts), min_size=1, max_size=12))
def test_any_dialog_reassembles_from_the_tcp_payloads(lines):
    found = packets(dialog(lines))
    for direction, sender in (("C", "c"), ("S", "s")):
        wire = b"".join(p.payload for p in found if p.src == sender)
        assert wire == "".join(text + "\r\n" for d, text in lines if d == direction).encode()


def test_the_capture_is_deterministic():
    first, second = io.BytesIO(), io.BytesIO()
    write_capture(smtpsim.load("mx-failover").run().trace, first)  # two MX records
    write_capture(smtpsim.load("mx-failover").run().trace, second)
    assert first.getvalue() == second.getvalue() and len(first.getvalue()) > 1000


def test_pcap_has_no_comments_and_a_bad_format_is_refused(tmp_path):
    path = tmp_path / "classic.pcap"
    count = write_capture(run("classic"), path, format="pcap")
    data = path.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and count == len(packets(run("classic")))
    with pytest.raises(ValueError, match="pcapng or pcap"):
        write_capture(run("classic"), tmp_path / "x", format="json")


def test_a_frame_is_ethernet_ipv4_tcp():
    first = packets(run("classic"))[0]
    data = frame(first)
    assert data[12:14] == b"\x08\x00" and data[14] == 0x45 and data[23] == 6
    assert first.flags == "S" and first.dport == 587


# -- judged by tshark ------------------------------------------------------------------


def smtp_commands(events: list) -> list[str]:
    """The SMTP commands of a trace, as tshark names them (not the message's lines, not
    the lone dot, not HTTP).

    One thing Wireshark's SMTP dissector does not follow: once a client has pipelined
    DATA (RFC 2920), it reads everything the client sends next as message text, even
    when the server refused the DATA (``503``, no valid recipients; greylisting does
    this). Our bytes are as the RFC has them; the commands tshark cannot see after
    such a refusal are left out here.
    """
    out: list[str] = []
    waiting: dict[str, list[str]] = {}  # per session: commands sent, not answered yet
    blind: set[str] = set()  # sessions where tshark now reads commands as message text
    for e in events:
        if type(e) is not DialogLine or e.state == "HTTP":
            continue
        if e.dir == "C" and e.state != "DATA":
            name = e.line.split(" ", 1)[0].split(":", 1)[0].upper()
            waiting.setdefault(e.session, []).append(name)
            if e.session not in blind:
                out.append(name)
        elif e.dir == "S" and e.line[3:4] in (" ", "") and waiting.get(e.session):
            answered = waiting[e.session].pop(0)
            if answered == "DATA" and not e.line.startswith("354"):
                blind.add(e.session)
    return out


def smtp_replies(events: list) -> list[str]:
    return [e.line[:3] for e in events
            if type(e) is DialogLine and e.dir == "S" and e.state != "HTTP"
            and e.line[3:4] in (" ", "")]


def flat(rows: list[list[str]], column: int) -> list[str]:
    return [v for row in rows for v in row[column].split(",") if v]


@pytest.mark.parametrize("name", library_names())
def test_tshark_reads_every_library_capture_as_the_trace_says(name, tmp_path):
    need_tshark()
    events = run(name)
    path = tmp_path / f"{name}.pcapng"
    write_capture(events, path)
    assert tshark_fields(path, "_ws.malformed || tcp.analysis.flags", "frame.number") == []
    rows = tshark_fields(path, "smtp", "smtp.req.command", "smtp.response.code")
    assert flat(rows, 0) == smtp_commands(events)
    assert flat(rows, 1) == smtp_replies(events)
    # One handshake per connection the trace opened or tried.
    syns = tshark_fields(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number")
    refused = [e for e in events if isinstance(e, Deferred) and "Connection refused" in e.reply]
    opened = [e for e in events if isinstance(e, SessionOpened)]
    assert len(syns) == len(opened) + len(refused)
    resets = tshark_fields(path, "tcp.flags.reset == 1", "frame.number")
    assert len(resets) == len(refused)
    queries = tshark_fields(path, "dns.flags.response == 0", "dns.qry.name", "dns.qry.type")
    asked = [e for e in events if isinstance(e, DnsQuery)]
    assert [row[0] for row in queries] == [e.qname for e in asked]


def test_dns_mx_answers_decode_with_names_and_preferences(tmp_path):
    path = tmp_path / "mx-failover.pcapng"
    write_capture(run("mx-failover"), path)
    rows = tshark_fields(path, "dns.flags.response == 1 && dns.qry.type == 15",
                         "dns.mx.preference", "dns.mx.mail_exchange")
    assert rows and all(row == ["10,20", "mx1.example.com,mx2.example.com"] for row in rows)


def test_timestamps_and_comments_in_wireshark(tmp_path):
    path = tmp_path / "classic.pcapng"
    write_capture(run("classic"), path)
    rows = tshark_fields(path, 'smtp.response.code == 354', "frame.time_epoch", "frame.comment")
    ((when, comment),) = rows
    start = smtpsim.load("classic").build().start.timestamp()
    (line,) = [e for e in run("classic") if isinstance(e, DialogLine) and e.line.startswith("354")]
    assert abs(float(when) - (start + line.t)) < 1e-6
    assert "S: 354 End data with <CR><LF>.<CR><LF> -- " in comment
    pop = tshark_fields(path, "pop.request.command == \"RETR\"", "pop.request.parameter")
    assert pop == [["1"]]


def test_smtpsim_run_writes_the_capture_the_readme_shows(tmp_path):
    import sys

    path = tmp_path / "failover.pcapng"
    done = subprocess.run([sys.executable, "-m", "smtpsim", "run", "mx-failover", "--pcap",
                           str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("wrote ") and "Delivery summary" in done.stdout
    assert path.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"  # a pcapng section header
    rows = tshark_fields(path, "smtp.req.command == \"EHLO\"", "smtp.req.parameter")
    assert rows[:2] == [["bob-laptop"], ["smtp.example.org"]]
    bad = subprocess.run([sys.executable, "-m", "smtpsim", "run", "classic", "--pcap",
                          str(tmp_path / "no" / "such" / "dir.pcapng")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "cannot write" in bad.stderr
