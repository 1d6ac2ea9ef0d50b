"""The command line: ``smtpsim demo`` golden output and ``smtpsim serve`` as a process."""

from __future__ import annotations

import json
import queue
import signal
import smtplib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpsim.cli import build_parser, demo_message, main

GOLDEN = """\
S: 220 smtp.example.com ESMTP Postfix
C: HELO relay.example.org
S: 250 Hello relay.example.org, I am glad to meet you
C: MAIL FROM:<bob@example.org>
S: 250 Ok
C: RCPT TO:<alice@example.com>
S: 250 Ok
C: RCPT TO:<theodore@example.com>
S: 250 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: From: "Bob Example" <bob@example.org>
C: To: "Alice Example" <alice@example.com>
C: Cc: theodore@example.com
C: Date: Tue, 15 Jan 2008 16:02:43 -0500
C: Subject: Test message
C: <empty line>
C: Hello Alice.
C: This is a test message with 5 header fields and 4 lines in the message body.
C: Your friend,
C: Bob
C: .
S: 250 Ok: queued as 12345
C: QUIT
S: 221 Bye
""".replace("<empty line>", "")  # the blank line between header and body is "C: "


def test_demo_golden(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert capsys.readouterr().out == GOLDEN


def test_demo_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(GOLDEN.splitlines())
    assert out[0].startswith("S: 220 smtp.example.com ESMTP Postfix ")
    assert out[0].endswith("# Service ready: the server greets you and is waiting for HELO "
                           "or EHLO.")
    assert out[-1].startswith("S: 221 Bye ")
    assert "# Service closing" in out[-1]
    assert all("#" not in line for line in out if line.startswith("C:"))


def test_demo_message_is_real_rfc5322() -> None:
    data = demo_message()
    assert data.count(b"\r\n") == data.count(b"\n")  # CRLF only
    head, body = data.split(b"\r\n\r\n")
    assert len(head.split(b"\r\n")) == 5
    assert len(body.split(b"\r\n")) == 5  # four lines, each ended by CRLF


def test_demo_as_a_process() -> None:
    done = subprocess.run([sys.executable, "-m", "smtpsim", "demo"], capture_output=True,
                          text=True, timeout=30, check=True)
    assert done.stdout == GOLDEN


def test_no_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_serve_flags_and_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 2525)
    assert args.max_connections > 0
    assert args.idle_timeout > 0
    args = build_parser().parse_args(["serve", "--port", "0", "--max-size", "100",
                                      "--idle-timeout", "0.5", "--max-connections", "3",
                                      "--hostname", "mx.test", "--trace", "t.jsonl",
                                      "--maildir", "M"])
    assert (args.port, args.max_size, args.idle_timeout) == (0, 100, 0.5)


