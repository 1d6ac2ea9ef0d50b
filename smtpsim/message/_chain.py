"""Reading a message's path back from its ``Received:`` lines.

Theory of operation: every server writes its line on top, so the lines, read
bottom-up, retrace the path. Real mail (Gmail, Postfix, Exim, Exchange) writes them in
many dialects, so reading is forgiving: :func:`_tokenize` splits a value into words,
nested comments and the ``;`` before the date; :func:`_clauses` groups the words by
the RFC 5321 §4.4 keywords; whatever cannot be read becomes None, never an error.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.message import Message
from email.utils import parsedate_to_datetime

from ._wire import _header_fields

_CLAUSES = ("from", "by", "via", "with", "id", "for")  # RFC 5321 §4.4

_Token = tuple[str, str]  # ("word" | "comment" | ";", text)


@dataclass(frozen=True, slots=True)
class Hop:
    """One ``Received:`` line: one server that accepted the message.

    Attributes:
        index: 1 for the earliest hop (the bottom-most Received line).
        from_host: the name after ``from`` (usually the client's EHLO name).
        from_ip: the client's IP address as the server saw it, if recorded.
        by_host: the server that wrote the line.
        protocol: the ``with`` keyword, e.g. ``ESMTPS``.
        queue_id: the ``id`` this server gave the message.
        for_addr: the ``for`` recipient, if named.
        date: when this server accepted the message (``-0000`` is read as UTC).
        delay: seconds since the previous hop's date: the time spent queued at (and
            travelling from) the previous server. A negative delay means the servers'
            clocks disagree (clock skew); it is kept as it is.
        share: ``delay`` as a fraction of :func:`total_transit` (None if unknown).
        raw: the header value, unfolded.
    """

    index: int
    from_host: str | None
    from_ip: str | None
    by_host: str | None
    protocol: str | None
    queue_id: str | None
    for_addr: str | None
    date: datetime | None
    delay: float | None
    share: float | None
    raw: str = ""


def total_transit(hops: Sequence[Hop]) -> float | None:
    """Seconds from the earliest to the latest dated hop (None with under two dates)."""
    dates = [h.date for h in hops if h.date is not None]
    return (dates[-1] - dates[0]).total_seconds() if len(dates) >= 2 else None


def parse_received_chain(msg: Message | bytes) -> list[Hop]:
    """Retrace a message's path from its ``Received:`` lines, oldest hop first.

    Each server writes its line on top, so the hops come back reversed, numbered from
    1. Only the header block of ``msg`` (parsed, or raw bytes) is read, forgivingly, as
    real mail (Gmail, Postfix, Exim, Exchange) needs: folds, comments, missing clauses
    and ``(PST)`` date comments are fine; what cannot be read is None. Each hop's
    ``delay`` and ``share`` show where the time went. Trust only the lines your own
    servers wrote: a sender can forge any Received lines below them.
    """
    if isinstance(msg, (bytes, bytearray)):
        fields = _header_fields(bytes(msg))
        raws = [v.decode("utf-8", "replace") for n, v in fields if n == "received"]
    else:
        raws = [str(v) for n, v in msg.raw_items() if n.lower() == "received"]
    hops = [_parse_received(r) for r in reversed(raws)]
    total = total_transit(hops)
    result: list[Hop] = []
    for i, hop in enumerate(hops):
        before = hops[i - 1].date if i else None
        delay = (hop.date - before).total_seconds() if hop.date and before else None
        share = delay / total if delay is not None and total and total > 0 else None
        result.append(replace(hop, index=i + 1, delay=delay, share=share))
    return result


def _parse_received(raw: str) -> Hop:
    """Read one Received value into a :class:`Hop` (index, delay and share unset)."""
    value = " ".join(raw.split())  # unfold, and tidy runs of spaces and tabs
    tokens = _tokenize(value)
    # The date follows the *last* semicolon outside comments (RFC 5321 §4.4).
    semi = max((i for i, (kind, _) in enumerate(tokens) if kind == ";"), default=len(tokens))
    date_words = [text for kind, text in tokens[semi + 1 :] if kind == "word"]
    clauses = _clauses(tokens[:semi])

    def first(key: str) -> str | None:
        return next((text for kind, text in clauses.get(key, []) if kind == "word"), None)

    # The IP the server saw is in the comment; a [literal] EHLO name is only a claim.
    from_clause = clauses.get("from", [])
    from_texts = [t for k, t in from_clause if k == "comment"] + [t for _, t in from_clause]
    for_addr = first("for")
    return Hop(
        index=0,
        from_host=first("from"),
        from_ip=_find_ip(from_texts),
        by_host=first("by"),
        protocol=first("with"),
        queue_id=first("id"),
        for_addr=for_addr.strip("<>,") if for_addr else None,
        date=_parse_date(" ".join(date_words)) if date_words else None,
        delay=None,
        share=None,
        raw=value,
    )


def _tokenize(value: str) -> list[_Token]:
    """Split a Received value into ``word``, ``comment`` and ``;`` tokens.

    Comments are RFC 5322 parentheses and may nest: ``(using TLSv1.3 (256/256 bits))``.
    """
    tokens: list[_Token] = []
    depth, comment = 0, list[str]()
    for token in re.findall(r"\\.|[();]|[^\s();\\]+", value):
        if token == "(":
            depth += 1
            if depth == 1:
                comment = []
                continue
        elif token == ")" and depth:
            depth -= 1
            if not depth:
                tokens.append(("comment", " ".join(comment)))
                continue
        if depth:
            comment.append(token)
        elif token != ")":
            tokens.append((token, token) if token == ";" else ("word", token))
    if depth:  # an unclosed comment runs to the end
        tokens.append(("comment", " ".join(comment)))
    return tokens


def _clauses(tokens: Sequence[_Token]) -> dict[str, list[_Token]]:
    """Group the tokens before the date by clause keyword (``from``, ``by`` ...).

    Only the first clause of each kind counts; tokens before the first keyword, and a
    keyword repeated later, belong to no clause or to the clause they are in.
    """
    clauses: dict[str, list[_Token]] = {}
    current: list[_Token] | None = None
    for kind, text in tokens:
        keyword = text.lower()
        if kind == "word" and keyword in _CLAUSES and keyword not in clauses:
            current = clauses[keyword] = []
        elif current is not None:
            current.append((kind, text))
    return clauses


def _find_ip(texts: Sequence[str]) -> str | None:
    """The first IP address in ``[...]`` (else a bare one, as Exchange writes) in ``texts``."""
    for pattern in (r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]", r"(?<![\w.:])([0-9A-Fa-f:.]+)(?![\w.:])"):
        for text in texts:
            for candidate in re.findall(pattern, text):
                with suppress(ValueError):
                    return ipaddress.ip_address(candidate).compressed
    return None


def _parse_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 5322 §3.3: "-0000" is UTC time with the sender's own zone unknown.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
