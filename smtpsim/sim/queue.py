"""Mail queues and the retry schedule: store and forward.

An MTA that accepts a message (answers 250 to the end of DATA) has taken
responsibility for it: the message sits in its queue until the next hop answers 250
in turn, or until it is bounced. If the next hop is down or says "4xx, try later", the
message waits and is tried again. The waits follow Postfix's defaults:

* the queue manager scans the deferred queue every ``queue_run_delay`` (300 s);
* after a failed attempt the message waits for as long as it has already been in the
  queue, but at least ``minimal_backoff_time`` (300 s) and at most
  ``maximal_backoff_time`` (4000 s), and is then picked up by the next scan;
* after ``maximal_queue_lifetime`` (5 days) it is bounced ("delivery time expired");
* optionally, after ``delay_warning_time`` the sender gets a warning that the message
  is delayed (off by default, as in Postfix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["QueueEntry", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a deferred message (all times in seconds; Postfix's defaults)."""

    queue_run_delay: float = 300.0
    minimal_backoff_time: float = 300.0
    maximal_backoff_time: float = 4000.0
    maximal_queue_lifetime: float = 5 * 86400.0
    delay_warning_time: float | None = None

    def __post_init__(self) -> None:
        for name in ("queue_run_delay", "minimal_backoff_time", "maximal_backoff_time",
                     "maximal_queue_lifetime"):
            if getattr(self, name) <= 0:
                raise ValueError(f"retry policy: {name} must be positive")
        if self.minimal_backoff_time > self.maximal_backoff_time:
            raise ValueError("retry policy: minimal_backoff_time > maximal_backoff_time")

    def next_attempt(self, arrived: float, now: float) -> float:
        """The time of the next attempt for a message queued at ``arrived`` that has
        just failed at ``now``: back off, then wait for the next queue scan."""
        wait = min(max(now - arrived, self.minimal_backoff_time), self.maximal_backoff_time)
        due = now + wait
        scans = math.ceil(due / self.queue_run_delay - 1e-9)
        return scans * self.queue_run_delay

    def expired(self, arrived: float, now: float) -> bool:
        """True once the message has been queued longer than the queue lifetime."""
        return now - arrived >= self.maximal_queue_lifetime


@dataclass
class QueueEntry:
    """One message waiting in one node's queue.

    Attributes:
        msg: the message's trace id.
        sender: the envelope sender (``""`` for a bounce).
        pending: recipients not yet relayed, delivered or bounced.
        content: the message bytes as this node will send them.
        arrived: when it entered this queue.
        last_error: the last temporary failure, for reports.
    """

    msg: str
    sender: str
    pending: list[str]
    content: bytes
    arrived: float
    attempts: int = 0
    last_error: str = ""
    warned: bool = False
    history: list[str] = field(default_factory=list)
