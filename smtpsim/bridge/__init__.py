"""The SMTP engine on a real socket: talk to it with telnet, smtplib or swaks.

The simulation runs :class:`~smtpsim.protocol.ServerConnection` over imaginary
links; this package puts the very same engine behind a real TCP port with asyncio,
so what a student types at ``telnet 127.0.0.1 2525`` gets the replies the simulated
servers give, and the dialog lands in the same kind of trace.

* :class:`SMTPBridge` - the server: one task per connection, a ``decide`` policy hook,
  a ``deliver`` hook, connection and idle limits (:class:`Limits`), a trace.
* :class:`Maildir` - store accepted mail as files, with a ``Return-Path`` header.
* :func:`send_over_socket` - the client engine (:class:`~smtpsim.protocol.MailSender`)
  delivering to any SMTP server.
* :class:`JsonlTraceFile` - stream the trace to a JSON Lines file.
* :class:`BridgeThread` - run a bridge in a background thread (scripts, tests).
* :class:`RetrievalServer` - POP3 or IMAP on a socket, so a mail client can fetch
  what arrived; :class:`MaildirAccounts` - one Maildir per account behind it.

Only loopback is used by default: this is a teaching server, not an open relay.
"""

from __future__ import annotations

from ._client import send_over_socket
from ._maildir import Maildir, with_return_path
from ._output import LinePrinter, printable
from ._retrieval import PROTOCOLS, MaildirAccounts, RetrievalEngine, RetrievalServer
from ._scenario import ScenarioServer
from ._server import Deliver, Limits, SMTPBridge, StoredMessage
from ._session import Decide
from ._thread import BridgeThread
from ._tracefile import JsonlTraceFile

__all__ = [
    "PROTOCOLS",
    "BridgeThread",
    "Decide",
    "Deliver",
    "JsonlTraceFile",
    "Limits",
    "LinePrinter",
    "Maildir",
    "MaildirAccounts",
    "RetrievalEngine",
    "RetrievalServer",
    "SMTPBridge",
    "ScenarioServer",
    "StoredMessage",
    "printable",
    "send_over_socket",
    "with_return_path",
]
