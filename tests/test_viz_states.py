"""state_diagram: drawn from protocol.TRANSITIONS, so the picture cannot drift."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_hex
from viz_fixtures import by_gid, png_bytes, save_artifact

from smtpsim.protocol import TRANSITIONS, State
from smtpsim.viz import palette, state_diagram

matplotlib.use("Agg")


def test_every_transition_of_the_table_is_drawn() -> None:
    fig = state_diagram()
    edges = by_gid(fig, "edge:")
    labels = by_gid(fig, "label:")
    loops = by_gid(fig, "loops:")
    drawn_pairs = set()
    for (src, event, cls), dst in TRANSITIONS.items():
        if src == dst:
            note = loops[f"loops:{src.value}"].get_text().replace("\n", " ")
            assert event in note and f"{cls}xx" in note
            continue
        key = f"{src.value}->{dst.value}"
        drawn_pairs.add(key)
        assert f"edge:{key}" in edges
        lines = labels[f"label:{key}"].get_text().splitlines()
        assert any(event in ln.split(" / ")[0].split(", ") and f"{cls}xx" in ln for ln in lines)
    assert set(edges) == {f"edge:{k}" for k in drawn_pairs}  # and nothing else
    assert set(by_gid(fig, "state:")) == {f"state:{s.value}" for s in State}
    save_artifact(fig, "state_diagram")


def test_current_state_is_highlighted() -> None:
    fig = state_diagram("rcpt")
    boxes = by_gid(fig, "state:")
    assert to_hex(boxes["state:RCPT"].get_facecolor()) == to_hex(palette.HIGHLIGHT)
    assert to_hex(boxes["state:MAIL"].get_facecolor()) != to_hex(palette.HIGHLIGHT)
    assert to_hex(by_gid(fig, "edge:RCPT->DATA")["edge:RCPT->DATA"].get_edgecolor()) == to_hex(
        palette.HIGHLIGHT)
    assert png_bytes(state_diagram(State.RCPT)) == png_bytes(fig)
    save_artifact(fig, "state_diagram_rcpt")


def test_unknown_state() -> None:
    with pytest.raises(ValueError, match="unknown SMTP state 'LIMBO'"):
        state_diagram("LIMBO")


def test_state_diagram_is_legible_at_notebook_width():
    """Shown 900 px wide (a notebook cell), every text is at least 12 px high and no two
    labels (state names, self-loop notes, edge labels) overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = state_diagram("READY")
    width_in = fig.get_figwidth()
    fig.set_dpi(900 / width_in)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]  # its axis is switched off: tick labels are never drawn
    texts = [t for t in [*ax.texts, ax.title] if t.get_text().strip()]
    px = [t.get_fontsize() * fig.dpi / 72 for t in texts]
    assert min(px) >= 12, f"smallest text {min(px):.1f} px"
    labels = [t for t in texts if (t.get_gid() or "").startswith(("label:", "loops:"))]
    boxes = [(t.get_gid(), t.get_window_extent(renderer)) for t in labels]
    for i, (gid_a, a) in enumerate(boxes):
        for gid_b, b in boxes[i + 1:]:
            assert not a.overlaps(b), f"{gid_a} overlaps {gid_b}"
