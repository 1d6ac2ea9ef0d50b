"""Judged by software nobody here wrote: swaks (an SMTP test client) and Wireshark's
SMTP dissector (through tshark) must both find our dialogs correct.

The tools come from Debian's packages; ``.ci/run`` installs them. Without them these
tests skip, unless SMTPSIM_REQUIRE_TOOLS=1 (set by CI) makes a missing tool a failure.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from smtpsim.bridge import BridgeThread, SMTPBridge

BODY = "Hello Alice.\n.a line that starts with a dot\nBye."


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("SMTPSIM_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{tool} is required (SMTPSIM_REQUIRE_TOOLS=1) but not installed")
        pytest.skip(f"{tool} not installed (Debian package)")
    return path


@pytest.fixture
def bridge():
    with BridgeThread(SMTPBridge(port=0)) as b:
        yield b


@pytest.mark.parametrize("extra", [[], ["--pipeline"]], ids=["plain", "pipelined"])
def test_swaks_delivers_and_sees_every_reply_it_expects(bridge, extra: list[str]) -> None:
    swaks = _need("swaks")
    host, port = bridge.address
    proc = subprocess.run(
        [swaks, "--server", f"{host}:{port}", "--from", "bob@example.org",
         "--to", "alice@example.com,theodore@example.com", "--helo", "relay.example.org",
         "--header", "Subject: judged by swaks", "--body", BODY, *extra],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "<-  220 " in out
    assert "<-  354 End data with <CR><LF>.<CR><LF>" in out
    assert "<-  221 2.0.0 Bye" in out
    assert "<** " not in out  # swaks marks any unexpected reply with <**
    [stored] = bridge.mailbox
    assert stored.envelope.rcpt_tos == ["alice@example.com", "theodore@example.com"]
    assert b"\r\n.a line that starts with a dot\r\n" in stored.content  # un-stuffed


def test_swaks_auth_plain_against_a_submission_scenario() -> None:
    import asyncio
    import threading

    from smtpsim.bridge import ScenarioServer
    from smtpsim.scenarios import load
    from smtpsim.trace import summarize

    swaks = _need("swaks")
    scenario = load("cross-domain")
    net = scenario.build()
    server = ScenarioServer(net, scenario.entry, port=0)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    try:
        host, port = server.address
        args = [swaks, "--server", f"{host}:{port}", "--from", "bob@example.org",
                "--to", "alice@example.com", "--body", "hi"]
        refused = subprocess.run(args, capture_output=True, text=True, timeout=30)
        assert refused.returncode != 0
        assert "530 5.7.0 Authentication required" in refused.stdout
        ok = subprocess.run([*args, "--auth", "PLAIN", "--auth-user", "bob@example.org",
                             "--auth-password", "secret"],
                            capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "<-  235 2.7.0 Authentication successful" in ok.stdout
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    net.finish()
    outcomes = [o.outcome for o in summarize(net.trace) if o.recipient == "alice@example.com"]
    assert "delivered" in outcomes


def test_wireshark_dissects_our_dialog_as_clean_smtp(bridge, tmp_path: Path) -> None:
    tshark = _need("tshark")
    host, port = bridge.address
    pcap = tmp_path / "smtp.pcapng"
    capture = subprocess.Popen(
        [tshark, "-i", "lo", "-f", f"tcp port {port}", "-w", str(pcap), "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Wait until the capture is really running (tshark says so on stderr).
        deadline = time.monotonic() + 20
        while capture.stderr and time.monotonic() < deadline:
            if "Capturing on" in capture.stderr.readline():
                break
        time.sleep(0.5)
        with smtplib.SMTP(host, port, timeout=10) as client:
            client.ehlo("relay.example.org")
            client.sendmail("bob@example.org", ["alice@example.com"],
                            b"Subject: judged by Wireshark\r\n\r\nHello.\r\n")
        time.sleep(1.0)
    finally:
        capture.terminate()
        capture.wait(timeout=20)
    fields = subprocess.run(
        [tshark, "-r", str(pcap), "-d", f"tcp.port=={port},smtp", "-Y", "smtp",
         "-T", "fields", "-e", "smtp.req.command", "-e", "smtp.response.code"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    commands = [c for line in fields.splitlines() for c in line.split("\t")[0].split(",") if c]
    codes = [c for line in fields.splitlines() if "\t" in line
             for c in line.split("\t")[1].split(",") if c]
    assert [c.upper() for c in commands] == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    assert {"220", "250", "354", "221"} <= set(codes)
    malformed = subprocess.run(
        [tshark, "-r", str(pcap), "-d", f"tcp.port=={port},smtp", "-Y", "_ws.malformed"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    assert malformed.strip() == ""
