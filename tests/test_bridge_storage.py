"""Where accepted mail goes (Maildir, hooks) and what the bridge writes to its trace."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

import pytest

from smtpsim.bridge import BridgeThread, JsonlTraceFile, Maildir, SMTPBridge
from smtpsim.bridge._wire import ClientLines
from smtpsim.protocol import RcptTo, Reply, ServerConfig, ServerEvent
from smtpsim.trace import Trace

MESSAGE = b"From: bob@example.org\r\nSubject: hi\r\n\r\nHello\r\n"


def test_maildir_layout_and_return_path(tmp_path: Path) -> None:
    box = Maildir(tmp_path / "box", hostname="host:with/odd")
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["cur", "new", "tmp"]
    with BridgeThread(SMTPBridge(deliver=box.deliver)) as bridge, \
            smtplib.SMTP(*bridge.address, timeout=5) as client:
        client.sendmail("bob@example.org", ["alice@example.com"], MESSAGE)
        client.sendmail("", ["alice@example.com"], MESSAGE)  # a bounce: null sender
    files = box.messages()
    assert len(files) == 2
    assert list((tmp_path / "box" / "tmp").iterdir()) == []  # written, then moved
    assert all(p.parent.name == "new" for p in files)
    assert len({p.name for p in files}) == 2
    assert files[0].name.endswith(r".host\072with\057odd")
    assert files[0].read_bytes() == b"Return-Path: <bob@example.org>\r\n" + MESSAGE
    assert files[1].read_bytes() == b"Return-Path: <>\r\n" + MESSAGE


def test_failed_delivery_answers_451_and_keeps_nothing() -> None:
    def broken(envelope, content, peer):
        raise OSError("disk full")

    with BridgeThread(SMTPBridge(deliver=broken)) as bridge, \
            smtplib.SMTP(*bridge.address, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as err:
            client.sendmail("bob@example.org", ["alice@example.com"], MESSAGE)
        assert err.value.smtp_code == 451
        assert bridge.mailbox == []


def test_decide_hook_and_async_deliver() -> None:
    got: list[bytes] = []

    def decide(event: ServerEvent) -> Reply | None:
        if isinstance(event, RcptTo) and event.address.startswith("nobody@"):
            return Reply.of(550, "No such user here", "5.1.1")
        return None

    async def deliver(envelope, content, peer) -> None:
        got.append(content)

    with BridgeThread(SMTPBridge(decide=decide, deliver=deliver)) as bridge, \
            smtplib.SMTP(*bridge.address, timeout=5) as client:
        refused = client.sendmail("bob@example.org", ["alice@example.com", "nobody@example.com"],
                                  MESSAGE)
        assert refused == {"nobody@example.com": (550, b"5.1.1 No such user here")}
    assert got == [MESSAGE]
    assert bridge.mailbox[0].envelope.rcpt_tos == ["alice@example.com"]
    assert bridge.mailbox[0].peer.startswith("127.0.0.1:")


def test_queue_ids_are_unique_across_connections() -> None:
    with BridgeThread(SMTPBridge()) as bridge:
        for _ in range(3):
            with smtplib.SMTP(*bridge.address, timeout=5) as client:
                client.sendmail("bob@example.org", ["alice@example.com"], MESSAGE)
        ids = [m.queue_id for m in bridge.mailbox]
    assert len(set(ids)) == 3
    assert all(ids)


def test_trace_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    trace = Trace()
    sink = JsonlTraceFile(path)
    trace.subscribe(sink)
    with BridgeThread(SMTPBridge(ServerConfig(hostname="mx.example.com"), trace=trace)) as bridge, \
            smtplib.SMTP(*bridge.address, timeout=5) as client:
        client.sendmail("bob@example.org", ["alice@example.com"], b"Subject: t\r\n\r\n.x\r\n")
    sink.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "session-open"
    assert kinds[-1] == "session-close"
    assert "accept" in kinds
    dialog = [r for r in records if r["kind"] == "smtp"]
    for r in dialog:
        assert {"t", "kind", "node", "session", "dir", "line", "peer", "state"} <= r.keys()
        assert r["node"] == "mx.example.com"
        assert r["session"] == "s1"
        assert r["dir"] in ("C", "S")
    times = [r["t"] for r in records]
    assert times == sorted(times)
    assert 0 <= times[0] < 5
    lines = [(r["dir"], r["line"]) for r in dialog]
    assert lines[0] == ("S", "220 mx.example.com ESMTP smtpsim")
    # content lines appear as sent on the wire (dot-stuffed), then the lone dot
    i = lines.index(("C", "Subject: t"))
    assert lines[i:i + 4] == [("C", "Subject: t"), ("C", ""), ("C", "..x"), ("C", ".")]
    assert lines[i + 4][1].startswith("250 2.0.0 Ok: queued as")
    assert lines[-1] == ("S", "221 2.0.0 Bye")
    by_line = {r["line"]: r["state"] for r in dialog}
    # A line carries the state it travels in; the reply carries where it led.
    assert by_line["data"] == "RCPT"  # smtplib sends lower-case verbs
    assert by_line["354 End data with <CR><LF>.<CR><LF>"] == "DATA"
    assert by_line["."] == "DATA"  # the lone dot still travels inside DATA
    assert by_line[lines[i + 4][1]] == "READY"  # its 250 ends the transaction
    # The file reads back as a trace.
    back = Trace.from_jsonl(path.read_text())
    assert len(back) == len(records)
    assert back.transcript().startswith("--- 127.0.0.1:")


def test_client_lines_bound_memory_and_show_bare_line_endings() -> None:
    lines = ClientLines()
    lines.feed(b"x" * 10_000)
    lines.trim(in_data=False)
    lines.feed(b"y\r\n")
    (shown,) = lines.take_command()
    assert "octets …]" in shown
    assert len(shown) < 300
    lines.feed(b"a\nb\r\n.\r\n")
    assert lines.take_content() == ["a<LF>b", "."]
