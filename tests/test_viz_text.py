"""The plain-text twins tell the same story as the figures."""

from __future__ import annotations

import pytest
from viz_fixtures import bounce, classic, pickup, received_message, relay4

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


def test_path_text_ends_with_each_read_and_the_removal() -> None:
    out = text.path_text(pickup(), "m4").splitlines()
    delivered = next(i for i, ln in enumerate(out) if "delivered to alice" in ln)
    phone = next(i for i, ln in enumerate(out)
                 if "imap.example.com -> alice-phone: read via IMAP (from alice)" in ln)
    laptop = next(i for i, ln in enumerate(out)
                  if "imap.example.com -> alice-laptop: read via POP3 (from alice)" in ln)
    removed = next(i for i, ln in enumerate(out)
                   if "removed from imap.example.com by alice-laptop (POP3 QUIT)" in ln)
    assert delivered < phone < laptop < removed == len(out) - 1  # in time order, last
    assert out[phone].split()[0] == "t=30"
    assert sum("read via" in ln for ln in out) == 2
    assert not any("read via" in ln or "removed" in ln  # no pull half, no reads
                   for ln in text.path_text(relay4(), "m2").splitlines())


def test_path_text_of_pop_vs_imap_names_every_reader_once() -> None:
    from smtpsim.scenarios import load

    trace = load("pop-vs-imap").run().trace
    for msg in ("m1", "m2"):
        out = text.path_text(trace, msg)
        readers = [ln.split("-> ")[1].split(":")[0] for ln in out.splitlines()
                   if "read via" in ln]
        assert readers == ["alice-phone", "alice-tablet", "alice-laptop"], out
        assert out.count("removed from mail.example.com by alice-laptop (POP3 QUIT)") == 1


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
