"""message_path: numbered hops, waits, failed tries and bounces, all from the trace."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_hex
from viz_fixtures import (
    bounce,
    by_gid,
    classic,
    pickup,
    png_bytes,
    relay4,
    save_artifact,
    texts,
)

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


# ------------------------------------------------------------------ the pull hop


def test_the_journey_ends_with_each_device_that_read_the_message() -> None:
    fig = message_path(pickup(), "m4")
    arrows = by_gid(fig, "read:")
    assert set(arrows) == {"read:alice--imap.example.com", "read:alice-phone",
                           "read:alice-laptop"}  # mailbox -> server -> each device
    for a in arrows.values():
        assert to_hex(a.get_edgecolor()) == to_hex(palette.READ)
    notes = {g: t.get_text() for g, t in by_gid(fig, "readnote:").items()}
    assert notes == {"readnote:alice-phone": "read via IMAP, t=30 s",
                     "readnote:alice-laptop": "read via POP3, t=1 min\nthen deleted at QUIT"}
    assert "read by a user agent (POP3 or IMAP)" in texts(fig)
    assert set(by_gid(fig, "delivered:")) == {"delivered:alice"}  # delivery still marked
    save_artifact(fig, "path_pickup")
    plain = message_path(relay4(), "m2")  # no pull half: nothing of the kind
    assert not by_gid(plain, "read") and "read by a user agent (POP3 or IMAP)" not in texts(
        plain)


def test_read_arrows_go_from_the_mailbox_through_its_server_to_the_device() -> None:
    from smtpsim.viz import layout

    pos = layout(pickup())
    arrows = by_gid(message_path(pickup(), "m4"), "read:")
    legs = {"read:alice--imap.example.com": ("alice", "imap.example.com"),
            "read:alice-phone": ("imap.example.com", "alice-phone"),
            "read:alice-laptop": ("imap.example.com", "alice-laptop")}
    for gid, (src, dst) in legs.items():
        vertices = arrows[gid].get_path().vertices  # the arrow as drawn, head included
        for node in (src, dst):  # it starts and ends just beside the two nodes' markers
            x, y = pos[node]
            assert min(((vx - x) ** 2 + (vy - y) ** 2) ** 0.5 for vx, vy in vertices) < 0.3
        far = [n for n in pos if n not in (src, dst)]
        for node in far:  # and comes near no other node
            x, y = pos[node]
            assert min(((vx - x) ** 2 + (vy - y) ** 2) ** 0.5 for vx, vy in vertices) > 0.3


def _extents(fig):  # type: ignore[no-untyped-def]
    """Every visible text in the picture with its extent on the canvas, and the canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    found = [(t.get_gid() or "", t.get_text(), t.get_window_extent(renderer))
             for t in fig.axes[0].findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.axes is not None]
    return found, fig.bbox


@pytest.mark.parametrize(("name", "msg"), [("pop-vs-imap", "m1"), ("pop-vs-imap", "m2"),
                                           ("classic", "m1"), ("pickup", "m4")])
def test_read_notes_sit_level_with_their_device_on_no_other_text(name: str, msg: str) -> None:
    from smtpsim.scenarios import load
    from smtpsim.trace.queries import reads
    from smtpsim.viz import layout

    trace = pickup() if name == "pickup" else load(name).run().trace
    fig = message_path(trace, msg)
    found, canvas = _extents(fig)
    notes = [(g, text, box) for g, text, box in found if g.startswith("readnote:")]
    assert len(notes) == len({r.reader for r in reads(trace, msg)}) > 0
    pos = layout(trace)
    server = pos[reads(trace, msg)[0].server]
    for gid, text, box in notes:
        reader = pos[gid.removeprefix("readnote:")]
        x, y = fig.axes[0].texts[[t.get_gid() for t in fig.axes[0].texts].index(gid)
                                 ].get_position()
        assert y == reader[1] and (x < reader[0]) == (server[0] > reader[0])  # far side
        assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1, f"{text!r} is cut off"
        for other_gid, other, obox in found:
            if other_gid != gid:
                assert not box.overlaps(obox), f"{name} {msg}: {text!r} covers {other!r}"
    save_artifact(fig, f"path_reads_{name}_{msg}")
