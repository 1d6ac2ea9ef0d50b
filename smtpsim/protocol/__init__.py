"""A sans-IO SMTP engine (RFC 5321), in the manner of h11.

No sockets, threads, clocks or asyncio: bytes go in, typed events come out, and your
decisions (replies, commands, message content) come back as the exact bytes for the
wire. The same engine runs inside the simulation, behind a real socket in
:mod:`smtpsim.bridge`, and in the tests.

* :class:`ServerConnection` - the server side: receives commands, you reply.
* :class:`ClientConnection` - the client side: you send commands, it parses replies.
* :class:`MailSender` - a complete client session that delivers messages.
* :data:`TRANSITIONS` - the state machine, as data; :data:`REPLY_RULES` and
  :data:`INTERMEDIATE_REPLIES` - which reply may answer which command;
  :func:`explain` - what a reply means.

STARTTLS is deliberately not offered: smtpsim does not implement TLS, and advertising
an extension it cannot honour would teach the wrong thing.
"""

from __future__ import annotations

from ._client import ClientConnection, ReplyReceived
from ._commands import (
    Auth,
    BadCommand,
    Command,
    Data,
    Ehlo,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    Vrfy,
    parse_address,
    parse_command,
)
from ._commands import (
    AuthData as AuthLine,
)
from ._data import dot_stuff, has_bare_line_ending, normalize_line_endings
from ._dialog import Policy, WireLine, converse
from ._events import (
    NEED_DATA,
    AuthCredentials,
    AuthData,
    ConnectionClosed,
    Envelope,
    MessageReceived,
    MessageRejected,
    NeedData,
    ServerConfig,
    ServerEvent,
)
from ._extensions import (
    COMMANDS,
    EXTENSIONS,
    explain_command,
    explain_extension,
    explain_line,
    explain_lines,
)
from ._replies import ENHANCED_EXPLANATIONS, EXPLANATIONS, Reply, ReplyReader, explain
from ._sender import MailSender, Outgoing, RecipientResult
from ._server import ServerConnection
from ._state import (
    AUTH_DATA,
    CREDENTIALS,
    END_OF_DATA,
    GREETING,
    INTERMEDIATE_REPLIES,
    REPLY_RULES,
    TRANSITIONS,
    State,
    in_sequence,
    next_state,
    reply_allowed,
)

__all__ = [
    "AUTH_DATA",
    "COMMANDS",
    "CREDENTIALS",
    "END_OF_DATA",
    "ENHANCED_EXPLANATIONS",
    "EXPLANATIONS",
    "EXTENSIONS",
    "GREETING",
    "INTERMEDIATE_REPLIES",
    "NEED_DATA",
    "REPLY_RULES",
    "TRANSITIONS",
    "Auth",
    "AuthCredentials",
    "AuthData",
    "AuthLine",
    "BadCommand",
    "ClientConnection",
    "Command",
    "ConnectionClosed",
    "Data",
    "Ehlo",
    "Envelope",
    "Helo",
    "Help",
    "MailFrom",
    "MailSender",
    "MessageReceived",
    "MessageRejected",
    "NeedData",
    "Noop",
    "Outgoing",
    "Policy",
    "Quit",
    "RcptTo",
    "RecipientResult",
    "Reply",
    "ReplyReader",
    "ReplyReceived",
    "Rset",
    "ServerConfig",
    "ServerConnection",
    "ServerEvent",
    "State",
    "Vrfy",
    "WireLine",
    "converse",
    "dot_stuff",
    "explain",
    "explain_command",
    "explain_extension",
    "explain_line",
    "explain_lines",
    "has_bare_line_ending",
    "in_sequence",
    "next_state",
    "normalize_line_endings",
    "parse_address",
    "parse_command",
    "reply_allowed",
]
