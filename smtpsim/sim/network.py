"""The network: nodes, links, DNS and the clock, and the SMTP sessions between them.

A :class:`Network` owns the simulated world. It moves bytes between nodes: for each
hop it runs a real SMTP session between a :class:`~smtpsim.protocol.MailSender` (the
client's engine) and a :class:`~smtpsim.protocol.ServerConnection` (the server's),
and spends simulated time on it: every *flight* of bytes (what one side writes before
waiting for the other) costs the link's one-way latency. Every line is written to the
:class:`~smtpsim.trace.Trace` at the moment it would cross the wire.

What a node does when a message is accepted happens at the moment the server sends
its ``250`` to the end of DATA, which is also when the client removes the recipients
from its queue: responsibility moves with that reply and nothing is ever in two
queues or none.

A session is computed first (the two engines talk to the end in memory) and then
replayed in simulated time. So the server's decisions (greylisting, rate limits) are
taken as of the moment the connection opened, and a node that goes down in the middle
of a session is noticed at the next connection, not mid-dialog. Sessions last well
under a second of simulated time, so this never changes what a lesson shows.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..protocol import (
    MailSender,
    MessageReceived,
    Outgoing,
    RecipientResult,
    Reply,
    ServerConnection,
    ServerEvent,
    converse,
)
from ..trace import (
    DialogLine,
    Duplicated,
    GaveUp,
    Keep,
    NetworkDescribed,
    NodeState,
    SessionClosed,
    SessionOpened,
    Trace,
    TraceEvent,
)
from .base import Node
from .clock import Clock
from .dns import Zone
from .nodes import MTA, App, Gateway, SessionContext
from .queue import RetryPolicy
from .routing import Sender

__all__ = ["Link", "Network", "SessionResult"]

#: The name the DNS has in the topology (it answers the MX and A queries in the trace).
DNS_NODE = "dns"

#: The moment simulated time 0 stands for (dates in headers count from here).
DEFAULT_START = datetime(2026, 11, 28, 9, 0, 0, tzinfo=timezone.utc)


@dataclass
class Link:
    """A network path between two nodes, with a one-way latency in seconds."""

    a: str
    b: str
    latency: float = 0.02
    port: int = 25
    protocol: str = "SMTP"
    down: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SessionResult:
    """How one SMTP session went: whether it connected, and per-recipient results."""

    connected: bool
    results: tuple[RecipientResult, ...] = ()
    error: str = ""
    #: When the session ends (after QUIT's round trip), which may be later than when
    #: smtp_session returned (a clean session without a full trace returns at its 250).
    ends: float = 0.0


class Network:
    """A simulated email world.

    Args:
        seed: seeds the one random generator (MX order among equal preferences).
        keep: ``"all"`` to trace every line, ``"summary"`` to keep only outcomes,
            ``"counts"`` to keep nothing but counts (load tests; listeners still see all).
        start: the wall-clock date that simulated time 0 stands for.
        retry: the default retry schedule of every queue.
        default_latency: one-way latency between nodes with no explicit link.
    """

    def __init__(self, *, seed: int = 0, keep: Keep = "all",
                 start: datetime = DEFAULT_START, retry: RetryPolicy | None = None,
                 default_latency: float = 0.05, title: str = "network") -> None:
        self.clock = Clock()
        self.trace = Trace(keep)
        self.full = keep == "all"
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = start
        self.retry = retry or RetryPolicy()
        self.zone = Zone()
        self.nodes: dict[str, Node] = {}
        self.links: dict[frozenset[str], Link] = {}
        self.down: dict[str, list[tuple[float, float]]] = {}
        self.default_latency = default_latency
        self.local_delay = 0.001
        self.title = title
        self._sessions = itertools.count(1)
        self._trace_ids = itertools.count(1)
        self._mid_counter = itertools.count(1)
        self._date_t, self._date_start, self._date = 0.0, start, start
        self._described = False

    # ------------------------------------------------------------------ building
    def add(self, node: Node) -> Node:
        """Add ``node`` (and, for an MTA, its MDA and mailboxes) to the network."""
        if node.name in self.nodes:
            raise ValueError(f"a node named {node.name!r} already exists")
        node._network = self
        self.nodes[node.name] = node
        mda = getattr(node, "mda", None)
        if mda is not None and mda.name not in self.nodes:
            self.add(mda)
        for box in getattr(node, "mailboxes", {}).values():
            if box.name not in self.nodes:
                self.add(box)
        return node

    def link(self, a: str, b: str, *, latency: float = 0.02, port: int = 25,
             protocol: str = "SMTP") -> Link:
        """Connect ``a`` and ``b`` with a one-way ``latency`` (seconds)."""
        for n in (a, b):
            if n not in self.nodes:
                raise ValueError(f"link: unknown node {n!r}")
        if latency < 0:
            raise ValueError("link: latency must not be negative")
        link = Link(a, b, latency, port, protocol)
        self.links[frozenset((a, b))] = link
        return link

    def take_down(self, name: str, start: float, end: float = float("inf")) -> None:
        """Make a node (or the link ``"a--b"``) unreachable from ``start`` to ``end``."""
        if end <= start:
            raise ValueError("a down window must end after it starts")
        if "--" in name:
            a, _, b = name.partition("--")
            key = frozenset((a, b))
            if key not in self.links:
                raise ValueError(f"no link {name!r}")
            self.links[key].down.append((start, end))
        elif name not in self.nodes:
            raise ValueError(f"unknown node {name!r}")
        self.down.setdefault(name, []).append((start, end))

        def announce() -> Generator[Any, Any, None]:
            yield self.clock.timeout(start - self.now)
            self.record(NodeState(self.now, name, "down"))
            if end != float("inf"):
                yield self.clock.timeout(end - self.now)
                self.record(NodeState(self.now, name, "up"))

        self.clock.process(announce())

    def is_up(self, name: str, at: float | None = None) -> bool:
        down = self.down.get(name)
        if not down:
            return True
        t = self.now if at is None else at
        return not any(s <= t < e for s, e in down)

    def latency(self, a: str, b: str) -> float:
        link = self.links.get(frozenset((a, b)))
        return link.latency if link else self.default_latency

    def link_up(self, a: str, b: str) -> bool:
        link = self.links.get(frozenset((a, b)))
        if link is None or not link.down:
            return True
        now = self.now
        return not any(s <= now < e for s, e in link.down)

    # ------------------------------------------------------------------- running
    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.clock.now

    def date(self, t: float | None = None) -> datetime:
        """The wall-clock date at simulated time ``t`` (default: now)."""
        t = self.clock.now if t is None else t
        # Asked several times at one instant (compose, ids ...): the last one is kept.
        if t != self._date_t or self.start is not self._date_start:
            self._date_t, self._date_start = t, self.start
            self._date = self.start + timedelta(0, t)  # (days, seconds): t seconds
        return self._date

    def record(self, event: TraceEvent) -> None:
        """Append ``event`` to the trace (the only way anything is written to it)."""
        if not self._described:
            self._describe()
        self.trace.append(event)

    def at(self, t: float, action: Callable[[], Any]) -> None:
        """Run ``action()`` at simulated time ``t`` (used for scheduled messages)."""
        def proc() -> Generator[Any, Any, None]:
            yield self.clock.timeout(t - self.now)
            action()

        self.clock.process(proc())

    def run(self, until: float | None = None) -> None:
        """Run the simulation until time ``until``, or until nothing is left to do."""
        if not self._described:
            self._describe()
        self.clock.run(until)

    def finish(self) -> None:
        """Record every message still in a queue (end of run): nothing is ever lost."""
        for node in self.nodes.values():
            if isinstance(node, Sender):
                for entry in node.queue.values():
                    if entry.pending:
                        self.record(GaveUp(self.now, node.name, entry.msg,
                                           tuple(entry.pending),
                                           entry.last_error or "waiting in the queue"))

    def new_trace_id(self) -> str:
        """A fresh short trace id (``m1``, ``m2`` ...) for a message entering the network.

        The id then travels with the message from queue to queue (as the ``id`` of the
        :class:`~smtpsim.protocol.Outgoing` each hop sends), so it never depends on
        what the headers say: two messages with the same Message-ID stay two.
        """
        return f"m{next(self._trace_ids)}"

    def new_session_id(self) -> str:
        """A fresh session id (``s1``, ``s2`` ...) for a connection, deterministic."""
        return f"s{next(self._sessions)}"

    def new_message_id(self, domain: str) -> str:
        """A deterministic, unique Message-ID for a message made in this run."""
        d = self.date()
        stamp = f"{d.year:04d}{d.month:02d}{d.day:02d}{d.hour:02d}{d.minute:02d}{d.second:02d}"
        return f"<{stamp}.{next(self._mid_counter)}.{self.seed}@{domain}>"

    # -------------------------------------------------------------- the topology
    def describe(self) -> NetworkDescribed:
        """The network as a trace event: nodes and the links between them."""
        nodes = tuple((n.name, n.kind, n.domain) for n in self.nodes.values())
        links: dict[frozenset[str], tuple[str, str, int, str, float]] = {}
        for link in self.links.values():
            links[frozenset((link.a, link.b))] = (link.a, link.b, link.port, link.protocol,
                                                 link.latency)
        for node in self.nodes.values():
            for peer, port, proto in node.peers():
                key = frozenset((node.name, peer))
                if peer in self.nodes and key not in links:
                    links[key] = (node.name, peer, port, proto, self.latency(node.name, peer))
        # Links MX records imply: every relaying MTA may reach every other domain's MX.
        for node in self.nodes.values():
            if not isinstance(node, MTA) or "*" in node.transport:
                continue
            for domain, records in self.zone.mx.items():
                if domain in node.local_domains or domain in node.transport:
                    continue
                for _, host in records:
                    key = frozenset((node.name, host))
                    if host in self.nodes and host != node.name and key not in links:
                        links[key] = (node.name, host, 25, "SMTP", self.latency(node.name, host))
        # The DNS, which every relay that routes by MX asks (port 53).
        askers = [n.name for n in self.nodes.values()
                  if isinstance(n, MTA) and "*" not in n.transport]
        if askers and (self.zone.mx or self.zone.a):
            dns = DNS_NODE  # a scenario may have used the name for a host of its own
            while dns in self.nodes:
                dns = f"({dns})"
            nodes += ((dns, "dns", ""),)
            for name in askers:
                links[frozenset((name, dns))] = (name, dns, 53, "DNS", 0.0)
        return NetworkDescribed(0.0, self.title, nodes, tuple(links.values()), self.title)

    def _describe(self) -> None:
        self._described = True
        self.trace.append(self.describe())

    # --------------------------------------------------------------- SMTP sessions
    def smtp_session(self, client: Sender, host: str, messages: list[Outgoing],
                     auth: tuple[str, str] | None,
                     on_accepted: Callable[[list[str], str, Reply], None]
                     ) -> Generator[Any, Any, SessionResult]:
        """One SMTP session from ``client`` to ``host`` carrying ``messages``.

        A SimPy process step (use ``yield from``). Returns a :class:`SessionResult`.
        """
        latency = self.latency(client.name, host)
        server_node = self.nodes.get(host)
        if not isinstance(server_node, MTA) or not self.is_up(host) or \
                not self.link_up(client.name, host):
            yield self.clock.timeout(2 * latency)
            ip = self.zone.lookup_a(host) or "unknown"
            why = "Connection refused" if host in self.nodes else "Host not found"
            return SessionResult(False, error=f"connect to {host}[{ip}]:25: {why}")
        port = server_node.port
        sid = self.new_session_id()
        ctx = SessionContext(sid, client.name, self.zone.lookup_a(client.name) or "192.0.2.1",
                             port)
        server = ServerConnection(server_node.server_config())
        sender = MailSender(client.name, messages, auth=auth)
        accepted: list[tuple[MessageReceived, Reply, str, bool]] = []

        decide = server_node.decide

        def policy(event: ServerEvent) -> Reply | None:
            reply = decide(ctx, event)
            if type(event) is MessageReceived:
                reply = reply or server.default_reply()
                if reply.is_success:
                    accepted.append((event, reply, server.helo or "", server.esmtp))
            return reply

        # Without a full trace only the replies to the end of DATA are needed (to time
        # each hand-over) and the last line (to time the end of the session).
        lines = converse(sender, server, policy, greeting=server_node.greeting(),
                         record=self.full)
        # Which messages were accepted, in order, and by which recipients; the rest of
        # the results (refusals, deferrals) go back to the client at the end.
        sent: dict[int, list[str]] = {}
        others: list[RecipientResult] = []
        for r in sender.results:
            if r.phase == "content" and r.reply.code // 100 == 2:
                sent.setdefault(r.message, []).append(r.recipient)
            else:
                others.append(r)
        order = iter(sorted(sent))

        full, clock = self.full, self.clock
        yield clock.timeout(latency)  # the TCP handshake
        base = clock.now
        self.record(SessionOpened(base, host, client.name, sid, port,
                                  tuple([m.id for m in messages])))
        for line in lines:
            due = base + (2 * line.flight - (line.dir == "C")) * latency
            is_accept = line.end_of_data and line.line[:1] == "2"
            if (full or is_accept) and due > clock.now:
                yield clock.timeout(due - clock.now)
            if full:
                self.trace.append(DialogLine(clock.now, host, client.name, sid, line.dir,
                                             line.line, line.state.value))
            if is_accept and accepted:
                event, reply, helo, esmtp = accepted.pop(0)
                env = event.envelope
                qid = reply.text.rpartition(" ")[2]
                index = next(order, None)
                server_node.accept(ctx, env.mail_from or "", env.rcpt_tos, event.content,
                                   qid, helo, esmtp, smtputf8=env.smtputf8,
                                   msg=messages[index].id if index is not None else None)
                if server_node.crash_after_data > 0 and index is not None:
                    return self._crash(server_node, client, sid, messages[index], sent[index])
                if index is not None:
                    on_accepted(sent[index], host, reply)
        # The session ends after QUIT's round trip. Without a full trace nothing is
        # written then unless something went wrong (a refusal to report, a possible
        # duplicate), so a clean session returns at its last 250 instead, saying when
        # it ends (SessionResult.ends): the message has already left the queue, and the
        # caller waits for that moment only if it has more to do.
        end = base + 2 * (lines[-1].flight if lines else 0) * latency
        if end > clock.now and (full or others or sender.maybe_duplicated):
            yield clock.timeout(end - clock.now)
        if full:
            self.trace.append(SessionClosed(self.now, host, client.name, sid,
                                            "QUIT" if sender.done else "closed"))
        for index in sender.maybe_duplicated:
            self.record(Duplicated(self.now, client.name, messages[index].id, host))
        return SessionResult(True, tuple(others), ends=max(end, clock.now))

    def _crash(self, server_node: MTA, client: Sender, sid: str, message: Outgoing,
               recipients: list[str]) -> SessionResult:
        """The server stored the message, then crashed before its 250 reached the client.

        The client cannot know the message arrived, so it keeps it and will send it
        again: the one way SMTP can deliver twice (RFC 5321 §6.1). The trace labels it.
        """
        server_node.crash_after_data -= 1
        host = server_node.name
        self.record(NodeState(self.now, host, "crashed"))
        if self.full:
            self.trace.append(SessionClosed(self.now, host, client.name, sid,
                                            "server crashed before its 250 reached the client"))
        self.record(Duplicated(self.now, client.name, message.id, host))
        lost = Reply.of(421, "Connection lost after the end of DATA; the message may have "
                             "been delivered", "4.4.2")
        return SessionResult(True, tuple(RecipientResult(0, r, lost, "content")
                                         for r in recipients))

    # --------------------------------------------------------------- HTTP (API)
    def http_request(self, app: App, host: str, payload: dict[str, Any]
                     ) -> Generator[Any, Any, None]:
        """An app's JSON API request to a gateway, recorded like a dialog (port 443)."""
        import json

        gateway = self.nodes.get(host)
        latency = self.latency(app.name, host)
        yield self.clock.timeout(latency)
        if not isinstance(gateway, Gateway) or not self.is_up(host):
            app.responses.append((0, "connection refused"))
            return
        sid = self.new_session_id()
        self.record(SessionOpened(self.now, host, app.name, sid, 443))
        body = json.dumps(payload, ensure_ascii=False)
        request = ["POST /v3/mail/send HTTP/1.1", f"Host: {host}",
                   "Authorization: Bearer " + app.token[:4] + "…",
                   "Content-Type: application/json", f"Content-Length: {len(body.encode())}",
                   "", body]
        for text in request:
            self.record(DialogLine(self.now, host, app.name, sid, "C", text, "HTTP"))
        status, reply = yield from gateway.http_send(app.name, app.token, payload)
        yield self.clock.timeout(latency)
        reason = {202: "Accepted", 400: "Bad Request", 401: "Unauthorized",
                  403: "Forbidden"}.get(status, "")
        for text in (f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", "",
                     reply):
            self.record(DialogLine(self.now, host, app.name, sid, "S", text, "HTTP"))
        self.record(SessionClosed(self.now, host, app.name, sid, "HTTP response"))
        app.responses.append((status, reply))

    # ---------------------------------------------------------------- summaries
    def senders(self) -> Iterable[Sender]:
        return (n for n in self.nodes.values() if isinstance(n, Sender))
