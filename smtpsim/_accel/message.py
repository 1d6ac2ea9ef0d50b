"""Speed devices for writing messages, on top of the plain :mod:`smtpsim.message`.

Theory of operation: writing a message with the :mod:`email` package is parsing every
header value into a header object, then folding each object back into wire bytes. In a
simulation most values repeat (the same ``From:``, the same ``MIME-Version: 1.0``, the
same ``Content-Type``), so the plain path parses and folds the same few headers a
hundred thousand times. Three devices, each measured in docs/DECISIONS.md:

1. :class:`_MemoRegistry` builds the header for a repeating (name, value) once and
   shares it: a header object is immutable, so sharing one between messages is safe.
2. :class:`_MemoPolicy` keeps, on the headers of its registry (their classes are
   ours, :class:`_Folded`), the bytes each one folds to, so a shared header is also
   folded once. A Subject or Message-ID that the email package writes back exactly
   as given (printable ASCII, one short line, no ``=?``) is stored as that text, the
   way a header read off the wire is stored; it is parsed only if someone reads it.
3. :class:`_TextContent` writes an ASCII text body whose lines all fit as
   ``set_content`` does (``7bit``), in one step instead of set, parse back, set again.

Everything else is the plain module: :func:`compose` and :func:`to_bytes` below are
the plain functions given this policy. ``tests/test_accel_message.py`` checks on
random messages that both paths write the same bytes and read back the same headers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime
from email.contentmanager import ContentManager, raw_data_manager
from email.headerregistry import Address, BaseHeader, Group, HeaderRegistry
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
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

#: Fields whose values repeat from message to message: worth building once. Subject
#: and Message-ID are new in every message (device 2 stores the plain ones as text).
_REPEATING_FIELDS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
})  # fmt: skip
_AS_TEXT_FIELDS = frozenset({"subject", "message-id"})
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_AS_TEXT = {
    "subject": re.compile(r"[!-~]+(?: [!-~]+)*"),  # printable ASCII words, single spaces
    "message-id": re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>"),
}


class _Folded:
    """Mixin of this module's header classes: a place for the bytes a header folds to.

    The key is the folding settings of the policy (see :meth:`_MemoPolicy._settings`),
    so the same header folds apart under SMTP and SMTPUTF8.
    """

    _folds: dict[Hashable, bytes]

    def init(self, *args: Any, **kw: Any) -> None:
        super().init(*args, **kw)  # type: ignore[misc]
        self._folds = {}


class _MemoRegistry(HeaderRegistry):
    """A header factory that makes each header class once, of :class:`_Folded` kind,
    and builds the header of a repeating (name, value) once (bounded, least recently
    used first out)."""

    def __init__(self, maxsize: int = 512) -> None:
        super().__init__()
        self._classes = {
            name: type("_" + cls.__name__, (_Folded, cls, self.base_class), {})
            for name, cls in self.registry.items()
        }
        self._default = type(
            "_" + self.default_class.__name__, (_Folded, self.default_class, self.base_class), {}
        )
        self._memo = functools.lru_cache(maxsize)(self._build)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        return self._classes.get(name.lower(), self._default)

    def __call__(self, name: str, value: Any) -> BaseHeader:
        key = _value_key(value) if name.lower() in _REPEATING_FIELDS else None
        if key is None:
            return self[name](name, value)
        return self._memo(name, key)

    def _build(self, name: str, key: Hashable) -> BaseHeader:
        return self[name](name, _value_from_key(key))


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


class _MemoPolicy(EmailPolicy):
    """``email.policy.SMTP`` (``refold_source="none"``) that folds each of its
    registry's headers once, and stores plain Subjects and Message-IDs as text."""

    def _settings(self) -> Hashable:
        return (self.utf8, self.max_line_length, self.linesep, self.cte_type)

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        key = name.lower()
        if key in _AS_TEXT_FIELDS and type(value) is str and "=?" not in value \
                and len(name) + 2 + len(value) <= (self.max_line_length or 78) \
                and _AS_TEXT[key].fullmatch(value):
            return (name, value)  # stored as parsed mail stores it; written as it is
        return super().header_store_parse(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if not isinstance(value, _Folded):
            return super().fold_binary(name, value)
        settings = self._settings()
        folded = value._folds.get(settings)
        if folded is None:
            folded = value._folds[settings] = super().fold_binary(name, value)
        return folded


class _TextContent(ContentManager):
    """``raw_data_manager``, but an ASCII ``str`` body whose lines all fit is written
    in one step, with the fields, order and bytes ``set_content`` gives it."""

    def get_content(self, msg: Message, *args: Any, **kw: Any) -> Any:
        return raw_data_manager.get_content(msg, *args, **kw)

    def set_content(self, msg: Message, obj: Any, *args: Any, **kw: Any) -> None:
        limit = msg.policy.max_line_length
        if type(obj) is str and not args and not kw and limit and obj.isascii() \
                and msg.get_content_maintype() != "multipart":
            lines = obj.encode("ascii").splitlines()
            if max(map(len, lines), default=0) <= limit:
                msg.clear_content()  # type: ignore[attr-defined]
                msg["Content-Type"] = 'text/plain; charset="utf-8"'
                msg.set_payload(b"\n".join(lines).decode("ascii") + "\n")
                msg["Content-Transfer-Encoding"] = "7bit"
                return
        raw_data_manager.set_content(msg, obj, *args, **kw)


# email.policy.SMTP is EmailPolicy(linesep="\r\n"); smtpsim writes it with
# refold_source="none" (see smtpsim.message._wire).
_WIRE = _MemoPolicy(
    linesep="\r\n",
    refold_source="none",
    header_factory=_MemoRegistry(),
    content_manager=_TextContent(),
)


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
