"""A sans-IO POP3 engine (RFC 1939): how a user agent downloads its mail.

SMTP only *pushes* mail: hop by hop it reaches the recipient's mailbox, and there it
stops. The recipient's user agent then *pulls* it, with POP3 (this package) or IMAP
(:mod:`smtpsim.imap`). POP3 is the older and simpler of the two: log in, list, download,
and usually delete, so the mail then lives on one device only. Deletions happen only
when the session ends with ``QUIT``; a dropped connection deletes nothing.

* :class:`Pop3Server` - the server side: answers every command from the mail store.
* :class:`Pop3Fetcher` - a complete client session, as a mail client checks mail.
* :data:`TRANSITIONS` - the state machine, as data (the state diagram is drawn from it).
* :func:`explain_command`, :func:`explain_response` - what each line means.

Run the two against each other with :func:`smtpsim.wire.talk`; serve the server on a
socket with ``smtpsim serve --pop3-port``.
"""

from __future__ import annotations

from ._client import Pop3Fetcher
from ._events import ConnectionClosed, LoggedIn, LoginFailed, Marked, Pop3Event, Retrieved, Updated
from ._explain import COMMANDS, RESPONSE_CODES, explain_command, explain_response
from ._server import CAPABILITIES, Pop3Limits, Pop3Server
from ._state import MULTILINE, TRANSITIONS, State, allowed, next_state, where_allowed

__all__ = [
    "CAPABILITIES",
    "COMMANDS",
    "MULTILINE",
    "RESPONSE_CODES",
    "TRANSITIONS",
    "ConnectionClosed",
    "LoggedIn",
    "LoginFailed",
    "Marked",
    "Pop3Event",
    "Pop3Fetcher",
    "Pop3Limits",
    "Pop3Server",
    "Retrieved",
    "State",
    "Updated",
    "allowed",
    "explain_command",
    "explain_response",
    "next_state",
    "where_allowed",
]
