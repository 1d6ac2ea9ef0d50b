"""One message's store-and-forward path, drawn over the network.

Theory of operation
-------------------
Email is *store and forward*: each server keeps the message in its queue until the
next one has answered 250 to the end of DATA, and only then lets go. So a path is a
numbered chain of hand-overs (the transfers of :mod:`smtpsim.trace.queries`) with a wait
at every node. Failed tries are drawn too, because they explain the waits: a dashed
arrow in the colour of its reply class (4xx orange: it stays queued and is retried;
5xx red: it bounces), keyed by a letter and a cross at its bend, explained under the
picture. Every mark sits *beside* the names (the cross at the bend, the tick and the
envelope right of the node's marker, the names below it), never on one; the legend
names only what happened to this message: a refused connection, a 4xx, a bounce.

The journey ends with the pull hop, when a user agent read the message: a near-black
arrow from the mailbox to its mailbox server, and one from there to each device that
downloaded it, labelled with the protocol and the time ("read via IMAP, t=10 s"), and
"then deleted" where that session took it out of the mailbox (POP3's QUIT).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..trace import Bounced, SessionOpened, TraceEvent
from ..trace.queries import (
    failures,
    injections,
    network,
    queue_stays,
    reads,
    require_message,
    transfers,
)
from ._shapes import arrow, curve, s_curve
from ._topology import _layout, draw_envelope, draw_network, fit_axes, network_figure
from ._units import fmt_duration, fmt_time
from .palette import BOUNCE, CLIENT, DEFERRAL, DELIVERY, FONT, READ

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["message_path"]

_HOP = "#0072B2"  # hops in the 3xx blue: "on its way"


def _failure_target(events: list[TraceEvent], bounce: Bounced) -> str | None:
    """The server whose 5xx caused ``bounce``: the last session ``bounce.node`` opened for it."""
    opened = [e for e in events if isinstance(e, SessionOpened) and e.peer == bounce.node
              and bounce.msg in e.messages and e.t <= bounce.t]
    return opened[-1].node if opened else None


def message_path(trace: Iterable[TraceEvent], msg: str) -> Figure:
    """The path of message ``msg``: numbered hops, waits, failed tries and bounces.

    Args:
        trace: a trace with a :class:`~smtpsim.trace.NetworkDescribed` event.
        msg: the message's trace id (as in ``Injected.msg``).

    Returns:
        A new figure: the network faded, the message's journey drawn on top.

    Raises:
        ValueError: no network in the trace, or ``msg`` is not in it.
    """
    events = list(trace)
    net = network(events)
    require_message(events, msg)
    fig = network_figure(net, _layout(net)[0])
    ax = fig.add_subplot()
    pos = draw_network(ax, net, faded=True)
    # Hops between the same two nodes in the same direction share one arrow (a mail
    # loop crosses the same link dozens of times); its badge lists the hop numbers.
    groups: dict[tuple[str, str], list[Any]] = {}
    for hop in transfers(events, msg):
        if hop.src in pos and hop.dst in pos:
            groups.setdefault((hop.src, hop.dst), []).append(hop)
    for (src, dst), hops in groups.items():
        # The same bend in the other direction bows the other way: A->B and B->A
        # arrows lie side by side, not on top of each other.
        path, (mx, my) = curve(pos[src], pos[dst], 0.18)
        colour = DELIVERY if hops[0].kind == "deliver" else _HOP
        numbers = [h.number for h in hops]
        arrow(ax, path, colour, gid=f"hop:{numbers[0]}")
        badge = (str(numbers[0]) if len(numbers) == 1 else
                 f"{numbers[0]}, {numbers[1]}" if len(numbers) == 2 else
                 f"{numbers[0]}, {numbers[1]} … {numbers[-1]} (×{len(numbers)})")
        ax.text(mx, my, badge, ha="center", va="center", fontsize=FONT["text"],
                fontweight="bold", color="white", zorder=8, gid=f"hopnum:{numbers[0]}",
                bbox={"boxstyle": "circle,pad=0.25" if len(numbers) == 1 else
                      "round,pad=0.3", "fc": colour, "ec": "white", "lw": 2})
    read = _draw_reads(ax, events, msg, pos)
    _draw_failures(ax, events, msg, pos, bool(read))
    _draw_stays(ax, events, msg, pos)
    _draw_outcomes(ax, events, msg, pos)
    fit_axes(ax, net)
    _make_room(ax, read)
    inj = injections(events, msg)
    head = f"{inj[0].sender} \u2192 {', '.join(inj[0].recipients)}" if inj else ""
    ax.set_title(f"Path of message {msg}" + (f": {head}" if head else ""), fontsize=FONT["title"])
    return fig


def _why(reply: str) -> str:
    """A failed try in a few words: its reply code (``451``), or for a connection that
    never got a reply, the end of the error (``Connection refused``)."""
    code = reply.split(" ")[0]
    return code if code[:1].isdigit() else reply.rsplit(": ", 1)[-1]


#: What the session that took the message out of the mailbox did, by protocol.
_REMOVES = {"POP3": "then deleted at QUIT", "IMAP": "then expunged"}


def _draw_reads(ax: Axes, events: list[TraceEvent], msg: str,
                pos: dict[str, tuple[float, float]]) -> list[Text]:
    """The pull hop: an arrow from each mailbox read to its mailbox server, and one from
    the server to each user agent that downloaded the message, with a note beside the
    device saying how and when (and whether that took it off the server). The arrows
    leave and arrive sideways (never over a name, which is under its node); the note
    is level with the device, on the side away from the server, where no arrow comes
    in (above or below it, it would sit between two devices stacked in a column).
    Returns the notes (the axes are widened to hold them)."""
    notes: list[Text] = []
    legs: set[tuple[str, str]] = set()
    for r in reads(events, msg):
        if r.server not in pos or r.reader not in pos:
            continue
        if r.mailbox in pos and (r.mailbox, r.server) not in legs:
            legs.add((r.mailbox, r.server))
            arrow(ax, s_curve(pos[r.mailbox], pos[r.server]), READ,
                  gid=f"read:{r.mailbox}--{r.server}")
        a, b = pos[r.server], pos[r.reader]
        arrow(ax, s_curve(a, b), READ, gid=f"read:{r.reader}")
        note = f"read via {r.protocol}, {fmt_time(r.t)}"
        if r.removed is not None:
            note += "\n" + _REMOVES.get(r.protocol, "then removed")
        left = a[0] >= b[0]
        notes.append(ax.text(
            b[0] - 0.22 if left else b[0] + 0.22, b[1], note, ha="right" if left else "left",
            va="center", fontsize=FONT["small"], color=READ, zorder=9, linespacing=1.15,
            gid=f"readnote:{r.reader}",
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": READ}))
    return notes


def _make_room(ax: Axes, notes: list[Text]) -> None:
    """Widen the axes' x range so the notes beside the devices fit in it: the figure
    keeps its size, so the network gets a little narrower instead."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure

    if not notes:
        return
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    width = fig.get_figwidth() - 0.3  # the axes' width in inches, about: no ticks, no labels
    measure = RendererAgg(10, 10, 72)  # type: ignore[no-untyped-call]  # 72 dpi: pt = px
    x0, x1 = ax.get_xlim()
    for note in notes:
        font, pad = note.get_fontproperties(), 2 * 0.25 * float(note.get_fontsize()) + 4
        points = max(measure.get_text_width_height_descent(  # type: ignore[no-untyped-call]
            line, font, ismath=False)[0] for line in note.get_text().split("\n"))
        inches = (points + pad) / 72
        anchor = note.get_position()[0]
        # A span S with the note inside: the note takes inches / width of it.
        if note.get_horizontalalignment() == "right":
            x0 = min(x0, x1 - (x1 - anchor) / (1 - inches / width))
        else:
            x1 = max(x1, x0 + (anchor - x0) / (1 - inches / width))
    ax.set_xlim(x0, x1)


