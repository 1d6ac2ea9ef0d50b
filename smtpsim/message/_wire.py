"""The wire format of messages: the email policies smtpsim writes and reads with.

Theory of operation: a message travels as bytes, so two rules hold everywhere:

1. Headers that came from parsed bytes are written back as they arrived
   (``refold_source="none"``); only headers we create ourselves are folded. Re-folding
   an earlier hop's header would change its bytes and break DKIM signatures over it.
2. ASCII mail uses ``email.policy.SMTP``; a non-ASCII *address* needs ``SMTPUTF8``
   (RFC 6532), and raw UTF-8 header blocks are read as UTF-8, not as ASCII.

Parsing header values and folding them back into lines is most of the cost of writing
a message. The values that repeat (the same ``From:``, the same MIME boilerplate) are
parsed once and folded once (:class:`_CachedHeaderRegistry`, :class:`_WirePolicy`): the
header objects are still built, and folded, by the email package, only not again.

The raw header block is also read here, without the email package, for the few
questions (how many Received lines?) that must not re-parse a whole message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterator
from contextlib import suppress
from datetime import datetime, timedelta, tzinfo
from email import policy as _policy
from email.headerregistry import Address, BaseHeader, Group, HeaderRegistry
from email.utils import format_datetime
from typing import Any

#: Fields whose values repeat from message to message (the same people, the same MIME
#: boilerplate, the same second on the clock when written as text: see
#: :func:`_date_text`): worth building once. Subject and Message-ID are new in every
#: message; memoising them would only push the repeating ones out of the memo.
_REPEATING_FIELDS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc", "date",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
})  # fmt: skip


@functools.lru_cache(maxsize=256)
def _date_second(date: datetime, zone: tzinfo | None) -> str:
    return format_datetime(date)


_MICROSECOND = timedelta(microseconds=1)


def _date_text(date: datetime) -> str:
    """``format_datetime(date)``, the RFC 5322 form of a date: it shows whole seconds,
    so the many messages and Received lines of one second share one text, made once.
    (The zone is part of the key: 16:00 UTC and 17:00 +0100 are *equal* datetimes,
    written apart. Subtracting the microseconds is ``replace(microsecond=0)`` at a
    third of the cost; it also clears ``fold``, so the rare wall-clock time that occurs
    twice, the second time, is written the long way.)"""
    if date.fold:
        return format_datetime(date)
    return _date_second(date - date.microsecond * _MICROSECOND, date.tzinfo)


class _CachedHeaderRegistry(HeaderRegistry):
    """A header factory that builds each distinct header once.

    The stdlib registry builds a new header *class* on every lookup, then parses the
    value, which is most of the cost of writing a message: a simulation of a hundred
    thousand messages asks for the same few header classes, and the same ``From:``,
    ``MIME-Version: 1.0`` or ``Content-Type: text/plain; charset="utf-8"``, over and
    over. So each class is kept once built, and the headers of
    :data:`_REPEATING_FIELDS` are memoised on their name and value: a header is
    immutable, so sharing one between messages is safe.

    Only values with an exact hashable form are memoised: a ``str``, or
    :class:`~email.headerregistry.Address` / :class:`~email.headerregistry.Group`
    objects (alone or in a list), keyed by their fields. Anything else is built afresh
    every time. The memo is bounded: the least recently used header goes first.
    """

    def __init__(self, maxsize: int = 512) -> None:
        super().__init__()
        self._built: dict[str, type[BaseHeader]] = {}
        self._memo = functools.lru_cache(maxsize)(self._build)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._built.get(key)
        if cls is None:
            cls = self._built[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: Any) -> BaseHeader:
        key = _value_key(value) if name.lower() in _REPEATING_FIELDS else None
        if key is None:
            return self[name](name, value)
        return self._memo(name, key)

    def _build(self, name: str, key: Hashable) -> BaseHeader:
        """Build the header for a memo miss, from the value rebuilt out of its key."""
        return self[name](name, _value_from_key(key))


def _value_key(value: object) -> Hashable | None:
    """A hashable stand-in for a header value that it fully determines, or None.

    ``Address`` and ``Group`` compare by value but are not hashable, so they become
    tuples of their fields; :func:`_value_from_key` turns the tuple back into equal
    objects. Subclasses (a header object is a ``str`` subclass) are not memoised.
    """
    if type(value) is str:
        return value
    if type(value) is Address:
        return ("address", value.display_name, value.username, value.domain)
    if type(value) is Group:
        members = tuple(_value_key(a) for a in value.addresses)
        return ("group", value.display_name, members)
    if type(value) is list or type(value) is tuple:  # of addresses and groups only
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


class _Utf8HeadersPolicy(_policy.EmailPolicy):
    """Reads RFC 6532 raw UTF-8 headers as text (the stdlib parser reads bytes as ASCII)."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        with suppress(UnicodeDecodeError):  # not UTF-8 after all: keep the raw bytes
            value = value.encode("ascii", "surrogateescape").decode("utf-8")
        return name, value


