"""Queue timeline: how long each message waited at each node, and why.

Theory of operation
-------------------
A mail server never forwards by streaming: it stores the message in its queue, tries
the next hop, and lets go only after a 250. When the next hop says 4xx (greylisting,
a full disk, a rate limit) or cannot be reached, the message simply stays and a retry
is scheduled, minutes or hours later. This figure makes those waits visible: one
row per (message, node), a bar for the time queued, and markers for what happened:

* ``>`` black - a connection was opened to try the next hop;
* ``x`` orange - that try was deferred (4xx, refused, unreachable);
* ``|`` blue - when the next retry is scheduled;
* ``o`` green - handed to the next hop (250); ``✓`` green - delivered to a mailbox;
* square red - bounced (5xx); a hatched bar - still queued when the run ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..trace.queries import Stay, queue_stays
from ._units import fmt_duration, time_unit
from .palette import BOUNCE, CLIENT, DEFERRAL, DELIVERY, FONT, RETRY

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..trace import TraceEvent

__all__ = ["queue_timeline"]

_BAR, _BAR_EDGE = "#FFE9A8", "#C9A227"  # the "queued" yellow of the path figure too
#: (kind, marker, colour, size, legend label) for each marker the timeline uses.
_MARKS = {
    "attempt": (">", CLIENT, 11, "try: connection opened"),
    "deferral": ("x", DEFERRAL, 16, "deferred (4xx / no answer)"),
    "retry": ("|", RETRY, 24, "retry scheduled for"),
    "relay": ("o", DELIVERY, 14, "handed on (250)"),
    "delivery": ("$\u2713$", DELIVERY, 22, "delivered"),
    "bounce": ("s", BOUNCE, 14, "bounced (5xx)"),
}


def _points(stay: Stay) -> dict[str, list[float]]:
    return {
        "attempt": stay.attempts,
        "deferral": [t for t, _ in stay.deferrals],
        "retry": stay.retries,
        "relay": [t for t, _ in stay.relays],
        "delivery": [t for t, _ in stay.deliveries],
        "bounce": [t for t, _, _ in stay.bounces],
    }


def queue_timeline(trace: Iterable[TraceEvent]) -> Figure:
    """A Gantt chart of queues: rows are (message, node), bars the time spent queued.

    The time axis uses seconds, minutes or hours, whichever keeps the span readable.

    Raises:
        ValueError: nothing in the trace was ever queued.
    """
    stays = queue_stays(trace)
    if not stays:
        raise ValueError("nothing was queued in this trace (no Queued or MessageAccepted "
                         "events), so there is no queue timeline to draw")
    t0 = min(s.start for s in stays)
    t1 = max(max(s.end, *s.retries) if s.retries else s.end for s in stays)
    scale, unit = time_unit(t1 - t0)
    fig = Figure(figsize=(14, max(4.0, 0.75 * len(stays) + 2.6)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    used: set[str] = set()
    for row, stay in enumerate(stays):
        _draw_stay(ax, row, stay, scale, used)
    ax.set_yticks(range(len(stays)), [f"{s.msg} @ {s.node}" for s in stays],
                  fontsize=FONT["text"])
    ax.set_ylim(len(stays) - 0.4, -0.6)  # first row on top
    span = (t1 - t0) / scale or 1.0
    ax.set_xlim(t0 / scale - 0.03 * span, t1 / scale + 0.16 * span)
    ax.set_xlabel(f"simulated time ({unit})", fontsize=FONT["label"])
    ax.tick_params(axis="x", labelsize=FONT["small"])
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("Time spent in each queue", fontsize=FONT["title"])
    _legend(ax, used)
    return fig


def _draw_stay(ax: Axes, row: int, stay: Stay, scale: float, used: set[str]) -> None:
    ax.barh(row, stay.duration / scale, left=stay.start / scale, height=0.5, color=_BAR,
            edgecolor=_BAR_EDGE, lw=1.5, hatch=None if stay.done else "//",
            gid=f"stay:{stay.msg}@{stay.node}", zorder=2)
    note = fmt_duration(stay.duration) + ("" if stay.done else " (still queued)")
    ax.text(stay.end / scale, row - 0.3, "  " + note, ha="left", va="bottom",
            fontsize=FONT["small"], color=CLIENT)
    for kind, times in _points(stay).items():
        if not times:
            continue
        marker, colour, size, _ = _MARKS[kind]
        used.add(kind)
        ax.plot([t / scale for t in times], [row] * len(times), ls="", marker=marker,
                color=colour, ms=size, mew=3 if kind in ("deferral", "retry") else 1.5,
                mec="white" if kind in ("relay", "bounce") else colour, zorder=4,
                gid=f"{kind}:{stay.msg}@{stay.node}")


def _legend(ax: Axes, used: set[str]) -> None:
    handles: list[Line2D | Patch] = [
        Patch(fc=_BAR, ec=_BAR_EDGE, label="queued"),
        Patch(fc=_BAR, ec=_BAR_EDGE, hatch="//", label="still queued at the end"),
    ]
    for kind, (marker, colour, size, label) in _MARKS.items():
        if kind in used:
            handles.append(Line2D([], [], ls="", marker=marker, color=colour, ms=size * 0.8,
                                  mew=2.5 if kind in ("deferral", "retry") else 1,
                                  label=label))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4,
              fontsize=FONT["legend"], frameon=False)
