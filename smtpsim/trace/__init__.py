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
    GaveUp,
    Injected,
    MessageAccepted,
    NetworkDescribed,
    NodeState,
    Queued,
    Relayed,
    RetryScheduled,
    SessionClosed,
    SessionOpened,
    TraceEvent,
    event_from_dict,
)
from ._trace import Keep, Trace, to_jsonl, transcript

__all__ = [
    "EVENT_KINDS",
    "NODE_KINDS",
    "Bounced",
    "Converted",
    "Cursor",
    "Deferred",
    "Delivered",
    "DialogLine",
    "DnsAnswer",
    "DnsQuery",
    "Duplicated",
    "GaveUp",
    "Injected",
    "Keep",
    "MessageAccepted",
    "NetworkDescribed",
    "NodeState",
    "Queued",
    "Relayed",
    "RetryScheduled",
    "SessionClosed",
    "SessionOpened",
    "Trace",
    "TraceEvent",
    "event_from_dict",
    "to_jsonl",
    "transcript",
]
