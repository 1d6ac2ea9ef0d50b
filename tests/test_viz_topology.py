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
    from smtpsim.trace.queries import network

    trace = load("smarthost").run().trace
    g = viz.network_graph(network(trace))
    assert isinstance(g, nx.Graph)
    assert g.nodes["mx.example.com"]["kind"] == "mta"
    assert nx.has_path(g, "bob-desktop", "mda.example.com")
    assert all("port" in d for _, _, d in g.edges(data=True))


# --------------------------------------------------------------- the fast renderer


def _decoded(png: bytes):  # type: ignore[no-untyped-def]
    from io import BytesIO

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(BytesIO(png)).convert("RGB"))


def _figure_png(trace: object, dpi: int, **state: object) -> bytes:
    from io import BytesIO

    buf = BytesIO()
    topology(trace, **state).savefig(buf, format="png", dpi=dpi)  # type: ignore[arg-type]
    return buf.getvalue()


CLASSIC_STATES = [
    {},
    {"highlight_nodes": ["alice-pc"], "highlight_link": ("alice-pc", "smtp.example.org"),
     "position": "alice-pc"},
    {"highlight_nodes": ["mx.example.com"],
     "highlight_link": ("smtp.example.org", "mx.example.com"), "position": "smtp.example.org"},
    {"highlight_nodes": ["mda.example.com", "bob"], "position": "bob"},
    {"highlight_link": ("mx.example.com", "mda.example.com")},
]


@pytest.mark.parametrize("dpi", [64, 100])
def test_renderer_draws_exactly_the_topology_figure(dpi: int) -> None:
    from smtpsim.viz._topology import TopologyRenderer

    r = TopologyRenderer(classic(), dpi=dpi)
    plain = r.pixels()
    for state in CLASSIC_STATES:
        fast = _decoded(r.png(**state))  # type: ignore[arg-type]
        full = _decoded(_figure_png(classic(), dpi, **state))
        assert fast.shape == full.shape == (r.size[1], r.size[0], 3)
        assert (fast == full).all(), state  # pixel for pixel
        if state:
            assert (fast != plain).any()  # and the highlight did change something


def test_renderer_on_a_ten_node_library_scenario_matches_pixel_for_pixel() -> None:
    from smtpsim.scenarios import load
    from smtpsim.trace.queries import message_position
    from smtpsim.viz._topology import TopologyRenderer
    from smtpsim.widgets import focus_at

    events = list(load("relay-denied").run().trace)
    r = TopologyRenderer(events)
    states = list(dict.fromkeys((*focus_at(events, i), message_position(events, i, "m1"))
                                for i in range(len(events))))
    assert len(states) > 4
    for nodes, link, where in states:
        fast = _decoded(r.png(nodes, link, where))
        full = _decoded(_figure_png(events, 64, highlight_nodes=nodes, highlight_link=link,
                                    position=where))
        assert (fast == full).all(), (nodes, link, where)


def test_renderer_is_deterministic_and_checks_names() -> None:
    from smtpsim.viz._topology import TopologyRenderer

    state = CLASSIC_STATES[2]
    a = TopologyRenderer(classic()).png(**state)  # type: ignore[arg-type]
    r = TopologyRenderer(classic())
    r.png(**CLASSIC_STATES[1])  # another state in between leaves no trace
    assert r.png(**state) == a == r.png(**state)  # type: ignore[arg-type]
    assert a.startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="nowhere"):
        r.png(position="nowhere")


def test_every_library_scenario_draws_and_is_kept_for_review() -> None:
    from smtpsim.scenarios import list_scenarios, load
    from smtpsim.trace.queries import followed_message, message_position
    from smtpsim.widgets import focus_at

    for name, _title in list_scenarios():
        events = list(load(name).run().trace)
        msg = followed_message(events)
        i = len(events) // 3  # somewhere along the way
        nodes, link = focus_at(events, i)
        fig = topology(events, highlight_nodes=nodes, highlight_link=link,
                       position=message_position(events, i, msg))
        assert by_gid(fig, "node:")
        save_artifact(fig, f"topology_scenario_{name}")


# --------------------------------------------------------------- the SVG picture

SVG = "{http://www.w3.org/2000/svg}"


