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

The package holds one module per job: :mod:`._compose` (writing a message, and
bytes in and out), :mod:`._received` (stamping it at each hop), :mod:`._dsn` (bouncing
it) and :mod:`._chain` (reading the path back); :mod:`._wire`, :mod:`._checks` and
:mod:`._ids` hold what they share. Import everything from here, not from those.

Everything is deterministic: dates come from the simulation's clock, and identifiers
are hashes of the content, never random.
"""

from __future__ import annotations

from ._chain import Hop, parse_received_chain, total_transit
from ._compose import compose, envelope_recipients, from_bytes, to_bytes, wire_policy
from ._dsn import DsnRecipient, make_dsn
from ._received import (
    RECEIVED_PROTOCOLS,
    count_received,
    is_looping,
    prepend_header,
    prepend_received,
    received_header,
)

__all__ = [
    "RECEIVED_PROTOCOLS",
    "DsnRecipient",
    "Hop",
    "compose",
    "count_received",
    "envelope_recipients",
    "from_bytes",
    "is_looping",
    "make_dsn",
    "parse_received_chain",
    "prepend_header",
    "prepend_received",
    "received_header",
    "to_bytes",
    "total_transit",
    "wire_policy",
]
