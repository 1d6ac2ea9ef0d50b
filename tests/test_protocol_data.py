"""Message content on the wire (``smtpsim.protocol._data``): dot-stuffing, bare line
endings, and the server reading DATA the same way however the bytes arrive."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpsim.errors import LocalProtocolError
from smtpsim.protocol import (
    NEED_DATA,
    MessageReceived,
    MessageRejected,
    ServerConfig,
    ServerConnection,
    dot_stuff,
    has_bare_line_ending,
    normalize_line_endings,
)

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Bytes built from the octets that matter to line handling, plus a long run.
wire_bytes = st.lists(
    st.sampled_from([b"a", b".", b"\r", b"\n", b"\r\n", b"\r\n.", b"\r\n.\r\n", b"x" * 9,
                     b"\x00", "é".encode()]),
    max_size=40).map(b"".join)

# A whole, clean message, maybe with more bytes after it.
clean_message = st.builds(
    lambda lines, after: b"".join(ln + b"\r\n" for ln in lines) + b".\r\n" + after,
    st.lists(st.sampled_from([b"", b".", b"..", b".x", b"a", b"x" * 9, b"x" * 8, "é".encode()]),
             max_size=6),
    st.sampled_from([b"", b"QUIT\r\n", b"\n.\r\n"]))


def _bare_reference(data: bytes) -> bool:
    return re.search(rb"\r(?!\n)|(?<!\r)\n", data) is not None


@SETTINGS
@given(wire_bytes)
def test_has_bare_line_ending_agrees_with_a_regular_expression(data: bytes) -> None:
    assert has_bare_line_ending(data) == _bare_reference(data)


@pytest.mark.parametrize("data", [b"", b"\r", b"\n", b"\r\n", b"\n\r", b"\r\r\n", b"a\r\nb",
                                  b"a\r\nb\n", b"\r\n\r\n", b"a\rb\r\n"])
def test_has_bare_line_ending_edge_cases(data: bytes) -> None:
    assert has_bare_line_ending(data) == _bare_reference(data)


def _dot_stuff_reference(content: bytes) -> bytes:
    if content and not content.endswith(b"\r\n"):
        content += b"\r\n"
    if content.startswith(b"."):
        content = b"." + content
    return content.replace(b"\r\n.", b"\r\n..") + b".\r\n"


@SETTINGS
@given(wire_bytes)
def test_dot_stuff_is_the_plain_replace(content: bytes) -> None:
    if _bare_reference(content):
        with pytest.raises(LocalProtocolError):
            dot_stuff(content)
    else:
        assert dot_stuff(content) == _dot_stuff_reference(content)


@SETTINGS
@given(wire_bytes)
def test_normalize_leaves_no_bare_line_ending(data: bytes) -> None:
    out = normalize_line_endings(data)
    assert not has_bare_line_ending(out)
    assert out.replace(b"\r\n", b"") == data.replace(b"\r\n", b"").replace(
        b"\r", b"").replace(b"\n", b"")


# -- the server reading DATA: whole or octet by octet, the same --------------------------

def _read(stream: bytes, chunk: int, size: int, line: int, policy: str) -> tuple[object, ...]:
    """Feed ``stream`` after 354 in chunks of ``chunk`` octets; return what ended the data
    and the first event after it (what the server made of the bytes left over)."""
    server = ServerConnection(ServerConfig(max_message_size=size, max_text_line=line,
                                           bare_line_endings=policy))
    server.greet()
    server.receive_data(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n")
    for _ in range(4):
        server.next_event()
        server.send(server.default_reply())
    ended: object = None
    after: object = None
    for i in range(0, len(stream), chunk):
        server.receive_data(stream[i : i + chunk])
        while (event := server.next_event()) is not NEED_DATA:
            if ended is None:
                assert isinstance(event, (MessageReceived, MessageRejected))
                ended = event
            elif after is None:
                after = event
            server.send(server.default_reply())
    return ended, after


@SETTINGS
@given(st.one_of(wire_bytes, clean_message),
       st.sampled_from([(10_000, 1000), (20, 1000), (10_000, 8), (30, 6), (10_000, 11),
                        (10_000, 10), (9, 1000), (11, 1000)]),
       st.sampled_from(["reject", "normalize"]))
def test_data_is_read_the_same_whole_or_byte_by_byte(
        stream: bytes, limits: tuple[int, int], policy: str) -> None:
    # (A line of nine x's is 11 octets with its CRLF: right at the 11 and 10 limits.)
    size, line = limits
    whole = _read(stream, max(len(stream), 1), size, line, policy)
    assert _read(stream, 1, size, line, policy) == whole
    assert _read(stream, 3, size, line, policy) == whole


@pytest.mark.parametrize("stuffed", [b"a\r\n..b\r\n", b"..\r\nxy\r\n", b".a\r\n\r\n"])
def test_the_size_limit_counts_the_unstuffed_content(stuffed: bytes) -> None:
    size = len(stuffed) - stuffed.count(b"\r\n..") - stuffed.startswith(b".")  # un-stuffed
    for limit in range(size - 2, size + 3):
        stream = stuffed + b".\r\nQUIT\r\n"
        ended, _ = _read(stream, len(stream), limit, 1000, "reject")
        assert _read(stream, 1, limit, 1000, "reject")[0] == ended
        assert isinstance(ended, MessageReceived) == (limit >= size)
