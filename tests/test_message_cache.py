"""The memoised wire path of smtpsim.message writes exactly what the plain stdlib writes.

compose() and to_bytes() share header objects between messages, remember how each
folds, and write the text body in one go (see smtpsim/message/_wire.py and
_compose.py). None of that may change a single byte: every test here builds the same
message a second way, with the stock ``email.policy.SMTP`` (no memo, no shortcut,
``set_content`` itself), and compares.
"""

from __future__ import annotations

import copy
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpsim.message import _compose, _wire, compose, from_bytes, to_bytes

T0 = datetime(2026, 11, 28, 16, 0, 0, tzinfo=timezone.utc)


@contextmanager
def plain_stdlib() -> Iterator[None]:
    """Inside this block, compose() and to_bytes() use the email package as shipped."""
    plain = {
        "_WIRE": email.policy.SMTP.clone(refold_source="none"),
        "_WIRE_UTF8": email.policy.SMTPUTF8.clone(refold_source="none"),
        "_header_address": _wire._header_address.__wrapped__,
        "_set_text_body": lambda msg, body: msg.set_content(body),
        "_set_unique_field": lambda msg, name, value, plain: msg.__setitem__(name, value),
        "_add": lambda msg, name, value: msg.__setitem__(name, value),
    }
    with mock.patch.multiple(_compose, **plain):
        yield


def outcome(**kwargs: Any) -> tuple[object, ...]:
    """The bytes compose + to_bytes write, or the error they raise."""
    try:
        return ("bytes", to_bytes(compose(**kwargs)))
    except Exception as exc:  # the same bad input must fail the same way
        return (type(exc), str(exc))


# --- inputs: everything compose accepts, and some it refuses ------------------------

_TEXT = st.characters(blacklist_categories=("Cs",))  # any character a str can hold
_LINE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
_LOCAL = st.text(st.sampled_from("abcxyzABC019._+-'!#=?/[]\\:@éüßñ中"), min_size=1, max_size=12)
_DOMAIN = st.sampled_from(["example.org", "example.com", "mx1.example.net", "bücher.de"])
_ADDRESS = st.one_of(
    st.sampled_from(["alice@example.com", "bob@example.org", "carol@example.net"]),
    st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN),
)
_ZONE = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
_DATE = st.datetimes(min_value=datetime(1000, 1, 1), timezones=_ZONE)
_SUBJECT = st.one_of(
    st.text(_LINE, max_size=30),
    st.text(_LINE, min_size=70, max_size=300),  # folds over several lines
    st.sampled_from(["=?utf-8?q?caf=C3=A9?=", "Re: Café — 東京", "x" * 100]),
    st.text(_TEXT, max_size=10),  # may hold a line break: refused
)
_BODY = st.one_of(
    st.text(_TEXT, max_size=300),
    st.builds(lambda line, n: (line + "\n") * n, st.text(_TEXT, max_size=120), st.integers(1, 5)),
)
_EXTRAS = st.dictionaries(
    st.sampled_from(["X-Mailer", "Reply-To", "Content-Language", "X-Long"]),
    st.text(_LINE, max_size=120),
    max_size=2,
)


@settings(max_examples=400, deadline=None)
@given(
    sender=_ADDRESS,
    to=st.lists(_ADDRESS, max_size=4),
    cc=st.lists(_ADDRESS, max_size=3),
    bcc=st.lists(_ADDRESS, max_size=2),
    subject=_SUBJECT,
    body=_BODY,
    date=_DATE,
    from_name=st.none() | st.text(_LINE, max_size=40),
    message_id=st.none() | st.sampled_from(["<a.b@example.org>", "id@example.com"]),
    extra_headers=st.none() | _EXTRAS,
)
def test_compose_and_to_bytes_write_what_the_plain_stdlib_writes(**kwargs: Any) -> None:
    with plain_stdlib():
        expected = outcome(**kwargs)
    assert outcome(**kwargs) == expected  # first time: memo misses
    assert outcome(**kwargs) == expected  # again: every memo hits


# Subjects and message ids near the edge of the stored-as-written path: printable ASCII
# with the characters that mean something in headers, spaces, and lengths around the
# 78-character line.
_ASCII_WORD = st.text(st.sampled_from("aZ09 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t"), max_size=12)
_PLAINISH_SUBJECT = st.one_of(
    st.lists(_ASCII_WORD, max_size=8).map(" ".join),
    st.integers(60, 75).map(lambda n: "x" * n),
    st.builds(lambda a, b: f"{a} {b}", st.text(st.sampled_from("ab "), max_size=70), _ASCII_WORD),
)
_DOT_ATOM = st.text(st.sampled_from("aZ09!#$%&'*+/=?^_`{|}~-."), min_size=1, max_size=30)
_PLAINISH_ID = st.builds(lambda left, right: f"<{left}@{right}>", _DOT_ATOM, _DOT_ATOM)


