"""A sans-IO IMAP engine (RFC 9051, IMAP4rev2): how a user agent reads mail kept on the server.

SMTP pushes mail to the recipient's mailbox; the user agent then pulls it, with POP3
(:mod:`smtpsim.pop3`) or IMAP (this package). POP3 downloads and usually deletes, so
the mail ends up on one device. IMAP leaves it on the server and works on it there:
the client asks for just the parts it needs (the list of senders and subjects, then
one message), sets flags such as ``\\Seen`` that every other device sees, and can wait
in ``IDLE`` for new mail to be announced. That is why a phone and a laptop can read
the same inbox.

* :class:`ImapServer` - the server side: answers every command from the mail store.
* :class:`ImapFetcher` - a complete client session, as a mail client checks mail.
* :data:`TRANSITIONS` - the state machine, as data (the state diagram is drawn from it).
* :func:`explain_command`, :func:`explain_response` - what each line means.
* :func:`read` - IMAP's tokens (atoms, quoted strings, literals, lists), read from bytes.

Run the two against each other with :func:`smtpsim.wire.talk`; serve the server on a
socket with ``smtpsim serve --imap-port``.
"""

from __future__ import annotations

from ._client import ImapFetcher
from ._events import (
    ConnectionClosed,
    Expunged,
    FlagsChanged,
    ImapEvent,
    LoggedIn,
    LoginFailed,
    Retrieved,
    Selected,
)
from ._explain import COMMANDS, RESPONSE_CODES, UNTAGGED, explain_command, explain_response
from ._server import CAPABILITIES, ImapLimits, ImapServer
from ._state import TRANSITIONS, State, allowed, next_state, where_allowed
from ._syntax import Atom, ImapSyntaxError, SequenceSet, read

__all__ = [
    "CAPABILITIES",
    "COMMANDS",
    "RESPONSE_CODES",
    "TRANSITIONS",
    "UNTAGGED",
    "Atom",
    "ConnectionClosed",
    "Expunged",
    "FlagsChanged",
    "ImapEvent",
    "ImapFetcher",
    "ImapLimits",
    "ImapServer",
    "ImapSyntaxError",
    "LoggedIn",
    "LoginFailed",
    "Retrieved",
    "Selected",
    "SequenceSet",
    "State",
    "allowed",
    "explain_command",
    "explain_response",
    "next_state",
    "read",
    "where_allowed",
]
