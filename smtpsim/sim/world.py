"""The world a node lives in: the small interface every node talks to.

A node (a user agent, an MTA, a mailbox ...) never reaches into the
:class:`~smtpsim.sim.Network` that holds it. It asks its :class:`World` for what a real
host would have around it:

* the clock: what time it is (``now``), waiting (``timeout``), starting a background
  task (``process``);
* the trace: ``record(event)``, the one way anything is written to it;
* fresh names: trace ids for messages (``m1``), session ids (``s1``), Message-IDs;
* the DNS zone, the run's seeded random generator and the wall-clock date;
* the engines it runs (:mod:`smtpsim.sim.engines`): who writes new messages;
* the wires, which :mod:`smtpsim.sim.session` and :mod:`smtpsim.sim.retrieval` use
  to reach another node: how far it is, whether it is up, and what it serves.

The other direction is here too: what the world may ask of a node that serves others.
:class:`SmtpServer` is a node that answers SMTP (an MTA, a submission server),
:class:`HttpServer` one that answers the HTTP send API (a gateway),
:class:`MailboxService` one that lets users fetch their mail (POP3, IMAP). A node says what it
serves through :meth:`~smtpsim.sim.Node.smtp_server` and
:meth:`~smtpsim.sim.Node.http_server`, so nothing needs to test its type.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..mailstore import Accounts
from ..protocol import Reply, ServerConfig, ServerEvent
from ..trace import TraceEvent
from .clock import Event, Process
from .dns import Zone
from .engines import Engines

__all__ = ["HttpServer", "MailboxService", "SessionContext", "SmtpServer", "World"]


class World(Protocol):
    """What a node may use of the world it lives in (a :class:`~smtpsim.sim.Network`
    is one)."""

    #: The DNS records every node can look up.
    zone: Zone
    #: The run's one seeded random generator (MX hosts of equal preference).
    rng: random.Random
    #: How long a hand-over inside one host takes (an MTA to its MDA), in seconds.
    local_delay: float
    #: The engines this world runs (the plain ones unless given others).
    engines: Engines

    # -- the clock -----------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since the start."""

    def timeout(self, delay: float) -> Event:
        """An event ``delay`` seconds from now: a process yields it to wait."""

    def process(self, generator: Process) -> Event:
        """Start ``generator`` as a process running beside the others."""

    # -- the trace -------------------------------------------------------------------
    def record(self, event: TraceEvent) -> None:
        """Write ``event`` to the trace (the only way anything is written to it)."""

    # -- names -----------------------------------------------------------------------
    def new_trace_id(self) -> str:
        """A fresh trace id (``m1``, ``m2`` ...) for a message entering the network."""

    def new_session_id(self) -> str:
        """A fresh session id (``s1``, ``s2`` ...) for a connection."""

    def new_message_id(self, domain: str) -> str:
        """A fresh, deterministic Message-ID for a message made at ``domain``."""

    def date(self, t: float | None = None) -> datetime:
        """The wall-clock date at simulated time ``t`` (default: now)."""

    # -- the wires (what smtpsim.sim.session uses to reach another node) ---------------
    def address(self, name: str) -> str:
        """The IPv4 address of the node ``name`` (its A record, or one given to it)."""

    def has_node(self, name: str) -> bool:
        """Whether a node of that name exists at all (else: "Host not found")."""

    def latency(self, a: str, b: str) -> float:
        """The one-way latency between ``a`` and ``b``, in seconds."""

    def reachable(self, client: str, host: str) -> bool:
        """Whether ``host`` is up and the link from ``client`` to it too, now."""

    def smtp_server(self, host: str) -> SmtpServer | None:
        """The node ``host`` as an SMTP server, or None if it serves no SMTP."""

    def http_server(self, host: str) -> HttpServer | None:
        """The node ``host`` as an HTTP API server, or None if it serves none."""

    def mailbox_service(self, host: str) -> MailboxService | None:
        """The node ``host`` as a POP3/IMAP mailbox server, or None if it is none."""


@dataclass
class SessionContext:
    """What a server knows about one incoming connection."""

    id: str
    client: str
    client_ip: str
    port: int
    authenticated: str | None = None
    #: The sender of the transaction under way (MAIL FROM), for greylisting.
    mail_from: str = ""


class SmtpServer(Protocol):
    """A node that serves SMTP: what a session asks of the server it connects to."""

    name: str

    @property
    def port(self) -> int:
        """25 for an MTA, 587 for a submission server."""

    def server_config(self) -> ServerConfig:
        """The configuration of the server engine for a new connection."""

    def greeting(self) -> Reply | None:
        """The first reply to a new connection; None for the usual ``220``."""

    def decide(self, ctx: SessionContext, event: ServerEvent) -> Reply | None:
        """This server's policy: the reply to ``event``, or None for the default."""

    def accept(self, ctx: SessionContext, sender: str, rcpts: Sequence[str], content: bytes,
               queue_id: str, helo: str, esmtp: bool, *, smtputf8: bool = False,
               msg: str | None = None) -> str:
        """Take the message its 250 to the end of DATA accepted; returns its trace id."""

    def crashes_before_reply(self) -> bool:
        """Whether it crashes now, after storing a message and before its 250 leaves
        (a fault a lesson sets up: the client will send the message again)."""


class HttpServer(Protocol):
    """A node that serves the HTTP send API (a gateway)."""

    name: str

    def http_send(self, client: str, token: str, payload: dict[str, Any]
                  ) -> Generator[Any, Any, tuple[int, str]]:
        """Handle one request (a process step); returns ``(status, JSON body)``."""


class MailboxService(Protocol):
    """A node that serves mailboxes over POP3 and IMAP (a mailbox server)."""

    name: str
    #: Who may log in, and their maildrops.
    accounts: Accounts

    def serves(self, protocol: str) -> bool:
        """Whether it answers ``protocol`` (``"POP3"`` or ``"IMAP"``)."""

    def mailbox_of(self, user: str) -> str:
        """The name of the mailbox node the account ``user`` reads (``""`` if none)."""
