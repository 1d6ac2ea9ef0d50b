"""The agents of a mail system, each named and filed as a textbook names it.

* :class:`UserAgent` (``user_agent.py``) - a person's mail program;
* :class:`SubmissionServer` (``msa.py``) - the message submission agent, port 587;
* :class:`MTA` (``mta.py``) - the mail transfer agent, port 25;
* :class:`MDA` and :class:`Mailbox` (``mda.py``) - final delivery;
* :class:`Gateway` and :class:`App` (``gateway.py``) - the edge to HTTP and SMS;
* :class:`MailboxServer` (``mailbox_server.py``) - POP3 and IMAP, where mail is read.
"""

from __future__ import annotations

from .gateway import App, Gateway
from .mailbox_server import MailboxServer
from .mda import MDA, Mailbox, MailboxDeliveryAgent
from .msa import SubmissionServer
from .mta import MTA
from .user_agent import UserAgent

__all__ = ["MDA", "MTA", "App", "Gateway", "Mailbox", "MailboxDeliveryAgent",
           "MailboxServer",
           "SubmissionServer", "UserAgent"]
