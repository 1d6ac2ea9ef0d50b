"""The single source of truth of a run: typed, append-only events.

Everything a student can see (transcripts, figures, widgets, summaries) is derived
from a :class:`Trace`. See :mod:`smtpsim.trace._events` for the record types.
"""

from __future__ import annotations

from ._cursor import Cursor
from ._events import *  # noqa: F403  (the module's __all__ is the public list)
from ._events import __all__ as _event_names
from ._trace import Trace, to_jsonl, transcript

__all__ = sorted(["Cursor", "Trace", "to_jsonl", "transcript", *_event_names])
