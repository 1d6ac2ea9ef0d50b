"""Writing a message as a mail program does, and turning it into bytes and back.

Theory of operation: :func:`compose` builds an RFC 5322 message with the standard
library :mod:`email` package, so that any mail tool reads it; :func:`envelope_recipients`
gives the ``RCPT TO`` list for it (Bcc lives there, never in a header). The message
crosses the wire as bytes (:func:`to_bytes`, :func:`from_bytes`), and what was parsed
is written back exactly as it arrived.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.headerregistry import Group
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import Any

from ._checks import _FIELD_NAME, _check_address, _check_addresses, _check_aware
from ._ids import _digest, _message_id
from ._wire import _PARSE_UTF8, _WIRE, _WIRE_UTF8, _header_address, _header_block

_WRITTEN_BY_COMPOSE = {"from", "to", "cc", "bcc", "subject", "date", "message-id"}
_WRITTEN_BY_COMPOSE |= {"mime-version", "content-type", "content-transfer-encoding"}
_MESSAGE_ID = re.compile(r"<?[^<>@\s]+@[^<>@\s]+>?")


def wire_policy(
    utf8: bool, policy: EmailPolicy[Any] | None = None
) -> EmailPolicy[Any]:
    """The policy a message is written with: ``email.policy.SMTP`` (``utf8=False``) or
    ``SMTPUTF8``, both with ``refold_source="none"`` (see ``_wire``).

    ``policy`` replaces the SMTP one (a variant with the same settings: the speed
    layer passes one that remembers what it built); its UTF-8 twin is then a clone.
    """
    if policy is None:
        return _WIRE_UTF8 if utf8 else _WIRE
    return policy.clone(utf8=True) if utf8 and not policy.utf8 else policy


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
    policy: EmailPolicy[Any] | None = None,
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
        policy: the email policy to write with, in place of ``email.policy.SMTP``
            (see :func:`wire_policy`); the default is right for every caller but the
            speed layer.

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
    extras = _checked_extra_headers(subject, from_name or "", extra_headers)
    if message_id is None:
        seed = _digest(date.isoformat(), sender, *lists, subject, body)
        message_id = _message_id(date, sender.rpartition("@")[2], seed)
    elif not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"message_id {message_id!r} is not of the form <id@domain>")

    utf8 = not "".join([sender, *to_l, *cc_l]).isascii()
    msg = EmailMessage(policy=wire_policy(utf8, policy))
    _write_address_headers(msg, sender, from_name or "", to_l, cc_l)
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{message_id.strip('<>')}>"
    content_fields = {n: v for n, v in extras.items() if n.lower().startswith("content-")}
    for name, value in extras.items():
        if name not in content_fields:
            msg[name] = value
    # set_content writes Content-Type (text/plain; charset="utf-8"), picks the
    # Content-Transfer-Encoding (7bit, 8bit, quoted-printable or base64) and adds
    # MIME-Version; it clears any Content-* field first, so extra ones come after.
    msg.set_content(body)
    for name, value in content_fields.items():
        msg[name] = value
    return msg


def _checked_extra_headers(
    subject: str, from_name: str, extra_headers: Mapping[str, str] | None
) -> dict[str, str]:
    """``extra_headers`` as a dict, once no header value would break a line.

    A CR or LF in a value would let a caller inject whole header lines (or end the
    header block early); a field compose writes itself must not be written twice.
    """
    extras = dict(extra_headers or {})
    for name, value in [("subject", subject), ("from_name", from_name), *extras.items()]:
        if "\r" in value or "\n" in value:
            raise ValueError(f"{name} contains a line break (header injection?)")
    for name in extras:
        if not _FIELD_NAME.fullmatch(name) or name.lower() in _WRITTEN_BY_COMPOSE:
            raise ValueError(f"extra header {name!r} is not a field name compose can add")
    return extras


def _write_address_headers(
    msg: EmailMessage, sender: str, from_name: str, to: list[str], cc: list[str]
) -> None:
    """``From:``, then ``To:`` (an empty group when only Bcc is given) and ``Cc:``."""
    msg["From"] = _header_address(sender, from_name)
    if to:
        msg["To"] = [_header_address(a) for a in to]
    elif not cc:
        msg["To"] = Group("undisclosed-recipients", ())
    if cc:
        msg["Cc"] = [_header_address(a) for a in cc]


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


def to_bytes(msg: Message, policy: EmailPolicy[Any] | None = None) -> bytes:
    """Serialise a message for SMTP ``DATA``: CRLF line ends, 8-bit UTF-8 bodies kept.

    Uses ``email.policy.SMTP``, or ``SMTPUTF8`` when the message's policy or one of
    its addresses needs it (``policy``: as for :func:`compose`). Headers parsed by
    :func:`from_bytes` are written back as they arrived, not re-folded. Dot-stuffing
    and the final ``.`` line belong to the SMTP client (RFC 5321 §4.5.2), not to the
    message.
    """
    utf8 = getattr(msg.policy, "utf8", False) or any(
        not a.addr_spec.isascii()
        for _, v in msg.raw_items()
        if not (isinstance(v, str) and v.isascii())  # an address header's text holds
        for a in getattr(v, "addresses", ())  # all its addresses: ASCII text, ASCII ones
    )
    return msg.as_bytes(policy=wire_policy(utf8, policy))


def from_bytes(data: bytes) -> EmailMessage:
    """Parse raw message bytes (CRLF or bare LF line ends) into an :class:`EmailMessage`.

    Text parts keep the line ends they arrived with. A header block with raw UTF-8
    (SMTPUTF8 mail) is read as UTF-8, and :func:`to_bytes` writes it back the same.
    """
    pol = _WIRE if _header_block(data).isascii() else _PARSE_UTF8
    parsed: EmailMessage = BytesParser(policy=pol).parsebytes(data)  # type: ignore[assignment]
    return parsed
