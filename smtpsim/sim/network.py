"""The network: it assembles the world and keeps it.

A :class:`Network` holds the nodes, the links between them (each with a latency,
perhaps down for a while), the DNS zone, the clock and the trace. It is the
:class:`~smtpsim.sim.world.World` every node lives in: nodes ask it the time, record
to its trace, take fresh ids from it, and reach each other through it (the sessions
themselves are in :mod:`smtpsim.sim.session`). It never looks at a node's type: a
node says what it serves and what it holds (:class:`~smtpsim.sim.Node`).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..trace import Keep, NetworkDescribed, NodeState, Trace, TraceEvent
from .clock import Clock, Event, Process
from .dns import Zone
from .engines import PLAIN, Engines
from .node import Node
from .queue import RetryPolicy
from .session import SessionResult
from .world import HttpServer, MailboxService, SmtpServer

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


class Network:
    """A simulated email world.

    Args:
        seed: seeds the one random generator (MX order among equal preferences).
        keep: ``"all"`` to trace every line, ``"summary"`` to keep only outcomes,
            ``"counts"`` to keep nothing but counts (load tests; listeners still see all).
        start: the wall-clock date that simulated time 0 stands for.
        retry: the default retry schedule of every queue.
        default_latency: one-way latency between nodes with no explicit link.
        engines: the engines it runs (:data:`~smtpsim.sim.engines.PLAIN` unless the
            speed layer gives others; see :mod:`smtpsim.sim.engines`).
    """

    def __init__(self, *, seed: int = 0, keep: Keep = "all",
                 start: datetime = DEFAULT_START, retry: RetryPolicy | None = None,
                 default_latency: float = 0.05, title: str = "network",
                 engines: Engines = PLAIN) -> None:
        self.clock = Clock()
        self.engines = engines
        self.trace = Trace(keep)
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
        self._described = False
        self._addresses: dict[str, str] = {}  # given to nodes the zone has no A record of

    # ------------------------------------------------------------------ building
    def add(self, node: Node) -> Node:
        """Add ``node``, and the nodes that come with it (an MTA's MDA, an MDA's
        mailboxes). A mail queue without a retry schedule of its own takes the
        network's."""
        if node.name in self.nodes:
            raise ValueError(f"a node named {node.name!r} already exists")
        node.join(self)
        self.nodes[node.name] = node
        queue = node.mail_queue()
        if queue is not None and queue.retry is None:
            queue.retry = self.retry
        for part in node.parts():
            if part.name not in self.nodes:
                self.add(part)
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
            yield self.timeout(start - self.now)
            self.record(NodeState(self.now, name, "down"))
            if end != float("inf"):
                yield self.timeout(end - self.now)
                self.record(NodeState(self.now, name, "up"))

        self.process(announce())

    # ---------------------------------------------------------------- the wires
    def is_up(self, name: str, at: float | None = None) -> bool:
        down = self.down.get(name)
        if not down:
            return True
        t = self.now if at is None else at
        return not any(s <= t < e for s, e in down)

    def latency(self, a: str, b: str) -> float:
        """The one-way latency between ``a`` and ``b`` (their link's, or the default)."""
        link = self.links.get(frozenset((a, b)))
        return link.latency if link else self.default_latency

    def link_up(self, a: str, b: str) -> bool:
        link = self.links.get(frozenset((a, b)))
        if link is None or not link.down:
            return True
        now = self.now
        return not any(s <= now < e for s, e in link.down)

    def reachable(self, client: str, host: str) -> bool:
        """Whether ``host`` is up, and the link from ``client`` to it too, now."""
        return self.is_up(host) and self.link_up(client, host)

    def has_node(self, name: str) -> bool:
        return name in self.nodes

    def smtp_server(self, host: str) -> SmtpServer | None:
        node = self.nodes.get(host)
        return node.smtp_server() if node is not None else None

    def http_server(self, host: str) -> HttpServer | None:
        node = self.nodes.get(host)
        return node.http_server() if node is not None else None

    def mailbox_service(self, host: str) -> MailboxService | None:
        node = self.nodes.get(host)
        return node.mailbox_service() if node is not None else None

    # ------------------------------------------------------------------- the clock
    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.clock.now

    def timeout(self, delay: float) -> Event:
        """An event ``delay`` seconds from now (a process yields it to wait)."""
        return self.clock.timeout(delay)

    def process(self, generator: Process) -> Event:
        """Start a process."""
        return self.clock.process(generator)

    def date(self, t: float | None = None) -> datetime:
        """The wall-clock date at simulated time ``t`` (default: now)."""
        return self.start + timedelta(seconds=self.clock.now if t is None else t)

    def at(self, t: float, action: Callable[[], Any]) -> None:
        """Run ``action()`` at simulated time ``t`` (used for scheduled messages)."""
        def proc() -> Generator[Any, Any, None]:
            yield self.timeout(t - self.now)
            action()

        self.process(proc())

    def run(self, until: float | None = None, *, gc_batch: bool | None = None) -> None:
        """Run the simulation until time ``until``, or until nothing is left to do.

        ``gc_batch=True`` batches the garbage collector for the run (see
        :func:`smtpsim.sim.clock.batched_gc`): worth it for a long full-trace run.
        By default the network's engines say (``engines.gc_batch``).
        """
        if gc_batch is None:
            gc_batch = self.engines.gc_batch
        if not self._described:
            self.record_description()
        self.clock.run(until, gc_batch=gc_batch)

    def finish(self) -> None:
        """Record every message still in a queue (end of run): nothing is ever lost."""
        for node in self.nodes.values():
            queue = node.mail_queue()
            if queue is not None:
                queue.finish()

    # ------------------------------------------------------------------- the trace
    def record(self, event: TraceEvent) -> None:
        """Append ``event`` to the trace (the only way anything is written to it).

        The first record of a run is always the network's description.
        """
        if not self._described:
            self.record_description()
        self.trace.append(event)

    def record_description(self) -> None:
        """Record the network's description now, if nothing has been recorded yet."""
        if not self._described:
            self._described = True
            self.trace.append(self.describe())

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

    # -------------------------------------------------------------- the addresses
    def address(self, name: str) -> str:
        """The IPv4 address of the node ``name``.

        Its A record, if the zone has one. Otherwise an address from the ranges set
        aside for documentation (RFC 5737), given in the order the nodes were added:
        ``203.0.113.10``, ``.11`` ... for user agents and apps (the clients),
        ``198.51.100.10`` ... for the servers; ``192.0.2.53`` for the DNS. Received
        headers and packet captures use the same addresses.
        """
        found = self.zone.lookup_a(name)
        if found is not None:
            return found
        if name not in self._addresses:
            self._give_addresses()
        return self._addresses.get(name, "192.0.2.1")

    def _give_addresses(self) -> None:
        taken = set(self.zone.a.values()) | set(self._addresses.values())
        pools = {"client": ("203.0.113.", 10), "server": ("198.51.100.", 10)}
        names = [(n.name, "client" if n.kind in ("user_agent", "app") else "server")
                 for n in self.nodes.values() if n.kind != "mailbox"]
        names.append((self._dns_name(), "dns"))
        for name, pool in names:
            if name in self._addresses or self.zone.lookup_a(name) is not None:
                continue
            if pool == "dns" and "192.0.2.53" not in taken:
                address = "192.0.2.53"
            else:
                prefix, n = pools["server" if pool == "dns" else pool]
                while f"{prefix}{n}" in taken:
                    n += 1
                address = f"{prefix}{n}"
                pools["server" if pool == "dns" else pool] = (prefix, n + 1)
            self._addresses[name] = address
            taken.add(address)

    def _dns_name(self) -> str:
        dns = DNS_NODE  # a scenario may have used the name for a host of its own
        while dns in self.nodes:
            dns = f"({dns})"
        return dns

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
            if not node.asks_dns():
                continue
            for domain, records in self.zone.mx.items():
                if not node.routes_by_mx(domain):
                    continue
                for _, host in records:
                    key = frozenset((node.name, host))
                    if host in self.nodes and host != node.name and key not in links:
                        links[key] = (node.name, host, 25, "SMTP", self.latency(node.name, host))
        # The DNS, which every relay that routes by MX asks (port 53).
        askers = [n.name for n in self.nodes.values() if n.asks_dns()]
        if askers and (self.zone.mx or self.zone.a):
            dns = self._dns_name()
            nodes += ((dns, "dns", ""),)
            for name in askers:
                links[frozenset((name, dns))] = (name, dns, 53, "DNS", 0.0)
        addresses = tuple((name, self.address(name)) for name, kind, _ in nodes
                          if kind != "mailbox")
        return NetworkDescribed(0.0, self.title, nodes, tuple(links.values()), self.title,
                                addresses, self.start.isoformat())
