"""IMAP's syntax (RFC 9051 §4 and §9): reading the tokens of a line, and writing them.

IMAP is not a protocol of simple lines. A command is a tag, a name and arguments of
a few kinds, and an argument may itself hold spaces, brackets or line breaks:

* an **atom**: a run of ordinary characters, e.g. ``INBOX``, ``1:3``, ``\\Seen``,
  ``BODY.PEEK[HEADER]`` (a bracketed *section* inside an atom may hold spaces:
  ``BODY[HEADER.FIELDS (FROM TO)]``);
* ``NIL``: the atom that means "no value";
* a **quoted string**: ``"Hello world"``, where ``\\"`` and ``\\\\`` stand for ``"`` and
  ``\\``;
* a **literal**: ``{11}`` then CRLF then exactly 11 octets of anything, line breaks
  included. This is how a whole message travels, and how a password with a ``"`` in
  it can be sent. The ``{11}`` says how much to read, so nothing inside is parsed;
* a **parenthesised list** of any of these: ``(FLAGS (\\Seen) UID 4)``.

So the server cannot split a command at spaces, and cannot find its end by looking
for CRLF either: a CRLF right after ``{11}`` is inside the command. :func:`read`
reads the tokens one by one from the front, as the grammar says; nothing here matches
a regular expression against a whole line.

Literals come in two kinds. ``{11}`` is *synchronizing*: the client waits for the
server's ``+`` (go ahead) before sending the 11 octets, so a server can refuse a
literal too big before it is sent. ``{11+}`` (RFC 7888, LITERAL+) is sent at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "Atom",
    "ImapSyntaxError",
    "SequenceSet",
    "Token",
    "astring",
    "compact",
    "flag_list",
    "internal_date",
    "literal_at_end",
    "nstring",
    "parse_date",
    "quoted",
    "read",
]


class ImapSyntaxError(ValueError):
    """The bytes do not follow IMAP's grammar; the message says where and why."""


class Atom(str):
    """An atom: a bare word such as ``INBOX``, ``NIL`` or ``\\Seen`` (not a string).

    It is a ``str``, so it compares and prints as its text; being its own type keeps
    the atom ``NIL`` apart from the quoted string ``"NIL"``.
    """

    __slots__ = ()


#: A token: an atom, a quoted string (``str``), a literal (``bytes``) or a list.
Token = Atom | str | bytes | list["Token"]

#: The characters that end an atom: RFC 9051 §9's ``atom-specials``, except ``%``,
#: ``*`` and ``\\``, which the grammar lets into the atom-like words this server reads
#: (the mailbox pattern ``*``, the sequence set ``1:*``, the flag ``\\Seen``). A ``]``
#: belongs to an atom only as the end of a bracketed section.
_ATOM_ENDS = frozenset(b'(){ "]') | frozenset(range(32)) | {127}


def read(data: bytes, *, max_literal: int | None = None) -> list[Token]:
    """Read every token of one complete command or response.

    ``data`` is the whole thing, literals included, with or without its final CRLF.

    Raises:
        ImapSyntaxError: the bytes break the grammar (an unclosed quote or list, a
            literal shorter than it said, a stray character ...).
    """
    return _Reader(data, max_literal).tokens(closing=None)


def literal_at_end(line: bytes) -> tuple[int, bool] | None:
    """If ``line`` (one line, CRLF included or not) ends by announcing a literal, how
    many octets follow and whether the literal is synchronizing; else None.

    >>> literal_at_end(b"a1 LOGIN {5}\\r\\n")
    (5, True)
    >>> literal_at_end(b"a1 LOGIN alice {6+}")
    (6, False)
    >>> literal_at_end(b"a1 NOOP") is None
    True
    """
    text = line.rstrip(b"\r\n")
    if not text.endswith(b"}"):
        return None
    start = text.rfind(b"{")
    if start < 0:
        return None
    inside = text[start + 1:-1]
    sync = not inside.endswith(b"+")
    digits = inside if sync else inside[:-1]
    if not digits or not digits.isdigit() or len(digits) > 10:
        return None
    return int(digits), sync