@settings(max_examples=500, deadline=None)
@given(subject=_PLAINISH_SUBJECT, message_id=st.none() | _PLAINISH_ID)
def test_fields_stored_as_written_write_and_read_as_the_stdlib_does(
    subject: str, message_id: str | None
) -> None:
    """Subject and Message-ID may be stored ready to write (set_raw): the bytes, and
    the header objects read back (their kind, text and defects), must be the stdlib's."""
    kwargs: dict[str, Any] = {"sender": "bob@example.org", "to": ["alice@example.com"],
                              "subject": subject, "body": "x", "date": T0,
                              "message_id": message_id}
    with plain_stdlib():
        expected = outcome(**kwargs)
        reference = compose(**kwargs) if expected[0] == "bytes" else None
    assert outcome(**kwargs) == expected
    if reference is not None:
        msg = compose(**kwargs)
        for name in ("Subject", "Message-ID"):
            mine, theirs = msg[name], reference[name]
            # (The stdlib makes a new header class at every lookup; compare kinds.)
            def seen(h: Any) -> tuple[object, ...]:
                return ([c.__name__ for c in type(h).__mro__], str(h),
                        [(type(d), str(d)) for d in h.defects])
            assert seen(mine) == seen(theirs)


def test_plain_subjects_and_ids_are_stored_as_written() -> None:
    """The shortcut is taken where it should be, and not where it must not be."""
    def raw(**kw: Any) -> dict[str, object]:
        msg = compose("bob@example.org", ["alice@example.com"], body="x", date=T0, **kw)
        return dict(msg.raw_items())
    plain = raw(subject="Message 42", message_id="<1.2@example.org>")
    assert type(plain["Subject"]) is str and plain["Subject"] == "Message 42"
    assert type(plain["Message-ID"]) is str and plain["Message-ID"] == "<1.2@example.org>"
    for subject in ("Café", "=?utf-8?q?x?=", "two  spaces", "x" * 70, " lead", ""):
        assert type(raw(subject=subject)["Subject"]) is not str, subject  # a header object


def test_the_benchmark_message_is_unchanged() -> None:
    kwargs: dict[str, Any] = {
        "sender": "bob@example.org",
        "to": ["alice@example.com"],
        "body": "Hello Alice.\nA benchmark message.\nBob",
    }
    for i in range(3):
        kwargs.update(subject=f"Message {i}", date=T0 + timedelta(seconds=i))
        with plain_stdlib():
            expected = outcome(**kwargs)
        assert outcome(**kwargs) == expected


def test_messages_share_header_objects_but_stay_independent() -> None:
    one = compose("bob@example.org", ["alice@example.com"], subject="1", body="a", date=T0)
    two = compose("bob@example.org", ["alice@example.com"], subject="2", body="b", date=T0)
    assert one["From"] is two["From"] and one["Content-Type"] is two["Content-Type"]
    before = to_bytes(two)
    del one["From"]
    one["From"] = "mallory@example.net"
    one.replace_header("Content-Type", "text/html")
    assert to_bytes(two) == before
    assert isinstance(one, EmailMessage) and one.policy is _wire._WIRE


def test_equal_dates_in_two_zones_stay_apart() -> None:
    """Equal datetimes may carry different zones: each message keeps its own (a Date
    header is shared only between messages whose Date *text* is the same)."""
    paris = T0.astimezone(timezone(timedelta(hours=1)))
    utc = compose("a@example.org", ["b@example.org"], subject="", body="", date=T0)
    cet = compose("a@example.org", ["b@example.org"], subject="", body="", date=paris)
    assert utc["Date"].datetime.utcoffset() == timedelta(0)
    assert cet["Date"].datetime.utcoffset() == timedelta(hours=1)
    assert b"+0100" in to_bytes(cet) and b"+0000" in to_bytes(utc)
    again = compose("c@example.org", ["d@example.org"], subject="", body="", date=T0)
    assert again["Date"] is utc["Date"]  # the same second, written the same: one header


def test_memos_are_bounded() -> None:
    headers, addresses = _wire._REGISTRY._memo, _wire._header_address
    for memo in (headers, addresses):
        assert memo.cache_info().maxsize is not None
    n = max(headers.cache_info().maxsize or 0, addresses.cache_info().maxsize or 0) + 10
    for i in range(n):
        compose(f"user{i}@example.org", [f"rcpt{i}@example.com"], subject="", body="", date=T0)
    for memo in (headers, addresses):
        info = memo.cache_info()
        assert info.currsize <= (info.maxsize or 0)


