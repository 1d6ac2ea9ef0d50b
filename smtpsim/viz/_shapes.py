"""Small drawing helpers shared by the diagrams: curved arrows in data coordinates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["arrow", "curve", "s_curve"]

Point = tuple[float, float]


def curve(a: Point, b: Point, bend: float, trim: float = 0.2) -> tuple[Path, Point]:
    """A quadratic curve from ``a`` to ``b`` bowed sideways by ``bend`` (0 is straight).

    The ends are pulled in by about ``trim`` so arrow heads stop short of the markers.
    Computed in data coordinates (not display ones), so the returned midpoint is
    exactly where the curve passes: labels sit on their arrows at any figure size.
    """
    (xa, ya), (xb, yb) = a, b
    dx, dy = xb - xa, yb - ya
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    cx, cy = (xa + xb) / 2 - bend * dy, (ya + yb) / 2 + bend * dx
    t = min(trim / length, 0.4)
    start = (xa + 2 * t * (cx - xa), ya + 2 * t * (cy - ya))
    end = (xb + 2 * t * (cx - xb), yb + 2 * t * (cy - yb))
    mid = (0.25 * start[0] + 0.5 * cx + 0.25 * end[0], 0.25 * start[1] + 0.5 * cy + 0.25 * end[1])
    return Path([start, (cx, cy), end], [Path.MOVETO, Path.CURVE3, Path.CURVE3]), mid


def s_curve(a: Point, b: Point, trim: float = 0.2) -> Path:
    """A curve that leaves ``a`` and reaches ``b`` sideways (level, as an S), so it never
    runs over the names under the two nodes; the ends are pulled in by ``trim``. Two
    nodes in one column get :func:`curve` instead."""
    (xa, ya), (xb, yb) = a, b
    if xa == xb:
        return curve(a, b, 0.18, trim)[0]
    side = 1.0 if xb > xa else -1.0
    start, end = (xa + side * trim, ya), (xb - side * trim, yb)
    mx = (start[0] + end[0]) / 2
    return Path([start, (mx, ya), (mx, yb), end],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])


def arrow(ax: Axes, path: Path, colour: str, *, dashed: bool = False, gid: str = "",
          lw: float = 3.5) -> FancyArrowPatch:
    """Draw ``path`` as an arrow; ``gid`` names it in the figure (and in SVG output)."""
    patch = FancyArrowPatch(
        path=path, arrowstyle="-|>,head_length=0.8,head_width=0.45", mutation_scale=18,
        color=colour, lw=lw, ls="--" if dashed else "-", zorder=6, gid=gid or None)
    ax.add_patch(patch)
    return patch
