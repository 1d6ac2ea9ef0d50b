"""The mail queue: store and forward, with retries.

An MTA that accepts a message (answers 250 to the end of DATA) has taken
responsibility for it: the message sits in its queue until the next hop answers 250
in turn, or until it is bounced. A user agent's outbox works the same way. For each
message in a :class:`MailQueue` the sending loop (:meth:`MailQueue.deliver`):

1. finds the next hop of every recipient (the owner's ``route_for``): local delivery
   (its own MDA), a transport/smarthost entry, or the domain's MX hosts from DNS;
2. opens one SMTP session per next hop (:func:`smtpsim.sim.session.smtp_session`),
   trying MX hosts in order until one answers;
3. removes a recipient only when the next hop has answered 250 to the end of DATA
   (responsibility moves with that 250, never before);
4. on ``4xx`` (or no host reachable) keeps the message and tries again later, on the
   :class:`RetryPolicy` schedule; on ``5xx``, or when the queue lifetime runs out,
   bounces it (:mod:`smtpsim.sim.bounce`).

The waits follow Postfix's defaults:

* the queue manager scans the deferred queue every ``queue_run_delay`` (300 s);
* after a failed attempt the message waits for as long as it has already been in the
  queue, but at least ``minimal_backoff_time`` (300 s) and at most
  ``maximal_backoff_time`` (4000 s), and is then picked up by the next scan;
* after ``maximal_queue_lifetime`` (5 days) it is bounced ("delivery time expired");
* optionally, after ``delay_warning_time`` the sender gets a warning that the message
  is delayed (off by default, as in Postfix).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..protocol import Outgoing, Reply
from ..trace import Deferred, GaveUp, Queued, Relayed, RetryScheduled
from .bounce import Failure, Reporter, bounce, expired, warn_delayed
from .session import smtp_session
from .world import World

__all__ = ["LocalResult", "MailQueue", "NextHop", "QueueEntry", "QueueOwner", "RetryPolicy"]


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


@dataclass(frozen=True, slots=True)
class NextHop:
    """Where one recipient goes next: ``local`` delivery, a list of ``hosts`` to try in
    order, or a permanent ``failure`` (e.g. NXDOMAIN, null MX)."""

    local: bool = False
    hosts: tuple[str, ...] = ()
    failure: Reply | None = None


#: How a local delivery went: ``"sent"``, ``"deferred"`` (try again) or ``"failed"``.
LocalResult = tuple[Literal["sent", "deferred", "failed"], Reply]


class QueueOwner(Reporter, Protocol):
    """What a queue needs of the node that owns it: its name and world, where each
    recipient goes next, how to log in, and how to deliver on this very host."""

    @property
    def world(self) -> World:
        """The world the node lives in."""

    def route_for(self, rcpt: str) -> NextHop:
        """The next hop for ``rcpt``."""

    def credentials(self, host: str) -> tuple[str, str] | None:
        """``(user, password)`` for AUTH at ``host``, or None."""

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> LocalResult:
        """Deliver ``rcpt``'s copy on this host."""


