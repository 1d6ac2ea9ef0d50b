"""The SMTP state machine, drawn from the very table the protocol engine runs on.

Theory of operation
-------------------
:data:`smtpsim.protocol.TRANSITIONS` maps ``(state, event, reply class)`` to the next
state. This module iterates that table; it knows nothing about SMTP itself except
where to put each state on the page (a hand-placed top-to-bottom flow: CONNECTED,
GREETED, READY, MAIL, RCPT, DATA; AUTH and NO_SERVICE to the side; CLOSED at the
bottom). So if the engine changes, the picture changes with it (the h11 idea).

* Parallel transitions (same from and to) share one arrow whose label lists them,
  e.g. ``EHLO, HELO / 2xx``.
* Transitions that stay in their state (NOOP, VRFY, HELP ...) are listed in a small
  note under the state's name (``↺ NOOP, VRFY, HELP / 2xx``) instead of as loops.
* The arrows leaving the current state are highlighted: what can happen next.
* Any 4xx or 5xx reply not in the table leaves the state unchanged (RFC 5321 §4.1.4),
  and a 421 closes the connection from anywhere; the footnote says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.path import Path

from ..protocol import TRANSITIONS, State
from ._shapes import arrow, curve
from .palette import CLIENT, FONT, HIGHLIGHT, MUTED

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["edge_label", "state_diagram", "state_edges"]

S = State
#: Where each state sits (x, y); unknown states (if the table grows) go in a column right.
_POS: dict[State, tuple[float, float]] = {
    S.CONNECTED: (0.0, 10.2), S.GREETED: (0.0, 8.5), S.NO_SERVICE: (5.5, 8.5),
    S.AUTH: (-5.2, 7.9), S.READY: (0.0, 6.8), S.MAIL: (0.0, 5.1), S.RCPT: (0.0, 3.4),
    S.DATA: (0.0, 1.7), S.CLOSED: (5.5, 0.0),
}
#: How much each arrow bows (0 is straight): back edges loop round the left, QUIT
#: edges swing out to the right, so no two arrows or labels lie on top of each other.
_BEND = {(S.MAIL, S.READY): 3.2, (S.RCPT, S.READY): 1.9, (S.DATA, S.READY): 1.3,
         (S.READY, S.AUTH): 0.15, (S.AUTH, S.READY): 0.15,
         **{(st, S.CLOSED): 0.3 for st in (S.GREETED, S.READY, S.MAIL, S.RCPT)}}
_HALF_W = 1.6  # half the width of a state box
_WRAP = 26  # characters per line of a self-loop note


def _positions() -> dict[State, tuple[float, float]]:
    pos = dict(_POS)
    extra = [s for s in State if s not in pos]
    for i, s in enumerate(extra):
        pos[s] = (7.5, 6.0 - 1.2 * i)
    return pos


def state_edges() -> tuple[dict[tuple[State, State], list[tuple[str, int]]],
                           dict[State, list[tuple[str, int]]]]:
    """Read TRANSITIONS: ``(edges, loops)``.

    ``edges[(src, dst)]`` lists the ``(event, reply class)`` pairs that move ``src`` to
    ``dst``; ``loops[state]`` those that stay in ``state``. Table order is kept.
    """
    edges: dict[tuple[State, State], list[tuple[str, int]]] = {}
    loops: dict[State, list[tuple[str, int]]] = {}
    for (src, event, cls), dst in TRANSITIONS.items():
        if src == dst:
            loops.setdefault(src, []).append((event, cls))
        else:
            edges.setdefault((src, dst), []).append((event, cls))
    return edges, loops


def edge_label(pairs: list[tuple[str, int]]) -> str:
    """Merge ``(event, class)`` pairs: events with the same classes share a line.

    >>> edge_label([("EHLO", 2), ("HELO", 2), ("end of data", 4)])
    'EHLO, HELO / 2xx\\nend of data / 4xx'
    """
    classes: dict[str, list[int]] = {}
    for event, cls in pairs:
        classes.setdefault(event, []).append(cls)
    lines: dict[tuple[int, ...], list[str]] = {}
    for event, cl in classes.items():
        lines.setdefault(tuple(sorted(cl)), []).append(event)
    return "\n".join(f"{', '.join(ev)} / {', '.join(f'{c}xx' for c in cl)}"
                     for cl, ev in lines.items())


def _parse_current(current: State | str | None) -> State | None:
    if current is None or isinstance(current, State):
        return current
    try:
        return State(current.upper())
    except ValueError:
        names = ", ".join(s.value for s in State)
        raise ValueError(f"unknown SMTP state {current!r}; the states are {names}") from None


def state_diagram(current: State | str | None = None) -> Figure:
    """The SMTP server's state machine, with ``current`` highlighted.

    Args:
        current: a :class:`~smtpsim.protocol.State` or its name (``"RCPT"``), or None.

    Raises:
        ValueError: ``current`` names no state.
    """
    now = _parse_current(current)
    pos = _positions()
    edges, loops = state_edges()
    fig = Figure(figsize=(11.5, 10.5), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for (src, dst), pairs in edges.items():
        _draw_edge(ax, src, dst, pairs, pos, loops, hot=now == src)
    for state, (x, y) in pos.items():
        _draw_state(ax, state, x, y, state == now, loops.get(state, []))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.9, max(xs) + 1.9)
    ax.set_ylim(min(ys) - 1.1, max(ys) + 0.6)
    ax.set_axis_off()
    ax.text(0.0, 0.0, "Any reply not drawn (4xx, 5xx) leaves the state unchanged "
            "(RFC 5321 §4.1.4);\na 421 reply closes the connection from any state.",
            transform=ax.transAxes, fontsize=FONT["small"], color=MUTED, va="bottom")
    title = "SMTP server states (drawn from protocol.TRANSITIONS)"
    ax.set_title(title + (f": now {now.value}" if now else ""), fontsize=FONT["title"])
    return fig


def _note(loops: list[tuple[str, int]]) -> str:
    """Self-loops as a short wrapped note, e.g. ``↺ NOOP, VRFY, HELP / 2xx``."""
    if not loops:
        return ""
    text = "\u21ba " + edge_label(loops).replace("\n", "; ")
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > _WRAP:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def _half_h(loops: list[tuple[str, int]]) -> float:
    n = len(_note(loops).splitlines())
    return 0.3 + 0.17 * n


def _on_box(centre: tuple[float, float], toward: tuple[float, float], hh: float) -> tuple[
        float, float]:
    """Where the ray from ``centre`` toward ``toward`` leaves a state's box."""
    ux, uy = toward[0] - centre[0], toward[1] - centre[1]
    t = min(_HALF_W / abs(ux) if ux else 1e9, hh / abs(uy) if uy else 1e9) + 0.04 / max(
        (ux * ux + uy * uy) ** 0.5, 1e-9)
    return centre[0] + t * ux, centre[1] + t * uy


