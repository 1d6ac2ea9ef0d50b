"""The speed layer's message writer writes exactly what the plain one writes.

``smtpsim._accel.message`` shares header objects between messages. That may not change
a byte, or what a reader of the message sees: every test builds the same message both
ways and compares.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpsim import message as plain
from smtpsim._accel import message as accel

T0 = datetime(2026, 11, 28, 16, 0, 0, tzinfo=timezone.utc)


def outcome(writer: Any, **kwargs: Any) -> tuple[object, ...]:
    """The bytes compose + to_bytes write and the headers read back, or the error."""
    try:
        msg = writer.compose(**kwargs)
        data = writer.to_bytes(msg)
    except Exception as exc:  # the same bad input must fail the same way
        return (type(exc), str(exc))
    headers = [(name, str(value), kind(value)) for name, value in msg.items()]
    return ("bytes", data, headers, msg.get_content())


def kind(header: object) -> str:
    """The stdlib header class a header object is made from (UnstructuredHeader...)."""
    return next(c.__name__ for c in type(header).__mro__
                if c.__module__ == "email.headerregistry" and not c.__name__.startswith("_"))


_TEXT = st.characters(blacklist_categories=("Cs",))
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
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.text(_LINE, max_size=30),
    st.text(_LINE, min_size=70, max_size=300),  # folds over several lines
    st.sampled_from(["=?utf-8?q?caf=C3=A9?=", "Re: Café — 東京", "x" * 100, "a  b", " a"]),
    st.text(_TEXT, max_size=10),  # may hold a line break: refused
)
_BODY = st.one_of(
    st.text(st.characters(max_codepoint=127), max_size=300),
    st.text(_TEXT, max_size=300),
    st.builds(lambda line, n: (line + "\n") * n, st.text(_TEXT, max_size=120), st.integers(1, 5)),
    st.sampled_from(["", "\n", "a\rb\r\nc\x0bd\x1ce", "x" * 78 + "\n" + "y" * 79]),
)
_MESSAGE_ID = st.one_of(
    st.none(),
    st.sampled_from(["<1.2@example.org>", "abc@example.org", "<a b@example.org>", "<x@y"]),
)
_EXTRAS = st.dictionaries(
    st.sampled_from(["X-Mailer", "Reply-To", "Content-Language", "X-Long"]),
    st.text(_LINE, max_size=120),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(
    sender=_ADDRESS,
    to=st.lists(_ADDRESS, max_size=3),
    cc=st.lists(_ADDRESS, max_size=2),
    bcc=st.lists(_ADDRESS, max_size=1),
    subject=_SUBJECT,
    body=_BODY,
    date=_DATE,
    message_id=_MESSAGE_ID,
    from_name=st.one_of(st.none(), st.text(_LINE, max_size=20)),
    extra_headers=_EXTRAS,
)
def test_compose_and_to_bytes_write_what_the_plain_writer_writes(**kwargs: Any) -> None:
    assert outcome(accel, **kwargs) == outcome(plain, **kwargs)


def test_messages_share_header_objects_but_stay_independent() -> None:
    one = accel.compose("bob@example.org", ["alice@example.com"], subject="a", body="x\n",
                        date=T0)
    two = accel.compose("bob@example.org", ["alice@example.com"], subject="b", body="y\n",
                        date=T0)
    assert one["From"] is two["From"]  # built once, shared
    del one["From"]
    one["From"] = "carol@example.net"
    assert str(two["From"]) == "bob@example.org"
    assert b"From: bob@example.org\r\n" in accel.to_bytes(two)


def test_a_shared_header_folds_apart_under_smtp_and_smtputf8() -> None:
    ascii_msg = accel.compose("bob@example.org", ["alice@example.com"], subject="s",
                              body="b", date=T0, from_name="Bob Müller")
    utf8_msg = accel.compose("bob@example.org", ["jürgen@bücher.de"], subject="s",
                             body="b", date=T0, from_name="Bob Müller")
    assert ascii_msg["From"] is utf8_msg["From"]
    assert b"=?utf-8?" in accel.to_bytes(ascii_msg).split(b"\r\n")[0]
    assert "Müller".encode() in accel.to_bytes(utf8_msg).split(b"\r\n")[0]
    assert accel.to_bytes(ascii_msg) == plain.to_bytes(
        plain.compose("bob@example.org", ["alice@example.com"], subject="s", body="b",
                      date=T0, from_name="Bob Müller"))


def test_parsed_messages_are_written_back_as_they_arrived() -> None:
    data = (b"Received: from a (a [192.0.2.1])\r\n\tby b; Sat, 28 Nov 2026 16:00:00 +0000\r\n"
            b"From: bob@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nhi\r\n")
    assert accel.to_bytes(accel.from_bytes(data)) == data == plain.to_bytes(plain.from_bytes(data))
