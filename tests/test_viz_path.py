"""message_path: numbered hops, waits, failed tries and bounces, all from the trace."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_hex
from viz_fixtures import bounce, by_gid, classic, png_bytes, relay4, save_artifact, texts

from smtpsim.trace.queries import transfers
from smtpsim.viz import message_path, palette

matplotlib.use("Agg")


def test_relay_hops_are_numbered_in_order() -> None:
    fig = message_path(relay4(), "m2")
    hops = transfers(relay4(), "m2")
    assert [(h.src, h.dst) for h in hops] == [
        ("alice-pc", "msa.example.org"), ("msa.example.org", "out.example.org"),
        ("out.example.org", "mx.example.net"), ("mx.example.net", "mda.example.net"),
        ("mda.example.net", "dave")]
    numbers = by_gid(fig, "hopnum:")
    assert sorted(a.get_text() for a in numbers.values()) == ["1", "2", "3", "4", "5"]
    assert len(by_gid(fig, "hop:")) == 5
    save_artifact(fig, "path_relay4")


def test_deferral_is_a_dashed_arrow_with_its_code_and_the_wait_is_shown() -> None:
    fig = message_path(relay4(), "m2")
    failed = by_gid(fig, "failed:")
    assert set(failed) == {"failed:0", "failed:0:label"}  # one try, one label
    arrow = failed["failed:0"]
    assert arrow.get_linestyle() == "--"
    assert to_hex(arrow.get_edgecolor()) == to_hex(palette.DEFERRAL)
    assert "451" in by_gid(fig, "failed:0:label")["failed:0:label"].get_text()
    assert any(t.startswith("\u2717 ") for t in texts(fig))  # the cross, at the bend
    stays = by_gid(fig, "stay:")
    assert stays["stay:out.example.org"].get_text() == "queued 5 min 1 s"  # 1.0 -> 302.2
    assert "\u2713" in texts(fig)  # delivered


def test_bounce_is_marked_in_red() -> None:
    fig = message_path(bounce(), "m3")
    marked = by_gid(fig, "bounce:")
    assert to_hex(marked["bounce:nobody@example.com"].get_edgecolor()) == to_hex(palette.BOUNCE)
    label = marked["bounce:nobody@example.com:label"].get_text()
    assert "550 5.1.1" in label and "m3-dsn" in label
    save_artifact(fig, "path_bounce")


def test_two_recipients_are_two_deliveries() -> None:
    fig = message_path(classic(), "m1")
    assert set(by_gid(fig, "delivered:")) == {"delivered:bob", "delivered:carol"}
    save_artifact(fig, "path_classic")


def test_deterministic_and_errors() -> None:
    assert png_bytes(message_path(relay4(), "m2")) == png_bytes(message_path(relay4(), "m2"))
    with pytest.raises(ValueError, match=r"unknown message id 'zz'.*m2"):
        message_path(relay4(), "zz")


def test_a_mail_loop_draws_one_arrow_per_direction_with_all_hop_numbers() -> None:
    from smtpsim.scenarios import load

    net = load("mail-loop").run()
    fig = message_path(net.trace, "m1")
    badges = [t.get_text() for t in fig.axes[0].texts
              if (t.get_gid() or "").startswith("hopnum:")]
    loop = [b for b in badges if "×" in b]
    assert len(loop) == 2  # there and back, not fifty arrows
    counts = sum(int(b.rpartition("×")[2].rstrip(")")) for b in loop)
    assert counts >= 45


def _marks_and_labels(fig):  # type: ignore[no-untyped-def]
    """The marks (tick, envelope, the cross-and-letter keys) and every other text in the
    picture (node names, link labels, waits), with their extents on the canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    marks, others = [], []
    for t in ax.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or t.axes is None:
            continue
        gid = t.get_gid() or ""
        box = t.get_window_extent(renderer)
        if gid.startswith(("delivered:", "position", "key:")) or \
                t.get_text().strip()[:1] in ("\u2717", "\u2713", "\u2709"):
            marks.append((t.get_text(), box))
        else:
            others.append((t.get_text(), box))
    return marks, others


@pytest.mark.parametrize("name", ["mx-failover", "unknown-user", "greylisting", "classic"])
def test_marks_sit_beside_the_labels_never_on_them(name: str) -> None:
    from smtpsim.scenarios import load

    trace = load(name).run().trace
    msgs = sorted({e.msg for e in trace if e.kind == "inject"})
    assert msgs
    for msg in msgs:
        fig = message_path(trace, msg)
        marks, others = _marks_and_labels(fig)
        assert marks, "nothing marked"
        for mark, mbox in marks:
            for label, lbox in others:
                assert not mbox.overlaps(lbox), f"{name} {msg}: {mark!r} covers {label!r}"
        save_artifact(fig, f"path_{name}_{msg}")


def test_the_legend_names_what_happened() -> None:
    from smtpsim.scenarios import load

    refused = texts(message_path(load("mx-failover").run().trace, "m1"))
    assert any(t.startswith("connection refused:") for t in refused)
    assert not any(t.startswith("4xx") for t in refused)  # a refusal is not a 4xx
    grey = texts(message_path(load("greylisting").run().trace, "m1"))
    assert any(t.startswith("4xx reply") for t in grey)
    assert not any(t.startswith("connection refused") for t in grey)
    bounced = texts(message_path(load("unknown-user").run().trace, "m1"))
    assert any(t.startswith("bounce: a DSN") for t in bounced)