def test_import_is_light() -> None:
    code = ("import sys, smtpsim.cli; "
            "print(any(m.split('.')[0] in ('matplotlib', 'ipywidgets', 'simpy', 'asyncio')"
            " for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=True)
    assert done.stdout.strip() == "False"


# ------------------------------------------------------------------ serve process

class Server:
    """``python -m smtpsim serve --port 0 ...`` running as a child process."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smtpsim", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        first = self.line()
        assert first.startswith("listening on 127.0.0.1:"), first
        self.port = int(first.rsplit(":", 1)[1])

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self, timeout: float = 15) -> str:
        return self.lines.get(timeout=timeout)

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Server]:
    server = Server("--maildir", str(tmp_path / "Maildir"), "--trace",
                    str(tmp_path / "trace.jsonl"), "--hostname", "mx.test",
                    "--idle-timeout", "5")
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(timeout=15)


def test_serve_process_delivers_and_stops_on_sigterm(serve: Server, tmp_path: Path) -> None:
    msg = b"Subject: via the CLI\r\n\r\nHello\r\n"
    with smtplib.SMTP("127.0.0.1", serve.port, timeout=5) as client:
        client.sendmail("bob@example.org", ["alice@example.com"], msg)
    line = serve.line()
    assert line.startswith("accepted ")
    assert "from <bob@example.org> to <alice@example.com>" in line
    (stored,) = (tmp_path / "Maildir" / "new").iterdir()
    assert stored.read_bytes() == b"Return-Path: <bob@example.org>\r\n" + msg

    # A client still connected when SIGTERM arrives is told 421 and disconnected.
    sock = socket.create_connection(("127.0.0.1", serve.port), timeout=5)
    f = sock.makefile("rb")
    assert f.readline().startswith(b"220 mx.test")
    assert serve.stop(signal.SIGTERM) == 0
    assert f.readline().startswith(b"421 ")
    sock.close()
    records = [json.loads(x) for x in (tmp_path / "trace.jsonl").read_text().splitlines()]
    assert {"t", "kind", "node", "session", "dir", "line"} <= records[1].keys()
    assert [r["session"] for r in records if r["kind"] == "session-open"] == ["s1", "s2"]
    assert records[-1]["kind"] == "session-close"
    assert records[-1]["reason"] == "server shutdown"


def test_serve_process_stops_on_sigint(serve: Server) -> None:
    assert serve.stop(signal.SIGINT) == 0
    assert "Traceback" not in serve.proc.stderr.read()  # type: ignore[union-attr]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", serve.port), timeout=2)


def test_serve_process_limits() -> None:
    server = Server("--max-size", "100", "--max-connections", "1", "--idle-timeout", "0.5")
    try:
        first = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        ff = first.makefile("rb")
        assert ff.readline().startswith(b"220")
        second = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        assert second.makefile("rb").readline().startswith(b"421 4.3.2 Too many connections")
        second.close()
        assert ff.readline().startswith(b"421 Idle timeout")  # after 0.5 s of silence
        first.close()
        with smtplib.SMTP("127.0.0.1", server.port, timeout=5) as client, \
                pytest.raises(smtplib.SMTPSenderRefused) as err:
            client.sendmail("bob@example.org", ["a@example.com"], b"x" * 200 + b"\r\n")
        assert err.value.smtp_code == 552
    finally:
        assert server.stop(signal.SIGTERM) == 0


def test_lab_copies_the_course_without_overwriting_work(tmp_path, capsys) -> None:
    from smtpsim.cli import copy_course, course_source

    first = copy_course(tmp_path / "course")
    names = sorted(p.name for p in first)
    assert "00-start-here.ipynb" in names
    assert names == sorted(p.name for p in course_source().glob("*.ipynb"))
    edited = tmp_path / "course" / "00-start-here.ipynb"
    edited.write_text("my notes")
    assert copy_course(tmp_path / "course") == []  # nothing overwritten
    assert edited.read_text() == "my notes"


def test_lab_prints_the_jupyter_command(capsys) -> None:
    from smtpsim.cli import main

    assert main(["lab", "--print-only", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert "-m jupyter lab" in out
    assert out.strip().endswith("00-start-here.ipynb")


def test_list_names_every_ready_scenario(capsys) -> None:
    from smtpsim.cli import main
    from smtpsim.scenarios import list_scenarios

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list_scenarios()) >= 10
    assert lines[0].split()[0] == "classic"


def test_run_prints_every_hop_and_a_delivery_summary(capsys) -> None:
    from smtpsim.cli import main

    assert main(["run", "mx-failover"]) == 0
    out = capsys.readouterr().out
    assert "--- smtp.example.org -> mx2.example.com" in out
    assert "S: 221 2.0.0 Bye" in out
    summary = out[out.index("Delivery summary:"):]
    assert "alice@example.com: DELIVERED after 20.0 min" in summary
    assert "mx2.example.com -> mx1.example.com" in summary


def test_run_jsonl_is_the_trace_and_seed_is_deterministic(capsys) -> None:
    import json

    from smtpsim.cli import main

    assert main(["run", "cross-domain", "--format", "jsonl", "--seed", "4"]) == 0
    first = capsys.readouterr().out
    assert main(["run", "cross-domain", "--format", "jsonl", "--seed", "4"]) == 0
    assert capsys.readouterr().out == first
    rows = [json.loads(line) for line in first.splitlines()]
    assert rows[0]["kind"] == "network"
    dialog = [r for r in rows if r["kind"] == "smtp"]
    assert {"t", "node", "peer", "session", "dir", "line"} <= set(dialog[0])


def test_run_bad_input_names_the_problem(tmp_path, capsys) -> None:
    from smtpsim.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ntitle = "t"\ndescription = "d"\n'
                   '[[nodes]]\nkind = "mtaa"\nname = "a"\n')
    assert main(["run", str(bad)]) == 2
    assert "nodes[0].kind" in capsys.readouterr().err
    assert main(["run", "classic", "--until", "-1"]) == 2


def test_serve_scenario_message_from_smtplib_travels_the_network(tmp_path) -> None:
    import json
    import signal
    import smtplib
    import subprocess
    import sys

    trace = tmp_path / "trace.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpsim", "serve", "--scenario", "classic", "--port", "0",
         "--trace", str(trace)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("listening on 127.0.0.1:")
        port = int(first.rpartition(":")[2])
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.login("bob@example.com", "secret")
            refused = client.sendmail("bob@example.com", ["alice@example.com"],
                                      b"Subject: over a real socket\r\n\r\nHello Alice.\r\n")
        assert refused == {}
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "accepted m" in out
    assert "alice@example.com: DELIVERED" in out
    kinds = [json.loads(line)["kind"] for line in trace.read_text().splitlines()]
    assert "delivered" in kinds
    assert "smtp" in kinds
