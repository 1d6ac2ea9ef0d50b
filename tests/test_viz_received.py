"""received_chain / received_table: the path read back from the headers alone."""

from __future__ import annotations

import matplotlib
import pytest
from viz_fixtures import by_gid, png_bytes, received_message, save_artifact, texts

from smtpsim.message import from_bytes
from smtpsim.viz import received_chain, received_table

matplotlib.use("Agg")


def test_table_reads_the_hops_oldest_first() -> None:
    rows = received_table(received_message())
    assert [r["hop"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["from"] == "alice-pc [192.0.2.10]" and rows[0]["by"] == "msa.example.org"
    assert [r["with"] for r in rows] == ["ESMTPSA", "ESMTP", "ESMTP", "LMTP"]
    assert rows[2]["id"] == "7C3D9" and rows[2]["time"] == "2026-11-28 16:05:02 +0000"
    assert rows[0]["delay"] is None and rows[2]["delay"] == 301.0
    assert rows[2]["share"] == pytest.approx(301 / 302)
    assert received_table(from_bytes(received_message())) == rows  # parsed or bytes


def test_figure_bars_are_the_shares() -> None:
    fig = received_chain(received_message())
    bars = by_gid(fig, "share:")
    assert set(bars) == {"share:2", "share:3", "share:4"}  # hop 1 has no delay
    assert bars["share:3"].get_width() == pytest.approx(100 * 301 / 302)
    shown = texts(fig)
    assert "5 min 1 s" in shown and "7C3D9" in shown and "mx.example.net [198.51.100.5]" in shown
    save_artifact(fig, "received_chain")


def test_deterministic_and_errors() -> None:
    assert png_bytes(received_chain(received_message())) == png_bytes(
        received_chain(received_message()))
    with pytest.raises(ValueError, match="no Received"):
        received_chain(b"Subject: hi\r\n\r\nbody\r\n")


def test_a_one_second_rollover_is_not_drawn_as_the_whole_delay() -> None:
    from smtpsim.scenarios import load
    from smtpsim.viz import text
    from smtpsim.viz._received import within_resolution

    net = load("smarthost").run()
    alice = net.nodes["mailbox:alice@example.com"].messages[0]
    rows = received_table(alice)
    assert [r["delay"] for r in rows[1:]] == [0.0, 1.0, 0.0]  # a clock tick on hop 3
    assert within_resolution(rows)
    fig = received_chain(alice)
    assert by_gid(fig, "share:") == {}  # no bar says "100 %" for a tick
    assert "one-second resolution" in by_gid(fig, "resolution")["resolution"].get_text()
    assert "(header times: 1 s resolution)" in fig._suptitle.get_text()
    out = text.received_text(alice)
    assert "100%" not in out and "one-second resolution" in out
    save_artifact(fig, "received_chain_rollover")
    # a real wait is still drawn as its share
    assert not within_resolution(received_table(received_message()))
