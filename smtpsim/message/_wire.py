"""The wire format of messages: the email policies smtpsim writes and reads with.

Theory of operation: a message travels as bytes, so two rules hold everywhere:

1. Headers that came from parsed bytes are written back as they arrived
   (``refold_source="none"``); only headers we create ourselves are folded. Re-folding
   an earlier hop's header would change its bytes and break DKIM signatures over it.
2. ASCII mail uses ``email.policy.SMTP``; a non-ASCII *address* needs ``SMTPUTF8``
   (RFC 6532), and raw UTF-8 header blocks are read as UTF-8, not as ASCII.

The raw header block is also read here, without the email package, for the few
questions (how many Received lines?) that must not re-parse a whole message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from email import policy as _policy
from email.headerregistry import Address, HeaderRegistry


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


class _Utf8HeadersPolicy(_policy.EmailPolicy):
    """Reads RFC 6532 raw UTF-8 headers as text (the stdlib parser reads bytes as ASCII)."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        with suppress(UnicodeDecodeError):  # not UTF-8 after all: keep the raw bytes
            value = value.encode("ascii", "surrogateescape").decode("utf-8")
        return name, value


_REGISTRY = _CachedHeaderRegistry()
_WIRE = _policy.SMTP.clone(refold_source="none", header_factory=_REGISTRY)
_WIRE_UTF8 = _policy.SMTPUTF8.clone(refold_source="none", header_factory=_REGISTRY)
_PARSE_UTF8 = _Utf8HeadersPolicy(utf8=True, linesep="\r\n", refold_source="none")
_FIELD_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _header_address(addr: str, display_name: str = "") -> Address:
    # username/domain rather than addr_spec=: the stdlib will not *parse* a non-ASCII
    # local part, but writes one correctly under the SMTPUTF8 policy (RFC 6532).
    local, _, domain = addr.rpartition("@")
    return Address(display_name, username=local, domain=domain)


def _header_block(data: bytes) -> bytes:
    """The raw bytes before the first empty line (all of ``data`` if there is none)."""
    end = _HEADER_END.search(data)
    return data[: end.start() if end else None]


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
