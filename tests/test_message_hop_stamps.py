"""The fast paths of the per-hop stamps agree with the plain ways of doing the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from smtpsim.message import count_received, is_looping, received_header
from smtpsim.message._wire import _header_fields

# Lines built from the pieces that matter to where a header block ends and what a
# field is called: names (some spelled Received in odd cases), colons, folding
# whitespace, and every kind of line end.
_piece = st.sampled_from([b"Received", b"received", b"REceived", b"Receivedx", b"From",
                          b"X-a", b":", b" ", b"\t", b"a", b"\r\n", b"\n", b"\r", b"", b"(",
                          b"\x00", b"\xc3\xa9"])
_data = st.lists(_piece, max_size=40).map(b"".join)


@given(_data)
def test_count_received_matches_the_field_by_field_count(data: bytes) -> None:
    field_by_field = sum(1 for name, _ in _header_fields(data) if name == "received")
    assert count_received(data) == field_by_field


def test_count_received_ignores_the_body_and_counts_folded_fields_once() -> None:
    data = (b"Received: from a\r\n\tby b; date\r\nreceived :from c\r\nSubject: x\r\n\r\n"
            b"Received: in the body\r\n")
    assert count_received(data) == 2


@given(st.integers(min_value=0, max_value=10**9),
       st.lists(st.integers(-12 * 60, 14 * 60), min_size=1, max_size=3))
def test_received_date_is_the_whole_second_as_format_datetime_writes_it(
    micros: int, offsets_in_minutes: list[int]
) -> None:
    instant = datetime(2026, 11, 28, tzinfo=timezone.utc) + timedelta(microseconds=micros)
    for minutes in offsets_in_minutes:  # one instant, written in several zones
        date = instant.astimezone(timezone(timedelta(minutes=minutes)))
        value = received_header(helo="a.example", peer_host=None, peer_ip="192.0.2.1",
                                by="b.example", protocol="ESMTP", queue_id="1A",
                                recipients=["x@b.example"], date=date)
        assert value.endswith("; " + format_datetime(date.replace(microsecond=0)))


@given(_data, st.integers(min_value=0, max_value=4))
def test_is_looping_agrees_with_the_count(data: bytes, max_hops: int) -> None:
    assert is_looping(data, max_hops) == (count_received(data) >= max_hops)
