"""The simulated email network: nodes, links, DNS, queues and a virtual clock.

Build a :class:`Network`, add nodes (:class:`UserAgent`, :class:`SubmissionServer`,
:class:`MTA`, :class:`Gateway`, :class:`MDA`, :class:`Mailbox`, :class:`App`), put
records in ``network.zone``, have users send, and ``run()``. Everything that happens
is in ``network.trace``; :func:`smtpsim.trace.summarize` and
:func:`smtpsim.trace.check_conservation` read it.

The layers, from the bottom up (each module imports only those above it in the list):

* ``clock`` - simulated time (SimPy behind it); ``dns`` - the zone and MX routing;
* ``engines`` - which engines a network runs (plain, or others passed in);
* ``world`` - the small interface a node sees (:class:`World`), and what a server
  offers to it (:class:`SmtpServer`, :class:`HttpServer`, :class:`MailboxService`);
* ``session`` - an SMTP session, or an HTTP request, between two nodes;
  ``retrieval`` - a user agent fetching its mail with POP3 (or IMAP);
* ``bounce`` - when to give up on a recipient, and the DSN sent back;
* ``queue`` - store and forward: the queue entry, the retry schedule, the loop;
* ``node`` - :class:`Node` and :class:`Sender` (a node with a queue);
* ``agents/`` - the textbook's agents: user agent, MSA, MTA, MDA, gateway, and the
  mailbox server (POP3, IMAP);
* ``network`` - assembles it all; ``console`` and ``progress`` drive a network, and
  ``retrieval_console`` lets a person read a mailbox server's mail with POP3 (or IMAP).
"""

from __future__ import annotations

from .agents import (
    MDA,
    MTA,
    App,
    Gateway,
    Mailbox,
    MailboxDeliveryAgent,
    MailboxServer,
    SubmissionServer,
    UserAgent,
)
from .bounce import Failure
from .clock import Clock
from .console import ConsoleSession
from .dns import MailRoute, Zone, mail_route
from .engines import PLAIN, Engines
from .network import Link, Network
from .node import Node, Sender
from .queue import MailQueue, NextHop, QueueEntry, RetryPolicy
from .retrieval import FetchResult, fetch_session
from .retrieval_console import (
    RETRIEVAL_PROTOCOLS,
    Happened,
    RetrievalConsoleSession,
    RetrievalProtocol,
    retrieval_protocol,
)
from .session import SessionResult, http_request, smtp_session
from .world import HttpServer, MailboxService, SessionContext, SmtpServer, World

__all__ = [
    "MDA",
    "MTA",
    "PLAIN",
    "RETRIEVAL_PROTOCOLS",
    "App",
    "Clock",
    "ConsoleSession",
    "Engines",
    "Failure",
    "FetchResult",
    "Gateway",
    "Happened",
    "HttpServer",
    "Link",
    "MailQueue",
    "MailRoute",
    "Mailbox",
    "MailboxDeliveryAgent",
    "MailboxServer",
    "MailboxService",
    "Network",
    "NextHop",
    "Node",
    "QueueEntry",
    "RetrievalConsoleSession",
    "RetrievalProtocol",
    "RetryPolicy",
    "Sender",
    "SessionContext",
    "SessionResult",
    "SmtpServer",
    "SubmissionServer",
    "UserAgent",
    "World",
    "Zone",
    "fetch_session",
    "http_request",
    "mail_route",
    "retrieval_protocol",
    "smtp_session",
]
