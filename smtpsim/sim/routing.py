"""Sending with a queue: routing, delivery attempts, retries and bounces.

:class:`Sender` is what every node that *sends* mail shares (a user agent's outbox,
an MTA's queue). For each queued message it:

1. finds the next hop of every recipient: local delivery (its own MDA), a
   transport/smarthost entry, or the domain's MX hosts from DNS;
2. opens one SMTP session per next hop, trying MX hosts in order until one answers;
3. removes a recipient from the queue only when the next hop has answered 250 to the
   end of DATA (store and forward: responsibility moves with that 250, never before);
4. on 4xx (or no host reachable) keeps the message and retries on the
   :class:`~smtpsim.sim.queue.RetryPolicy` schedule; on 5xx, or when the queue
   lifetime runs out, bounces it: an RFC 3464 delivery status notification goes back to
   the envelope sender with the null sender ``<>``. A bounce is never bounced.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from .. import message as _message
from ..protocol import Outgoing, Reply
from ..trace import (
    Bounced,
    Deferred,
    DnsAnswer,
    DnsQuery,
    Injected,
    Queued,
    Relayed,
    RetryScheduled,
)
from .base import Node
from .dns import mail_route
from .queue import QueueEntry, RetryPolicy

__all__ = ["NextHop", "Sender"]


@dataclass(frozen=True, slots=True)
class NextHop:
    """Where one recipient goes next: ``local`` delivery, a list of ``hosts`` to try in
    order, or a permanent ``failure`` (e.g. NXDOMAIN, null MX)."""

    local: bool = False
    hosts: tuple[str, ...] = ()
    failure: Reply | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.local, self.hosts, self.failure)


class Sender(Node):
    """A node with a mail queue that delivers what it holds (see the module docstring)."""

    def __init__(self, name: str, domain: str, *, address: str | None = None,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(name, domain, address=address)
        self.retry = retry
        self.queue: dict[str, QueueEntry] = {}
        self._arrivals = itertools.count(1)

    @property
    def policy(self) -> RetryPolicy:
        return self.retry or self.network.retry

    # -- the queue ---------------------------------------------------------------
    def enqueue(self, msg: str, sender: str, rcpts: list[str], content: bytes) -> None:
        """Take responsibility for ``msg`` and start delivering it."""
        net = self.network
        entry = QueueEntry(msg, sender, list(dict.fromkeys(rcpts)), content, net.now)
        # Queue entries are keyed like Postfix's queue files: one key per arrival, so the
        # same message arriving twice (a loop, a labelled duplicate) is held twice.
        key = f"{msg}#{next(self._arrivals)}"
        self.queue[key] = entry
        net.record(Queued(entry.arrived, self.name, entry.msg, tuple(entry.pending)))
        net.clock.process(self._run(key, entry))

    def _run(self, key: str, entry: QueueEntry) -> Generator[Any, Any, None]:
        net = self.network
        policy = self.policy
        while entry.pending:
            yield from self._attempt(entry)
            if not entry.pending:
                break
            now = net.now
            if policy.expired(entry.arrived, now):
                reply = Reply.of(450, f"delivery time expired: {entry.last_error}", "4.4.7")
                self.bounce(entry, [(r, reply, None) for r in entry.pending])
                break
            at = policy.next_attempt(entry.arrived, now)
            if policy.delay_warning_time is not None and not entry.warned and \
                    now - entry.arrived >= policy.delay_warning_time:
                entry.warned = True
                self._warn(entry)
            net.record(RetryScheduled(now, self.name, entry.msg, at))
            yield net.clock.timeout(at - now)
        self.queue.pop(key, None)

    # -- routing -------------------------------------------------------------------
    def route_for(self, rcpt: str) -> NextHop:
        """The next hop for ``rcpt`` (an MTA's rules; a user agent overrides this)."""
        raise NotImplementedError

    def credentials(self, host: str) -> tuple[str, str] | None:
        """``(user, password)`` for AUTH at ``host``, or None."""
        return None

    def mx_route(self, domain: str) -> NextHop:
        """Look up ``domain``'s MX in DNS (recorded in the trace) and order the hosts."""
        net = self.network
        net.record(DnsQuery(net.now, self.name, domain, "MX"))
        rcode, records = net.zone.lookup_mx(domain)
        answers = tuple(f"{p} {h if h == '.' else h + '.'}" for p, h in records)
        if rcode == "NOERROR" and not records and net.zone.lookup_a(domain):
            net.record(DnsAnswer(net.now, self.name, domain, "MX", rcode, ()))
            net.record(DnsQuery(net.now, self.name, domain, "A"))
            answers = (str(net.zone.lookup_a(domain)),)
            net.record(DnsAnswer(net.now, self.name, domain, "A", rcode, answers))
        else:
            net.record(DnsAnswer(net.now, self.name, domain, "MX", rcode, answers))
        route = mail_route(net.zone, domain, net.rng, me=self.name)
        if route.status:
            return NextHop(failure=Reply.of(route.code, route.reason, route.status))
        return NextHop(hosts=route.hosts)

    # -- one attempt -----------------------------------------------------------------
    def _attempt(self, entry: QueueEntry) -> Generator[Any, Any, None]:
        entry.attempts += 1
        groups: dict[tuple[Any, ...], tuple[NextHop, list[str]]] = {}
        by_domain: dict[str, NextHop] = {}  # one DNS lookup per domain per attempt
        for rcpt in entry.pending:
            domain = rcpt.rpartition("@")[2].lower()
            if domain not in by_domain:
                by_domain[domain] = self.route_for(rcpt)
            hop = by_domain[domain]
            groups.setdefault(hop.key, (hop, []))[1].append(rcpt)
        failed: list[tuple[str, Reply, str | None]] = []
        net = self.network
        # When the last clean session's QUIT round trip ends: without a full trace such
        # a session returns at its 250 (see Network.smtp_session), so anything more this
        # attempt does waits for that moment, as it would with the full trace.
        quit_done = 0.0
        for hop, rcpts in groups.values():
            if quit_done > net.now:
                yield net.clock.timeout(quit_done - net.now)
            if hop.failure is not None:
                failed.extend((r, hop.failure, None) for r in rcpts)
            elif hop.local:
                yield self.network.clock.timeout(self.network.local_delay)
                for rcpt in rcpts:
                    status, reply = self.local_delivery(entry, rcpt)
                    if status == "sent":
                        entry.pending.remove(rcpt)
                    elif status == "deferred":
                        self._defer(entry, [rcpt], "local", reply.last_line())
                    else:
                        failed.append((rcpt, reply, None))
            else:
                quit_done = yield from self._relay(entry, hop, rcpts, failed)
        if (failed or entry.pending) and quit_done > net.now:
            yield net.clock.timeout(quit_done - net.now)
        if failed:
            self.bounce(entry, failed)

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> tuple[str, Reply]:
        """Deliver ``rcpt``'s copy on this host: ``("sent"|"deferred"|"failed", reply)``."""
        return "failed", Reply.of(550, "no local delivery here", "5.1.1")

    def _defer(self, entry: QueueEntry, rcpts: list[str], to: str, why: str) -> None:
        net = self.network
        entry.last_error = why
        net.record(Deferred(net.now, self.name, entry.msg, tuple(rcpts), to, why))

    def _relay(self, entry: QueueEntry, hop: NextHop, rcpts: list[str],
               failed: list[tuple[str, Reply, str | None]]) -> Generator[Any, Any, float]:
        """Try ``hop``'s hosts in order until one answers; returns when that session's
        QUIT round trip ends (it may not have waited for it: see smtp_session)."""
        net = self.network
        out = Outgoing(entry.sender, tuple(rcpts), entry.content, entry.msg)

        def on_accepted(recipients: list[str], host: str, reply: Reply) -> None:
            for r in recipients:
                if r in entry.pending:
                    entry.pending.remove(r)
            net.record(Relayed(net.now, self.name, entry.msg, tuple(recipients), host,
                               reply.last_line()))

        for host in hop.hosts:
            result = yield from net.smtp_session(self, host, [out], self.credentials(host),
                                                 on_accepted)
            if not result.connected:
                self._defer(entry, rcpts, host, result.error)
                continue  # RFC 5321 §5.1: try the next MX host
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
                    failed.append((r.recipient, r.reply, host))
            return result.ends
        return net.now

    # -- bounces ---------------------------------------------------------------------
    def bounce(self, entry: QueueEntry, details: list[tuple[str, Reply, str | None]]) -> None:
        """Give up on some recipients and send the envelope sender one DSN naming them all.

        ``details`` holds ``(recipient, the reply that decided it, the remote host or
        None)`` for each recipient given up on.
        """
        net = self.network
        for rcpt, _, _ in details:
            if rcpt in entry.pending:
                entry.pending.remove(rcpt)
        dsn_id = ""
        if entry.sender and self.sends_dsn:
            dsn_id = self._send_dsn(entry, details, warning=False)
        for rcpt, why, _ in details:
            net.record(Bounced(net.now, self.name, entry.msg, rcpt, why.enhanced or
                               f"{why.kind}.0.0", why.last_line(), dsn_id))

    #: Whether this node writes DSNs (a user agent reports failures to its user instead).
    sends_dsn = True

    def _send_dsn(self, entry: QueueEntry, details: list[tuple[str, Reply, str | None]],
                  warning: bool) -> str:
        net = self.network
        recipients = [
            _message.DsnRecipient(
                final_recipient=rcpt, action="delayed" if warning else "failed",
                status=why.enhanced or f"{why.kind}.0.0",
                diagnostic_code=" ".join(why.to_lines()) if host else None,
                remote_mta=host)
            for rcpt, why, host in details
        ]
        dsn = _message.make_dsn(
            original=entry.content, reporting_mta=self.name, envelope_sender=entry.sender,
            recipients=recipients, arrival_date=net.date(entry.arrived), date=net.date(),
            postmaster_domain=self.domain, message_id=net.new_message_id(self.name),
            warning=warning)
        dsn_id = net.new_trace_id()
        net.record(Injected(net.now, self.name, dsn_id, "", (entry.sender,),
                            str(dsn["Subject"])))
        self.enqueue(dsn_id, "", [entry.sender], _message.to_bytes(dsn))
        return dsn_id

    def _warn(self, entry: QueueEntry) -> None:
        if not entry.sender or not self.sends_dsn:
            return
        why = Reply.of(450, entry.last_error or "still trying", "4.4.7")
        self._send_dsn(entry, [(r, why, None) for r in entry.pending], warning=True)