class _Reader:
    """Reads tokens from the front of ``data``, one grammar rule at a time."""

    def __init__(self, data: bytes, max_literal: int | None) -> None:
        self.data = data[:-2] if data.endswith(b"\r\n") else data
        self.pos = 0
        self.max_literal = max_literal

    def fail(self, why: str) -> ImapSyntaxError:
        return ImapSyntaxError(f"{why} (at octet {self.pos})")

    def tokens(self, closing: int | None) -> list[Token]:
        """Tokens separated by single spaces, up to ``closing`` (``)``) or the end."""
        out: list[Token] = []
        data = self.data
        while self.pos < len(data):
            byte = data[self.pos]
            if byte == closing:
                return out
            # A list may follow a list with no space between: an address list is
            # (("Bob" NIL "bob" "example.org")("Theo" NIL "theo" "example.com")).
            if out and not (byte == 0x28 and isinstance(out[-1], list)):
                if byte != 0x20:
                    raise self.fail(f"expected a space, found {chr(byte)!r}")
                self.pos += 1
                if self.pos >= len(data):
                    raise self.fail("a space at the end")
                byte = data[self.pos]
            out.append(self.token(byte))
        if closing is not None:
            raise self.fail("a list opened with '(' is not closed")
        return out

    def token(self, byte: int) -> Token:
        if byte == 0x28:  # (
            self.pos += 1
            items = self.tokens(closing=0x29)
            self.pos += 1  # the )
            return items
        if byte == 0x22:  # "
            return self.quoted()
        if byte == 0x7B:  # {
            return self.literal()
        if byte == 0x29:
            raise self.fail("')' without a '(' before it")
        return self.atom()

    def quoted(self) -> str:
        self.pos += 1
        out = bytearray()
        data = self.data
        while self.pos < len(data):
            byte = data[self.pos]
            self.pos += 1
            if byte == 0x22:
                return out.decode("utf-8", "replace")
            if byte == 0x5C:  # a backslash quotes the next " or \
                if self.pos >= len(data) or data[self.pos] not in b'"\\':
                    raise self.fail('a backslash in a quoted string must quote " or \\')
                byte = data[self.pos]
                self.pos += 1
            elif byte in (0x0D, 0x0A):
                raise self.fail("a quoted string cannot hold a line break (use a literal)")
            out.append(byte)
        raise self.fail("a quoted string is not closed")

    def literal(self) -> bytes:
        end = self.data.find(b"}", self.pos)
        if end < 0:
            raise self.fail("'{' without '}'")
        found = literal_at_end(self.data[self.pos:end + 1])
        if found is None:
            raise self.fail("a literal is {number} or {number+}")
        size, _ = found
        if self.max_literal is not None and size > self.max_literal:
            raise self.fail(f"a literal of {size} octets is more than {self.max_literal}")
        if self.data[end + 1:end + 3] != b"\r\n":
            raise self.fail("a literal's {size} must end its line")
        start = end + 3
        if start + size > len(self.data):
            raise self.fail(f"the literal is shorter than the {size} octets it announced")
        self.pos = start + size
        return self.data[start:self.pos]

    def atom(self) -> Atom:
        """An atom, with any bracketed sections in it (``BODY[HEADER.FIELDS (TO)]``)."""
        start = self.pos
        data = self.data
        while self.pos < len(data):
            byte = data[self.pos]
            if byte == 0x5B:  # [ : a section, up to its ], spaces and all
                close = data.find(b"]", self.pos)
                if close < 0:
                    raise self.fail("'[' without ']'")
                self.pos = close + 1
                continue
            if byte in _ATOM_ENDS:
                break
            self.pos += 1
        if self.pos == start:
            raise self.fail(f"unexpected {chr(data[start])!r}")
        return Atom(data[start:self.pos].decode("utf-8", "replace"))


# -- writing ------------------------------------------------------------------------


def quoted(text: str) -> str:
    """``text`` as an IMAP quoted string: ``"..."`` with ``"`` and ``\\`` escaped.

    Raises:
        ValueError: the text holds a line break (it must be sent as a literal).
    """
    if "\r" in text or "\n" in text:
        raise ValueError("a quoted string cannot hold a line break")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nstring(value: str | None) -> str:
    """``NIL`` for no value, else the value quoted, or as a literal if it holds a line
    break or anything not ASCII (a quoted string is 7-bit text on one line)."""
    if value is None:
        return "NIL"
    if "\r" in value or "\n" in value or not value.isascii():
        data = value.encode("utf-8")
        return f"{{{len(data)}}}\r\n{value}"
    return quoted(value)


