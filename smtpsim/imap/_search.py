"""``SEARCH``: which messages match (RFC 9051 §6.4.4).

The client describes the messages it wants with *search keys*, and the server answers
with their numbers (or, for ``UID SEARCH``, their UIDs)::

    C: a5 SEARCH UNSEEN FROM "bob"
    S: * SEARCH 2 4
    S: a5 OK SEARCH completed

Keys written one after another must all match (AND); ``OR a b`` matches either,
``NOT a`` the opposite, and a parenthesised list groups keys. The keys this server
knows:

* by flag: ``ALL``, ``SEEN``/``UNSEEN``, ``DELETED``/``UNDELETED``,
  ``FLAGGED``/``UNFLAGGED``, ``ANSWERED``/``UNANSWERED``, ``DRAFT``/``UNDRAFT``,
  ``KEYWORD x``/``UNKEYWORD x``;
* by header or text, case-insensitive substrings: ``FROM``, ``TO``, ``CC``, ``BCC``,
  ``SUBJECT``, ``HEADER name value``, ``BODY``, ``TEXT`` (header and body);
* by size: ``LARGER n``, ``SMALLER n``; by arrival date: ``BEFORE``, ``ON``,
  ``SINCE`` (``1-Dec-2026``);
* by number: a sequence set (``1:3``), or ``UID`` and a set of UIDs.

Header fields are decoded with the :mod:`email` package first, so ``SUBJECT café``
finds a subject sent as ``=?utf-8?q?caf=C3=A9?=``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from email.parser import BytesHeaderParser
from email.policy import default

from ..mailstore import MaildropMessage
from ._syntax import Atom, ImapSyntaxError, SequenceSet, Token, astring, parse_date

__all__ = ["Match", "parse_search"]

#: Whether a message matches: called with (message number, message).
Match = Callable[[int, MaildropMessage], bool]

#: Keys that test one flag: key -> (flag, whether it must be set).
_FLAG_KEYS = {
    "SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False),
    "DELETED": ("\\Deleted", True), "UNDELETED": ("\\Deleted", False),
    "FLAGGED": ("\\Flagged", True), "UNFLAGGED": ("\\Flagged", False),
    "ANSWERED": ("\\Answered", True), "UNANSWERED": ("\\Answered", False),
    "DRAFT": ("\\Draft", True), "UNDRAFT": ("\\Draft", False),
}
_HEADER_KEYS = ("FROM", "TO", "CC", "BCC", "SUBJECT")
#: The character sets a SEARCH may name (RFC 9051 §6.4.4: UTF-8 at least).
CHARSETS = ("UTF-8", "US-ASCII")


def parse_search(tokens: list[Token], uids: dict[int, int], largest_uid: int) -> Match:
    """Read the search keys of a SEARCH command into one test.

    Args:
        tokens: the command's arguments after SEARCH.
        uids: message number -> UID, for the ``UID`` key.
        largest_uid: what ``*`` means in a ``UID`` set.

    Raises:
        ImapSyntaxError: an unknown key, or a key without its argument.
        LookupError: ``CHARSET`` names a character set this server cannot search in.
    """
    it = iter(tokens)
    first = _peek(tokens, 0)
    if first == "CHARSET":
        next(it)
        charset = astring(_next(it, "CHARSET")) or ""
        if charset.upper() not in CHARSETS:
            raise LookupError(charset)
    keys = []
    for token in it:
        keys.append(_key(token, it, uids, largest_uid))
    if not keys:
        raise ImapSyntaxError("SEARCH needs at least one key, e.g. SEARCH ALL")
    return _all(keys)


def _peek(tokens: list[Token], i: int) -> str:
    token = tokens[i] if len(tokens) > i else None
    return token.upper() if isinstance(token, Atom) else ""


def _next(it: Iterator[Token], key: str) -> Token:
    try:
        return next(it)
    except StopIteration:
        raise ImapSyntaxError(f"{key} needs an argument") from None


def _all(keys: list[Match]) -> Match:
    return lambda n, m: all(key(n, m) for key in keys)


def _key(token: Token, it: Iterator[Token], uids: dict[int, int], largest_uid: int) -> Match:
    """One search key (and its arguments, taken from ``it``)."""
    if isinstance(token, list):
        group = iter(token)
        keys = [_key(t, group, uids, largest_uid) for t in group]
        if not keys:
            raise ImapSyntaxError("() holds no search key")
        return _all(keys)
    if not isinstance(token, Atom):
        raise ImapSyntaxError(f"a search key is a word such as UNSEEN, not {token!r}")
    key = token.upper()
    if key == "ALL":
        return lambda n, m: True
    if key in _FLAG_KEYS:
        flag, is_set = _FLAG_KEYS[key]
        return lambda n, m: (flag in m.flags) == is_set
    if key in ("KEYWORD", "UNKEYWORD"):
        word = astring(_next(it, key)) or ""
        return lambda n, m: (word in m.flags) == (key == "KEYWORD")
    if key in _HEADER_KEYS:
        return _header_contains(key, astring(_next(it, key)) or "")
    if key == "HEADER":
        name = astring(_next(it, key)) or ""
        return _header_contains(name, astring(_next(it, key)) or "")
    if key in ("BODY", "TEXT"):
        needle = (astring(_next(it, key)) or "").casefold()
        return lambda n, m: needle in _text(m, whole=key == "TEXT")
    if key in ("LARGER", "SMALLER"):
        size = astring(_next(it, key)) or ""
        if not size.isdigit():
            raise ImapSyntaxError(f"{key} takes a number of octets, not {size!r}")
        limit = int(size)
        return ((lambda n, m: m.size > limit) if key == "LARGER"
                else (lambda n, m: m.size < limit))
    if key in ("BEFORE", "ON", "SINCE"):
        day = parse_date(astring(_next(it, key)) or "").date()
        compare = {"BEFORE": operator.lt, "ON": operator.eq, "SINCE": operator.ge}[key]
        return lambda n, m: bool(compare(m.arrived.date(), day))
    if key == "NOT":
        inner = _key(_next(it, key), it, uids, largest_uid)
        return lambda n, m: not inner(n, m)
    if key == "OR":
        left = _key(_next(it, key), it, uids, largest_uid)
        right = _key(_next(it, key), it, uids, largest_uid)
        return lambda n, m: left(n, m) or right(n, m)
    if key == "UID":
        wanted_uids = set(SequenceSet.parse(str(_next(it, key))).resolve(largest_uid))
        return lambda n, m: m.uid in wanted_uids
    if key[:1].isdigit() or key[:1] == "*":
        numbers = set(SequenceSet.parse(key).resolve(len(uids)))
        return lambda n, m: n in numbers
    raise ImapSyntaxError(f"unknown search key {str(token)!r}")


def _header_contains(name: str, needle: str) -> Match:
    folded = needle.casefold()

    def match(n: int, message: MaildropMessage) -> bool:
        header = BytesHeaderParser(policy=default).parsebytes(message.data)
        values = header.get_all(name) or []
        if not values:
            return False  # RFC 9051: HEADER name "" matches any message that has it
        return any(folded in str(v).casefold() for v in values)

    return match


def _text(message: MaildropMessage, whole: bool) -> str:
    data = message.data if whole else message.data.partition(b"\r\n\r\n")[2]
    return data.decode("utf-8", "replace").casefold()