def _draw_failures(ax: Axes, events: list[TraceEvent], msg: str,
                   pos: dict[str, tuple[float, float]], read: bool = False) -> None:
    """Failed tries: one dashed arrow per (from, to) ending in a cross, keyed by letters
    (A, B, ...) at the arrow's bend; the letters are explained in a list beside the
    picture, so no label ever sits on a node, a name or another label."""
    tries = [(f.src, f.dst, f"{fmt_time(f.t)}  {f.src} \u2192 {f.dst}: {_why(f.reply)}",
              DEFERRAL, f"failed:{i}")
             for i, f in enumerate(failures(events, msg))]
    happened = {_kind(f.reply) for f in failures(events, msg)}
    for b in (e for e in events if isinstance(e, Bounced) and e.msg == msg):
        happened.add("bounce")
        note = f"{fmt_time(b.t)}  {b.reply.split(' ')[0]} {b.status}: bounced {b.recipient}"
        note += f", DSN {b.dsn} sent back" if b.dsn else ""
        tries.append((b.node, _failure_target(events, b), note, BOUNCE, f"bounce:{b.recipient}"))
    arrows: dict[tuple[str, str | None, str], tuple[tuple[float, float], list[str]]] = {}
    handles, labels, gids = [], [], []
    for n, (src, dst, note, colour, gid) in enumerate(tries):
        if src not in pos:
            continue
        key = chr(ord("A") + n) if n < 26 else str(n + 1)
        if (src, dst, colour) not in arrows:
            x, y = pos[src]
            # A host the network does not know (unreachable, or no next hop: the node
            # itself refused) gets a short stub arrow down and to the right.
            far = pos[dst] if dst in pos else (x + 0.55, y - 0.45)
            # Bowed the other way from the hops (which bend left), so the two never meet.
            path, mid = curve((x, y), far, -0.22 - 0.08 * len(arrows), trim=0.28)
            arrow(ax, path, colour, dashed=True, gid=gid)
            arrows[src, dst, colour] = (mid, [])
        arrows[src, dst, colour][1].append(key)
        handles.append(Line2D([], [], color=colour, lw=3, ls="--"))
        labels.append(f"{key}  {note}")
        gids.append(f"{gid}:label")
    for (_src, _dst, colour), ((mx, my), keys) in arrows.items():
        # A cross and the key letters on the arrow, at its bend: "✗ A", or "✗ B C"
        # for two tries: between the nodes, so never on a node's name.
        ax.text(mx, my, "\u2717 " + " ".join(keys), fontsize=FONT["small"], color="white",
                ha="center", va="center", fontweight="bold", zorder=10, gid=f"key:{','.join(keys)}",
                bbox={"boxstyle": "round,pad=0.2", "fc": colour, "ec": "white", "lw": 1.5})
    if read:
        happened.add("read")
    _legend(ax, handles, labels, gids, happened)


