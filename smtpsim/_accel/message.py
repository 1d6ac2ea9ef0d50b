"""Speed devices for writing messages, on top of the plain :mod:`smtpsim.message`.

Theory of operation: writing a message with the :mod:`email` package is parsing every
header value into a header object, then folding each object back into wire bytes. In a
simulation most values repeat (the same ``From:``, the same ``MIME-Version: 1.0``, the
same ``Content-Type``), so the plain path parses and folds the same few headers a
hundred thousand times. One device, measured in docs/DECISIONS.md
(``benchmarks/bench_devices.py``): :class:`_MemoRegistry` builds the header for a
repeating (name, value) once and shares it. A header object is immutable (a ``str``
with its parse tree beside it), so sharing one between messages is safe. Three more
devices were tried and measured below 10 % each, so they are not here: remembering
each shared header's folded bytes, storing plain Subjects as text, and writing a
short ASCII body in one step.

Everything else is the plain module: :func:`compose` and :func:`to_bytes` below are
the plain functions given this policy. ``tests/test_accel_message.py`` checks on
random messages that both paths write the same bytes and read back the same headers.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address, BaseHeader, Group, HeaderRegistry
from email.message import EmailMessage, Message
from typing import Any

from smtpsim import message as _plain
from smtpsim.message import (
    RECEIVED_PROTOCOLS,
    DsnRecipient,
    Hop,
    count_received,
    envelope_recipients,
    from_bytes,
    is_looping,
    make_dsn,
    parse_received_chain,
    prepend_header,
    prepend_received,
    received_header,
    total_transit,
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
]

#: Fields whose values repeat from message to message: worth building once. Subject,
#: Date and Message-ID are new in nearly every message: memoising them would only push
#: the repeating ones out of the memo.
_REPEATING_FIELDS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
})  # fmt: skip


class _MemoRegistry:
    """A header factory that builds the header of a repeating (name, value) once, and
    shares it (bounded: the least recently used goes first). Every header is built by
    the plain registry (``plain``); the memo only keeps the repeating ones."""

    def __init__(self, plain: HeaderRegistry, maxsize: int = 512) -> None:
        self._plain = plain
        self._memo = functools.lru_cache(maxsize)(self._build)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        return self._plain[name]  # the policy asks it for a field's class (max_count)

    def __call__(self, name: str, value: Any) -> BaseHeader:
        key = _value_key(value) if name.lower() in _REPEATING_FIELDS else None
        if key is None:
            return self._plain(name, value)
        return self._memo(name, key)

    def _build(self, name: str, key: Hashable) -> BaseHeader:
        return self._plain(name, _value_from_key(key))


def _value_key(value: object) -> Hashable | None:
    """A hashable stand-in for a header value that fully determines it, or None.

    ``Address`` and ``Group`` compare by value but are not hashable, so they become
    tuples of their fields (:func:`_value_from_key` turns them back). Anything else
    (a subclass, a header object, a datetime) is not memoised.
    """
    if type(value) is str:
        return value
    if type(value) is Address:
        return ("address", value.display_name, value.username, value.domain)
    if type(value) is Group:
        members = tuple(_value_key(a) for a in value.addresses)
        return ("group", value.display_name, members)
    if type(value) is list or type(value) is tuple:
        items = []
        for item in value:
            if type(item) is not Address and type(item) is not Group:
                return None
            items.append(_value_key(item))
        return (type(value).__name__, tuple(items))
    return None


def _value_from_key(key: Hashable) -> Any:
    """The header value :func:`_value_key` made ``key`` from (an equal one)."""
    if isinstance(key, str):
        return key
    assert isinstance(key, tuple)
    if key[0] == "address":
        return Address(*key[1:])
    if key[0] == "group":
        return Group(key[1], [_value_from_key(a) for a in key[2]])
    items = [_value_from_key(i) for i in key[1]]
    return items if key[0] == "list" else tuple(items)


# The plain wire policy (email.policy.SMTP, refold_source="none"), with the memo.
_PLAIN_WIRE = _plain.wire_policy(utf8=False)
assert isinstance(_PLAIN_WIRE.header_factory, HeaderRegistry)
_WIRE = _PLAIN_WIRE.clone(header_factory=_MemoRegistry(_PLAIN_WIRE.header_factory))


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
    """:func:`smtpsim.message.compose`, written with this module's policy."""
    return _plain.compose(
        sender, to, cc=cc, bcc=bcc, subject=subject, body=body, date=date,
        message_id=message_id, from_name=from_name, extra_headers=extra_headers,
        policy=_WIRE,
    )


def to_bytes(msg: Message) -> bytes:
    """:func:`smtpsim.message.to_bytes`, written with this module's policy."""
    return _plain.to_bytes(msg, policy=_WIRE)
