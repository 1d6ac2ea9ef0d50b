"""The plain-text twins tell the same story as the figures."""

from __future__ import annotations

import pytest
from viz_fixtures import bounce, classic, received_message, relay4

from smtpsim.trace import Trace
from smtpsim.viz import text


def test_path_text() -> None:
    out = text.path_text(relay4(), "m2")
    assert "3. out.example.org -> mx.example.net (7C3D9)" in out
    assert "failed: 451 4.7.1" in out
    assert out.index("failed: 451") < out.index("3. out.example.org")  # time order
    assert "DSN m3-dsn" in text.path_text(bounce(), "m3")
    with pytest.raises(ValueError, match="unknown message id"):
        text.path_text(Trace(), "m1")


def test_queue_text() -> None:
    out = text.queue_text(relay4())
    assert "m2 @ out.example.org: 5 min 1 s from t=1 s, 1 deferral(s); relayed to" in out
    assert "delivered to dave@example.net" in out
    assert text.queue_text(Trace()) == ""


def test_sequence_and_received_text() -> None:
    out = text.sequence_text(classic(), "s1")
    assert out.splitlines()[0].startswith("smtp.example.org (client) -> mx.example.com")
    assert "C: ." in out.splitlines()
    table = text.received_text(received_message()).splitlines()
    assert table[0].split() == ["hop", "from", "by", "with", "id", "time", "delay", "share"]
    assert len(table) == 5 and "100%" in table[3]


def test_transcript_shows_failed_connections_in_their_place() -> None:
    from smtpsim.scenarios import load

    net = load("mx-failover").run()
    out = net.trace.transcript()
    failed = ("--- smtp.example.org -> mx1.example.com: connection failed "
              "(connect to mx1.example.com[192.0.2.10]:25: Connection refused) ---")
    assert out.count(failed) == 1
    # after the submission session, before the session with the backup MX
    assert out.index("(s1) ---") < out.index(failed) < out.index("-> mx2.example.com (s2) ---")
    # a single session's transcript is that session's dialog only
    assert "connection failed" not in net.trace.transcript("s2")
    # a 4xx during a dialog is part of the dialog, not a failed connection
    grey = load("greylisting").run().trace.transcript()
    assert "connection failed" not in grey and "S: 450 4.7.1" in grey