def _kind(reply: str) -> str:
    """What a failed try was: ``"4xx"``, ``"5xx"``, or ``"connection"`` when no SMTP
    reply came at all (refused, unreachable, the node down)."""
    code = reply[:3]
    return f"{code[0]}xx" if code.isdigit() else "connection"


#: Legend line for each kind of failure, in the order a reader meets them.
_FAILED_LABELS = {
    "connection": ("connection refused: stays queued", DEFERRAL),
    "4xx": ("4xx reply: stays queued", DEFERRAL),
    "5xx": ("5xx reply: refused for good", BOUNCE),
    "bounce": ("bounce: a DSN goes back", BOUNCE),
}


def _draw_stays(ax: Axes, events: list[TraceEvent], msg: str,
                pos: dict[str, tuple[float, float]]) -> None:
    """How long the message waited at each node, in a note above it (below its name if
    another node sits right above). Stays under a second are left out: that is the
    message passing through, not waiting."""
    for stay in queue_stays(events, msg):
        if stay.node not in pos or (stay.done and stay.duration < 1.0):
            continue
        word = "queued" if stay.done else "still queued"
        _note(ax, pos, stay.node, f"{word} {fmt_duration(stay.duration)}", colour=CLIENT,
              fc="#FFF7D6", ec="#C9A227", gid=f"stay:{stay.node}")


