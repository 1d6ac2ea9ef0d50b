"""The Stepper's network picture as SVG: sharp at any zoom, never distorted, real text.

Theory of operation
-------------------
The picture is the one :func:`smtpsim.viz.topology` draws with matplotlib (same
positions from :mod:`._layout`, same kind shapes and colours from :mod:`.palette`),
written directly as SVG markup, so a browser draws it at whatever size the pane has:

* **Its own shape.** The ``<svg>`` has an explicit ``viewBox`` in CSS pixels at its
  natural size and ``width: 100%; height: auto``, so it is scaled, never stretched.
  A ``min-width`` keeps it from shrinking so far that the smallest text drops below
  :data:`MIN_TEXT_PX`: a pane narrower than that scrolls sideways instead.
* **Real text.** Node names, port labels and domain names are ``<text>`` elements
  (selectable, searchable, read by screen readers), at :data:`TEXT_PX` or more.
  Long names wrap at their dots, ``@`` and ``:`` (``mailbox:`` / ``alice@`` ...)
  to fit one column, never in the middle of a word.
* **What moves.** The active link is drawn thick in the highlight colour; the node
  the message is stored at carries an envelope *badge* to the upper right of its
  marker (never on its name); the line crossing the wire at this step travels along
  the active link, beside it, from sender to receiver: an envelope for what the
  client sends (commands and the message), a small reply-code tag for what the
  server answers (SMIL ``animateTransform``, ending halfway, so a still picture shows
  it too). A failed attempt puts a red ✗ above the link near the node that did not
  answer, never on its name (names are written below the markers).

Everything is a pure function of its arguments, with no matplotlib import, so the
Stepper redraws the whole picture at every step (a few hundred microseconds) and
needs no picture cache. The markup is deterministic: same state, same string.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from ..trace.queries import network
from ._layout import frame, label_point, link_label, place
from .palette import HIGHLIGHT, REPLY_COLOURS, kind_style

if TYPE_CHECKING:
    from ..trace import NetworkDescribed, TraceEvent

__all__ = ["MIN_PRESENTATION_PX", "MIN_TEXT_PX", "TEXT_PX", "Travelling", "topology_svg",
           "wrap_label"]

#: The size of node names and port labels at the picture's natural size (CSS px).
TEXT_PX = 13
#: The picture never shrinks so far that its smallest text is below this (CSS px);
#: in presentation mode, below :data:`MIN_PRESENTATION_PX`.
MIN_TEXT_PX = 12
MIN_PRESENTATION_PX = 16
_FONT = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"
_DOMAIN_FILLS = ("#EEF3F8", "#F6F1E7")  # the same pale blue / pale sand as the figure
_FAIL = REPLY_COLOURS[5]
_CHAR_EM = 0.58  # average advance of a DejaVu Sans character, in em


@dataclass(frozen=True, slots=True)
class Travelling:
    """What crosses the active link at this step: from ``source`` to ``target``.

    ``reply`` is a server's reply code (``"250"``) drawn as a small tag; empty for
    what a client sends (a command, a header line, the body), drawn as an envelope.
    """

    source: str
    target: str
    reply: str = ""


@dataclass(frozen=True, slots=True)
class _Scale:
    """Layout units to picture pixels, and the text sizes of one picture."""

    sx: float
    sy: float
    x0: float
    y1: float
    top: float
    text: float

    def xy(self, p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] - self.x0) * self.sx, (self.y1 - p[1]) * self.sy + self.top


def wrap_label(name: str, max_chars: int) -> list[str]:
    """A node name cut into lines of at most ``max_chars`` where it can be: before the
    ``@`` first, then after the first ``:``, then after the first ``.``; so
    ``mailbox:bob@example.com`` gives ``["mailbox:bob", "@example.com"]`` and
    ``smtp.spam.example`` gives ``["smtp.", "spam.example"]``. The lines joined give
    the name back; a piece with none of these stays whole (never cut mid-word)."""
    if len(name) <= max_chars:
        return [name]
    for sep, after in (("@", 0), (":", 1), (".", 1)):
        k = name.rfind(sep) if sep == "@" else name.find(sep)
        if 0 < k + after < len(name):
            cut = k + after
            return wrap_label(name[:cut], max_chars) + wrap_label(name[cut:], max_chars)
    return [name]


def _shape(marker: str, x: float, y: float, r: float) -> str:
    """The SVG shape of a matplotlib marker code (the palette's kind markers)."""
    def polygon(n: int, start: float, radii: Sequence[float] = (1.0,)) -> str:
        pts = []
        for k in range(n * len(radii)):
            a = math.radians(start + 360 * k / (n * len(radii)))
            rr = r * radii[k % len(radii)]
            pts.append(f"{x + rr * math.cos(a):.1f},{y - rr * math.sin(a):.1f}")
        return f'<polygon points="{" ".join(pts)}"'

    if marker == "s":
        s = r * 0.85
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}"'
    if marker == "D":
        return polygon(4, 90)
    if marker == "h":
        return polygon(6, 90)
    if marker == "p":
        return polygon(5, 90)
    if marker == "v":
        return polygon(3, 270, (1.1,))
    if marker == "*":
        return polygon(5, 90, (1.1, 0.45))
    if marker == "P":
        a, b = r * 0.32, r * 0.9
        pts = [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a),
               (-b, a), (-b, -a), (-a, -a)]
        return '<polygon points="' + " ".join(f"{x + u:.1f},{y + v:.1f}" for u, v in pts) + '"'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"'


