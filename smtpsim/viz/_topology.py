"""The network a run takes place on, drawn as a teacher would draw it on a board.

Theory of operation
-------------------
Mail flows left to right: the person writing sits at the left, the mailbox it ends
in at the right. :func:`layout` computes that picture by hand, with no random seed:

1. **Columns** are hops. A breadth-first walk of the links starts from the senders
   (user agents and apps that do not just read a mailbox); a node's column is its
   number of hops from a sender. DNS servers are kept out of the walk and sit in
   a row above, since every MTA asks them.
2. **Domains** are shaded boxes. Each domain's nodes stack in rows inside its
   box; boxes that would overlap in the same columns are stacked one above the other.

The same trace therefore always gives the same picture, and widgets can reuse the
positions (:func:`layout`) to animate a message over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import networkx as nx
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from ._read import network
from .palette import FONT, HIGHLIGHT, MUTED, kind_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..trace import NetworkDescribed, TraceEvent

__all__ = ["draw_network", "layout", "link_label", "topology"]

_DOMAIN_FILLS = ("#EEF3F8", "#F6F1E7")  # alternate pale blue / pale sand
_NODE_SIZE = 1500
_SENDER_KINDS = ("user_agent", "app")
_Box = tuple[float, float, float, float]  # x0, x1, y0, y1


def link_label(port: int, protocol: str) -> str:
    """The label on a link: ``"25 SMTP"``, ``"587 SMTP+AUTH"``; no port if it is 0."""
    return f"{port} {protocol}" if port else protocol


def network_graph(net: NetworkDescribed) -> nx.Graph:
    """The network as a :class:`networkx.Graph`: nodes carry ``kind`` and ``domain``,
    edges ``port``, ``protocol`` and ``latency``. Handy for your own analysis too."""
    g = nx.Graph(name=net.title or net.node)
    for name, kind, domain in net.nodes:
        g.add_node(name, kind=kind, domain=domain)
    for a, b, port, protocol, latency in net.links:
        g.add_edge(a, b, port=port, protocol=protocol, latency=latency)
    return g


def _ranks(net: NetworkDescribed) -> dict[str, int]:
    """Columns: hops from the nearest sender (breadth-first), DNS left out; a part of
    the network no sender reaches counts from its first node."""
    g = network_graph(net)
    g.remove_nodes_from([n for n, k in g.nodes(data="kind") if k == "dns"])
    order = {n: i for i, n in enumerate(g.nodes)}
    senders = [n for n, k in g.nodes(data="kind") if k in _SENDER_KINDS]
    writers = [n for n in senders if all(g.nodes[m]["kind"] != "mailbox" for m in g[n])]
    rank: dict[str, int] = {}
    starts = writers or senders
    if starts:
        rank.update(nx.multi_source_dijkstra_path_length(g, starts))
    for component in sorted(nx.connected_components(g), key=lambda c: min(map(order.get, c))):
        if not rank.keys() & component:
            first = min(component, key=order.__getitem__)
            rank.update(nx.single_source_shortest_path_length(g, first))
    return {n: int(rank[n]) for n in g.nodes}


def _overlaps(a: _Box, b: _Box) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _domain_boxes(
    net: NetworkDescribed, rank: dict[str, int]
) -> tuple[dict[str, tuple[float, float]], dict[str, _Box]]:
    """Place each domain's nodes; return positions and each domain's box (x0, x1, y0, y1)."""
    domains: dict[str, list[str]] = {}
    for name, kind, domain in net.nodes:
        if kind != "dns":
            domains.setdefault(domain, []).append(name)
    first = {d: i for i, d in enumerate(domains)}
    ordered = sorted(domains, key=lambda d: (min(rank[n] for n in domains[d]), first[d]))
    pos: dict[str, tuple[float, float]] = {}
    boxes: dict[str, _Box] = {}
    for d in ordered:
        columns: dict[int, list[str]] = {}
        for n in domains[d]:
            columns.setdefault(rank[n], []).append(n)
        height = max(len(c) for c in columns.values())
        x0, x1 = min(columns) - 0.45, max(columns) + 0.45
        # Try the top lane first, then just below every box already placed.
        # (A box reaches 0.85 above its top row, for the domain name, and 0.72 below
        # its bottom row, for the node names.)
        tops = sorted({0.0, *(b[2] - 0.3 - 0.85 for b in boxes.values())}, reverse=True)
        for top in tops:
            box = (x0, x1, top - (height - 1) - 0.72, top + 0.85)
            if not any(_overlaps(box, other) for other in boxes.values()):
                break
        boxes[d] = box
        for col, names in columns.items():
            offset = (height - len(names)) / 2
            for j, n in enumerate(names):
                pos[n] = (float(col), top - offset - j)
    return pos, boxes


def _layout(net: NetworkDescribed) -> tuple[dict[str, tuple[float, float]], dict[str, _Box]]:
    rank = _ranks(net)
    pos, boxes = _domain_boxes(net, rank)
    dns = [n for n, k, _ in net.nodes if k == "dns"]
    if dns:
        xs = [p[0] for p in pos.values()] or [0.0]
        mid = (min(xs) + max(xs)) / 2
        top = max((b[3] for b in boxes.values()), default=0.0) + 0.7
        for j, n in enumerate(dns):
            pos[n] = (mid + j - (len(dns) - 1) / 2, top)
    return pos, boxes


def layout(trace: Iterable[TraceEvent]) -> dict[str, tuple[float, float]]:
    """Where each node of the trace's network is drawn: ``name -> (x, y)``.

    ``x`` counts hops from the sender (columns), ``y`` goes down through each domain's
    rows; DNS servers sit in a row on top. Hand-computed, so always the same.

    Raises:
        ValueError: the trace has no :class:`~smtpsim.trace.NetworkDescribed` event.
    """
    return _layout(network(trace))[0]


def draw_network(
    ax: Axes,
    net: NetworkDescribed,
    *,
    highlight_nodes: Sequence[str] = (),
    highlight_link: tuple[str, str] | None = None,
    faded: bool = False,
) -> dict[str, tuple[float, float]]:
    """Draw domains, links and nodes of ``net`` on ``ax``; return the positions used.

    ``faded`` draws a quieter background (used under a message's path).
    """
    pos, boxes = _layout(net)
    alpha = 0.45 if faded else 1.0
    for i, (domain, (x0, x1, y0, y1)) in enumerate(boxes.items()):
        ax.add_patch(FancyBboxPatch(
            (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=_DOMAIN_FILLS[i % 2], edgecolor="#AAAAAA", lw=1.5, zorder=0,
            gid=f"domain:{domain}"))
        ax.text(x0 + 0.06, y1 - 0.06, domain or "(no domain)", ha="left", va="top",
                fontsize=FONT["label"], fontweight="bold", color="#444444", zorder=1)
    kinds = {n: k for n, k, _ in net.nodes}
    want = {frozenset(highlight_link)} if highlight_link else set()
    for a, b, port, protocol, _latency in net.links:
        if a not in pos or b not in pos:
            continue
        (xa, ya), (xb, yb) = pos[a], pos[b]
        hot = frozenset((a, b)) in want
        dns = "dns" in (kinds.get(a), kinds.get(b))
        ax.add_line(Line2D(
            [xa, xb], [ya, yb], color=HIGHLIGHT if hot else ("#BBBBBB" if dns else "#777777"),
            lw=6 if hot else (1.2 if dns else 2.2), ls=":" if dns else "-",
            alpha=1.0 if hot else alpha, zorder=2, gid=f"link:{a}--{b}"))
        if not (faded or dns):
            ax.text((xa + xb) / 2, (ya + yb) / 2, link_label(port, protocol),
                    ha="center", va="center", fontsize=FONT["small"], zorder=3,
                    color=HIGHLIGHT if hot else "#333333", fontweight="bold" if hot else None,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white",
                          "ec": HIGHLIGHT if hot else "#CCCCCC"})
    for name, kind, _domain in net.nodes:
        style = kind_style(kind)
        x, y = pos[name]
        hot = name in highlight_nodes
        if hot:  # a halo behind, so the node's own kind colour stays readable
            ax.scatter([x], [y], s=_NODE_SIZE * 2.2, marker="o", c=HIGHLIGHT, alpha=0.35,
                       zorder=3, gid=f"halo:{name}")
        ax.scatter([x], [y], s=_NODE_SIZE, marker=style.marker, c=style.colour,
                   edgecolors=HIGHLIGHT if hot else "#333333", linewidths=4 if hot else 1.5,
                   alpha=1.0 if hot else alpha, zorder=4, gid=f"node:{name}")
        ax.text(x, y - 0.3, name, ha="center", va="top", fontsize=FONT["small"] + 1,
                fontweight="bold" if hot else None, zorder=5,
                color="#111111" if not faded or hot else MUTED)
    return pos


def _kind_legend(ax: Axes, net: NetworkDescribed, ncol: int) -> None:
    kinds = list(dict.fromkeys(k for _, k, _ in net.nodes))
    handles = [
        Line2D([], [], ls="", marker=kind_style(k).marker, ms=15, mfc=kind_style(k).colour,
               mec="#333333", label=kind_style(k).label)
        for k in kinds
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
              fontsize=FONT["legend"], frameon=False, title="node kinds",
              title_fontsize=FONT["legend"])


def fit_axes(ax: Axes, net: NetworkDescribed, pad: float = 0.15) -> None:
    """Frame nodes, labels and domain boxes; no axis lines (a diagram, not a plot)."""
    pos, boxes = _layout(net)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    x0 = min([min(xs) - 0.5, *(b[0] for b in boxes.values())])
    x1 = max([max(xs) + 0.5, *(b[1] for b in boxes.values())])
    y0 = min([min(ys) - 0.75, *(b[2] for b in boxes.values())])
    y1 = max([max(ys) + 0.4, *(b[3] for b in boxes.values())])
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_axis_off()


def network_figure(net: NetworkDescribed, pos: dict[str, tuple[float, float]]) -> Figure:
    """A blank figure sized to the network (about 2.4 inches per column)."""
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    width = min(20.0, max(10.0, 2.5 * (max(xs) - min(xs) + 1) + 1))
    height = min(14.0, max(5.0, 1.5 * (max(ys) - min(ys) + 1) + 2.4))
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def topology(
    trace: Iterable[TraceEvent],
    *,
    highlight_nodes: Sequence[str] = (),
    highlight_link: tuple[str, str] | None = None,
    position: str | None = None,
) -> Figure:
    """The network: nodes by kind (shape and colour), grouped in domain boxes.

    Links carry their port and protocol (``25 SMTP``, ``587 SMTP+AUTH``). A stepper
    highlights the link in use and shows where the message is now.

    Args:
        trace: a trace that starts with a :class:`~smtpsim.trace.NetworkDescribed`.
        highlight_nodes: nodes to ring in the highlight colour.
        highlight_link: ``(a, b)``, the link to draw thick (either order).
        position: the node the message is at; an envelope is drawn there.

    Returns:
        A new :class:`matplotlib.figure.Figure`.

    Raises:
        ValueError: no network in the trace, or an unknown node or link named.
    """
    events = list(trace)
    net = network(events)
    names = {n for n, _, _ in net.nodes}
    unknown = [n for n in (*highlight_nodes, *(highlight_link or ()), position) if n]
    unknown = [n for n in unknown if n not in names]
    if unknown:
        raise ValueError(f"unknown node(s) {unknown}; the network has {sorted(names)}")
    pos = _layout(net)[0]
    fig = network_figure(net, pos)
    ax = fig.add_subplot()
    draw_network(ax, net, highlight_nodes=highlight_nodes, highlight_link=highlight_link)
    if position is not None:
        draw_envelope(ax, pos[position])
    fit_axes(ax, net)
    ax.set_title(net.title or net.node or "network", fontsize=FONT["title"])
    _kind_legend(ax, net, ncol=min(4, len({k for _, k, _ in net.nodes})))
    return fig


def draw_envelope(ax: Axes, xy: tuple[float, float], colour: str = HIGHLIGHT) -> None:
    """A big envelope at ``xy``: "the message is here"."""
    x, y = xy
    ax.text(x + 0.22, y + 0.22, "\u2709", fontsize=40, ha="center", va="center", color=colour,
            zorder=7, gid="position",
            bbox={"boxstyle": "circle,pad=0.1", "fc": "white", "ec": colour, "lw": 3})
