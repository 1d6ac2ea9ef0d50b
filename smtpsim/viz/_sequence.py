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

POP3 and IMAP sessions (a user agent fetching its mail from a mailbox server) are
drawn the same way, every command and every answer line its own arrow, coloured as
the other views colour them: ``+OK`` and IMAP's ``OK`` as a 2xx, ``-ERR``, ``NO``
and ``BAD`` as a 5xx, a ``+`` continuation as a 3xx ("go on"), data lines (``* 2
EXISTS``, a UIDL listing) black. The message they carry is drawn as one arrow,
"(message, N octets)": N is what the protocol announced for it (IMAP's literal
``{542}``, POP3's ``+OK 542 octets``), so students can match the two. POP3's lone dot
after it stays its own arrow, as in SMTP. What each answer means is the protocol's
own table (:func:`smtpsim.sim.retrieval_protocol`, which the Console and the Stepper
read too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..protocol import explain
from ..sim import retrieval_protocol
from ..trace import DialogLine, TraceEvent
from ._units import fmt_duration
from .palette import CLIENT, FONT, MONO, MUTED, REPLY_COLOURS, REPLY_LABELS, reply_class

__all__ = ["Row", "dialog_rows", "retrieval_rows", "sequence_diagram"]

_PREVIEW = 3  # content lines shown inside the collapsed block
_WIDTH = 58  # characters of a line shown before "..."


@dataclass(frozen=True, slots=True)
class Row:
    """One arrow of the diagram: a dialog line, or a collapsed block of content lines."""

    first: int  # index of its first DialogLine in the session
    lines: tuple[DialogLine, ...]
    content: bool = False
    #: For a message (or another literal) that POP3 or IMAP carries, drawn as one line:
    #: what it is (``"message"``) and how many octets the protocol announced for it.
    carried: str = ""
    octets: int = 0

    @property
    def dir(self) -> str:
        return self.lines[0].dir

    @property
    def text(self) -> str:
        if self.carried:
            return f"({self.carried}, {self.octets} octets)"
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


# ---------------------------------------------------------------------------
# POP3 and IMAP: the message they carry becomes one row
# ---------------------------------------------------------------------------

#: POP3 commands whose ``+OK`` is followed by a message (TOP: its header and first lines).
_POP3_CARRIES = {"RETR": "message", "TOP": "top of the message"}
#: An IMAP literal at the end of a line: ``{542}``, or ``{542+}`` (RFC 7888).
_LITERAL = re.compile(r"\{(\d+)\+?\}$")
#: IMAP fetch items whose literal is a whole message.
_WHOLE = ("BODY[]", "BODY.PEEK[]", "BINARY[]", "BINARY.PEEK[]", "RFC822")


def retrieval_rows(lines: list[DialogLine], protocol: str) -> list[Row]:
    """Group a POP3 or IMAP session's lines into rows: the octets of a message (after
    POP3's ``+OK`` to RETR or TOP, up to the lone dot; an IMAP literal ``{N}``) become
    one row that says what it is and its size; every other line is its own row."""
    return _pop3_rows(lines) if protocol == "POP3" else _imap_rows(lines)


def _pop3_rows(lines: list[DialogLine]) -> list[Row]:
    rows: list[Row] = []
    i, command = 0, ""
    while i < len(lines):
        ln = lines[i]
        rows.append(Row(i, (ln,)))
        i += 1
        if ln.dir == "C":
            command = ln.line.split(" ", 1)[0].upper()
            continue
        carried = _POP3_CARRIES.get(command)
        if carried is None or not ln.line.startswith("+OK"):
            continue
        j = i
        while j < len(lines) and lines[j].dir == "S" and lines[j].line != ".":
            j += 1
        if j > i:  # the message, dot-stuffed on the wire: its octets are the unstuffed lines'
            octets = sum(len(_unstuff(m.line).encode("utf-8")) + 2 for m in lines[i:j])
            rows.append(Row(i, tuple(lines[i:j]), carried=carried, octets=octets))
        i = j  # the lone dot that ends it is a row of its own
    return rows


def _unstuff(line: str) -> str:
    """A POP3 line as the message has it: RFC 1939 doubles a leading dot on the wire."""
    return line[1:] if line.startswith(".") else line


def _imap_rows(lines: list[DialogLine]) -> list[Row]:
    rows: list[Row] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        rows.append(Row(i, (ln,)))
        i += 1
        found = _LITERAL.search(ln.line)
        while found is not None:
            # The octets come next from the same side (a client waits for the server's
            # "+ go ahead" first, unless LITERAL+); they may end inside a line that
            # announces the next literal (a LOGIN with two).
            while i < len(lines) and lines[i].dir != ln.dir:
                rows.append(Row(i, (lines[i],)))
                i += 1
            size, left, j = int(found.group(1)), int(found.group(1)), i
            while j < len(lines) and lines[j].dir == ln.dir and left > 0:
                left -= len(lines[j].line.encode("utf-8")) + 2
                j += 1
            if j == i:
                break
            rows.append(Row(i, tuple(lines[i:j]), carried=_imap_carried(ln.line), octets=size))
            found = _LITERAL.search(lines[j - 1].line) if left < 0 else None
            ln, i = lines[j - 1], j
    return rows


def _imap_carried(announcing: str) -> str:
    """What a literal holds, from the line that announces it: ``* 1 FETCH (UID 1 BODY[]
    {542}`` carries a message, ``a1 APPEND INBOX {310}`` too; anything else is named
    for what it is on the wire, a literal."""
    before = announcing[: announcing.rfind("{")].split()
    item = before[-1].lstrip("(").upper() if before else ""  # "(BODY[]" opens the list
    if item in _WHOLE or (len(before) > 1 and before[1].upper() == "APPEND"):
        return "message"
    if item.startswith(("BODY[HEADER", "BODY.PEEK[HEADER", "RFC822.HEADER")):
        return "header"
    return "literal"


def _retrieval_class(line: DialogLine, protocol: str) -> int | None:
    """The reply class a POP3 or IMAP answer line is coloured as (the Stepper's colours):
    2 for ``+OK`` and ``OK``, 5 for ``-ERR``, ``NO`` and ``BAD``, 3 for a ``+``
    continuation; None for a command or a data line."""
    text = line.line
    if line.dir != "S":
        return None
    if text == "+" or text.startswith("+ "):
        return 3
    if protocol == "POP3":
        return 2 if text.startswith("+OK") else 5 if text.startswith("-ERR") else None
    words = text.split(" ", 2)
    status = words[1].upper() if len(words) > 1 else ""
    return 2 if status == "OK" else 5 if status in ("NO", "BAD") else None


#: Legend text for the colours of a POP3 or IMAP session.
_RETRIEVAL_LABELS = {
    "POP3": {2: "+OK success", 3: "+ go on (continuation)", 5: "-ERR failure"},
    "IMAP": {2: "OK success", 3: "+ go on (continuation)", 5: "NO / BAD failure"},
}


# ---------------------------------------------------------------------------
# The figure
# ---------------------------------------------------------------------------

#: The protocol of a dialog line, by its trace kind.
_PROTOCOLS = {"smtp": "SMTP", "pop3": "POP3", "imap": "IMAP"}


def _session_lines(events: list[TraceEvent], session: str) -> list[DialogLine]:
    lines = [e for e in events if isinstance(e, DialogLine) and e.session == session]
    if not lines:
        known = list(dict.fromkeys(e.session for e in events if isinstance(e, DialogLine)))
        raise ValueError(f"unknown session {session!r} (no dialog lines); the trace has: "
                         f"{', '.join(known[:10]) or 'no sessions'}")
    return lines


def _height(row: Row) -> float:
    return 0.62 * len(row.text.splitlines()) + 0.7 if row.content else 1.0


#: How one row is drawn: its reply class (None: black) and the note right of the
#: server, with the note's colour.
_Mark = tuple[int | None, str, str]


def sequence_diagram(trace: Iterable[TraceEvent], session: str, *,
                     explain_replies: bool = True) -> Figure:
    """The dialog of one session, line by line, as arrows between two lifelines: an
    SMTP session, or a user agent's POP3 or IMAP session with its mailbox server.

    Args:
        trace: the events (only this session's :class:`~smtpsim.trace.DialogLine` are
            read, :class:`~smtpsim.trace.Pop3Line` and :class:`~smtpsim.trace.ImapLine`
            included).
        session: the session id (``SessionOpened.session``).
        explain_replies: print what each final reply line (each POP3 or IMAP answer
            line) means, right of the server.

    Returns:
        A new figure; one arrow per line shown (SMTP content lines collapse into one
        block, a message POP3 or IMAP carries into one "(message, N octets)" arrow).

    Raises:
        ValueError: the trace has no dialog lines for ``session``.
    """
    lines = _session_lines(list(trace), session)
    protocol = _PROTOCOLS.get(lines[0].kind, "SMTP")
    if protocol == "SMTP":
        rows = dialog_rows(lines)
        marks = [_smtp_mark(row) for row in rows]
    else:
        rows = retrieval_rows(lines, protocol)
        marks = _retrieval_marks(rows, lines, protocol)
    client, server = lines[0].peer, lines[0].node
    total = sum(_height(r) for r in rows)
    fig = Figure(figsize=(16 if explain_replies else 11, max(4.5, 0.42 * total + 2.2)),
                 dpi=100, layout="constrained")
    ax = fig.add_subplot()
    xc, xs, xe = 0.0, 10.0, 10.4
    y = 0.0
    for row, mark in zip(rows, marks, strict=True):
        h = _height(row)
        y -= h / 2 + 0.5
        _draw_row(ax, row, mark, y, xc, xs, xe if explain_replies else None)
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
    ax.set_title(f"{protocol} session {session}: {client} \u2192 {server}",
                 fontsize=FONT["title"])
    if protocol == "SMTP":
        _legend(ax, "client command / content", {k: REPLY_LABELS[k] for k in (2, 3, 4, 5)})
    else:
        used = {cls for cls, _, _ in marks}
        labels = _RETRIEVAL_LABELS[protocol]
        _legend(ax, "command, data or message",
                {k: labels[k] for k in (2, 3, 5) if k != 3 or 3 in used})
    return fig


def _smtp_mark(row: Row) -> _Mark:
    """An SMTP row: replies in their class colour; the final line of a reply explained,
    and the lone dot that ends the data."""
    first = row.lines[0]
    cls = reply_class(first.line) if first.dir == "S" else None
    note, colour = "", CLIENT
    if first.dir == "C" and first.line == ".":
        note = "end of data: a line holding only a dot"
    last = first.dir == "S" and cls and (len(first.line) < 4 or first.line[3] != "-")
    if last and cls:
        note, colour = _clip(explain(int(first.line[:3])), 70), REPLY_COLOURS[cls]
    return cls, note, colour


def _retrieval_marks(rows: list[Row], lines: list[DialogLine], protocol: str) -> list[_Mark]:
    """POP3 or IMAP rows: answer lines in their class colour, each explained by the
    protocol's own table (never a line of the message, which is one row here)."""
    notes = retrieval_protocol(protocol).explain_rows([(ln.dir, ln.line) for ln in lines])
    marks: list[_Mark] = []
    for row in rows:
        first = row.lines[0]
        if row.carried:
            n = len(row.lines)
            marks.append((None, f"the {row.carried}'s {n} line{'s' * (n != 1)}, "
                                "not drawn one by one", MUTED))
            continue
        cls = _retrieval_class(first, protocol)
        note = _clip(notes[row.first], 70) if first.dir == "S" else ""
        marks.append((cls, note, REPLY_COLOURS[cls] if cls else CLIENT))
    return marks


def _draw_row(ax: object, row: Row, mark: _Mark, y: float, xc: float, xs: float,
              xe: float | None) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    first = row.lines[0]
    cls, note, note_colour = mark
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
    if row.carried:  # not a line on the wire: a summary of many, in a grey box
        ax.text((xc + xs) / 2, y + 0.17, row.text, ha="center", va="bottom",
                fontsize=FONT["text"], style="italic", color=CLIENT, zorder=4,
                gid=f"label:{row.first}", bbox={"boxstyle": "round,pad=0.25",
                                                "fc": "#F4F4F4", "ec": "#999999"})
    else:
        ax.text((xc + xs) / 2, arrow_y + 0.2 + (h - 0.6) / 2 if row.content else y + 0.08,
                row.text, ha="center", va="center" if row.content else "bottom",
                fontsize=FONT["text"] - (1 if row.content else 0), family=MONO,
                color=colour, zorder=4, fontweight="bold" if first.line == "." else None,
                gid=f"label:{row.first}")
    if xe is not None and note:
        ax.text(xe, y, note, ha="left", va="center", fontsize=FONT["small"],
                style="italic", color=note_colour)


def _legend(ax: object, black: str, labels: dict[int, str]) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    handles = [Line2D([], [], color=CLIENT, lw=2.5, label=black)]
    handles += [Line2D([], [], color=REPLY_COLOURS[k], lw=3, label=label)
                for k, label in labels.items()]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
              fontsize=FONT["legend"], frameon=False)
