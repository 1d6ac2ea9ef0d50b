"""Email messages: building them, stamping them at every hop, and bouncing them.

Theory of operation: an email is a letter in an envelope. The **envelope** (RFC 5321,
``MAIL FROM`` and ``RCPT TO``) is what servers route by; it is never part of the
message. The **message** (RFC 5322) is what ``DATA`` carries: headers, an empty line,
a body, built here with the standard library :mod:`email` package so that any mail
tool reads it. On its way, every hop keeps these rules:

1. A server that accepts a message adds a ``Received:`` line **at the top** and never
   touches what is already there (RFC 5321 §4.4). So :func:`prepend_received` works on
   *bytes*: re-serialising could re-fold earlier headers and break DKIM signatures.
2. The final hop adds ``Return-Path:`` (the envelope sender) and ``Delivered-To:``.
3. Undeliverable mail comes back as an RFC 3464 report (:func:`make_dsn`), sent from
   the null sender ``<>`` so that a bounce can never bounce.
4. The ``Received:`` lines, read bottom-up, retrace the path (:func:`parse_received_chain`).

Everything is deterministic: dates come from the simulation's clock, and identifiers
are hashes of the content, never random.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email import policy as _policy
from email.headerregistry import Address, Group, HeaderRegistry
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import format_datetime, parsedate_to_datetime

__all__ = [
    "RECEIVED_PROTOCOLS",
    "DsnRecipient",
    "Hop",
    "compose",
    "count_received",
    "envelope_recipients",
    "from_bytes",
    "make_dsn",
    "parse_received_chain",
    "prepend_header",
    "prepend_received",
    "received_header",
    "to_bytes",
    "total_transit",
]

#: The ``with`` keywords of a Received line (IANA "Mail Transmission Types"): SMTP and
#: ESMTP (RFC 5321); A = authenticated, S = over TLS, and LMTP (RFC 3848); UTF8* (RFC 6531).
RECEIVED_PROTOCOLS = frozenset(
    ["SMTP"]
    + [f"{p}{x}" for p in ("ESMTP", "LMTP", "UTF8SMTP", "UTF8LMTP") for x in ("", "A", "S", "SA")]
)

# Headers that came from parsed bytes are written back as they arrived
# (refold_source="none"); only headers we create ourselves are folded.
class _CachedHeaderRegistry(HeaderRegistry):
    """The stdlib registry builds a new header class on every lookup; a simulation of
    a hundred thousand messages asks for the same few thousands of times, so keep
    each class once built (same classes, same behaviour, much less work)."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._built.get(key)
        if cls is None:
            cls = self._built[key] = super().__getitem__(name)
        return cls


_REGISTRY = _CachedHeaderRegistry()
_WIRE = _policy.SMTP.clone(refold_source="none", header_factory=_REGISTRY)
_WIRE_UTF8 = _policy.SMTPUTF8.clone(refold_source="none", header_factory=_REGISTRY)
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")  # RFC 5322 §3.6.8: printable but ':'
_FIELD_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_HOSTNAME = re.compile(r"[\x21-\x27\x2a-\x7e]+")  # printable ASCII except ( and )
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_WRITTEN_BY_COMPOSE = {"from", "to", "cc", "bcc", "subject", "date", "message-id"}
_WRITTEN_BY_COMPOSE |= {"mime-version", "content-type", "content-transfer-encoding"}


def _check_address(addr: str, role: str) -> str:
    """Return ``addr`` if it looks like ``local@domain``; else raise naming ``role``."""
    if not isinstance(addr, str):
        raise TypeError(f"{role} address must be a str, not {type(addr).__name__}")
    if not addr:
        raise ValueError(f"{role} address is empty")
    if any(c.isspace() or c in '<>,;()"\x00' for c in addr):
        raise ValueError(f'{role} address {addr!r} contains whitespace or one of <>,;()"')
    local, at, domain = addr.rpartition("@")
    if not (at and local and domain) or "" in domain.split("."):
        raise ValueError(f"{role} address {addr!r} is not of the form local-part@domain")
    return addr