def _svg_summary(svg: str) -> dict[str, object]:
    """What a student reads in the SVG picture: nodes, their names, the port labels,
    the highlighted link and nodes, and where the message badge is."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    groups = list(root.iter(f"{SVG}g"))
    nodes = [g for g in groups if "smtpsim-svg-node" in (g.get("class") or "")]
    names = {}
    for g in nodes:
        text = g.find(f"{SVG}text")
        assert text is not None
        names[g.get("data-node")] = "".join(s.text or "" for s in text.iter(f"{SVG}tspan"))
    ports = sorted(" ".join(s.text or "" for s in g.iter(f"{SVG}tspan"))
                   for g in groups if g.get("class") == "smtpsim-svg-port")
    hot = [ln.get("data-link") for ln in root.iter(f"{SVG}line")
           if "smtpsim-svg-hot" in (ln.get("class") or "")]
    where = [g.get("data-node") for g in groups if g.get("class") == "smtpsim-svg-position"]
    return {"nodes": set(names), "names": names, "ports": ports,
            "hot_link": {frozenset(h.split("--")) for h in hot if h},
            "hot_nodes": {g.get("data-node") for g in nodes
                          if "smtpsim-svg-hot" in (g.get("class") or "")},
            "position": where[0] if where else None, "root": root}


def _figure_summary(fig: object) -> dict[str, object]:
    """The same facts read from the matplotlib figure's artists (by their gids)."""
    from matplotlib.text import Text

    nodes = {g.removeprefix("node:") for g in by_gid(fig, "node:")}
    links = by_gid(fig, "link:")
    hot = {frozenset(g.removeprefix("link:").split("--")) for g, a in links.items()
           if to_hex(a.get_color()) == to_hex(palette.HIGHLIGHT)}
    shown = texts(fig)
    names = {n: n for n in nodes if n in {t.replace("\n", "") for t in shown}}
    labels = set(shown)
    halos = {g.removeprefix("halo:") for g in by_gid(fig, "halo:")}
    position = by_gid(fig, "position").get("position")
    assert position is None or isinstance(position, Text)
    return {"nodes": nodes, "names": names, "labels": labels, "hot_link": hot,
            "hot_nodes": halos, "position": position}


SVG_STATES = [
    *CLASSIC_STATES,
    {"highlight_nodes": ["carol"], "highlight_link": ("mda.example.com", "carol"),
     "position": "carol"},
]


@pytest.mark.parametrize("state", SVG_STATES)
def test_svg_and_figure_agree_on_nodes_labels_and_highlights(state: dict[str, object]) -> None:
    from smtpsim.viz._layout import layout as plain_layout
    from smtpsim.viz._topology_svg import topology_svg

    svg = _svg_summary(topology_svg(classic(), **state))  # type: ignore[arg-type]
    fig = _figure_summary(topology(classic(), **state))  # type: ignore[arg-type]
    assert svg["nodes"] == fig["nodes"] == {n for n, _, _ in CLASSIC_NET.nodes}
    assert svg["names"] == {n: n for n in svg["nodes"]}  # every name, whole, as text
    assert set(fig["names"]) == svg["nodes"]
    assert svg["ports"] and set(svg["ports"]) <= fig["labels"]  # the same port labels
    assert svg["hot_link"] == fig["hot_link"]
    assert svg["hot_nodes"] == fig["hot_nodes"] == set(state.get("highlight_nodes", ()))
    assert svg["position"] == state.get("position")
    if state.get("position"):  # both draw the envelope above its node, not on its name
        x, y = plain_layout(classic())[state["position"]]  # type: ignore[index]
        fx, fy = fig["position"].get_position()  # type: ignore[union-attr]
        assert fx == x and fy > y