def astring(token: Token) -> str | None:
    """The text of an atom, quoted string or literal (IMAP's ``astring``), or None
    if ``token`` is a list."""
    if isinstance(token, bytes):
        return token.decode("utf-8", "replace")
    if isinstance(token, str):
        return str(token)
    return None


#: The system flags in the order RFC 9051 lists them, which is the order they are
#: written in here; keywords (``$Important``) follow, then ``\\*`` ("and new keywords").
_FLAG_ORDER = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")


def flag_list(flags: frozenset[str] | set[str]) -> str:
    """Flags as IMAP writes them, in a parenthesised list: ``(\\Deleted \\Seen)``."""
    def order(flag: str) -> tuple[int, str]:
        if flag in _FLAG_ORDER:
            return _FLAG_ORDER.index(flag), ""
        return (len(_FLAG_ORDER) + (flag == "\\*"), flag)
    return "(" + " ".join(sorted(flags, key=order)) + ")"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def internal_date(when: datetime) -> str:
    """A time as IMAP's INTERNALDATE writes it: ``" 4-Dec-2026 20:59:42 +0000"``
    (the day is two characters wide, padded with a space; RFC 9051 §9 date-time)."""
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return (f'"{when.day:2d}-{_MONTHS[when.month - 1]}-{when.year:04d} '
            f'{when:%H:%M:%S} {zone}"')


def parse_date(text: str) -> datetime:
    """An IMAP search date (``1-Feb-1994``) as a datetime at midnight, no zone.

    Raises:
        ImapSyntaxError: not a date of that form.
    """
    day, _, rest = text.partition("-")
    month, _, year = rest.partition("-")
    if (not day.isdigit() or not year.isdigit() or len(year) != 4
            or month.capitalize() not in _MONTHS):
        raise ImapSyntaxError(f"{text!r} is not a date like 1-Feb-2026")
    try:
        return datetime(int(year), _MONTHS.index(month.capitalize()) + 1, int(day))
    except ValueError as exc:
        raise ImapSyntaxError(f"{text!r} is not a date: {exc}") from None


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """A set of message numbers or UIDs as IMAP writes it: ``1``, ``2:4``, ``1,3:*``.

    ``*`` means the largest number in use (the last message, or the highest UID); a
    range may be written either way round (``4:2`` is ``2:4``). Each range is kept as
    ``(first, last)`` with None for ``*``.
    """

    ranges: tuple[tuple[int | None, int | None], ...]

    @classmethod
    def parse(cls, text: str) -> SequenceSet:
        """Read a sequence set.

        Raises:
            ImapSyntaxError: not a sequence set (``0`` is never a message number).
        """
        ranges: list[tuple[int | None, int | None]] = []
        for part in text.split(","):
            first, colon, last = part.partition(":")
            ends = (_seq_number(first, text), _seq_number(last, text) if colon else None)
            ranges.append(ends if colon else (ends[0], ends[0]))
        return cls(tuple(ranges))

    def resolve(self, largest: int) -> Iterator[int]:
        """The numbers in the set, ascending, with ``*`` standing for ``largest``; a
        number past ``largest`` is given as it is (the caller decides what it means)."""
        seen: set[int] = set()
        for first, last in self.ranges:
            low, high = sorted((largest if first is None else first,
                                largest if last is None else last))
            seen.update(range(low, high + 1))
        return iter(sorted(seen))

    def __str__(self) -> str:
        def end(n: int | None) -> str:
            return "*" if n is None else str(n)
        return ",".join(end(a) if a == b else f"{end(a)}:{end(b)}" for a, b in self.ranges)


def _seq_number(text: str, whole: str) -> int | None:
    if text == "*":
        return None
    if not text.isdigit() or not text.isascii() or int(text) == 0:
        raise ImapSyntaxError(f"{whole!r} is not a sequence set (numbers from 1, "
                              "ranges a:b, '*' for the last, joined by commas)")
    return int(text)


def compact(numbers: list[int]) -> str:
    """Numbers as the shortest sequence set: ``[1, 2, 3, 7]`` -> ``"1:3,7"``."""
    out: list[str] = []
    for n in sorted(set(numbers)):
        if out and n == int(out[-1].rpartition(":")[2]) + 1:
            out[-1] = out[-1].partition(":")[0] + f":{n}"
        else:
            out.append(str(n))
    return ",".join(out)
