"""Stamping a message at every hop: ``Received:`` and the other trace fields.

Theory of operation: a server that accepts a message adds a ``Received:`` line **at
the top** and never touches what is already there (RFC 5321 §4.4). So everything here
works on raw *bytes*: re-serialising could re-fold earlier headers and break DKIM
signatures. The final hop adds ``Return-Path:`` and ``Delivered-To:`` the same way
(:func:`prepend_header`). Counting the Received lines (:func:`count_received`) is how
servers notice a mail loop.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime

from ._checks import _ATOM, _FIELD_NAME, _check_address, _check_aware, _check_host
from ._wire import _header_block

#: The ``with`` keywords of a Received line (IANA "Mail Transmission Types"): SMTP and
#: ESMTP (RFC 5321); A = authenticated, S = over TLS, and LMTP (RFC 3848); UTF8* (RFC 6531).
RECEIVED_PROTOCOLS = frozenset(
    ["SMTP"]
    + [f"{p}{x}" for p in ("ESMTP", "LMTP", "UTF8SMTP", "UTF8LMTP") for x in ("", "A", "S", "SA")]
)


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
    head = _received_head(protocol, peer_ip, peer_host, helo, by)
    if not _ATOM.fullmatch(queue_id or ""):
        raise ValueError(f"queue_id {queue_id!r} must be a non-empty atom such as 4F2A1")
    _check_aware(date, "date")
    if len(recipients) == 1:
        rcpt = _check_address(recipients[0], "recipient")
        return f"{head} id {queue_id}\r\n\tfor <{rcpt}>; {format_datetime(date)}"
    return f"{head} id {queue_id}; {format_datetime(date)}"


def _received_head(protocol: str, peer_ip: str, peer_host: str | None, helo: str,
                   by: str) -> str:
    """The checked start of a Received value, up to the ``with`` keyword."""
    if protocol.upper() not in RECEIVED_PROTOCOLS:
        known = ", ".join(sorted(RECEIVED_PROTOCOLS))
        raise ValueError(f"unknown Received protocol {protocol!r} (RFC 3848 has {known})")
    literal = _address_literal(peer_ip)
    peer = "unknown" if peer_host is None else _check_host(peer_host, "peer_host")
    return (f"from {_check_host(helo, 'helo')} ({peer} [{literal}])\r\n"
            f"\tby {_check_host(by, 'by')} (smtpsim) with {protocol.upper()}")


def _address_literal(peer_ip: str) -> str:
    """``192.0.2.7`` or ``IPv6:2001:db8::1``, the way RFC 5321 §4.1.3 writes an IP."""
    try:
        ip = ipaddress.ip_address(peer_ip)
    except ValueError:
        raise ValueError(f"peer_ip {peer_ip!r} is not an IPv4 or IPv6 address") from None
    return f"IPv6:{ip.compressed}" if ip.version == 6 else ip.compressed


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
    _check_field_name(name)
    field = f"{name}: {value}"
    # The data's line end: LF if the first line break in it is a bare LF.
    lf = data.find(b"\n")
    eol = b"\n" if lf >= 0 and data.find(b"\r", 0, lf) < 0 else b"\r\n"
    if "\r" not in value and "\n" not in value and "\x00" not in value:
        parts = [field]  # one line (Delivered-To, Return-Path ...)
        encoded = field.encode("utf-8")
    elif eol == b"\r\n" and _FOLDED_WITH_CRLF.fullmatch(value):
        parts = field.split("\r\n")  # folded as received_header folds: written as is
        encoded = field.encode("utf-8")
    else:
        parts = _LINE_BREAK.split(field)
        if "\x00" in value or any(ln[:1] not in (" ", "\t") or not ln.strip()
                                   for ln in parts[1:]):
            raise ValueError(
                f"{name} value has a NUL or a line break not followed by folded text")
        encoded = eol.join([ln.encode("utf-8") for ln in parts])
    if len(encoded) > 998 and any(len(ln.encode("utf-8")) > 998 for ln in parts):
        raise ValueError(f"{name} has a line longer than 998 octets; fold it")  # RFC 5322
    return encoded + eol + data


def _check_field_name(name: str) -> None:
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"header name {name!r} is not a valid RFC 5322 field name")


def prepend_received(data: bytes, value: str) -> bytes:
    """Prepend ``Received: value`` (from :func:`received_header`) to raw message bytes."""
    return prepend_header(data, "Received", value)


def count_received(data: bytes) -> int:
    """Count the ``Received:`` fields of the header block (a body never counts).

    Servers count them to detect loops: a message with very many hops is probably
    going round in circles (RFC 5321 §6.3; Postfix gives up at 50).

    Every server on the path counts, so this is done with two regular expressions
    rather than a loop over lines: one finds where the header block ends (the same
    place :func:`smtpsim.message._wire._header_fields` stops: an empty line, or a line
    that is neither ``name:`` nor folded), the other counts the fields named Received
    in it. A test checks the two ways agree.
    """
    block = _HEADER_BLOCK.match(data)
    end = block.end() if block else 0
    # Each field starts a line: after a line end, or (hence the b"\n") at the very top.
    return len(_RECEIVED_FIELD.findall(b"\n" + data[:end]))


def is_looping(data: bytes, max_hops: int) -> bool:
    """True when the message holds ``max_hops`` or more ``Received:`` fields.

    This is the loop test every server runs on every message it accepts, so it first
    asks two cheap questions (C-level ``count``): has the message fewer lines than
    ``max_hops``? Is the word "received", in any case, rarer than that before the first
    empty line? Every Received field starts a line and starts with that word, so either
    way the answer is no without reading fields. Only a message near the limit is
    counted exactly (:func:`count_received`).
    """
    # Quicker still for most messages: no more fields than lines, and no more lines
    # than line breaks (CR, LF; a CRLF counted twice) plus one.
    if data.count(b"\n") + data.count(b"\r") + 1 < max_hops:
        return False
    if _header_block(data).lower().count(b"received") < max_hops:
        return False
    return count_received(data) >= max_hops


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A value folded with CRLF only, each continuation line a space or tab and then text
# (not only white space), and no NUL: what prepend_header accepts, in one pass.
_FOLDED_WITH_CRLF = re.compile(r"[^\r\n\x00]*(?:\r\n[ \t][^\S\r\n]*[^\s\x00][^\r\n\x00]*)*")
# The header block: lines that are a field (``name:``) or fold one (start with a space
# or a tab), each ended by CRLF, CR or LF (or the end of the data).
_HEADER_BLOCK = re.compile(
    rb"(?:(?:[ \t]|[\x21-\x39\x3b-\x7e]+[ \t]*:)[^\r\n]*(?:\r\n|\r|\n|\Z))*"
)
_RECEIVED_FIELD = re.compile(rb"[\r\n]received[ \t]*:", re.IGNORECASE)
