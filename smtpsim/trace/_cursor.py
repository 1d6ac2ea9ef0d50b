"""A cursor: "what is visible at step i" of a trace.

A stepper is a cursor over a finished trace. Every pane of the stepper is a pure
function of ``(trace, index)``, so going back, replaying and scrubbing need no undo
logic: move the index and redraw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._events import TraceEvent

__all__ = ["Cursor"]


class Cursor:
    """An index into a list of steps (events), with bounds and change listeners.

    Args:
        steps: the events to step over (often a filtered view of a trace).
        index: where to start; ``-1`` means "before the first step".
    """

    def __init__(self, steps: Sequence[TraceEvent], index: int = 0) -> None:
        self.steps = steps
        self._listeners: list[Callable[[int], None]] = []
        self._index = self._clamp(index)

    def _clamp(self, i: int) -> int:
        return max(0, min(i, len(self.steps) - 1)) if self.steps else 0

    @property
    def index(self) -> int:
        """The current step number (0-based)."""
        return self._index

    @index.setter
    def index(self, i: int) -> None:
        i = self._clamp(i)
        if i != self._index:
            self._index = i
            for listener in self._listeners:
                listener(i)

    @property
    def current(self) -> TraceEvent | None:
        """The event at the cursor, or None for an empty trace."""
        return self.steps[self._index] if self.steps else None

    @property
    def visible(self) -> Sequence[TraceEvent]:
        """Every step up to and including the current one."""
        return self.steps[: self._index + 1]

    def next(self) -> bool:
        """Move one step forward; False if already at the end."""
        before = self._index
        self.index = before + 1
        return self._index != before

    def prev(self) -> bool:
        """Move one step back; False if already at the start."""
        before = self._index
        self.index = before - 1
        return self._index != before

    def at_end(self) -> bool:
        """True when the cursor is on the last step."""
        return not self.steps or self._index == len(self.steps) - 1

    def on_change(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(index)`` whenever the index changes."""
        self._listeners.append(listener)
