"""An SMTP session as a sequence diagram: client on the left, server on the right.

Theory of operation
-------------------
SMTP is lock-step: the client sends one command, the server answers with a reply
whose first digit says what happens next (2 done, 3 send more, 4 try later, 5 never).
Each line of the dialog is one arrow: commands (black) go right, replies go left
in their reply-class colour. Time runs down the page in step order; the simulated
time of each line is printed in the left margin, since several lines can share one
instant.

The message content (the header block, the blank line, the body) would fill the
screen, so it is drawn as one block, "message content (N lines)" with its first
lines; the lone ``.`` that ends it is always its own arrow, because that is the
line students must learn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..protocol import explain
from ..trace import DialogLine, TraceEvent
from ._units import fmt_duration
from .palette import CLIENT, FONT, MONO, MUTED, REPLY_COLOURS, REPLY_LABELS, reply_class

__all__ = ["Row", "dialog_rows", "sequence_diagram"]

_PREVIEW = 3  # content lines shown inside the collapsed block
_WIDTH = 58  # characters of a line shown before "..."


@dataclass(frozen=True, slots=True)
class Row:
    """One arrow of the diagram: a dialog line, or a collapsed block of content lines."""

    first: int  # index of its first DialogLine in the session
    lines: tuple[DialogLine, ...]
    content: bool = False

    @property
    def dir(self) -> str:
        return self.lines[0].dir

    @property
    def text(self) -> str:
        if self.content:
            shown = [_clip(ln.line) or "(blank line)" for ln in self.lines[:_PREVIEW]]
            more = len(self.lines) - _PREVIEW
            return "\n".join([f"message content ({len(self.lines)} lines)", *shown]
                             + ([f"... {more} more"] if more > 0 else []))
        return _clip(self.lines[0].line)


def _clip(text: str, width: int = _WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def dialog_rows(lines: list[DialogLine]) -> list[Row]:
    """Group a session's lines into rows: content after a 354 becomes one block."""
    rows: list[Row] = []
    i, in_data = 0, False
    while i < len(lines):
        ln = lines[i]
        if in_data and ln.dir == "C" and ln.line != ".":
            j = i
            while j < len(lines) and lines[j].dir == "C" and lines[j].line != ".":
                j += 1
            rows.append(Row(i, tuple(lines[i:j]), content=True))
            i = j
            continue
        if ln.dir == "S":
            in_data = ln.line.startswith("354")
        elif ln.line == ".":
            in_data = False
        rows.append(Row(i, (ln,)))
        i += 1
    return rows


def _session_lines(events: list[TraceEvent], session: str) -> list[DialogLine]:
    lines = [e for e in events if isinstance(e, DialogLine) and e.session == session]
    if not lines:
        known = list(dict.fromkeys(e.session for e in events if isinstance(e, DialogLine)))
        raise ValueError(f"unknown session {session!r} (no dialog lines); the trace has: "
                         f"{', '.join(known[:10]) or 'no sessions'}")
    return lines


def _height(row: Row) -> float:
    return 0.62 * len(row.text.splitlines()) + 0.7 if row.content else 1.0