class _WirePolicy(_policy.EmailPolicy):
    """``email.policy.SMTP`` that remembers the bytes each header object folds to.

    Folding turns a header object into its wire bytes (``Name: value`` cut into lines
    of at most 78 characters, encoded-words for non-ASCII text); it reads nothing but
    the header and the policy, and a header object never changes once built (it is an
    immutable ``str``, with its parse tree beside it). So the bytes are kept on the
    header: a ``From:`` shared by a hundred thousand messages (see
    :class:`_CachedHeaderRegistry`) is folded once, not a hundred thousand times.

    Only the two module policies below remember, each under its own attribute; a
    clone with other settings (say another line length) folds as the stdlib always
    does. Headers that came from parsed bytes are plain strings, not header objects:
    they never get here and are written back raw (``refold_source="none"``).
    """

    def fold_binary(self, name: str, value: str) -> bytes:
        if self is _WIRE:
            memo = "_smtp_folded"
        elif self is _WIRE_UTF8:
            memo = "_smtputf8_folded"
        else:  # a clone, perhaps with other settings
            return super().fold_binary(name, value)
        if not isinstance(value, BaseHeader):  # raw text, as parsed from bytes
            return super().fold_binary(name, value)
        folded: bytes | None = value.__dict__.get(memo)
        if folded is None:
            folded = value.__dict__[memo] = super().fold_binary(name, value)
        return folded


_REGISTRY = _CachedHeaderRegistry()
# The same settings as email.policy.SMTP and SMTPUTF8, plus refold_source="none".
_WIRE = _WirePolicy(linesep="\r\n", refold_source="none", header_factory=_REGISTRY)
_WIRE_UTF8 = _WIRE.clone(utf8=True)
_PARSE_UTF8 = _Utf8HeadersPolicy(utf8=True, linesep="\r\n", refold_source="none")
_FIELD_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@functools.lru_cache(maxsize=1024)  # an Address never changes: share it (bounded)
def _header_address(addr: str, display_name: str = "") -> Address:
    # username/domain rather than addr_spec=: the stdlib will not *parse* a non-ASCII
    # local part, but writes one correctly under the SMTPUTF8 policy (RFC 6532).
    local, _, domain = addr.rpartition("@")
    return Address(display_name, username=local, domain=domain)


def _header_block(data: bytes) -> bytes:
    """The raw bytes before the first empty line (all of ``data`` if there is none).

    The first empty line is where ``_HEADER_END`` (``\\r?\\n\\r?\\n``) first matches;
    found here with two C-level ``find`` calls, as every hop asks it of every message
    and a regular expression that may start with an optional CR tries every position.
    The earliest LF followed by an empty line (LF or CRLF) is that match, taking the
    CR before it if there is one. A test pins this to the regular expression.
    """
    bare, crlf = data.find(b"\n\n"), data.find(b"\n\r\n")
    end = bare if crlf < 0 or 0 <= bare < crlf else crlf
    if end < 0:
        return data
    return data[: end - 1 if end and data[end - 1] == 13 else end]  # 13: CR


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
