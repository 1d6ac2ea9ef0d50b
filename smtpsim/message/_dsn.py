"""Bouncing a message: RFC 3464 delivery status notifications, as Postfix writes them.

Theory of operation: undeliverable mail goes back to the *envelope* sender as a
``multipart/report; report-type=delivery-status`` (RFC 6522) of three parts, built by
one helper each: :func:`_human_part` (``text/plain`` for people),
:func:`_status_part` (``message/delivery-status`` for programs) and
:func:`_headers_part` (the original's headers, enough to recognise it). A bounce is
sent from the null sender ``<>`` so that a bounce can never bounce.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy as _policy
from email.headerregistry import Address
from email.message import EmailMessage, Message, MIMEPart
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from ._checks import _check_address, _check_aware, _check_host
from ._ids import _digest, _message_id
from ._wire import _WIRE, _WIRE_UTF8, _header_address, _header_block

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

# What happened to a recipient, by action (and, for "failed", by the status class).
_FATES = {
    "delayed": "is not delivered yet; the mail system keeps trying",
    "failed5": "could not be delivered; the error is permanent, so retrying won't help",
    "failed4": "expired in the queue: each error was temporary, but retrying ran out",
}


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
    _check_dsn_arguments(
        recipients, envelope_sender, reporting_mta, postmaster_domain, arrival_date, date, warning
    )
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
    dsn.set_payload([
        _human_part(pol, reporting_mta, f"postmaster@{postmaster_domain}", recipients),
        _status_part(pol, reporting_mta, arrival_date, date, recipients),
        _headers_part(pol, original),
    ])  # fmt: skip
    return dsn


def _check_dsn_arguments(
    recipients: Sequence[DsnRecipient],
    envelope_sender: str,
    reporting_mta: str,
    postmaster_domain: str,
    arrival_date: datetime,
    date: datetime,
    warning: bool,
) -> None:
    """Raise ValueError for anything :func:`make_dsn` must not report on."""
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


def _human_part(
    pol: EmailPolicy[Any], reporting_mta: str, postmaster: str,
    rcpts: Sequence[DsnRecipient],
) -> MIMEPart:
    """Part 1, ``text/plain``: the notification a person reads."""
    human = MIMEPart(policy=pol)
    human.set_content(_notification(reporting_mta, postmaster, rcpts))
    human["Content-Description"] = "Notification"
    return human


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
    paragraphs += [_recipient_paragraph(r) for r in rcpts]
    wrap = textwrap.TextWrapper(72, break_long_words=False, break_on_hyphens=False)
    return "\n\n".join(wrap.fill(p) for p in paragraphs) + "\n"


def _recipient_paragraph(r: DsnRecipient) -> str:
    """One recipient's fate in plain English, with what the remote server said."""
    klass, subject, detail = r.status.split(".")
    meaning = _STATUS_MEANINGS.get(f"{subject}.{detail}", _STATUS_MEANINGS.get(subject))
    what = _FATES[r.action if r.action == "delayed" else r.action + klass]
    text = f"<{r.final_recipient}>: your message {what}. Status {r.status}: {meaning}."
    if r.diagnostic_code:
        server = (r.remote_mta or "; The remote server").split(";")[-1].strip()
        text += f" {server} said: {r.diagnostic_code.split(';', 1)[-1].strip()}"
    return text


def _status_part(
    pol: EmailPolicy[Any],
    reporting_mta: str,
    arrival_date: datetime,
    date: datetime,
    rcpts: Sequence[DsnRecipient],
) -> MIMEPart:
    """Part 2, ``message/delivery-status``: a block about the message, then one per
    recipient, for programs to read (RFC 3464 §2.2 and §2.3)."""
    status = MIMEPart(policy=pol)
    status["Content-Description"] = "Delivery report"
    status["Content-Type"] = "message/delivery-status"
    arrival = format_datetime(arrival_date)
    blocks: list[Message | str] = [
        _fields(("Reporting-MTA", f"dns; {reporting_mta}"), ("Arrival-Date", arrival))
    ]
    for r in rcpts:
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
    return status


def _typed(value: str | None, default_type: str) -> str | None:
    """RFC 3464 fields read ``type; value``: add the type if the caller left it out."""
    if value is None or re.match(r"[A-Za-z0-9-]+;", value):
        return value
    return f"{default_type}; {value}"


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


def _headers_part(pol: EmailPolicy[Any], original: bytes) -> MIMEPart:
    """Part 3, ``text/rfc822-headers``: the original's header block, not its body."""
    headers = MIMEPart(policy=pol)
    text = _header_block(original).decode("utf-8", "replace")
    headers.set_content(text, subtype="rfc822-headers")
    headers["Content-Description"] = "Undelivered Message Headers"
    return headers
