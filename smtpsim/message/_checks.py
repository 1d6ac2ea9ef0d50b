"""Argument checks shared by the message builders.

Theory of operation: everything a caller hands in is checked *before* any header is
written, so a bad argument raises :class:`ValueError` (or :class:`TypeError`) naming
the argument, and never yields a half-built message. The checks are deliberately
simple (``local@domain``, no spaces, a timezone): the SMTP layer
(:mod:`smtpsim.protocol`) holds the full RFC 5321 address grammar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")  # RFC 5322 §3.6.8: printable but ':'
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_HOSTNAME = re.compile(r"[\x21-\x27\x2a-\x7e]+")  # printable ASCII except ( and )
_NOT_IN_ADDRESS = re.compile(r'[\s<>,;()"\x00]')  # \s is exactly what str.isspace() sees


def _check_address(addr: str, role: str) -> str:
    """Return ``addr`` if it looks like ``local@domain``; else raise naming ``role``."""
    if not isinstance(addr, str):
        raise TypeError(f"{role} address must be a str, not {type(addr).__name__}")
    if not addr:
        raise ValueError(f"{role} address is empty")
    if _NOT_IN_ADDRESS.search(addr):
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
