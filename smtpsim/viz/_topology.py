"""The network a run takes place on, drawn as a teacher would draw it on a board.

The positions come from :mod:`._layout` (mail flows left to right, one column per
hop, domains as shaded boxes, DNS in a row on top), computed by hand with no random
seed, so the same trace always gives the same picture. The Stepper draws the same
positions as SVG (:mod:`._topology_svg`); this module draws them with matplotlib for
notebooks and exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from ..trace.queries import network
from ._layout import frame, label_point, layout, link_label, network_graph, node_label
from ._layout import place as _layout
from .palette import FONT, HIGHLIGHT, MUTED, kind_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..trace import NetworkDescribed, TraceEvent

__all__ = ["TopologyRenderer", "draw_network", "layout", "link_label", "network_graph",
           "node_label", "topology"]

_DOMAIN_FILLS = ("#EEF3F8", "#F6F1E7")  # alternate pale blue / pale sand
_NODE_SIZE = 1500


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
    pos = _draw_domains(ax, net)
    want = frozenset(highlight_link) if highlight_link else None
    for link in _drawn_links(net, pos):
        _draw_link(ax, net, pos, link, hot=frozenset(link[:2]) == want, faded=faded)
    for name, kind, _domain in net.nodes:
        _draw_node(ax, name, kind, pos[name], hot=name in highlight_nodes, faded=faded)
    return pos


_Link = tuple[str, str, int, str, float]

def _draw_domains(ax: Axes, net: NetworkDescribed) -> dict[str, tuple[float, float]]:
    pos, boxes = _layout(net)
    for i, (domain, (x0, x1, y0, y1)) in enumerate(boxes.items()):
        ax.add_patch(FancyBboxPatch(
            (x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=_DOMAIN_FILLS[i % 2], edgecolor="#AAAAAA", lw=1.5, zorder=0,
            gid=f"domain:{domain}"))
        ax.text(x0 + 0.06, y1 - 0.06, domain or "(no domain)", ha="left", va="top",
                fontsize=FONT["label"], fontweight="bold", color="#444444", zorder=1)
    return pos


def _drawn_links(net: NetworkDescribed, pos: dict[str, tuple[float, float]]) -> list[_Link]:
    return [link for link in net.links if link[0] in pos and link[1] in pos]


def _draw_link(ax: Axes, net: NetworkDescribed, pos: dict[str, tuple[float, float]],
               link: _Link, *, hot: bool, faded: bool = False) -> tuple[Artist, Artist | None]:
    """One link: its line and (unless it goes to DNS, or ``faded``) its port label."""
    a, b, port, protocol, _latency = link
    kinds = {n: k for n, k, _ in net.nodes}
    (xa, ya), (xb, yb) = pos[a], pos[b]
    dns = "dns" in (kinds.get(a), kinds.get(b))
    alpha = 0.45 if faded else 1.0
    line = ax.add_line(Line2D(
        [xa, xb], [ya, yb], color=HIGHLIGHT if hot else ("#BBBBBB" if dns else "#777777"),
        lw=6 if hot else (1.2 if dns else 2.2), ls=":" if dns else "-",
        alpha=1.0 if hot else alpha, zorder=2, gid=f"link:{a}--{b}"))
    label = None
    if not (faded or dns):
        lx, ly = label_point(net, (xa, ya), (xb, yb))
        label = ax.text(lx, ly, link_label(port, protocol),
                        ha="center", va="center", fontsize=FONT["small"], zorder=3,
                        color=HIGHLIGHT if hot else "#333333",
                        fontweight="bold" if hot else None,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white",
                              "ec": HIGHLIGHT if hot else "#CCCCCC"})
    return line, label


def _draw_node(ax: Axes, name: str, kind: str, xy: tuple[float, float], *, hot: bool,
               faded: bool = False) -> tuple[Artist | None, Artist, Artist]:
    """One node: (its highlight halo, or None), its marker and its name."""
    style = kind_style(kind)
    x, y = xy
    alpha = 0.45 if faded else 1.0
    halo = None
    if hot:  # a halo behind, so the node's own kind colour stays readable
        halo = ax.scatter([x], [y], s=_NODE_SIZE * 2.2, marker="o", c=HIGHLIGHT, alpha=0.35,
                          zorder=3, gid=f"halo:{name}")
    marker = ax.scatter([x], [y], s=_NODE_SIZE, marker=style.marker, c=style.colour,
                        edgecolors=HIGHLIGHT if hot else "#333333", linewidths=4 if hot else 1.5,
                        alpha=1.0 if hot else alpha, zorder=4, gid=f"node:{name}")
    label = ax.text(x, y - 0.3, node_label(name), ha="center", va="top",
                    fontsize=FONT["small"] + 1, fontweight="bold" if hot else None, zorder=5,
                    linespacing=1.0, color="#111111" if not faded or hot else MUTED)
    return halo, marker, label


def _kind_legend(ax: Axes, net: NetworkDescribed, ncol: int) -> None:
    """The node kinds, under the picture: a figure legend outside the axes, so the
    constrained layout only takes height for it, never width from the diagram."""
    kinds = list(dict.fromkeys(k for _, k, _ in net.nodes))
    handles = [
        Line2D([], [], ls="", marker=kind_style(k).marker, ms=15, mfc=kind_style(k).colour,
               mec="#333333", label=kind_style(k).label)
        for k in kinds
    ]
    ax.get_figure().legend(handles=handles, loc="outside lower center", ncol=ncol,
                           fontsize=FONT["legend"], frameon=False, title="node kinds",
                           title_fontsize=FONT["legend"])


def fit_axes(ax: Axes, net: NetworkDescribed, pad: float = 0.15) -> None:
    """Frame nodes, labels and domain boxes; no axis lines (a diagram, not a plot)."""
    x0, x1, y0, y1 = frame(net, pad)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()


def network_figure(net: NetworkDescribed, pos: dict[str, tuple[float, float]]) -> Figure:
    """A blank figure sized to the network (about 2.4 inches per column)."""
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    width = min(20.0, max(10.0, 2.5 * (max(xs) - min(xs) + 1) + 1))
    height = min(14.0, max(5.0, 1.5 * (max(ys) - min(ys) + 1) + 2.4))
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _check_names(net: NetworkDescribed, highlight_nodes: Sequence[str],
                 highlight_link: tuple[str, str] | None, position: str | None) -> None:
    names = {n for n, _, _ in net.nodes}
    unknown = [n for n in (*highlight_nodes, *(highlight_link or ()), position) if n]
    unknown = [n for n in unknown if n not in names]
    if unknown:
        raise ValueError(f"unknown node(s) {unknown}; the network has {sorted(names)}")


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
    net = network(list(trace))
    _check_names(net, highlight_nodes, highlight_link, position)
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


def draw_envelope(ax: Axes, xy: tuple[float, float], colour: str = HIGHLIGHT, *,
                  offset: tuple[float, float] = (0.0, 0.42), size: float = 26) -> Artist:
    """An envelope in a ring just above ``xy`` ("the message is here"): above, not
    beside, so it never hides the port label of the link the node uses."""
    x, y = xy
    return ax.text(x + offset[0], y + offset[1], "\u2709", fontsize=size, ha="center",
                   va="center", color=colour, zorder=7, gid="position",
                   bbox={"boxstyle": "circle,pad=0.1", "fc": "white", "ec": colour, "lw": 2.5})


class TopologyRenderer:
    """The :func:`topology` picture as PNG bytes, fast enough to redraw at every step.

    A stepper shows the same network over and over; only the highlighted link and
    nodes and the envelope move. So the figure is built once, with every highlight
    variant in it (hidden), and rendered once without highlights: that image is the
    *background*. For a highlight state, only the rectangle the highlights touch is
    redrawn (blitting): every artist painting into it is drawn again, in the figure's
    own z-order, over a white canvas; the rectangle is pasted onto the background and
    the result encoded as PNG (fast zlib level).

    The result is pixel for pixel the PNG of ``topology(trace, highlight_nodes=...,
    highlight_link=..., position=...)`` saved at the same ``dpi``: nothing a student
    sees changes, only the time it takes (a few ms instead of a whole figure draw).
    Same state, same bytes.

    Args:
        trace: a trace that starts with a :class:`~smtpsim.trace.NetworkDescribed`.
        dpi: the picture's resolution (the figure keeps the size :func:`topology` gives it).
    """

    def __init__(self, trace: Iterable[TraceEvent], *, dpi: float = 64) -> None:
        import numpy as np
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self._np = np
        net = self.net = network(list(trace))
        pos = _layout(net)[0]
        fig = self.figure = network_figure(net, pos)
        ax = fig.add_subplot()
        # The same artists in the same order as draw_network, each element's highlighted
        # variant added (hidden) right after its plain one, so z-order ties break the same.
        _draw_domains(ax, net)
        self._links: dict[frozenset[str], tuple[list[Artist], list[Artist]]] = {}
        for link in _drawn_links(net, pos):
            plain = _draw_link(ax, net, pos, link, hot=False)
            hot = _draw_link(ax, net, pos, link, hot=True)
            self._links.setdefault(frozenset(link[:2]), (
                [a for a in plain if a is not None], [a for a in hot if a is not None]))
        self._nodes: dict[str, tuple[list[Artist], list[Artist]]] = {}
        for name, kind, _domain in net.nodes:
            _halo, marker, label = _draw_node(ax, name, kind, pos[name], hot=False)
            halo, hot_marker, hot_label = _draw_node(ax, name, kind, pos[name], hot=True)
            assert halo is not None
            # Halos are z-order 3, markers 4, labels 5: drawn as topology() draws them.
            self._nodes[name] = ([marker, label], [halo, hot_marker, hot_label])
        self._envelopes = {name: draw_envelope(ax, pos[name]) for name in pos}
        hidden = [a for _, hot in (*self._links.values(), *self._nodes.values()) for a in hot]
        hidden += self._envelopes.values()
        for a in hidden:
            a.set_visible(False)
        fit_axes(ax, net)
        ax.set_title(net.title or net.node or "network", fontsize=FONT["title"])
        _kind_legend(ax, net, ncol=min(4, len({k for _, k, _ in net.nodes})))

        self.canvas = FigureCanvasAgg(fig)
        fig.set_dpi(dpi)
        self.canvas.draw()  # solves the constrained layout once ...
        fig.set_layout_engine("none")  # ... and keeps it: highlights never move the frame
        renderer = self._renderer = self.canvas.get_renderer()
        self._buffer = np.asarray(renderer.buffer_rgba())  # a writable view
        self._background = np.array(self._buffer[..., :3])
        # Everything the figure draws over its white patch (axis lines are off), in
        # the order Figure.draw and Axes.draw use: by z-order, ties in insertion order.
        skip = {*ax.spines.values(), ax.xaxis, ax.yaxis, ax.patch}
        children = sorted((a for a in ax.get_children() if a not in skip),
                          key=lambda a: a.get_zorder())
        self._order: list[Artist] = []
        for top in sorted([ax, *fig.legends], key=lambda a: a.get_zorder()):
            self._order += children if top is ax else [top]
        self._base_visible = {id(a) for a in self._order if a.get_visible()}
        self._extent: dict[int, tuple[int, int, int, int] | None] = {}
        for a in self._order:
            if id(a) in self._base_visible:
                self._measure(a)
        renderer.clear()
        fig.patch.draw(renderer)
        self._blank = np.array(self._buffer)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the picture in pixels."""
        w, h = self.canvas.get_width_height()
        return int(w), int(h)

    def _measure(self, artist: Artist) -> tuple[int, int, int, int] | None:
        """The pixels ``artist`` paints, as ``(x0, y0, x1, y1)`` (columns, rows from the
        top, ends excluded), found by drawing it alone on a clear canvas; None if none."""
        key = id(artist)
        if key not in self._extent:
            np = self._np
            self._renderer.clear()
            self._draw(artist)
            alpha = self._buffer[..., 3]
            rows = np.flatnonzero(alpha.any(axis=1))
            if rows.size == 0:
                self._extent[key] = None
            else:
                cols = np.flatnonzero(alpha[rows[0]:rows[-1] + 1].any(axis=0))
                self._extent[key] = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1,
                                     int(rows[-1]) + 1)
        return self._extent[key]

    def _draw(self, artist: Artist) -> None:
        was = artist.get_visible()
        artist.set_visible(True)
        artist.draw(self._renderer)
        artist.set_visible(was)

    def _state(self, highlight_nodes: Sequence[str], highlight_link: tuple[str, str] | None,
               position: str | None) -> tuple[set[int], list[Artist]]:
        """The ids of the artists visible in this state, and the artists that differ
        from the background (plain ones hidden, highlighted ones shown)."""
        visible = set(self._base_visible)
        changed: list[Artist] = []
        swaps = [self._nodes[n] for n in dict.fromkeys(highlight_nodes)]
        if highlight_link is not None and frozenset(highlight_link) in self._links:
            swaps.append(self._links[frozenset(highlight_link)])
        for plain, hot in swaps:
            visible.difference_update(id(a) for a in plain)
            visible.update(id(a) for a in hot)
            changed += [*plain, *hot]
        if position is not None:
            envelope = self._envelopes[position]
            visible.add(id(envelope))
            changed.append(envelope)
        return visible, changed

    def pixels(self, highlight_nodes: Sequence[str] = (),
               highlight_link: tuple[str, str] | None = None,
               position: str | None = None) -> Any:
        """The picture as a new ``(height, width, 3)`` uint8 RGB array."""
        _check_names(self.net, highlight_nodes, highlight_link, position)
        visible, changed = self._state(highlight_nodes, highlight_link, position)
        boxes = [b for b in map(self._measure, changed) if b is not None]
        out = self._background.copy()
        if boxes:
            w, h = self.size
            x0 = max(0, min(b[0] for b in boxes) - 1)
            y0 = max(0, min(b[1] for b in boxes) - 1)
            x1 = min(w, max(b[2] for b in boxes) + 1)
            y1 = min(h, max(b[3] for b in boxes) + 1)
            # The dirty rectangle: blank it, then draw every artist that paints into it
            # (and nothing else), in drawing order. Pixels outside it are the background's.
            self._buffer[y0:y1, x0:x1] = self._blank[y0:y1, x0:x1]
            for a in self._order:
                if id(a) in visible:
                    e = self._measure(a)
                    if e is not None and e[0] < x1 and x0 < e[2] and e[1] < y1 and y0 < e[3]:
                        self._draw(a)
            out[y0:y1, x0:x1] = self._buffer[y0:y1, x0:x1, :3]
        return out

    def png(self, highlight_nodes: Sequence[str] = (),
            highlight_link: tuple[str, str] | None = None,
            position: str | None = None) -> bytes:
        """The picture as PNG bytes (RGB, no metadata: the same state gives the same bytes).

        Raises:
            ValueError: an unknown node or link named.
        """
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(self.pixels(highlight_nodes, highlight_link, position)).save(
            buf, format="png", compress_level=1)
        return buf.getvalue()