def _envelope(x: float, y: float, w: float, colour: str) -> str:
    """An envelope drawn as shapes (no emoji font needed), centred on ``(x, y)``."""
    h = w * 0.68
    left, top = x - w / 2, y - h / 2
    return (f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" rx="2" '
            f'fill="white" stroke="{colour}" stroke-width="2.2"/>'
            f'<polyline points="{left:.1f},{top:.1f} {x:.1f},{top + h * 0.58:.1f} '
            f'{left + w:.1f},{top:.1f}" fill="none" stroke="{colour}" stroke-width="2.2"/>')


def _cross(x: float, y: float, r: float) -> str:
    """A red ✗ in a white disc, drawn as shapes."""
    d = r * 0.5
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="white" stroke="{_FAIL}" '
            f'stroke-width="2"/><path d="M{x - d:.1f},{y - d:.1f} L{x + d:.1f},{y + d:.1f} '
            f'M{x + d:.1f},{y - d:.1f} L{x - d:.1f},{y + d:.1f}" stroke="{_FAIL}" '
            f'stroke-width="3" stroke-linecap="round"/>')


def _beside(a: tuple[float, float], b: tuple[float, float], f: float, off: float
            ) -> tuple[float, float]:
    """The point ``f`` of the way from ``a`` to ``b``, ``off`` pixels to the link's left
    (upwards for a link drawn left to right): beside the line, not on its label."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    nx_, ny_ = dy / length, -dx / length  # the left-hand normal, in screen coordinates
    if ny_ > 0 or (ny_ == 0 and nx_ > 0):  # always the upper / left side, whatever the order
        nx_, ny_ = -nx_, -ny_
    return a[0] + f * dx + off * nx_, a[1] + f * dy + off * ny_


def _check(net: NetworkDescribed, names: Iterable[str | None]) -> None:
    known = {n for n, _, _ in net.nodes}
    unknown = [n for n in names if n and n not in known]
    if unknown:
        raise ValueError(f"unknown node(s) {unknown}; the network has {sorted(known)}")


def topology_svg(
    trace: Iterable[TraceEvent],
    *,
    highlight_nodes: Sequence[str] = (),
    highlight_link: tuple[str, str] | None = None,
    position: str | None = None,
    travelling: Travelling | None = None,
    failed: tuple[str, str] | None = None,
    presentation: bool = False,
) -> str:
    """The network of ``trace`` as an ``<svg>`` element (a string), highlights included.

    The same picture as :func:`smtpsim.viz.topology` with the same arguments, drawn
    by the browser: nodes by kind in domain boxes, links with their port and protocol.

    Args:
        trace: a trace (or its events) that starts with a
            :class:`~smtpsim.trace.NetworkDescribed`.
        highlight_nodes: nodes ringed in the highlight colour.
        highlight_link: ``(a, b)``, the link drawn thick (either order).
        position: the node the message is stored at; an envelope badge goes beside it.
        travelling: what crosses ``highlight_link`` now (drawn moving along it).
        failed: ``(from, to)`` of an attempt that failed: a ✗ beside the link near ``to``.
        presentation: larger text (and so a larger picture) for the back of a room.

    Raises:
        ValueError: no network in the trace, or an unknown node named.
    """
    net = network(list(trace))
    names = [*highlight_nodes, *(highlight_link or ()), position, *(failed or ())]
    if travelling:
        names += [travelling.source, travelling.target]
    _check(net, names)
    pos, boxes = place(net)
    x0, x1, y0, y1 = frame(net)
    text = TEXT_PX * (1.35 if presentation else 1.0)
    smallest = MIN_PRESENTATION_PX if presentation else MIN_TEXT_PX
    # About 640 px wide at natural size (a notebook beside JupyterLab's file browser),
    # but columns never so narrow that a port label or a wrapped name (about 14
    # characters) overflows: a wide network is a wider picture (the pane scrolls).
    sx = min(150.0, max(120.0, 640.0 / (x1 - x0))) * text / TEXT_PX
    sy = 100.0 * text / TEXT_PX
    title = net.title or net.node or "network"
    scale = _Scale(sx, sy, x0, y1, top=text * 2.2, text=text)
    width = (x1 - x0) * sx
    height = (y1 - y0) * sy + scale.top
    r = 15.0 * text / TEXT_PX
    kinds = {n: k for n, k, _ in net.nodes}
    hot_link = frozenset(highlight_link) if highlight_link else None
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="smtpsim-topology-svg" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-label="network {escape(title)}" font-family="{escape(_FONT)}" '
        f'style="display:block; width:100%; height:auto; max-width:{1.5 * width:.0f}px; '
        f'min-width:{math.ceil(width * smallest / text)}px">',
        f'<text class="smtpsim-svg-title" x="{width / 2:.1f}" y="{text * 1.5:.1f}" '
        f'text-anchor="middle" font-size="{text * 1.25:.1f}" font-weight="bold" '
        f'fill="#222">{escape(title)}</text>',
    ]
    # Domains: shaded boxes, their names top left.
    for i, (domain, (bx0, bx1, by0, by1)) in enumerate(boxes.items()):
        (px0, py0), (px1, py1) = scale.xy((bx0, by1)), scale.xy((bx1, by0))
        out.append(
            f'<g class="smtpsim-svg-domain" data-domain="{escape(domain)}">'
            f'<rect x="{px0:.1f}" y="{py0:.1f}" width="{px1 - px0:.1f}" '
            f'height="{py1 - py0:.1f}" rx="10" fill="{_DOMAIN_FILLS[i % 2]}" stroke="#AAAAAA" '
            f'stroke-width="1.5"/><text x="{px0 + 8:.1f}" y="{py0 + text * 1.3:.1f}" '
            f'font-size="{text * 1.1:.1f}" font-weight="bold" fill="#444">'
            f'{escape(domain or "(no domain)")}</text></g>')
    # Where node names go (below their markers), so port labels can keep clear of them.
    # a name may take 85 % of a column, so that names in neighbouring columns keep apart
    max_chars = max(8, int(0.85 * sx / (text * _CHAR_EM)))
    taken = []
    for name, _kind, _domain in net.nodes:
        x, y = scale.xy(pos[name])
        lines = wrap_label(name, max_chars)
        half = max(len(line) for line in lines) * text * 0.29
        taken.append((x - half, y + r + text * 0.3, x + half,
                      y + r + text * (0.3 + 1.15 * len(lines))))
        taken.append((x - r, y - r, x + r, y + r))  # and the marker itself

    def free(cx: float, cy: float, w: float, h: float) -> bool:
        return not any(cx - w / 2 < x1_ and x0_ < cx + w / 2 and cy - h / 2 < y1_ and
                       y0_ < cy + h / 2 for x0_, y0_, x1_, y1_ in taken)

    # Links: lines first, so node markers and labels sit on top of them.
    labels = []
    label_height: dict[frozenset[str], float] = {}  # so a travelling mark clears it
    for a, b, port, protocol, _latency in net.links:
        if a not in pos or b not in pos:
            continue
        hot = frozenset((a, b)) == hot_link
        dns = "dns" in (kinds.get(a), kinds.get(b))
        (xa, ya), (xb, yb) = scale.xy(pos[a]), scale.xy(pos[b])
        colour = HIGHLIGHT if hot else ("#BBBBBB" if dns else "#777777")
        stroke = 6 if hot else (1.4 if dns else 2.4)
        dash = ' stroke-dasharray="2 5"' if dns else ""
        cls = "smtpsim-svg-link smtpsim-svg-hot" if hot else "smtpsim-svg-link"
        out.append(f'<line class="{cls}" data-link="{escape(a)}--{escape(b)}" '
                   f'x1="{xa:.1f}" y1="{ya:.1f}" x2="{xb:.1f}" y2="{yb:.1f}" '
                   f'stroke="{colour}" stroke-width="{stroke}"{dash} stroke-linecap="round"/>')
        if dns:
            continue
        label = link_label(port, protocol)
        steep = abs(yb - ya) > abs(xb - xa)
        if steep:  # beside the link, below the upper node's name
            (ux, uy), (dx_, dy_) = sorted(((xa, ya), (xb, yb)), key=lambda p: p[1])
            lx, ly = ux + 0.68 * (dx_ - ux), uy + 0.68 * (dy_ - uy)
        else:
            lx, ly = scale.xy(label_point(net, pos[a], pos[b]))
        # One line if it fits between the two markers around the label's point (bold
        # included, so a highlight never reflows it), else port over protocol.
        room = 2 * min(math.hypot(lx - xa, ly - ya), math.hypot(lx - xb, ly - yb)) - 2 * r - 6
        one_line = len(label) * text * 0.64 + 10
        rows = [label] if steep or one_line <= room else label.split(" ", 1)
        lw = max(len(row) for row in rows) * text * 0.66 + 10  # capitals, bold: wide
        if steep:
            lx += lw / 2 + 6
        else:  # slide along the link until the label covers no node's name
            lh_ = text * (0.3 + 1.2 * len(rows))
            tries = [(lx, ly)] + [(xa + f * (xb - xa), ya + f * (yb - ya))
                                  for f in (0.5, 0.6, 0.4, 0.68, 0.32)]
            lx, ly = next((p for p in tries if free(p[0], p[1], lw, lh_)), tries[0])
        lh = text * (0.3 + 1.2 * len(rows))
        label_height[frozenset((a, b))] = lh
        edge = HIGHLIGHT if hot else "#CCCCCC"
        weight = ' font-weight="bold"' if hot else ""
        first = ly - lh / 2 + text * 1.05
        spans = "".join(f'<tspan x="{lx:.1f}" y="{first + k * text * 1.2:.1f}">{escape(row)}'
                        "</tspan>" for k, row in enumerate(rows))
        labels.append(
            f'<g class="smtpsim-svg-port"><rect x="{lx - lw / 2:.1f}" y="{ly - lh / 2:.1f}" '
            f'width="{lw:.1f}" height="{lh:.1f}" rx="5" fill="white" stroke="{edge}"/>'
            f'<text class="smtpsim-svg-label" text-anchor="middle" font-size="{text:.1f}"'
            f'{weight} fill="{HIGHLIGHT if hot else "#333"}">{spans}</text></g>')
    out += labels
    # Nodes: a halo when highlighted, the kind's shape, the name below (wrapped).
    for name, kind, domain in net.nodes:
        style = kind_style(kind)
        x, y = scale.xy(pos[name])
        hot = name in highlight_nodes
        cls = "smtpsim-svg-node smtpsim-svg-hot" if hot else "smtpsim-svg-node"
        out.append(f'<g class="{cls}" data-node="{escape(name)}"><title>{escape(name)}: '
                   f'{escape(style.label)}, {escape(domain or "no domain")}</title>')
        if hot:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 1.6:.1f}" '
                       f'fill="{HIGHLIGHT}" fill-opacity="0.35"/>')
        out.append(_shape(style.marker, x, y, r) +
                   f' fill="{style.colour}" stroke="{HIGHLIGHT if hot else "#333"}" '
                   f'stroke-width="{4 if hot else 1.5}"/>')
        lines = wrap_label(name, max_chars)
        weight = ' font-weight="bold"' if hot else ""
        spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if k == 0 else text * 1.15:.1f}">'
                        f"{escape(line)}</tspan>" for k, line in enumerate(lines))
        out.append(f'<text class="smtpsim-svg-label smtpsim-svg-name" x="{x:.1f}" '
                   f'y="{y + r * (1.6 if hot else 1.0) + text * 1.05:.1f}" '
                   f'text-anchor="middle" font-size="{text:.1f}"{weight} fill="#111">'
                   f"{spans}</text></g>")
    # Where the message is stored: an envelope badge up and to the right of the marker.
    if position is not None:
        x, y = scale.xy(pos[position])
        bx, by = x + r * 1.5, y - r * 1.8
        out.append(f'<g class="smtpsim-svg-position" data-node="{escape(position)}">'
                   f"<title>the message is at {escape(position)}</title>"
                   f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="{r * 0.95:.1f}" fill="white" '
                   f'stroke="{HIGHLIGHT}" stroke-width="2.5"/>'
                   f"{_envelope(bx, by, r * 1.1, HIGHLIGHT)}</g>")
    if failed is not None:
        a, b = scale.xy(pos[failed[0]]), scale.xy(pos[failed[1]])
        fx, fy = _beside(a, b, 0.72, r * 1.3)  # above the link, short of the node
        out.append(f'<g class="smtpsim-svg-failed" data-link="{escape(failed[0])}--'
                   f'{escape(failed[1])}"><title>{escape(failed[1])} did not take the '
                   f"message</title>{_cross(fx, fy, r * 0.75)}</g>")
    if travelling is not None:
        a, b = scale.xy(pos[travelling.source]), scale.xy(pos[travelling.target])
        half = text * 0.75 if travelling.reply else r * 0.51  # the mark's half height
        clear = label_height.get(frozenset((travelling.source, travelling.target)), 0.0)
        off = max(r * 1.5, clear / 2 + half + 3)
        sx0, sy0 = _beside(a, b, 0.2, off)
        sx1, sy1 = _beside(a, b, 0.5, off)
        if travelling.reply:
            colour = REPLY_COLOURS.get(int(travelling.reply[0]), "#333") \
                if travelling.reply[:1].isdigit() else "#333"
            tw = len(travelling.reply) * text * _CHAR_EM + 10
            mark = (f'<rect x="{-tw / 2:.1f}" y="{-text * 0.75:.1f}" width="{tw:.1f}" '
                    f'height="{text * 1.5:.1f}" rx="5" fill="white" stroke="{colour}" '
                    f'stroke-width="2"/><text class="smtpsim-svg-label" y="{text * 0.36:.1f}" '
                    f'text-anchor="middle" font-size="{text:.1f}" font-weight="bold" '
                    f'fill="{colour}">{escape(travelling.reply)}</text>')
            what = f"reply {travelling.reply}"
        else:
            mark, what = _envelope(0, 0, r * 1.5, HIGHLIGHT), "the client's line"
        out.append(
            f'<g class="smtpsim-svg-travelling" data-from="{escape(travelling.source)}" '
            f'data-to="{escape(travelling.target)}" '
            f'transform="translate({sx1:.1f} {sy1:.1f})"><title>{escape(what)} on its way '
            f"from {escape(travelling.source)} to {escape(travelling.target)}</title>"
            f'<animateTransform attributeName="transform" type="translate" '
            f'from="{sx0:.1f} {sy0:.1f}" to="{sx1:.1f} {sy1:.1f}" dur="0.6s" '
            f'fill="freeze"/>{mark}</g>')
    out.append("</svg>")
    return "".join(out)
