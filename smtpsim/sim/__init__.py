"""The simulated email network: nodes, links, DNS, queues and a virtual clock.

Build a :class:`Network`, add nodes (:class:`UserAgent`, :class:`SubmissionServer`,
:class:`MTA`, :class:`Gateway`, :class:`MDA`, :class:`Mailbox`, :class:`App`), put
records in ``network.zone``, have users send, and ``run()``. Everything that happens
is in ``network.trace``; :func:`smtpsim.trace.summarize` and
:func:`smtpsim.trace.check_conservation` read it.
"""

from __future__ import annotations

from .base import Node
from .clock import Clock
from .console import ConsoleSession
from .dns import MailRoute, Zone, mail_route
from .network import Link, Network, SessionResult
from .nodes import (
    MDA,
    MTA,
    App,
    Gateway,
    Mailbox,
    MailboxDeliveryAgent,
    SessionContext,
    SubmissionServer,
    UserAgent,
)
from .queue import QueueEntry, RetryPolicy
from .routing import NextHop, Sender

__all__ = [
    "MDA",
    "MTA",
    "App",
    "Clock",
    "ConsoleSession",
    "Gateway",
    "Link",
    "MailRoute",
    "Mailbox",
    "MailboxDeliveryAgent",
    "Network",
    "NextHop",
    "Node",
    "QueueEntry",
    "RetryPolicy",
    "Sender",
    "SessionContext",
    "SessionResult",
    "SubmissionServer",
    "UserAgent",
    "Zone",
    "mail_route",
]