def _note(ax: Axes, pos: dict[str, tuple[float, float]], node: str, text: str, *,
          colour: str, fc: str, gid: str, ec: str | None = None) -> None:
    """A note about ``node`` above its marker, or below its name if another node sits
    right above (the names are under the markers, so a note there would cover one)."""
    x, y = pos[node]
    crowded = any(abs(ox - x) < 0.5 and 0 < oy - y < 1.2 for ox, oy in pos.values())
    ax.text(x, y - 0.62 if crowded else y + 0.36, text,
            ha="center", va="top" if crowded else "bottom",
            fontsize=FONT["small"], color=colour, zorder=9, gid=gid,
            bbox={"boxstyle": "round,pad=0.25", "fc": fc, "ec": ec or colour})


def _draw_outcomes(ax: Axes, events: list[TraceEvent], msg: str,
               pos: dict[str, tuple[float, float]]) -> None:
    delivered = {h.dst for h in transfers(events, msg) if h.kind == "deliver"}
    for node in sorted(delivered, key=list(pos).index):
        x, y = pos[node]
        # Right of the node's marker, level with it: its name is below, notes above.
        ax.text(x + 0.34, y, "\u2713", fontsize=26, color=DELIVERY, ha="left",
                va="center", fontweight="bold", zorder=9, gid=f"delivered:{node}")
    for stay in queue_stays(events, msg):
        if not stay.done and stay.node in pos:
            mark = draw_envelope(ax, pos[stay.node], offset=(0.34, 0.0), size=22)
            mark.set_horizontalalignment("left")


def _legend(ax: Axes, failed: list[Line2D], notes: list[str], gids: list[str],
            happened: set[str]) -> None:
    """Under the picture: what the colours mean (left column: only the kinds of
    failure that happened) and, keyed by their letters, what each failed try was
    (right column)."""
    handles = [
        Line2D([], [], color=_HOP, lw=3.5, label="hop (numbered in order)"),
        Line2D([], [], color=DELIVERY, lw=3.5, label="delivered into the mailbox \u2713"),
    ]
    handles += [Line2D([], [], color=colour, lw=3.5, ls="--", label=label)
                for kind, (label, colour) in _FAILED_LABELS.items() if kind in happened]
    if "read" in happened:
        handles.append(Line2D([], [], color=READ, lw=3.5,
                              label="read by a user agent (POP3 or IMAP)"))
    labels = [h.get_label() for h in handles]
    if failed:  # two columns, filled top to bottom: colours, then the failed tries
        rows = max(len(handles), len(failed))
        blank = Line2D([], [], ls="")
        handles += [blank] * (rows - len(handles))
        labels += [""] * (rows - len(labels))
        failed = failed + [blank] * (rows - len(failed))
        notes = notes + [""] * (rows - len(notes))
    fig = ax.get_figure()
    # Room for the rows beyond the two the colours took in one row pair (0.3 in each).
    rows = len(handles) if failed else 2
    fig.set_figheight(fig.get_figheight() + 0.3 * max(0, rows - 2))
    legend = fig.legend(
        handles + failed, labels + notes, loc="outside lower center", ncol=2,
        fontsize=FONT["legend"], frameon=False, columnspacing=2.5)
    for text, gid in zip(legend.get_texts()[len(labels):], gids, strict=False):
        text.set_gid(gid)
