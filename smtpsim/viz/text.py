"""Plain-text twins of the figures, for terminals, the CLI and widgets' text reprs.

They read the same derived data as the pictures (:mod:`smtpsim.trace.queries`), so a
figure and its text always tell the same story. Importing this module does not
import matplotlib.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..trace import Bounced, DialogLine, TraceEvent
from ..trace.queries import failures, queue_stays, reads, require_message, transfers
from ._units import fmt_duration, fmt_time

if TYPE_CHECKING:
    from email.message import Message

__all__ = ["path_text", "queue_text", "received_text", "sequence_text"]


def path_text(trace: Iterable[TraceEvent], msg: str) -> str:
    """The hops of ``msg``, one line each, with failed tries and bounces in time order,
    and after its delivery the pull hop: each user agent that read it (POP3 or IMAP),
    and when a session removed it from the mailbox.

    Raises:
        ValueError: ``msg`` is not in the trace.
    """
    events = list(trace)
    require_message(events, msg)
    lines: list[tuple[float, str]] = []
    for h in transfers(events, msg):
        verb = "delivered to" if h.kind == "deliver" else "->"
        detail = f" ({h.detail})" if h.detail else ""
        lines.append((h.t, f"{h.number}. {h.src} {verb} {h.dst}{detail}"))
    for f in failures(events, msg):
        lines.append((f.t, f"   x  {f.src} -> {f.dst} failed: {f.reply} (stays queued)"))
    for b in (e for e in events if isinstance(e, Bounced) and e.msg == msg):
        dsn = f", DSN {b.dsn} sent back" if b.dsn else ""
        lines.append((b.t, f"   X  bounced at {b.node} for {b.recipient}: {b.reply}{dsn}"))
    for r in reads(events, msg):
        box = f" (from {r.mailbox})" if r.mailbox else ""
        lines.append((r.t, f"   >  {r.server} -> {r.reader}: read via {r.protocol}{box}"))
        if r.removed is not None:
            lines.append((r.removed, f"   -  removed from {r.server} by {r.reader} "
                                     f"({_REMOVES.get(r.protocol, r.protocol)})"))
    lines.sort(key=lambda x: x[0])
    body = [f"{fmt_time(t):>14}  {text}" for t, text in lines]
    return "\n".join([f"path of {msg}:", *body]) + "\n"


#: The command that takes a message out of the mailbox, by protocol.
_REMOVES = {"POP3": "POP3 QUIT", "IMAP": "IMAP EXPUNGE"}


def queue_text(trace: Iterable[TraceEvent]) -> str:
    """Each (message, node) stay: how long it waited, and how it ended."""
    out = []
    for s in queue_stays(trace):
        ends = ([f"relayed to {to}" for _, to in s.relays]
                + [f"delivered to {r}" for _, r in s.deliveries]
                + [f"bounced {r}" for _, r, _ in s.bounces])
        if not s.done:
            ends.append("still queued" + (f" ({s.gave_up})" if s.gave_up else ""))
        tries = f", {len(s.deferrals)} deferral(s)" if s.deferrals else ""
        out.append(f"{s.msg} @ {s.node}: {fmt_duration(s.duration)} from {fmt_time(s.start)}"
                   f"{tries}; {', '.join(ends) or 'no outcome'}")
    return "\n".join(out) + ("\n" if out else "")


def sequence_text(trace: Iterable[TraceEvent], session: str) -> str:
    """The session's dialog as an RFC 5321 style ``C:``/``S:`` transcript."""
    lines = [e for e in trace if isinstance(e, DialogLine) and e.session == session]
    if not lines:
        raise ValueError(f"unknown session {session!r} (no dialog lines)")
    head = f"{lines[0].peer} (client) -> {lines[0].node} (server), session {session}"
    return "\n".join([head, *(f"{e.dir}: {e.line}" for e in lines)]) + "\n"


def received_text(message: Message | bytes) -> str:
    """The Received chain as a fixed-width table, oldest hop first."""
    from ._received import RESOLUTION_NOTE, received_table, within_resolution

    rows = received_table(message)
    coarse = within_resolution(rows)
    table = [["hop", "from", "by", "with", "id", "time", "delay", "share"]]
    for r in rows:
        table.append([str(r["hop"]), r["from"], r["by"], r["with"], r["id"], r["time"],
                      "" if r["delay"] is None else fmt_duration(r["delay"]),
                      "" if r["share"] is None or coarse else f"{100 * r['share']:.0f}%"])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    out = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                    for row in table) + "\n"
    return out + (f"({RESOLUTION_NOTE})\n" if coarse else "")