def _check_addresses(addrs: Sequence[str], role: str) -> list[str]:
    if isinstance(addrs, str):
        raise TypeError(f"{role} must be a sequence of addresses, not a single str")
    return [_check_address(a, role) for a in addrs]


def _check_host(value: str, name: str) -> str:
    if not _HOSTNAME.fullmatch(value or ""):
        raise ValueError(f"{name} {value!r} must be a non-empty name without spaces or ()")
    return value


def _check_aware(date: datetime, name: str) -> None:
    if date.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: email dates always carry an offset")


def _header_address(addr: str, display_name: str = "") -> Address:
    # username/domain rather than addr_spec=: the stdlib will not *parse* a non-ASCII
    # local part, but writes one correctly under the SMTPUTF8 policy (RFC 6532).
    local, _, domain = addr.rpartition("@")
    return Address(display_name, username=local, domain=domain)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def _message_id(date: datetime, domain: str, seed: str) -> str:
    stamp = date.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"<{stamp}.{seed[:12].upper()}@{domain}>"


def compose(
    sender: str,
    to: Sequence[str],
    *,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    subject: str,
    body: str,
    date: datetime,
    message_id: str | None = None,
    from_name: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Write a plain-text email, as a mail program (a user agent) does.

    There is **no** ``Bcc:`` header: every recipient gets the same bytes, so it would
    show the blind copies to all. They stay blind by travelling in the envelope alone
    (RFC 5322 §3.6.3; see :func:`envelope_recipients`). With neither To nor Cc, the
    message says ``To: undisclosed-recipients:;`` (an empty group), as mail programs do.
    Non-ASCII subjects and names become RFC 2047 encoded-words (``=?utf-8?q?...?=``);
    a non-ASCII *address* cannot, so it switches the policy to SMTPUTF8 (RFC 6532).

    Args:
        sender: the author's address, for ``From:``; ``from_name`` adds a display name.
        to: the primary recipients; ``cc`` the visible copies, ``bcc`` the blind ones.
        subject: the ``Subject:``; ``body``: the text (UTF-8 travels as 8bit).
        date: when it was written, timezone-aware (the simulation's clock).
        message_id: ``<id@domain>``; by default a hash of the date, addresses, subject
            and body at the sender's domain, so every run gives the same id.
        extra_headers: more fields, e.g. ``{"X-Mailer": "smtpsim"}``.

    Raises:
        ValueError: an address is empty or not ``local@domain``; no recipients; a naive
            date; a line break in a header; a bad header name or message id.
    """
    _check_address(sender, "sender")
    lists = [_check_addresses(a, r) for a, r in ((to, "to"), (cc, "cc"), (bcc, "bcc"))]
    to_l, cc_l, _ = lists
    if not any(lists):
        raise ValueError("message has no recipients: give at least one of to, cc or bcc")
    _check_aware(date, "date")
    extras = dict(extra_headers or {})
    for name, value in [("subject", subject), ("from_name", from_name or ""), *extras.items()]:
        if "\r" in value or "\n" in value:
            raise ValueError(f"{name} contains a line break (header injection?)")
    for name in extras:
        if not _FIELD_NAME.fullmatch(name) or name.lower() in _WRITTEN_BY_COMPOSE:
            raise ValueError(f"extra header {name!r} is not a field name compose can add")
    if message_id is None:
        seed = _digest(date.isoformat(), sender, *lists, subject, body)
        message_id = _message_id(date, sender.rpartition("@")[2], seed)
    elif not re.fullmatch(r"<?[^<>@\s]+@[^<>@\s]+>?", message_id):
        raise ValueError(f"message_id {message_id!r} is not of the form <id@domain>")

    utf8 = not all(a.isascii() for a in [sender, *to_l, *cc_l])
    msg = EmailMessage(policy=_WIRE_UTF8 if utf8 else _WIRE)
    msg["From"] = _header_address(sender, from_name or "")
    if to_l:
        msg["To"] = [_header_address(a) for a in to_l]
    elif not cc_l:
        msg["To"] = Group("undisclosed-recipients", ())
    if cc_l:
        msg["Cc"] = [_header_address(a) for a in cc_l]
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{message_id.strip('<>')}>"
    for name, value in extras.items():
        msg[name] = value
    msg.set_content(body)
    return msg


def envelope_recipients(
    to: Sequence[str], cc: Sequence[str] = (), bcc: Sequence[str] = ()
) -> list[str]:
    """The ``RCPT TO`` list: every To, Cc and Bcc address once, in order.

    Domains compare without case (as DNS does), local parts exactly: RFC 5321 §2.4
    lets only the receiving server decide whether ``Alice`` and ``alice`` are one.

    Raises:
        ValueError: an address is empty or not of the form ``local@domain``.
    """
    seen: set[tuple[str, str]] = set()
    result: list[str] = []
    for role, addrs in (("to", to), ("cc", cc), ("bcc", bcc)):
        for addr in _check_addresses(addrs, role):
            local, _, domain = addr.rpartition("@")
            if (local, domain.lower()) not in seen:
                seen.add((local, domain.lower()))
                result.append(addr)
    return result


def to_bytes(msg: Message) -> bytes:
    """Serialise a message for SMTP ``DATA``: CRLF line ends, 8-bit UTF-8 bodies kept.

    Uses ``email.policy.SMTP``, or ``SMTPUTF8`` when the message's policy or one of
    its addresses needs it. Headers parsed by :func:`from_bytes` are written back as
    they arrived, not re-folded. Dot-stuffing and the final ``.`` line belong to the
    SMTP client (RFC 5321 §4.5.2), not to the message.
    """
    utf8 = getattr(msg.policy, "utf8", False) or any(
        not a.addr_spec.isascii() for _, v in msg.raw_items() for a in getattr(v, "addresses", ())
    )
    return msg.as_bytes(policy=_WIRE_UTF8 if utf8 else _WIRE)


class _Utf8HeadersPolicy(_policy.EmailPolicy):
    """Reads RFC 6532 raw UTF-8 headers as text (the stdlib parser reads bytes as ASCII)."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        with suppress(UnicodeDecodeError):  # not UTF-8 after all: keep the raw bytes
            value = value.encode("ascii", "surrogateescape").decode("utf-8")
        return name, value


_PARSE_UTF8 = _Utf8HeadersPolicy(utf8=True, linesep="\r\n", refold_source="none")


def from_bytes(data: bytes) -> EmailMessage:
    """Parse raw message bytes (CRLF or bare LF line ends) into an :class:`EmailMessage`.

    Text parts keep the line ends they arrived with. A header block with raw UTF-8
    (SMTPUTF8 mail) is read as UTF-8, and :func:`to_bytes` writes it back the same.
    """
    end = _HEADER_END.search(data)
    pol = _WIRE if data[: end.start() if end else None].isascii() else _PARSE_UTF8
    parsed: EmailMessage = BytesParser(policy=pol).parsebytes(data)  # type: ignore[assignment]
    return parsed


def received_header(
    *,
    helo: str,
    peer_host: str | None,
    peer_ip: str,
    by: str,
    protocol: str,
    queue_id: str,
    recipients: Sequence[str],
    date: datetime,
) -> str:
    """The value of the ``Received:`` line a server adds when it accepts a message.

    RFC 5321 §4.4 gives the form; this writes it as Postfix does (folded with TABs)::

        from relay.example.org (relay.example.org [192.0.2.7])
            by mx.example.com (smtpsim) with ESMTP id 4F2A1
            for <alice@example.com>; Sat, 28 Nov 2026 16:00:00 +0000

    After ``from`` comes the name the client claimed in ``EHLO``; in parentheses, what
    the server saw itself: the reverse-DNS name (``unknown`` if none) and the IP. A
    client can lie about the first, not the second. ``for <rcpt>`` appears only with
    exactly one recipient: listing several would reveal Bcc recipients to each other.

    Args:
        helo: the EHLO/HELO argument; ``peer_host``: its reverse-DNS name, or None.
        peer_ip: the client's IP address (IPv6 is written ``IPv6:...``, RFC 5321 §4.1.3).
        by: this server's name; ``queue_id``: its id for the message, as in its logs.
        protocol: a :data:`RECEIVED_PROTOCOLS` keyword, e.g. ``ESMTPSA``: ESMTP over TLS
            (S) from an authenticated client (A).
        recipients: the accepted ``RCPT TO`` addresses; ``date``: now, timezone-aware.

    Returns:
        The value, folded with CRLF + TAB, for :func:`prepend_received`.

    Raises:
        ValueError: an unknown protocol; a malformed IP, name or queue id; a naive date.
    """
    if protocol.upper() not in RECEIVED_PROTOCOLS:
        known = ", ".join(sorted(RECEIVED_PROTOCOLS))
        raise ValueError(f"unknown Received protocol {protocol!r} (RFC 3848 has {known})")
    try:
        ip = ipaddress.ip_address(peer_ip)
    except ValueError:
        raise ValueError(f"peer_ip {peer_ip!r} is not an IPv4 or IPv6 address") from None
    if not _ATOM.fullmatch(queue_id or ""):
        raise ValueError(f"queue_id {queue_id!r} must be a non-empty atom such as 4F2A1")
    _check_aware(date, "date")
    literal = f"IPv6:{ip.compressed}" if ip.version == 6 else ip.compressed
    peer = "unknown" if peer_host is None else _check_host(peer_host, "peer_host")
    value = f"from {_check_host(helo, 'helo')} ({peer} [{literal}])\r\n"
    value += f"\tby {_check_host(by, 'by')} (smtpsim) with {protocol.upper()} id {queue_id}"
    if len(recipients) == 1:
        value += f"\r\n\tfor <{_check_address(recipients[0], 'recipient')}>"
    return f"{value}; {format_datetime(date)}"


def prepend_header(data: bytes, name: str, value: str) -> bytes:
    """Add ``name: value`` as the very first line of raw message bytes.

    No existing byte changes, so earlier hops' headers (and DKIM signatures over them)
    stay intact: ``result.endswith(data)`` always holds. The new line ends as the
    data's first line does (CRLF unless the data uses bare LF). At final delivery::

        prepend_header(data, "Return-Path", f"<{envelope_sender}>")  # "<>" for bounces
        prepend_header(data, "Delivered-To", rcpt)

    Raises:
        ValueError: a bad name; a line break in ``value`` not followed by a space or tab
            (it would start a new header, or end the header block); a line over 998 octets.
    """
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"header name {name!r} is not a valid RFC 5322 field name")
    lines = re.split(r"\r\n|\r|\n", value)
    if "\x00" in value or any(ln[:1] not in (" ", "\t") or not ln.strip() for ln in lines[1:]):
        raise ValueError(f"{name} value has a NUL or a line break not followed by folded text")
    encoded = [ln.encode("utf-8") for ln in [f"{name}: {lines[0]}", *lines[1:]]]
    if any(len(ln) > 998 for ln in encoded):  # RFC 5322 §2.1.1, the hard limit
        raise ValueError(f"{name} has a line longer than 998 octets; fold it")
    eol = b"\n" if re.match(rb"[^\r\n]*\n", data) else b"\r\n"
    return eol.join(encoded) + eol + data


def prepend_received(data: bytes, value: str) -> bytes:
    """Prepend ``Received: value`` (from :func:`received_header`) to raw message bytes."""
    return prepend_header(data, "Received", value)


def _header_fields(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Yield ``(lower-case name, raw value)`` for each field of the header block.

    The block ends at the first empty line or, as in the stdlib parser, at the first
    line that is neither ``name:`` nor a folded continuation.
    """
    name: str | None = None
    value: list[bytes] = []
    for line in data.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            value.append(line)
            continue
        if name is not None:
            yield name, b"".join(value)
        match = _FIELD_LINE.match(line)
        if match is None:
            return
        name, value = match.group(1).decode("ascii").lower(), [line[match.end() :]]
    if name is not None:
        yield name, b"".join(value)


def count_received(data: bytes) -> int:
    """Count the ``Received:`` fields of the header block (a body never counts).

    Servers count them to detect loops: a message with very many hops is probably
    going round in circles (RFC 5321 §6.3; Postfix gives up at 50).
    """
    return sum(1 for name, _ in _header_fields(data) if name == "received")


# RFC 3463 status codes read class.subject.detail: 5.1.1 is permanent (5), about an
# address (1): no such mailbox (1). Texts for some subject.detail pairs, then subjects.
_STATUS_MEANINGS = {
    "1.1": "bad destination mailbox address (no such user)",
    "1.2": "bad destination system address (no such domain)",
    "2.2": "mailbox full", "3.4": "message too big", "4.1": "no answer from host",
    "4.4": "unable to route", "4.6": "mail loop detected", "4.7": "delivery time expired",
    "7.1": "delivery not authorized, message refused", "0": "other or undefined status",
    "1": "addressing status", "2": "mailbox status", "3": "mail system status",
    "4": "network and routing status", "5": "mail delivery protocol status",
    "6": "message content status", "7": "security or policy status",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DsnRecipient:
    """One recipient's fate, as a delivery status notification reports it (RFC 3464).

    Attributes:
        final_recipient: the address the reporting MTA tried.
        action: ``failed`` (given up) or ``delayed`` (still trying).
        status: the RFC 3463 enhanced status code, e.g. ``5.1.1``; ``delayed`` needs a
            temporary ``4.x.x``, while ``failed`` may be ``4.x.x`` when retries ran out.
        diagnostic_code: what the remote server said, e.g. ``550 5.1.1 <a@b.example>:
            Recipient address rejected``, ``smtp;`` added if no type is given; None
            when no server answered.
        remote_mta: the server that answered (``dns;`` added if no type is given).
        original_recipient: the address as the sender gave it, if since rewritten.
    """

    final_recipient: str
    action: str
    status: str
    diagnostic_code: str | None
    remote_mta: str | None = None
    original_recipient: str | None = None

    def __post_init__(self) -> None:
        if self.action not in ("failed", "delayed"):
            raise ValueError(f"DSN action {self.action!r} is neither 'failed' nor 'delayed'")
        if not re.fullmatch(r"[45]\.\d{1,3}\.\d{1,3}", self.status):
            raise ValueError(f"DSN status {self.status!r} is not an RFC 3463 failure like 5.1.1")
        if self.action == "delayed" and self.status[0] != "4":
            raise ValueError(f"a delayed recipient needs a 4.x.x status, not {self.status}")
        fields = (self.final_recipient, self.diagnostic_code, self.remote_mta)
        if not self.final_recipient or any(
            f and ("\r" in f or "\n" in f) for f in (*fields, self.original_recipient)
        ):
            raise ValueError("DSN final_recipient is empty, or a field has a line break")


def _typed(value: str | None, default_type: str) -> str | None:
    """RFC 3464 fields read ``type; value``: add the type if the caller left it out."""
    if value is None or re.match(r"[A-Za-z0-9-]+;", value):
        return value
    return f"{default_type}; {value}"


def _notification(reporting_mta: str, postmaster: str, rcpts: Sequence[DsnRecipient]) -> str:
    """The human-readable part: Postfix's wording, then each recipient in plain English."""
    if rcpts[0].action == "delayed":
        news = "This is a warning only; you do not need to resend your message. It could"
        news += " not be delivered yet, and the mail system will keep trying."
    else:
        news = "I'm sorry to have to inform you that your message could not be delivered"
        news += " to one or more recipients. The headers of your message are attached."
    paragraphs = [f"This is the mail system at host {reporting_mta}.", news]
    paragraphs += [f"For further assistance, please send mail to {postmaster}."]
    for r in rcpts:
        klass, subject, detail = r.status.split(".")
        meaning = _STATUS_MEANINGS.get(f"{subject}.{detail}", _STATUS_MEANINGS.get(subject))
        what = {
            "delayed": "is not delivered yet; the mail system keeps trying",
            "failed5": "could not be delivered; the error is permanent, so retrying won't help",
            "failed4": "expired in the queue: each error was temporary, but retrying ran out",
        }[r.action if r.action == "delayed" else r.action + klass]
        text = f"<{r.final_recipient}>: your message {what}. Status {r.status}: {meaning}."
        if r.diagnostic_code:
            server = (r.remote_mta or "; The remote server").split(";")[-1].strip()
            text += f" {server} said: {r.diagnostic_code.split(';', 1)[-1].strip()}"
        paragraphs.append(text)
    wrap = textwrap.TextWrapper(72, break_long_words=False, break_on_hyphens=False)
    return "\n\n".join(wrap.fill(p) for p in paragraphs) + "\n"


def _fields(*fields: tuple[str, str | None]) -> Message:
    """A bare header block, as message/delivery-status is made of.

    Values are stored raw (compat32), so :func:`to_bytes` writes them unfolded and a
    program reading ``Diagnostic-Code`` gets the server's reply in one piece.
    """
    block = Message(policy=_policy.compat32)
    for name, value in fields:
        if value is not None:
            block[name] = value
    return block


def make_dsn(
    *,
    original: bytes,
    reporting_mta: str,
    envelope_sender: str,
    recipients: Sequence[DsnRecipient],
    arrival_date: datetime,
    date: datetime,
    postmaster_domain: str,
    message_id: str | None = None,
    warning: bool = False,
) -> EmailMessage:
    """Build a bounce: an RFC 3464 delivery status notification, as Postfix writes it.

    It goes to the *envelope* sender (``MAIL FROM``, not ``From:``) and must itself be
    sent with ``MAIL FROM:<>``. Nobody answers the null sender, so bounces cannot loop;
    for the same reason a message sent from ``<>`` is never bounced (an error here).
    It is a ``multipart/report; report-type=delivery-status`` (RFC 6522) of three
    parts: ``text/plain`` for people; ``message/delivery-status`` for programs (fields
    about the message, then a block per recipient); ``text/rfc822-headers``, the
    original's headers, enough to recognise it without sending all of it back.

    Args:
        original: the undeliverable message's bytes.
        reporting_mta: the server writing the report (``Reporting-MTA: dns; ...``).
        envelope_sender: the original ``MAIL FROM``, where the report goes.
        recipients: one :class:`DsnRecipient` per recipient reported on.
        arrival_date: when the reporting MTA accepted the original; ``date``: now.
        postmaster_domain: the domain of ``MAILER-DAEMON@...`` in ``From:``.
        message_id: defaults to a hash of the original, its recipients and the date.
        warning: a "still trying" notice (every action ``delayed``) instead of a bounce.

    Raises:
        ValueError: no recipients; a null or bad envelope sender; a bad host name; naive
            dates; an action other than ``failed`` (``delayed`` with ``warning``).
    """
    if not recipients:
        raise ValueError("make_dsn needs at least one DsnRecipient to report on")
    if not envelope_sender:
        raise ValueError("envelope_sender is null (<>): never send a bounce about a bounce")
    _check_address(envelope_sender, "envelope_sender")
    _check_host(reporting_mta, "reporting_mta")
    _check_host(postmaster_domain, "postmaster_domain")
    _check_aware(arrival_date, "arrival_date")
    _check_aware(date, "date")
    wanted = "delayed" if warning else "failed"
    if any(r.action != wanted for r in recipients):
        raise ValueError(f"with warning={warning}, every recipient's action must be {wanted!r}")
    seed = _digest(original, date.isoformat(), *(r.final_recipient for r in recipients))
    addrs = [envelope_sender, postmaster_domain, *(r.final_recipient for r in recipients)]
    pol = _WIRE if all(a.isascii() for a in addrs) else _WIRE_UTF8

    dsn = EmailMessage(policy=pol)
    dsn["From"] = Address("Mail Delivery System", "MAILER-DAEMON", postmaster_domain)
    dsn["To"] = _header_address(envelope_sender)
    dsn["Subject"] = (
        "Delayed Mail (still being retried)" if warning else "Undelivered Mail Returned to Sender"
    )
    dsn["Date"] = date
    dsn["Message-ID"] = message_id or _message_id(date, reporting_mta, seed)
    dsn["Auto-Submitted"] = "auto-replied"  # RFC 3834: robots, do not answer this
    dsn["MIME-Version"] = "1.0"
    boundary = f"{seed[:16]}.{int(date.timestamp())}/{reporting_mta}"[:70]  # never random
    dsn.add_header("Content-Type", "multipart/report", report_type="delivery-status",
                   boundary=boundary)  # fmt: skip

    human = MIMEPart(policy=pol)
    human.set_content(_notification(reporting_mta, f"postmaster@{postmaster_domain}", recipients))
    human["Content-Description"] = "Notification"

    status = MIMEPart(policy=pol)
    status["Content-Description"] = "Delivery report"
    status["Content-Type"] = "message/delivery-status"
    arrival = format_datetime(arrival_date)
    blocks: list[Message | str] = [
        _fields(("Reporting-MTA", f"dns; {reporting_mta}"), ("Arrival-Date", arrival))
    ]
    for r in recipients:
        blocks.append(_fields(
            ("Final-Recipient", _typed(r.final_recipient, "rfc822")),
            ("Original-Recipient", _typed(r.original_recipient, "rfc822")),
            ("Action", r.action),
            ("Status", r.status),
            ("Remote-MTA", _typed(r.remote_mta, "dns")),
            ("Diagnostic-Code", _typed(r.diagnostic_code, "smtp")),
            ("Last-Attempt-Date", format_datetime(date)),
        ))  # fmt: skip
    status.set_payload(blocks)  # the generator writes the blocks, a blank line between

    headers = MIMEPart(policy=pol)
    end = _HEADER_END.search(original)
    text = original[: end.start() if end else None].decode("utf-8", "replace")
    headers.set_content(text, subtype="rfc822-headers")
    headers["Content-Description"] = "Undelivered Message Headers"

    dsn.set_payload([human, status, headers])
    return dsn


@dataclass(frozen=True, slots=True)
class Hop:
    """One ``Received:`` line: one server that accepted the message.

    Attributes:
        index: 1 for the earliest hop (the bottom-most Received line).
        from_host: the name after ``from`` (usually the client's EHLO name).
        from_ip: the client's IP address as the server saw it, if recorded.
        by_host: the server that wrote the line.
        protocol: the ``with`` keyword, e.g. ``ESMTPS``.
        queue_id: the ``id`` this server gave the message.
        for_addr: the ``for`` recipient, if named.
        date: when this server accepted the message (``-0000`` is read as UTC).
        delay: seconds since the previous hop's date: the time spent queued at (and
            travelling from) the previous server. A negative delay means the servers'
            clocks disagree (clock skew); it is kept as it is.
        share: ``delay`` as a fraction of :func:`total_transit` (None if unknown).
        raw: the header value, unfolded.
    """

    index: int
    from_host: str | None
    from_ip: str | None
    by_host: str | None
    protocol: str | None
    queue_id: str | None
    for_addr: str | None
    date: datetime | None
    delay: float | None
    share: float | None
    raw: str = ""


_CLAUSES = ("from", "by", "via", "with", "id", "for")  # RFC 5321 §4.4


def _tokenize(value: str) -> list[tuple[str, str]]:
    """Split a Received value into ``word``, ``comment`` and ``;`` tokens.

    Comments are RFC 5322 parentheses and may nest: ``(using TLSv1.3 (256/256 bits))``.
    """
    tokens: list[tuple[str, str]] = []
    depth, comment = 0, list[str]()
    for token in re.findall(r"\\.|[();]|[^\s();\\]+", value):
        if token == "(":
            depth += 1
            if depth == 1:
                comment = []
                continue
        elif token == ")" and depth:
            depth -= 1
            if not depth:
                tokens.append(("comment", " ".join(comment)))
                continue
        if depth:
            comment.append(token)
        elif token != ")":
            tokens.append((token, token) if token == ";" else ("word", token))
    if depth:  # an unclosed comment runs to the end
        tokens.append(("comment", " ".join(comment)))
    return tokens


def _find_ip(texts: Sequence[str]) -> str | None:
    """The first IP address in ``[...]`` (else a bare one, as Exchange writes) in ``texts``."""
    for pattern in (r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]", r"(?<![\w.:])([0-9A-Fa-f:.]+)(?![\w.:])"):
        for text in texts:
            for candidate in re.findall(pattern, text):
                with suppress(ValueError):
                    return ipaddress.ip_address(candidate).compressed
    return None


def _parse_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 5322 §3.3: "-0000" is UTC time with the sender's own zone unknown.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_received(raw: str) -> Hop:
    """Read one Received value into a :class:`Hop` (index, delay and share unset)."""
    value = " ".join(raw.split())  # unfold, and tidy runs of spaces and tabs
    tokens = _tokenize(value)
    # The date follows the *last* semicolon outside comments (RFC 5321 §4.4).
    semi = max((i for i, (kind, _) in enumerate(tokens) if kind == ";"), default=len(tokens))
    date_words = [text for kind, text in tokens[semi + 1 :] if kind == "word"]
    clauses: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for kind, text in tokens[:semi]:
        keyword = text.lower()
        if kind == "word" and keyword in _CLAUSES and keyword not in clauses:
            current = clauses[keyword] = []
        elif current is not None:
            current.append((kind, text))

    def first(key: str) -> str | None:
        return next((text for kind, text in clauses.get(key, []) if kind == "word"), None)

    # The IP the server saw is in the comment; a [literal] EHLO name is only a claim.
    from_clause = clauses.get("from", [])
    from_texts = [t for k, t in from_clause if k == "comment"] + [t for _, t in from_clause]
    for_addr = first("for")
    return Hop(
        index=0,
        from_host=first("from"),
        from_ip=_find_ip(from_texts),
        by_host=first("by"),
        protocol=first("with"),
        queue_id=first("id"),
        for_addr=for_addr.strip("<>,") if for_addr else None,
        date=_parse_date(" ".join(date_words)) if date_words else None,
        delay=None,
        share=None,
        raw=value,
    )


def total_transit(hops: Sequence[Hop]) -> float | None:
    """Seconds from the earliest to the latest dated hop (None with under two dates)."""
    dates = [h.date for h in hops if h.date is not None]
    return (dates[-1] - dates[0]).total_seconds() if len(dates) >= 2 else None


def parse_received_chain(msg: Message | bytes) -> list[Hop]:
    """Retrace a message's path from its ``Received:`` lines, oldest hop first.

    Each server writes its line on top, so the hops come back reversed, numbered from
    1. Only the header block of ``msg`` (parsed, or raw bytes) is read, forgivingly, as
    real mail (Gmail, Postfix, Exim, Exchange) needs: folds, comments, missing clauses
    and ``(PST)`` date comments are fine; what cannot be read is None. Each hop's
    ``delay`` and ``share`` show where the time went. Trust only the lines your own
    servers wrote: a sender can forge any Received lines below them.
    """
    if isinstance(msg, (bytes, bytearray)):
        fields = _header_fields(bytes(msg))
        raws = [v.decode("utf-8", "replace") for n, v in fields if n == "received"]
    else:
        raws = [str(v) for n, v in msg.raw_items() if n.lower() == "received"]
    hops = [_parse_received(r) for r in reversed(raws)]
    total = total_transit(hops)
    result: list[Hop] = []
    for i, hop in enumerate(hops):
        before = hops[i - 1].date if i else None
        delay = (hop.date - before).total_seconds() if hop.date and before else None
        share = delay / total if delay is not None and total and total > 0 else None
        result.append(replace(hop, index=i + 1, delay=delay, share=share))
    return result