class MailQueue:
    """One node's queue of messages to deliver, and the loop that delivers them.

    Args:
        owner: the node that holds the queue.
        retry: its retry schedule (None: the network's, set when the node is added).
    """

    def __init__(self, owner: QueueOwner, retry: RetryPolicy | None = None) -> None:
        self.owner = owner
        self.retry = retry
        #: The messages waiting, by queue key (one key per arrival, like Postfix's
        #: queue files: the same message arriving twice is held twice).
        self.entries: dict[str, QueueEntry] = {}
        self._arrivals = itertools.count(1)

    def __len__(self) -> int:
        return len(self.entries)

    def enqueue(self, msg: str, sender: str, rcpts: list[str], content: bytes) -> None:
        """Take responsibility for ``msg`` and start delivering it."""
        world = self.owner.world
        entry = QueueEntry(msg, sender, list(dict.fromkeys(rcpts)), content, world.now)
        key = f"{msg}#{next(self._arrivals)}"
        self.entries[key] = entry
        world.record(Queued(entry.arrived, self.owner.name, entry.msg, tuple(entry.pending)))
        world.process(self.deliver(key, entry))

    def finish(self) -> None:
        """Record every message still waiting here (the end of a run): nothing is lost."""
        world = self.owner.world
        for entry in self.entries.values():
            if entry.pending:
                world.record(GaveUp(world.now, self.owner.name, entry.msg,
                                    tuple(entry.pending),
                                    entry.last_error or "waiting in the queue"))

    # -- the sending loop ------------------------------------------------------------
    def deliver(self, key: str, entry: QueueEntry) -> Generator[Any, Any, None]:
        """The life of one queue entry (a process): attempt, wait, attempt again ...
        until every recipient is handed over or bounced."""
        owner, world = self.owner, self.owner.world
        policy = self.retry or RetryPolicy()
        while entry.pending:
            yield from self._attempt(entry)
            if not entry.pending:
                break
            now = world.now
            if policy.expired(entry.arrived, now):
                bounce(world, owner, entry, expired(entry))
                break
            at = policy.next_attempt(entry.arrived, now)
            if policy.delay_warning_time is not None and not entry.warned and \
                    now - entry.arrived >= policy.delay_warning_time:
                entry.warned = True
                warn_delayed(world, owner, entry)
            world.record(RetryScheduled(now, owner.name, entry.msg, at))
            yield world.timeout(at - now)
        self.entries.pop(key, None)

    def _attempt(self, entry: QueueEntry) -> Generator[Any, Any, None]:
        """One delivery attempt: every pending recipient, grouped by next hop."""
        owner, world = self.owner, self.owner.world
        entry.attempts += 1
        groups: dict[NextHop, list[str]] = {}
        by_domain: dict[str, NextHop] = {}  # one DNS lookup per domain per attempt
        for rcpt in entry.pending:
            domain = rcpt.rpartition("@")[2].lower()
            if domain not in by_domain:
                by_domain[domain] = owner.route_for(rcpt)
            groups.setdefault(by_domain[domain], []).append(rcpt)
        failed: list[Failure] = []
        for hop, rcpts in groups.items():
            if hop.failure is not None:
                failed.extend(Failure(r, hop.failure) for r in rcpts)
            elif hop.local:
                yield world.timeout(world.local_delay)
                for rcpt in rcpts:
                    status, reply = owner.local_delivery(entry, rcpt)
                    if status == "sent":
                        entry.pending.remove(rcpt)
                    elif status == "deferred":
                        self._defer(entry, [rcpt], "local", reply.last_line())
                    else:
                        failed.append(Failure(rcpt, reply))
            else:
                yield from self._relay(entry, hop, rcpts, failed)
        if failed:
            bounce(world, owner, entry, failed)

    def _relay(self, entry: QueueEntry, hop: NextHop, rcpts: list[str],
               failed: list[Failure]) -> Generator[Any, Any, None]:
        """Try ``hop``'s hosts in order until one answers (RFC 5321 §5.1)."""
        owner, world = self.owner, self.owner.world
        out = Outgoing(entry.sender, tuple(rcpts), entry.content, entry.msg)

        def on_accepted(recipients: list[str], host: str, reply: Reply) -> None:
            for r in recipients:
                if r in entry.pending:
                    entry.pending.remove(r)
            world.record(Relayed(world.now, owner.name, entry.msg, tuple(recipients), host,
                                 reply.last_line()))

        for host in hop.hosts:
            result = yield from smtp_session(world, owner.name, host, [out],
                                             owner.credentials(host), on_accepted)
            if not result.connected:
                self._defer(entry, rcpts, host, result.error)
                continue  # try the next MX host
            results = result.results
            if results and results[0].phase == "greeting":
                # A 4xx or 5xx greeting counts as a failed connection: the next MX is
                # tried (RFC 5321 §5.1; Postfix's smtp_skip_5xx_greeting), and if none
                # answers, the message waits in the queue.
                self._defer(entry, rcpts, host, results[0].reply.last_line())
                continue
            for r in results:
                if r.status == "deferred":
                    self._defer(entry, [r.recipient], host, r.reply.last_line())
                elif r.status == "failed":
                    failed.append(Failure(r.recipient, r.reply, host))
            return

    def _defer(self, entry: QueueEntry, rcpts: list[str], to: str, why: str) -> None:
        world = self.owner.world
        entry.last_error = why
        world.record(Deferred(world.now, self.owner.name, entry.msg, tuple(rcpts), to, why))
