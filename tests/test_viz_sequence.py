"""sequence_diagram: one arrow per dialog line shown, replies in their class colour."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_hex
from viz_fixtures import bounce, by_gid, classic, png_bytes, relay4, save_artifact, texts

from smtpsim.trace import DialogLine, Trace
from smtpsim.viz import palette, sequence_diagram
from smtpsim.viz._sequence import dialog_rows

matplotlib.use("Agg")


def _lines(trace: Trace, session: str) -> list[DialogLine]:
    return [e for e in trace.of(DialogLine) if e.session == session]


def test_one_arrow_per_line_shown_and_content_collapsed() -> None:
    lines = _lines(classic(), "s1")
    fig = sequence_diagram(classic(), "s1")
    arrows = by_gid(fig, "dialog:")
    start = next(i for i, ln in enumerate(lines) if ln.line.startswith("354")) + 1
    end = next(i for i, ln in enumerate(lines) if ln.line == ".")
    content = lines[start:end]
    assert len(content) == 9
    assert len(arrows) == len(lines) - len(content) + 1  # 9 content lines -> one block
    assert len(by_gid(fig, "content:")) == 1
    shown = texts(fig)
    assert any(t.startswith("message content (9 lines)") for t in shown)
    assert "." in shown  # the lone dot is always its own arrow
    assert "EHLO smtp.example.org" in shown and "250 2.0.0 Ok: queued as 4F2A1" in shown
    save_artifact(fig, "sequence_classic")


@pytest.mark.parametrize(("trace", "session"), [(classic(), "s1"), (relay4(), "s2"),
                                                (bounce(), "s1")])
def test_arrow_colours_follow_the_reply_class(trace: Trace, session: str) -> None:
    lines = _lines(trace, session)
    arrows = by_gid(sequence_diagram(trace, session), "dialog:")
    for row in dialog_rows(lines):
        colour = to_hex(arrows[f"dialog:{row.first}"].get_edgecolor())
        first = row.lines[0]
        want = palette.reply_colour(first.line) if first.dir == "S" else palette.CLIENT
        assert colour == to_hex(want), first.line


def test_greylist_and_bounce_show_orange_and_red() -> None:
    fig = sequence_diagram(relay4(), "s2")
    colours = {to_hex(a.get_edgecolor()) for a in by_gid(fig, "dialog:").values()}
    assert to_hex(palette.REPLY_COLOURS[4]) in colours
    for label in palette.REPLY_LABELS.values():
        assert label in texts(fig)  # legend
    save_artifact(fig, "sequence_greylist")
    fig = sequence_diagram(bounce(), "s1")
    colours = {to_hex(a.get_edgecolor()) for a in by_gid(fig, "dialog:").values()}
    assert to_hex(palette.REPLY_COLOURS[5]) in colours


def test_deterministic_and_errors() -> None:
    assert png_bytes(sequence_diagram(classic(), "s1")) == png_bytes(
        sequence_diagram(classic(), "s1"))
    with pytest.raises(ValueError, match=r"unknown session 'nope'.*s1"):
        sequence_diagram(classic(), "nope")
