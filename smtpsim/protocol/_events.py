"""What the server engine hands you, and how you configure it.

Theory of operation
-------------------
A :class:`~smtpsim.protocol.ServerConnection` turns the client's bytes into *events*:
a command (from :mod:`._commands`), or one of the records below: credentials to check,
a complete message to accept or refuse, a message already refused, the client gone.
You answer each with a reply. :data:`NEED_DATA` means no complete event is buffered
yet. :class:`Envelope` is what ``MAIL FROM`` and ``RCPT TO`` said, and
:class:`ServerConfig` is what the server offers and enforces (its EHLO keywords and
its limits). They live here, apart from the engine, so that a reader can see the whole
vocabulary of a server dialog in one short file.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import LocalProtocolError
from ._commands import BadCommand, Command
from ._replies import Reply

__all__ = [
    "NEED_DATA",
    "AuthCredentials",
    "AuthData",
    "ConnectionClosed",
    "Envelope",
    "MessageReceived",
    "MessageRejected",
    "NeedData",
    "ServerConfig",
    "ServerEvent",
]


class NeedData(enum.Enum):
    """Returned by ``next_event()`` when no complete event is buffered yet."""

    NEED_DATA = "NEED_DATA"


#: "Feed me more bytes": no complete command is buffered.
NEED_DATA = NeedData.NEED_DATA


@dataclass
class Envelope:
    """The envelope of one mail transaction: who it is from and to, as SMTP says.

    The envelope is *not* the ``From:``/``To:`` headers inside the message. It is what
    ``MAIL FROM`` and ``RCPT TO`` said, and it alone decides where the message goes
    (which is why Bcc works, and why a forged ``From:`` header is possible).
    """

    mail_from: str | None = None
    rcpt_tos: list[str] = field(default_factory=list)
    mail_params: tuple[tuple[str, str | None], ...] = ()
    smtputf8: bool = False
    body: str = "7BIT"


@dataclass(frozen=True, slots=True)
class AuthCredentials:
    """The client has sent complete credentials; you decide: 235 or 535."""

    mechanism: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AuthData:
    """An intermediate step of AUTH LOGIN: the user name arrived, the password is next."""

    mechanism: str
    username: str


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """The content ended with ``<CRLF>.<CRLF>``. ``content`` is the message exactly as
    the client meant it (dots un-stuffed). Reply 250 to take responsibility for it,
    or 4xx/5xx to refuse."""

    envelope: Envelope
    content: bytes


@dataclass(frozen=True, slots=True)
class MessageRejected:
    """The content ended but cannot be accepted (too big, a line over 1000 octets, bare
    CR/LF). ``reply`` is the error to send; the whole message is refused."""

    envelope: Envelope
    reply: Reply


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The client closed the connection. ``discarded`` is True when a transaction was
    under way: its partial message is thrown away, never delivered."""

    discarded: bool = False


ServerEvent = Command | BadCommand | AuthCredentials | AuthData | MessageReceived | \
    MessageRejected | ConnectionClosed


@dataclass(frozen=True)
class ServerConfig:
    """What a server offers and enforces. Every limit has the RFC's or Postfix's default.

    Frozen: a configuration says the same thing for as long as a connection lives. To
    change a field, make a new one: ``dataclasses.replace(config, require_auth=True)``.

    Attributes:
        hostname: the server's name, used in the greeting and the EHLO reply.
        banner: greeting text after the hostname.
        max_message_size: SIZE limit in octets (advertised in EHLO, RFC 1870).
        max_recipients: RCPT TO beyond this gets ``452 4.5.3`` (RFC 5321 §4.5.3.1.8: at
            least 100 must be accepted).
        pipelining, eightbitmime, enhanced_status_codes, smtputf8, help: advertise these.
        auth_mechanisms: SASL mechanisms offered ("PLAIN", "LOGIN"); empty for an MTA.
        require_auth: refuse MAIL before AUTH with ``530 5.7.0`` (a submission server).
        bare_line_endings: ``"reject"`` or ``"normalize"`` (see :mod:`._data`).
        max_command_line: RFC 5321 §4.5.3.1.4: 512 octets including CRLF.
        max_text_line: RFC 5321 §4.5.3.1.6: 1000 octets including CRLF.
        queue_ids: makes the id in ``250 Ok: queued as ...``; a counter by default.
    """

    hostname: str = "smtp.example.com"
    banner: str = "ESMTP smtpsim"
    max_message_size: int = 10_240_000
    max_recipients: int = 100
    pipelining: bool = True
    eightbitmime: bool = True
    enhanced_status_codes: bool = True
    smtputf8: bool = True
    help: bool = True
    auth_mechanisms: tuple[str, ...] = ()
    require_auth: bool = False
    bare_line_endings: str = "reject"
    max_command_line: int = 512
    max_text_line: int = 1000
    queue_ids: Callable[[], str] | None = None

    def __post_init__(self) -> None:
        if self.bare_line_endings not in ("reject", "normalize"):
            raise LocalProtocolError("bare_line_endings must be 'reject' or 'normalize'")

    def extensions(self) -> list[str]:
        """The EHLO keywords this configuration advertises, in the usual order."""
        ext = []
        if self.pipelining:
            ext.append("PIPELINING")
        ext.append(f"SIZE {self.max_message_size}")
        if self.auth_mechanisms:
            ext.append("AUTH " + " ".join(self.auth_mechanisms))
        if self.enhanced_status_codes:
            ext.append("ENHANCEDSTATUSCODES")
        if self.eightbitmime:
            ext.append("8BITMIME")
        if self.smtputf8:
            ext.append("SMTPUTF8")
        if self.help:
            ext.append("HELP")
        return ext