def _draw_edge(ax: Axes, src: State, dst: State, pairs: list[tuple[str, int]],
               pos: dict[State, tuple[float, float]], loops: dict[State, list[tuple[str, int]]],
               hot: bool) -> None:
    bend = _BEND.get((src, dst), 0.0)
    _, mid = curve(pos[src], pos[dst], bend, trim=0.0)
    (xa, ya), (xb, yb) = pos[src], pos[dst]
    ctrl = (2 * mid[0] - (xa + xb) / 2, 2 * mid[1] - (ya + yb) / 2)
    a = _on_box(pos[src], ctrl, _half_h(loops.get(src, [])))
    b = _on_box(pos[dst], ctrl, _half_h(loops.get(dst, [])))
    path = Path([a, ctrl, b], [Path.MOVETO, Path.CURVE3, Path.CURVE3])
    mx = 0.25 * a[0] + 0.5 * ctrl[0] + 0.25 * b[0]
    my = 0.25 * a[1] + 0.5 * ctrl[1] + 0.25 * b[1]
    colour = HIGHLIGHT if hot else "#555555"
    arrow(ax, path, colour, gid=f"edge:{src.value}->{dst.value}", lw=3.5 if hot else 2)
    straight_down = bend == 0 and pos[src][0] == pos[dst][0]
    ax.text(mx + (0.15 if straight_down else 0.0), my, edge_label(pairs),
            ha="left" if straight_down else "center", va="center", fontsize=FONT["small"],
            color=HIGHLIGHT if hot else CLIENT, zorder=10, gid=f"label:{src.value}->{dst.value}",
            fontweight="bold" if hot else None,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9})


def _draw_state(ax: Axes, state: State, x: float, y: float, hot: bool,
                loops: list[tuple[str, int]]) -> None:
    hh = _half_h(loops)
    ax.add_patch(FancyBboxPatch(
        (x - _HALF_W, y - hh), 2 * _HALF_W, 2 * hh, boxstyle="round,pad=0.02,rounding_size=0.2",
        fc=HIGHLIGHT if hot else "#EEF3F8", ec=HIGHLIGHT if hot else "#333333",
        lw=4 if hot else 2, zorder=8, gid=f"state:{state.value}"))
    note = _note(loops)
    ax.text(x, y + hh - 0.3 if note else y, state.value, ha="center", va="center",
            fontsize=FONT["label"], fontweight="bold", color="white" if hot else CLIENT,
            zorder=9)
    if note:
        ax.text(x, y + hh - 0.52, note, ha="center", va="top", fontsize=FONT["small"],
                color="white" if hot else MUTED, zorder=9, gid=f"loops:{state.value}",
                linespacing=1.15)