def test_svg_on_every_library_scenario_agrees_with_the_figure() -> None:
    from smtpsim.scenarios import list_scenarios, load
    from smtpsim.trace.queries import followed_message, message_position
    from smtpsim.viz._topology_svg import topology_svg
    from smtpsim.widgets import focus_at

    for name, _title in list_scenarios():
        events = list(load(name).run().trace)
        msg = followed_message(events)
        for i in (1, len(events) // 3, len(events) - 1):
            nodes, link = focus_at(events, i)
            state = {"highlight_nodes": nodes, "highlight_link": link,
                     "position": message_position(events, i, msg)}
            svg = _svg_summary(topology_svg(events, **state))  # type: ignore[arg-type]
            fig = _figure_summary(topology(events, **state))  # type: ignore[arg-type]
            assert svg["nodes"] == fig["nodes"], name
            assert svg["hot_link"] == fig["hot_link"], (name, i)
            assert set(svg["ports"]) <= fig["labels"], name


def test_svg_has_its_own_shape_real_text_and_badges_beside_names() -> None:
    from smtpsim.viz._topology_svg import MIN_TEXT_PX, Travelling, topology_svg

    svg = topology_svg(classic(), highlight_link=("smtp.example.org", "mx.example.com"),
                       position="bob", failed=("smtp.example.org", "mx.example.com"),
                       travelling=Travelling("smtp.example.org", "mx.example.com"))
    root = _svg_summary(svg)["root"]
    _, _, w, h = (float(v) for v in root.get("viewBox").split())  # type: ignore[union-attr]
    assert (w, h) == (float(root.get("width")), float(root.get("height")))  # type: ignore[arg-type]
    style = root.get("style")
    assert "width:100%; height:auto" in style
    min_width = float(style.split("min-width:")[1].split("px")[0])
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    assert min(sizes) * min_width / w >= MIN_TEXT_PX  # never shrunk below 12 px text
    centre = {g.get("data-node"): g for g in root.iter(f"{SVG}g")
              if "smtpsim-svg-node" in (g.get("class") or "")}
    bob = centre["bob"]
    name_y = float(bob.find(f"{SVG}text").get("y"))  # type: ignore[union-attr]
    shape = [c for c in bob if c.tag != f"{SVG}title"][0]
    marker_y = float(shape.get("y")) + float(shape.get("height")) / 2  # a mailbox square
    badge = [g for g in root.iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-position"][0]
    badge_y = float(badge.find(f"{SVG}circle").get("cy"))  # type: ignore[union-attr]
    assert badge_y < marker_y < name_y  # the envelope above the marker, the name below
    cross = [g for g in root.iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-failed"][0]
    mx = centre["mx.example.com"]
    mx_name_y = float(mx.find(f"{SVG}text").get("y"))  # type: ignore[union-attr]
    assert float(cross.find(f"{SVG}circle").get("cy")) < mx_name_y - 20  # type: ignore[union-attr]
    moving = [g for g in root.iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-travelling"]
    assert moving[0].find(f"{SVG}animateTransform") is not None
    assert topology_svg(classic(), position="bob") == topology_svg(classic(), position="bob")
    with pytest.raises(ValueError, match="nowhere"):
        topology_svg(classic(), position="nowhere")


def test_svg_module_needs_no_matplotlib() -> None:
    code = ("import sys, smtpsim.viz._topology_svg as s; from smtpsim.scenarios import load; "
            "s.topology_svg(load('classic').run().trace); print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_wrap_label_cuts_only_at_address_punctuation() -> None:
    from smtpsim.viz._topology_svg import wrap_label

    assert wrap_label("mailbox:bob@example.com", 16) == ["mailbox:bob", "@example.com"]
    assert wrap_label("smtp.spam.example", 16) == ["smtp.", "spam.example"]
    assert wrap_label("mx.example.com", 16) == ["mx.example.com"]
    assert wrap_label("averyveryverylongword", 5) == ["averyveryverylongword"]


def _name_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """Each node name's box in an SVG topology, its width measured in DejaVu Sans (the
    picture's first font) by matplotlib's renderer at 72 dpi, where a point is a pixel."""
    import re

    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(100, 100, 72)
    boxes = []
    for node, x, y, size, spans in re.findall(
            r'data-node="([^"]+)">.*?<text class="smtpsim-svg-label smtpsim-svg-name" '
            r'x="([\d.]+)" y="([\d.]+)" text-anchor="middle" font-size="([\d.]+)"[^>]*>'
            r'(.*?)</text>', svg):
        lines = re.findall(r">([^<]*)</tspan>", spans)
        font = FontProperties(family="DejaVu Sans", size=float(size))
        half = max(renderer.get_text_width_height_descent(line, font, ismath=False)[0]
                   for line in lines) / 2
        top = float(y) - float(size)
        half += float(size) * 0.4  # and keep a space's width of air on each side
        boxes.append((node, float(x) - half, top, float(x) + half,
                      top + len(lines) * float(size) * 1.15))
    return boxes


@pytest.mark.parametrize("name", ["mx-failover", "classic", "smarthost", "relay-denied",
                                  "api-gateway", "mail-loop"])
def test_no_two_node_names_overlap_in_the_svg_topology(name: str) -> None:
    """The failover picture once read "smtp.example.orgmx1.example.com": names of
    neighbouring columns must keep a space apart (they wrap at a dot instead)."""
    from smtpsim.scenarios import load
    from smtpsim.viz import topology_svg

    boxes = _name_boxes(topology_svg(list(load(name).run().trace)))
    assert len(boxes) >= 4
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1:]:
            apart = ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0
            assert apart, f"the names {a!r} and {b!r} overlap"
