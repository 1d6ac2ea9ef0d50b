"""The topology figure and its hand-computed layout."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import pytest
from matplotlib.colors import to_hex
from viz_fixtures import (
    CLASSIC_NET,
    RELAY_NET,
    by_gid,
    classic,
    png_bytes,
    relay4,
    save_artifact,
    texts,
)

from smtpsim.trace import NetworkDescribed, Trace
from smtpsim.viz import layout, palette, topology

matplotlib.use("Agg")


def test_import_smtpsim_does_not_load_matplotlib() -> None:
    code = "import sys, smtpsim, smtpsim.viz.text; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_layout_follows_the_path_left_to_right() -> None:
    pos = layout(relay4())
    path = ["alice-pc", "msa.example.org", "out.example.org", "mx.example.net",
            "mda.example.net", "dave"]
    xs = [pos[n][0] for n in path]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert pos["ns"][1] > max(pos[n][1] for n in path)  # DNS in a row on top


def test_layout_stacks_two_mailboxes_and_is_stable() -> None:
    pos = layout(classic())
    assert pos["bob"][0] == pos["carol"][0] and pos["bob"][1] > pos["carol"][1]
    assert layout(classic()) == pos


def test_domains_that_share_columns_get_separate_lanes() -> None:
    net = NetworkDescribed(0.0, "fork", nodes=(
        ("ua", "user_agent", "a.org"), ("msa", "msa", "a.org"),
        ("mx1", "mta", "b.com"), ("box1", "mailbox", "b.com"), ("mx2", "mta", "c.net"),
        ("box2", "mailbox", "c.net"), ("box3", "mailbox", "c.net")),
        links=(("ua", "msa", 587, "SMTP+AUTH", 0.0), ("msa", "mx1", 25, "SMTP", 0.0),
               ("msa", "mx2", 25, "SMTP", 0.0), ("mx1", "box1", 0, "local", 0.0),
               ("mx2", "box2", 0, "local", 0.0), ("mx2", "box3", 0, "local", 0.0)))
    trace = Trace()
    trace.append(net)
    pos = layout(trace)
    assert pos["mx1"][0] == pos["mx2"][0]
    assert min(pos["mx1"][1], pos["box1"][1]) > max(pos[n][1] for n in ("mx2", "box2", "box3"))
    fig = topology(trace)
    boxes = [(b.get_x(), b.get_x() + b.get_width(), b.get_y(), b.get_y() + b.get_height())
             for b in by_gid(fig, "domain:").values()]
    assert len(boxes) == 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3])
    save_artifact(fig, "topology_fork")


def test_figure_shows_kinds_links_and_domains() -> None:
    fig = topology(relay4())
    shown = texts(fig)
    for label in ("587 SMTP+AUTH", "25 SMTP", "24 LMTP", "example.org", "example.net"):
        assert label in shown
    for kind in ("user_agent", "msa", "mta", "mda", "mailbox", "dns"):
        assert palette.KIND_STYLES[kind].label in shown  # legend
    nodes = by_gid(fig, "node:")
    assert set(nodes) == {f"node:{n}" for n, _, _ in RELAY_NET.nodes}
    assert to_hex(nodes["node:mx.example.net"].get_facecolor()[0]) == to_hex(
        palette.KIND_STYLES["mta"].colour)
    save_artifact(fig, "topology_relay4")


def test_highlight_and_position() -> None:
    plain = by_gid(topology(classic()), "node:")["node:mx.example.com"]
    fig = topology(classic(), highlight_nodes=["mx.example.com"],
                   highlight_link=("mx.example.com", "smtp.example.org"),
                   position="mx.example.com")
    hot = by_gid(fig, "node:")["node:mx.example.com"]
    assert to_hex(hot.get_edgecolor()[0]) == to_hex(palette.HIGHLIGHT)
    assert to_hex(hot.get_edgecolor()[0]) != to_hex(plain.get_edgecolor()[0])
    link = by_gid(fig, "link:smtp.example.org--mx.example.com")
    assert to_hex(next(iter(link.values())).get_color()) == to_hex(palette.HIGHLIGHT)
    assert by_gid(fig, "position")["position"].get_text() == "\u2709"
    save_artifact(fig, "topology_classic")


def test_deterministic_png() -> None:
    assert png_bytes(topology(classic(), position="bob")) == png_bytes(
        topology(classic(), position="bob"))


def test_errors_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="NetworkDescribed"):
        topology(Trace())
    trace = Trace()
    trace.append(CLASSIC_NET)
    with pytest.raises(ValueError, match="nowhere"):
        topology(trace, position="nowhere")


def test_network_graph_is_networkx_with_the_trace_attributes() -> None:
    import networkx as nx

    from smtpsim import viz
    from smtpsim.scenarios import load
    from smtpsim.viz._read import network

    trace = load("smarthost").run().trace
    g = viz.network_graph(network(trace))
    assert isinstance(g, nx.Graph)
    assert g.nodes["mx.example.com"]["kind"] == "mta"
    assert nx.has_path(g, "bob-desktop", "mda.example.com")
    assert all("port" in d for _, _, d in g.edges(data=True))
