"""The Received chain: a message's path read from its own headers.

Theory of operation
-------------------
Every server that accepts a message writes a ``Received:`` line **on top** of the
header block (RFC 5321 §4.4), so reading them bottom-up retraces the path, hop by
hop, with the time each server took it. The difference between two consecutive
dates is the time the message spent queued at (and travelling from) the previous
server: the one bar that sticks out is where the delay happened. Anyone can do this
with a real message from their own mailbox ("show original"); this figure needs
nothing but the headers, never the trace.

Header dates are written to the **second** (RFC 5322 has no fractions). A hop that
took 0.2 s may show as 0 s or as 1 s, depending on whether a second ticked over in
between. When the whole transit is no more than that (at most one second per hop),
the shares would only show where a clock ticked, so the figure and the text table
say "one-second resolution" instead of drawing a tick as "100 % of the delay".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from ._units import fmt_duration
from .palette import CLIENT, DEFERRAL, FONT, MONO, MUTED

if TYPE_CHECKING:
    from email.message import Message

    from ..message import Hop

__all__ = ["received_chain", "received_table", "within_resolution"]

#: What the figure and the text table say when the delays are below the clock's grain.
RESOLUTION_NOTE = ("header times have one-second resolution: every delay here is within "
                   "it, so no hop can be said to have taken longer")

_COLUMNS = ("hop", "from", "by", "with", "id", "time", "delay")


def _hops(message: Message | bytes) -> list[Hop]:
    from ..message import parse_received_chain  # the message layer, loaded when needed

    hops = parse_received_chain(message)
    if not hops:
        raise ValueError("the message has no Received: headers, so there is no chain to draw")
    return hops


def received_table(message: Message | bytes) -> list[dict[str, Any]]:
    """The hop table of a message, oldest hop first, one dict per ``Received:`` line.

    Keys: ``hop`` (1 = earliest), ``from`` (name and ``[ip]``), ``by``, ``with``,
    ``id``, ``time`` (``YYYY-MM-DD HH:MM:SS +ZZZZ`` or ""), ``delay`` (seconds since
    the previous hop, or None) and ``share`` (of the total transit, 0..1, or None).

    Raises:
        ValueError: the message has no Received headers.
    """
    rows = []
    for h in _hops(message):
        origin = " ".join(x for x in (h.from_host, f"[{h.from_ip}]" if h.from_ip else "") if x)
        rows.append({
            "hop": h.index, "from": origin, "by": h.by_host or "", "with": h.protocol or "",
            "id": h.queue_id or "",
            "time": h.date.strftime("%Y-%m-%d %H:%M:%S %z") if h.date else "",
            "delay": h.delay, "share": h.share,
        })
    return rows


def within_resolution(rows: list[dict[str, Any]]) -> bool:
    """True when the transit is too short for whole-second header dates to say which hop
    took longest: at most one second per hop, all told (a rollover, not a delay)."""
    delays = [r["delay"] for r in rows if r["delay"] is not None]
    return bool(delays) and sum(abs(d) for d in delays) <= len(delays)


def _cells(row: dict[str, Any]) -> list[str]:
    delay = "start" if row["delay"] is None else fmt_duration(row["delay"])
    return [str(row["hop"]), row["from"], row["by"], row["with"], row["id"],
            row["time"][11:19], delay]


def received_chain(message: Message | bytes) -> Figure:
    """The Received chain as a table, one row per hop, with a bar for its share of
    the total transit time (the hop that waited longest stands out in orange).

    Args:
        message: a parsed message (e.g. :class:`email.message.EmailMessage`) or raw bytes.

    Raises:
        ValueError: the message has no Received headers.
    """
    rows = received_table(message)
    cells = [list(_COLUMNS), *(_cells(r) for r in rows)]
    widths = [max(len(c[i]) for c in cells) + 2 for i in range(len(_COLUMNS))]
    fig = Figure(figsize=(17, 0.55 * len(cells) + 2.2), dpi=100, layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3.2, 1]})
    for y, cell_row in enumerate(cells):
        x = 0
        for i, text in enumerate(cell_row):
            left.text(x, y, text, ha="left", va="center", family=MONO,
                      fontsize=FONT["text"], color=MUTED if y == 0 else CLIENT,
                      fontweight="bold" if y == 0 else None)
            x += widths[i]
    left.set_xlim(0, sum(widths))
    left.set_ylim(len(cells) - 0.5, -0.5)
    left.set_axis_off()
    coarse = within_resolution(rows)
    shares = [r["share"] or 0.0 for r in rows]
    top = max(shares, default=0.0)
    if coarse:
        right.text(2, (len(cells) - 1) / 2 + 0.5, "\n".join(
            ["header times have", "one-second resolution:", "every delay here is", "within it"]),
            va="center", ha="left", fontsize=FONT["small"], color=MUTED, gid="resolution")
    for y, (r, share) in enumerate(zip(rows, shares, strict=True), 1):
        if r["share"] is None or coarse:
            continue
        colour = DEFERRAL if share == top and share > 0 else "#56B4E9"
        right.barh(y, 100 * share, height=0.55, color=colour, gid=f"share:{r['hop']}")
        pct = f"{100 * share:.1f}%" if 0 < share < 0.1 else f"{100 * share:.0f}%"
        right.text(100 * share + 2, y, pct, va="center",
                   fontsize=FONT["small"])
    right.set_xlim(0, 118)
    right.set_xlabel("share of total transit time (%)", fontsize=FONT["label"])
    right.tick_params(axis="x", labelsize=FONT["small"])
    right.tick_params(axis="y", left=False, labelleft=False)
    for side in ("top", "right", "left"):
        right.spines[side].set_visible(False)
    total = sum(r["delay"] or 0.0 for r in rows)
    first = rows[0]["time"][:10]
    transit = f"under {fmt_duration(total + 1)} in transit (header times: 1 s resolution)" \
        if coarse else f"{fmt_duration(total)} in transit"
    fig.suptitle(f"Received chain: {len(rows)} hop{'s' if len(rows) != 1 else ''}, "
                 f"{transit}"
                 + (f" ({first}, read bottom-up)" if first else ""), fontsize=FONT["title"])
    return fig
