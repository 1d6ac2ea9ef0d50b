"""The wire format of messages: the email policies smtpsim writes and reads with.

Theory of operation: a message travels as bytes, so two rules hold everywhere:

1. Headers that came from parsed bytes are written back as they arrived
   (``refold_source="none"``); only headers we create ourselves are folded. Re-folding
   an earlier hop's header would change its bytes and break DKIM signatures over it.
2. ASCII mail uses ``email.policy.SMTP``; a non-ASCII *address* needs ``SMTPUTF8``
   (RFC 6532), and raw UTF-8 header blocks are read as UTF-8, not as ASCII.

Every header is parsed into a header object by the stdlib's own classes
(:class:`_HeaderKinds` only says, once, which class each field name gets), and folded
into lines by the stdlib's own policy. Speed devices on top of this (a memo of header
objects and of their folds) live in the opt-in layer ``smtpsim._accel``, not here.

The raw header block is also read here, without the email package, for the few
questions (how many Received lines?) that must not re-parse a whole message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from email import policy as _policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from types import MappingProxyType


class _HeaderKinds(HeaderRegistry):
    """The stdlib header registry, with its table of header classes made once.

    RFC 5322 fields come in kinds: an *address* field (From, To, Cc), a *date* field
    (Date), an *unstructured* one (Subject), a MIME one (Content-Type)... The stdlib
    registry knows which field is of which kind, but makes the class it parses a field
    with anew each time a field is set (``type(...)`` on every lookup): most of the
    cost of writing a message. Here the classes of the fields the registry knows are
    made once, when the module loads, and kept in a read-only table; any other field
    name goes to the stdlib as before. The headers made are the stdlib's own (a test
    compares them with the stock policy's).
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes = MappingProxyType(
            {name: super(_HeaderKinds, self).__getitem__(name) for name in self.registry}
        )

    def __getitem__(self, name: str) -> type[BaseHeader]:
        cls = self._classes.get(name.lower())
        return cls if cls is not None else super().__getitem__(name)


class _Utf8HeadersPolicy(_policy.EmailPolicy):
    """Reads RFC 6532 raw UTF-8 headers as text (the stdlib parser reads bytes as ASCII)."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        with suppress(UnicodeDecodeError):  # not UTF-8 after all: keep the raw bytes
            value = value.encode("ascii", "surrogateescape").decode("utf-8")
        return name, value


# email.policy.SMTP and SMTPUTF8, plus refold_source="none" (rule 1 above).
_WIRE = _policy.SMTP.clone(refold_source="none", header_factory=_HeaderKinds())
_WIRE_UTF8 = _WIRE.clone(utf8=True)
_PARSE_UTF8 = _Utf8HeadersPolicy(
    utf8=True, linesep="\r\n", refold_source="none", header_factory=_WIRE.header_factory
)
_FIELD_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _header_address(addr: str, display_name: str = "") -> Address:
    """The address ``addr`` (with an optional display name) as a header value."""
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