def sequence_diagram(trace: Iterable[TraceEvent], session: str, *,
                     explain_replies: bool = True) -> Figure:
    """The dialog of one SMTP session, line by line, as arrows between two lifelines.

    Args:
        trace: the events (only this session's :class:`~smtpsim.trace.DialogLine` are read).
        session: the session id (``SessionOpened.session``).
        explain_replies: print what each final reply line means, right of the server.

    Returns:
        A new figure; one arrow per line shown (content lines collapse into one block).

    Raises:
        ValueError: the trace has no dialog lines for ``session``.
    """
    lines = _session_lines(list(trace), session)
    rows = dialog_rows(lines)
    client, server = lines[0].peer, lines[0].node
    total = sum(_height(r) for r in rows)
    fig = Figure(figsize=(16 if explain_replies else 11, max(4.5, 0.42 * total + 2.2)),
                 dpi=100, layout="constrained")
    ax = fig.add_subplot()
    xc, xs, xe = 0.0, 10.0, 10.4
    y = 0.0
    for row in rows:
        h = _height(row)
        y -= h / 2 + 0.5
        _draw_row(ax, row, y, xc, xs, xe if explain_replies else None)
        y -= h / 2 - 0.5
    bottom = y - 0.8
    for x, name in ((xc, client), (xs, server)):
        ax.add_line(Line2D([x, x], [0.3, bottom], color=MUTED, lw=2, ls="--", zorder=1))
        ax.text(x, 0.45, name, ha="center", va="bottom", fontsize=FONT["label"],
                fontweight="bold", bbox={"boxstyle": "round,pad=0.4", "fc": "#EEF3F8",
                                         "ec": "#555555"})
    ax.text(xc, 1.45, "client", ha="center", va="bottom", fontsize=FONT["small"], color=MUTED)
    ax.text(xs, 1.45, "server", ha="center", va="bottom", fontsize=FONT["small"], color=MUTED)
    ax.set_xlim(-2.6, 20.5 if explain_replies else 11.2)
    ax.set_ylim(bottom - 0.2, 2.3)
    ax.set_axis_off()
    ax.set_title(f"SMTP session {session}: {client} \u2192 {server}", fontsize=FONT["title"])
    _legend(ax)
    return fig


def _draw_row(ax: object, row: Row, y: float, xc: float, xs: float, xe: float | None) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    first = row.lines[0]
    cls = reply_class(first.line) if first.dir == "S" else None
    colour = REPLY_COLOURS[cls] if cls else CLIENT
    a, b = (xc, xs) if first.dir == "C" else (xs, xc)
    ax.text(xc - 0.35, y, f"{fmt_duration(first.t)}", ha="right", va="center",
            fontsize=FONT["small"] - 1, color=MUTED)
    h = _height(row)
    arrow_y = y - h / 2 + 0.25 if row.content else y
    if row.content:
        ax.add_patch(FancyBboxPatch((xc + 0.7, arrow_y + 0.2), xs - xc - 1.4, h - 0.6,
                                    boxstyle="round,pad=0.05", fc="#F4F4F4", ec="#999999",
                                    zorder=2, gid=f"content:{row.first}"))
    ax.add_patch(FancyArrowPatch(
        (a, arrow_y), (b, arrow_y), arrowstyle="-|>,head_length=0.6,head_width=0.3",
        mutation_scale=20, color=colour, lw=2.5 if cls else 2.0, zorder=3,
        gid=f"dialog:{row.first}", shrinkA=0, shrinkB=0))
    ax.text((xc + xs) / 2, arrow_y + 0.2 + (h - 0.6) / 2 if row.content else y + 0.08,
            row.text, ha="center", va="center" if row.content else "bottom",
            fontsize=FONT["text"] - (1 if row.content else 0), family=MONO,
            color=colour, zorder=4, fontweight="bold" if first.line == "." else None,
            gid=f"label:{row.first}")
    if xe is not None and first.dir == "C" and first.line == ".":
        ax.text(xe, y, "end of data: a line holding only a dot", ha="left", va="center",
                fontsize=FONT["small"], style="italic", color=CLIENT)
    last = first.dir == "S" and cls and (len(first.line) < 4 or first.line[3] != "-")
    if xe is not None and last:
        ax.text(xe, y, _clip(explain(int(first.line[:3])), 70), ha="left",
                va="center", fontsize=FONT["small"], style="italic", color=colour)


def _legend(ax: object) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    handles = [Line2D([], [], color=CLIENT, lw=2.5, label="client command / content")]
    handles += [Line2D([], [], color=REPLY_COLOURS[k], lw=3, label=REPLY_LABELS[k])
                for k in (2, 3, 4, 5)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
              fontsize=FONT["legend"], frameon=False)
