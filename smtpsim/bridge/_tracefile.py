"""Stream a bridge's trace to a JSON Lines file, one event per line, as it happens.

The bridge writes every dialog line (and the opening and closing of each session,
and each accepted message) to a :class:`~smtpsim.trace.Trace`. A
:class:`JsonlTraceFile` subscribes to that trace and appends each event to a file
as one JSON object, flushing after every line so ``tail -f`` shows the dialog live.

The records are the trace's own (``TraceEvent.to_dict``), so a file written here
reads back with :meth:`smtpsim.trace.Trace.from_jsonl`. In a bridge trace:

* ``t`` is seconds since the bridge started (a monotonic clock, so it never goes
  backwards), rounded to microseconds; the simulation uses simulated seconds the
  same way;
* ``node`` is the server's host name, ``peer`` the client's ``ip:port``;
* ``session`` names one TCP connection (``s1``, ``s2`` ...);
* ``dir`` is ``C`` (client to server) or ``S`` (server to client).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..trace import TraceEvent

__all__ = ["JsonlTraceFile"]


class JsonlTraceFile:
    """A trace listener that appends each event to ``path`` as JSON Lines.

    Use it as ``trace.subscribe(JsonlTraceFile(path))``; call :meth:`close` at the end.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fp = self.path.open("a", encoding="utf-8")

    def __call__(self, event: TraceEvent) -> None:
        if self._fp.closed:
            return
        self._fp.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
        self._fp.flush()

    def close(self) -> None:
        self._fp.close()
