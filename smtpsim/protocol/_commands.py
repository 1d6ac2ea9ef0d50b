"""SMTP commands: what a client says, as typed objects, and how lines become them.

Every command is a small frozen dataclass named after its RFC 5321 verb
(:class:`Ehlo`, :class:`MailFrom`, :class:`RcptTo`, :class:`Data` ...). The client
turns one into wire bytes with :meth:`Command.to_bytes`; the server turns a received
line back into one with :func:`parse_command`, or into a :class:`BadCommand` that
carries the reply the server should send (500, 501, 553 ...).

Addresses follow RFC 5321 §4.1.2: ``<local-part@domain>`` in angle brackets, the
local part a dot-string or quoted string, the domain a host name or an address literal
like ``[192.0.2.1]``. ``<>`` (the null reverse-path) is allowed only in MAIL FROM: it
marks a bounce, which must never be bounced again. With SMTPUTF8 (RFC 6531) addresses
may hold UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ..errors import LocalProtocolError
from ._replies import Reply

__all__ = [
    "Auth",
    "AuthData",
    "BadCommand",
    "Command",
    "Data",
    "Ehlo",
    "Helo",
    "Help",
    "MailFrom",
    "Noop",
    "Quit",
    "RcptTo",
    "Rset",
    "Vrfy",
    "parse_address",
    "parse_command",
]

# ---------------------------------------------------------------------------
# The grammar of RFC 5321 §4.1.2, as regular expressions.
# ---------------------------------------------------------------------------
_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]"
_ATEXT_UTF8 = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff]"
_QSTRING = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_QSTRING_UTF8 = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\U0010ffff]|\\[\x20-\x7e])*"'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_U = r"\u0080-\U0010ffff"
_LABEL_UTF8 = rf"[A-Za-z0-9{_U}](?:[A-Za-z0-9\-{_U}]*[A-Za-z0-9{_U}])?"
_LITERAL = r"\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]"


def _mailbox_source(atext: str, qstring: str, label: str) -> str:
    """The pattern of a whole mailbox, ``local-part@domain``, from its parts."""
    local = rf"(?:{atext}+(?:\.{atext}+)*|{qstring})"
    domain = rf"(?:{label}(?:\.{label})*|{_LITERAL})"
    return rf"^{local}@{domain}$"


_MAILBOX = re.compile(_mailbox_source(_ATEXT, _QSTRING, _LABEL))
#: The SMTPUTF8 mailbox (RFC 6531), kept as a pattern's text: its character classes
#: reach U+10FFFF, which takes ``re`` some 20 ms to compile, and most programs never
#: see a UTF-8 address, so ``re.match`` compiles it on first use (and ``re`` keeps it).
_MAILBOX_UTF8 = _mailbox_source(_ATEXT_UTF8, _QSTRING_UTF8, _LABEL_UTF8)
#: Characters no address may hold, even with SMTPUTF8: C0 and C1 controls and DEL
#: (control codes, not text: U+009B is a terminal's escape sequence), and the
#: invisible bidirectional controls (U+200E/U+200F, U+202A-U+202E, U+2066-U+2069),
#: which make an address *display* as another one (Unicode TR #36; the "Trojan
#: Source" trick, CVE-2021-42574). Refused with 553 and 5.1.7 / 5.1.3 (RFC 3463).
_FORBIDDEN_IN_ADDRESS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_DOMAIN = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|{_LITERAL})$")
_ESMTP_KEYWORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*$")
#: RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain.
_MAX_LOCAL, _MAX_DOMAIN = 64, 255


def parse_address(text: str, *, utf8: bool = False, null_ok: bool = False) -> str:
    """Check a path like ``<bob@example.org>`` and return the address inside.

    A source route (``<@relay:bob@example.org>``) is accepted and dropped, as RFC 5321
    §4.1.1.3 tells servers to do. ``<postmaster>`` (no domain) is allowed, as §4.5.1
    requires.

    Args:
        text: the path, angle brackets included.
        utf8: allow UTF-8 in the address (the SMTPUTF8 extension is in use).
        null_ok: allow the null path ``<>`` (only in MAIL FROM).

    Returns:
        The bare address, ``""`` for the null path.

    Raises:
        ValueError: the path is malformed; the message says how.
    """
    if not (text.startswith("<") and text.endswith(">")):
        raise ValueError("the address must be written in angle brackets, like <bob@example.org>")
    inner = text[1:-1]
    if inner == "":
        if null_ok:
            return ""
        raise ValueError("the null address <> is only allowed in MAIL FROM")
    if inner.startswith("@"):  # source route: "@a,@b:user@domain"
        _, sep, inner = inner.partition(":")
        if not sep:
            raise ValueError("malformed source route")
    if inner.lower() == "postmaster":
        return inner
    if utf8:
        bad = _FORBIDDEN_IN_ADDRESS.search(inner)
        if bad is not None:
            raise ValueError(f"the address holds the control character "
                             f"U+{ord(bad.group()):04X}, which no address may hold")
    if not (re.match(_MAILBOX_UTF8, inner) if utf8 else _MAILBOX.match(inner)):
        if not utf8 and not inner.isascii():
            raise ValueError("non-ASCII addresses need the SMTPUTF8 extension")
        raise ValueError(f"{inner!r} is not a valid mailbox (local-part@domain)")
    local, _, domain = inner.rpartition("@")
    if len(local.encode()) > _MAX_LOCAL:
        raise ValueError("the local part is longer than 64 octets")
    if len(domain.encode()) > _MAX_DOMAIN:
        raise ValueError("the domain is longer than 255 octets")
    return inner


def _format_params(params: tuple[tuple[str, str | None], ...]) -> str:
    """`` K=V K2`` for ``(("K", "V"), ("K2", None))``: the parameters after a path."""
    return "".join(f" {k}={v}" if v is not None else f" {k}" for k, v in params)


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """Base class of every SMTP command. Don't instantiate it directly."""

    verb: ClassVar[str] = ""

    def to_line(self) -> str:
        """The command line as text, without CRLF."""
        return self.verb

    def to_bytes(self) -> bytes:
        """The command line as it goes on the wire, CRLF included.

        Raises:
            LocalProtocolError: a field holds CR or LF, which would smuggle a second
                command onto the wire (``Helo("x\\r\\nMAIL FROM:<...>")``).
        """
        line = self.to_line()
        if "\r" in line or "\n" in line:
            raise LocalProtocolError(f"a command line may not contain CR or LF: {line!r}")
        return (line + "\r\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class Helo(Command):
    """``HELO domain``: the original greeting (RFC 821). The server answers 250 and no
    extensions are used."""

    verb: ClassVar[str] = "HELO"
    domain: str

    def to_line(self) -> str:
        return f"HELO {self.domain}"


@dataclass(frozen=True, slots=True)
class Ehlo(Command):
    """``EHLO domain``: the extended greeting. The server's 250 reply lists the
    extensions it supports (SIZE, PIPELINING, AUTH ...), one per line."""

    verb: ClassVar[str] = "EHLO"
    domain: str

    def to_line(self) -> str:
        return f"EHLO {self.domain}"


@dataclass(frozen=True, slots=True)
class MailFrom(Command):
    """``MAIL FROM:<address>``: starts a mail transaction and names the envelope sender
    (the reverse-path, where bounces go). ``""`` is the null sender ``<>``.

    ``params`` are ESMTP parameters such as ``(("SIZE", "1024"), ("BODY", "8BITMIME"))``.
    """

    verb: ClassVar[str] = "MAIL"
    address: str
    params: tuple[tuple[str, str | None], ...] = ()

    def to_line(self) -> str:
        return f"MAIL FROM:<{self.address}>{_format_params(self.params)}"

    def param(self, name: str) -> str | None:
        """The value of parameter ``name`` (case-insensitive); ``""`` if it has none."""
        for k, v in self.params:
            if k.upper() == name.upper():
                return v if v is not None else ""
        return None


@dataclass(frozen=True, slots=True)
class RcptTo(Command):
    """``RCPT TO:<address>``: adds one recipient (a forward-path) to the transaction.
    Sent once per recipient; the server accepts or refuses each one separately."""

    verb: ClassVar[str] = "RCPT"
    address: str
    params: tuple[tuple[str, str | None], ...] = ()

    def to_line(self) -> str:
        return f"RCPT TO:<{self.address}>{_format_params(self.params)}"


@dataclass(frozen=True, slots=True)
class Data(Command):
    """``DATA``: asks to send the message itself. After a 354 reply the client sends
    the content and ends it with a line holding only a dot."""

    verb: ClassVar[str] = "DATA"


@dataclass(frozen=True, slots=True)
class Rset(Command):
    """``RSET``: abandons the current transaction (sender, recipients, content)."""

    verb: ClassVar[str] = "RSET"


@dataclass(frozen=True, slots=True)
class Noop(Command):
    """``NOOP``: does nothing but get a 250; keeps a connection alive."""

    verb: ClassVar[str] = "NOOP"
    text: str = ""

    def to_line(self) -> str:
        return f"NOOP {self.text}" if self.text else "NOOP"


@dataclass(frozen=True, slots=True)
class Vrfy(Command):
    """``VRFY name``: asks whether a user exists. Most servers answer 252 ("cannot
    verify") so that spammers cannot harvest addresses."""

    verb: ClassVar[str] = "VRFY"
    argument: str

    def to_line(self) -> str:
        return f"VRFY {self.argument}"


@dataclass(frozen=True, slots=True)
class Help(Command):
    """``HELP [topic]``: asks the server for help text (reply 214)."""

    verb: ClassVar[str] = "HELP"
    topic: str = ""

    def to_line(self) -> str:
        return f"HELP {self.topic}" if self.topic else "HELP"


@dataclass(frozen=True, slots=True)
class Quit(Command):
    """``QUIT``: ends the session; the server answers 221 and closes the connection."""

    verb: ClassVar[str] = "QUIT"


@dataclass(frozen=True, slots=True)
class Auth(Command):
    """``AUTH mechanism [initial-response]`` (RFC 4954): logs in, on a submission
    server. PLAIN sends base64("\\0user\\0password"); LOGIN sends the user name and the
    password one at a time, each answering a 334 challenge."""

    verb: ClassVar[str] = "AUTH"
    mechanism: str
    initial_response: str | None = None

    def to_line(self) -> str:
        if self.initial_response is None:
            return f"AUTH {self.mechanism}"
        return f"AUTH {self.mechanism} {self.initial_response or '='}"


@dataclass(frozen=True, slots=True)
class AuthData(Command):
    """A line of base64 the client sends in answer to a 334 challenge during AUTH
    (``*`` cancels the exchange)."""

    verb: ClassVar[str] = ""
    text: str

    def to_line(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class BadCommand:
    """A line the server could not accept as a command here.

    ``reply`` is the error the server must answer with (500 unknown or too long, 501
    bad syntax, 503 out of sequence, 553 bad address ...). SMTP carries on after it.
    """

    line: str
    reply: Reply
    verb: str = ""


def _err(line: str, code: int, enhanced: str, text: str, verb: str = "") -> BadCommand:
    return BadCommand(line, Reply.of(code, text, enhanced), verb)


def _split_params(rest: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """Split ``<path> K=V K2`` into the path and its ESMTP parameters."""
    rest = rest.strip(" ")
    # The path ends at the first '>' that closes it; quoted local parts may hold spaces.
    end = rest.find(">")
    if rest.startswith("<") and end >= 0:
        path, tail = rest[: end + 1], rest[end + 1 :]
    else:
        path, _, tail = rest.partition(" ")
    params: list[tuple[str, str | None]] = []
    for item in tail.split():
        key, eq, value = item.partition("=")
        if not _ESMTP_KEYWORD.match(key) or (eq and not value):
            raise ValueError(f"malformed parameter {item!r}")
        params.append((key.upper(), value if eq else None))
    return path, tuple(params)


def _parse_path_command(line: str, upper: str, rest: str, utf8_ok: bool
                        ) -> MailFrom | RcptTo | BadCommand:
    """``MAIL FROM:<path> [params]`` or ``RCPT TO:<path> [params]`` (RFC 5321 §4.1.1.2,
    §4.1.1.3). A bad address is 553 with RFC 3463's 5.1.7 (sender) or 5.1.3
    (recipient); one that needs SMTPUTF8 without it, 553 5.6.7 (RFC 6531)."""
    want = "FROM:" if upper == "MAIL" else "TO:"
    if rest[: len(want)].upper() != want:
        return _err(line, 501, "5.5.4", f"Syntax: {upper} {want}<address>", upper)
    try:
        path, params = _split_params(rest[len(want):])
    except ValueError as exc:
        return _err(line, 501, "5.5.4", f"Syntax error in parameters: {exc}", upper)
    wants_utf8 = upper == "RCPT" or any(k == "SMTPUTF8" for k, _ in params)
    try:
        address = parse_address(path, utf8=utf8_ok and wants_utf8, null_ok=upper == "MAIL")
    except ValueError as exc:
        if "SMTPUTF8" in str(exc):
            return _err(line, 553, "5.6.7", f"Address not accepted: {exc}", upper)
        code = 501 if "angle brackets" in str(exc) else 553
        return _err(line, code, "5.1.7" if upper == "MAIL" else "5.1.3",
                    f"Bad address syntax: {exc}", upper)
    return MailFrom(address, params) if upper == "MAIL" else RcptTo(address, params)


def parse_command(line: str, *, utf8_ok: bool = False, auth_mechanisms: tuple[str, ...] = ()
                  ) -> Command | BadCommand:
    """Parse one command line (without CRLF) the way a server must.

    Args:
        line: the received line, decoded as UTF-8.
        utf8_ok: the server advertises SMTPUTF8, so addresses may hold UTF-8 when the
            client asks for it.
        auth_mechanisms: the AUTH mechanisms the server offers ("PLAIN", "LOGIN").

    Returns:
        The command, or a :class:`BadCommand` carrying the error reply.
    """
    verb, _, rest = line.partition(" ")
    # Verbs are ASCII: "maıl".upper() is "MAIL" in Python, but not in SMTP.
    upper = verb.upper() if verb.isascii() else ""
    if upper in ("HELO", "EHLO"):
        domain = rest.strip()
        if not domain:
            return _err(line, 501, "5.5.4", f"Syntax: {upper} hostname", upper)
        if not (_DOMAIN.match(domain) or (utf8_ok and domain and " " not in domain)):
            return _err(line, 501, "5.5.4", f"{upper}: invalid hostname {domain!r}", upper)
        return Helo(domain) if upper == "HELO" else Ehlo(domain)
    if upper in ("MAIL", "RCPT"):
        return _parse_path_command(line, upper, rest, utf8_ok)
    if upper in ("DATA", "RSET", "QUIT"):
        if rest.strip():
            return _err(line, 501, "5.5.4", f"Syntax: {upper} (no arguments)", upper)
        return {"DATA": Data, "RSET": Rset, "QUIT": Quit}[upper]()
    if upper == "NOOP":
        return Noop(rest.strip())
    if upper == "HELP":
        return Help(rest.strip())
    if upper == "VRFY":
        if not rest.strip():
            return _err(line, 501, "5.5.4", "Syntax: VRFY address", upper)
        return Vrfy(rest.strip())
    if upper == "AUTH" and auth_mechanisms:
        parts = rest.split()
        if not parts or len(parts) > 2:
            return _err(line, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]", upper)
        mech = parts[0].upper()
        if mech not in auth_mechanisms:
            return _err(line, 504, "5.5.4", f"Unrecognized authentication type {mech}", upper)
        if len(parts) == 1:
            return Auth(mech)
        # RFC 4954 §4: a lone "=" is an initial response that is empty.
        return Auth(mech, "" if parts[1] == "=" else parts[1])
    if upper in ("EXPN", "TURN", "SEND", "SOML", "SAML", "STARTTLS", "BDAT", "ETRN"):
        return _err(line, 502, "5.5.1", f"{upper} not implemented", upper)
    return _err(line, 500, "5.5.2", "Syntax error, command unrecognized", "")


def ensure_command(obj: object) -> Command:
    """Raise :class:`LocalProtocolError` unless ``obj`` is a :class:`Command`."""
    if not isinstance(obj, Command) or type(obj) is Command:
        raise LocalProtocolError(f"{obj!r} is not an SMTP command")
    return obj