def test_only_the_wire_policies_remember_folds() -> None:
    """A clone with another line length folds afresh, as the stdlib does."""
    msg = compose("bob@example.org", ["alice@example.com"], subject="word " * 20, body="x", date=T0)
    wire = to_bytes(msg)
    narrow = _wire._WIRE.clone(max_line_length=40)
    plain = email.policy.SMTP.clone(refold_source="none", max_line_length=40)
    with plain_stdlib():
        reference = compose(
            "bob@example.org", ["alice@example.com"], subject="word " * 20, body="x", date=T0
        )
    assert msg.as_bytes(policy=narrow) == reference.as_bytes(policy=plain) != wire
    assert to_bytes(msg) == wire


def test_parsed_headers_are_written_back_as_they_arrived() -> None:
    raw = (
        b"From: Bob <bob@example.org>\r\nTo:   alice@example.com\r\n"
        b"Subject: folded\r\n\t oddly  ,  here\r\nMIME-Version: 1.0\r\n\r\nbody\r\n"
    )
    with plain_stdlib():
        expected = to_bytes(from_bytes(raw))
    assert b"Subject: folded\r\n\t oddly  ,  here\r\n" in expected
    msg = from_bytes(raw)
    assert to_bytes(msg) == expected
    assert msg["Subject"] == "folded\t oddly  ,  here"  # reading builds header objects...
    assert msg["To"].addresses[0].domain == "example.com"
    assert to_bytes(msg) == expected  # ...and changes nothing


def test_a_deep_copy_writes_the_same_bytes() -> None:
    msg = compose("bob@example.org", ["alice@example.com"], subject="Hi", body="x", date=T0)
    wire = to_bytes(msg)
    assert to_bytes(copy.deepcopy(msg)) == wire


def test_extra_content_fields_survive_the_body() -> None:
    # Setting a body clears every Content-* field, so compose writes extra ones after it.
    msg = compose("bob@example.org", ["alice@example.com"], subject="Hi", body="Hello",
                  date=datetime(2026, 11, 28, 9, tzinfo=timezone.utc),
                  extra_headers={"Content-Language": "en", "X-Mailer": "smtpsim"})
    assert msg["Content-Language"] == "en" and msg["X-Mailer"] == "smtpsim"
    assert b"\r\nContent-Language: en\r\n" in to_bytes(msg)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b"Received: x", b" "]),
                max_size=14).map(b"".join))
def test_the_header_block_ends_where_the_regular_expression_says(data: bytes) -> None:
    """_header_block finds the first empty line with find(); the rule is the regex's."""
    end = _wire._HEADER_END.search(data)
    assert _wire._header_block(data) == data[: end.start() if end else None]


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), timezones=_ZONE | st.timezones()))
def test_date_text_is_format_datetime(date: datetime) -> None:
    """The memoised Date text is format_datetime's, zones, folds and all."""
    from email.utils import format_datetime

    assert _wire._date_text(date) == format_datetime(date)


def _prepend_header_reference(data: bytes, name: str, value: str) -> bytes:
    """prepend_header as first written: a regular expression per question."""
    import re

    if not re.fullmatch(r"[\x21-\x39\x3b-\x7e]+", name):
        raise ValueError(f"header name {name!r} is not a valid RFC 5322 field name")
    lines = re.split(r"\r\n|\r|\n", value)
    if "\x00" in value or any(ln[:1] not in (" ", "\t") or not ln.strip() for ln in lines[1:]):
        raise ValueError(f"{name} value has a NUL or a line break not followed by folded text")
    encoded = [ln.encode("utf-8") for ln in [f"{name}: {lines[0]}", *lines[1:]]]
    if any(len(ln) > 998 for ln in encoded):
        raise ValueError(f"{name} has a line longer than 998 octets; fold it")
    eol = b"\n" if re.match(rb"[^\r\n]*\n", data) else b"\r\n"
    return eol.join(encoded) + eol + data


_PIECES = st.sampled_from(["a", " ", "\t", "\r", "\n", "\r\n", "\r\n\t", "\r\n ", "\x00", "é",
                          "\x0b", "\u2028", "\x85", "x" * 500])


@settings(max_examples=1000, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b"From: x"]), max_size=6)
    .map(b"".join),
    name=st.sampled_from(["Received", "Delivered-To", "Return-Path", "Bad Name", "X:Y", ""]),
    value=st.lists(_PIECES, max_size=8).map("".join),
)
def test_prepend_header_is_the_plain_rule(data: bytes, name: str, value: str) -> None:
    """The quick prepend_header writes, and refuses, exactly what the plain one did."""
    from smtpsim.message import prepend_header

    def run(f: Any) -> object:
        try:
            return f(data, name, value)
        except ValueError as exc:
            return ("ValueError", str(exc))

    assert run(prepend_header) == run(_prepend_header_reference)
