"""The single source of truth of a run: typed, append-only events.

Everything a student can see (transcripts, figures, widgets, summaries) is derived
from a :class:`Trace`. See :mod:`smtpsim.trace._events` for the record types.
"""

from __future__ import annotations

from ._cursor import Cursor
from ._events import (
    EVENT_KINDS,
    NODE_KINDS,
    Bounced,
    Converted,
    Deferred,
    Delivered,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    Duplicated,
    Fetched,
    Flagged,
    GaveUp,
    ImapLine,
    Injected,
    MessageAccepted,
    NetworkDescribed,
    NodeState,
    Pop3Line,
    Queued,
    Relayed,
    Removed,
    RetryScheduled,
    SessionClosed,
    SessionOpened,
    TraceEvent,
    event_from_dict,
)
from ._trace import SUMMARY_KINDS, Keep, Trace, to_jsonl, transcript
from .queries import (
    LiveConservation,
    Outcome,
    check_conservation,
    check_retrieval,
    format_summary,
    summarize,
)

__all__ = [
    "EVENT_KINDS",
    "NODE_KINDS",
    "SUMMARY_KINDS",
    "Bounced",
    "Converted",
    "Cursor",
    "Deferred",
    "Delivered",
    "DialogLine",
    "DnsAnswer",
    "DnsQuery",
    "Duplicated",
    "Fetched",
    "Flagged",
    "GaveUp",
    "ImapLine",
    "Injected",
    "Keep",
    "LiveConservation",
    "MessageAccepted",
    "NetworkDescribed",
    "NodeState",
    "Outcome",
    "Pop3Line",
    "Queued",
    "Relayed",
    "Removed",
    "RetryScheduled",
    "SessionClosed",
    "SessionOpened",
    "Trace",
    "TraceEvent",
    "check_conservation",
    "check_retrieval",
    "event_from_dict",
    "format_summary",
    "summarize",
    "to_jsonl",
    "transcript",
]
