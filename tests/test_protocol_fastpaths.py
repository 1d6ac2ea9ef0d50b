"""The engine's fast paths give exactly what the plain, general way gives.

Every fast path in ``smtpsim.protocol`` (issue 2: the in-memory dialog must be much
faster than a real one) is checked here against the obvious way to do the same thing:
the one-pass tests for bare CR/LF, split-and-join dot-stuffing, the whole-message
DataReader path against the line-by-line path, the cached reply parser against a fresh
one, the precomputed default replies against formatting, and converse()'s bulk
recording against recording one event at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpsim.errors import LocalProtocolError, RemoteProtocolError
from smtpsim.protocol import (
    NEED_DATA,
    TRANSITIONS,
    ConnectionClosed,
    Data,
    MailFrom,
    MailSender,
    MessageReceived,
    MessageRejected,
    Noop,
    Outgoing,
    Quit,
    RcptTo,
    Reply,
    ReplyReader,
    Rset,
    ServerConfig,
    ServerConnection,
    State,
    WireLine,
    _server,
    converse,
    dot_stuff,
    has_bare_line_ending,
    in_sequence,
)
from smtpsim.protocol._data import DataReader
from smtpsim.protocol._replies import wire_bytes as remembered_bytes

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Bytes built from the octets that matter to line handling, plus a long run.
wire_bytes = st.lists(
    st.sampled_from([b"a", b".", b"\r", b"\n", b"\r\n", b"\r\n.", b"\r\n.\r\n", b"x" * 9,
                     b"\x00", "é".encode()]),
    max_size=40).map(b"".join)

# A whole, clean message (what the fast path is for), maybe with more bytes after it.
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


# -- DataReader: the whole-message fast path against the line-by-line path ----------

def _read(stream: bytes, chunks: list[int], **limits: object) -> tuple[object, ...]:
    reader = DataReader(**limits)  # type: ignore[arg-type]
    rest, pos = b"", 0
    for size in [*chunks, len(stream)]:
        if reader.done or pos >= len(stream):
            break
        rest = reader.feed(stream[pos : pos + size])
        pos += size
    verdict = reader.verdict() if reader.done else None
    return reader.done, rest + stream[pos:], verdict


@SETTINGS
@given(st.one_of(wire_bytes, clean_message),
       st.sampled_from([(10_000, 1000), (20, 1000), (10_000, 8), (30, 6), (10_000, 11),
                        (10_000, 10), (9, 1000), (11, 1000)]),
       st.sampled_from(["reject", "normalize"]))
def test_datareader_takes_the_same_message_whole_or_byte_by_byte(
        stream: bytes, limits: tuple[int, int], policy: str) -> None:
    # (A line of nine x's is 11 octets with its CRLF: right at the 11 and 10 limits.)
    size, line = limits
    kw = {"max_size": size, "max_line": line, "bare_line_endings": policy}
    whole = _read(stream, [len(stream)], **kw)  # may take the fast path
    bytewise = _read(stream, [1] * len(stream), **kw)  # never does
    assert whole == bytewise


@pytest.mark.parametrize("stuffed", [b"a\r\n..b\r\n", b"..\r\nxy\r\n", b".a\r\n\r\n"])
def test_datareader_size_limit_at_the_boundary(stuffed: bytes) -> None:
    size = len(stuffed) - stuffed.count(b"\r\n..") - stuffed.startswith(b".")  # un-stuffed
    for limit in range(size - 2, size + 3):
        kw = {"max_size": limit}
        stream = stuffed + b".\r\nQUIT\r\n"
        whole = _read(stream, [len(stream)], **kw)
        assert whole == _read(stream, [1] * len(stream), **kw)
        assert (whole[2].reply is None) == (limit >= size)  # type: ignore[union-attr]


# -- the state table -----------------------------------------------------------------

@pytest.mark.parametrize("state", list(State))
def test_in_sequence_reads_the_table(state: State) -> None:
    events = {event for _, event, _ in TRANSITIONS} | {"EXPN", ""}
    for event in events:
        expected = (state, event, 2) in TRANSITIONS or (state, event, 3) in TRANSITIONS
        assert in_sequence(state, event) == expected


# -- replies -------------------------------------------------------------------------

REPLY_FLIGHTS = [b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n",
                 b"250-a.example Hello\r\n250-PIPELINING\r\n250 HELP\r\n",
                 b"25\r\n250 Ok\r\n", b"250\r\n", b"2\r\n-\r\n", b"550-5.1.1 a\n550 5.1.1 b\n"]


def _replies(data: bytes, enhanced: bool, step: int) -> list[object]:
    reader, got = ReplyReader(enhanced), []
    for i in range(0, len(data), step):
        reader.feed(data[i : i + step])
        try:
            while (reply := reader.next_reply()) is not None:
                got.append(reply)
        except RemoteProtocolError as exc:  # the error is part of the answer
            got.append((type(exc), str(exc)))
            break
    return got


@pytest.mark.parametrize("data", REPLY_FLIGHTS)
@pytest.mark.parametrize("enhanced", [False, True])
def test_remembered_replies_are_the_ones_parsed_afresh(data: bytes, enhanced: bool) -> None:
    first = _replies(data, enhanced, 1)  # byte by byte: parsed line by line
    assert _replies(data, enhanced, len(data)) == first  # now remembered
    assert _replies(data, enhanced, 1) == first


@pytest.mark.parametrize("reply", sorted(_server._FIXED_REPLIES.values(), key=str))
def test_precomputed_reply_bytes_are_the_formatted_ones(reply: Reply) -> None:
    for _ in range(2):  # made, then remembered
        plain, enhanced = remembered_bytes(reply, False), remembered_bytes(reply, True)
        assert plain == reply.to_bytes(enhanced=False) == reply.to_bytes(False, utf8=True)
        assert enhanced == reply.to_bytes(enhanced=True) == reply.to_bytes(True, utf8=True)


@pytest.mark.parametrize("event", [MailFrom("bob@example.org"), RcptTo("al@example.com"),
                                   Data(), Rset(), Noop(), Quit()])
def test_fixed_default_replies_are_the_general_ones(event: object) -> None:
    # A subclass is not in the fast table, so it takes the general way round.
    sub = type(f"My{type(event).__name__}", (type(event),), {"__slots__": ()})
    twin = sub(*[getattr(event, f) for f in getattr(event, "__match_args__", ())])
    server = ServerConnection()
    server._pending = event  # type: ignore[assignment]
    fast = server.default_reply()
    server._pending = twin  # type: ignore[assignment]
    assert server.default_reply() == fast


# -- converse(): recording a flight at once, as recording event by event would -------

def _reference_converse(sender: MailSender, server: ServerConnection,
                        policy: object) -> list[WireLine]:
    """converse(record=True) written the slow, plain way."""
    def lines(data: bytes) -> list[str]:
        return [ln.decode("utf-8", "replace") for ln in data.split(b"\r\n")[:-1]]

    out: list[WireLine] = []
    flight = 0
    to_client = server.greet()
    out += [WireLine(flight, "S", ln, server.state) for ln in lines(to_client)]
    while True:
        if to_client:
            sender.receive_data(to_client)
        if server.state is State.CLOSED:
            sender.receive_data(b"")
        to_server = sender.data_to_send()
        if not to_server:
            if sender.done and server.state is not State.CLOSED:
                server.receive_data(b"")
                server.next_event()
            break
        flight += 1
        started = server.state
        out += [WireLine(flight, "C", ln, started) for ln in lines(to_server)]
        server.receive_data(to_server)
        to_client = b""
        while (event := server.next_event()) is not NEED_DATA:
            if isinstance(event, ConnectionClosed):
                break
            reply = policy(event) or server.default_reply()  # type: ignore[operator]
            data = server.send(reply)
            to_client += data
            eod = isinstance(event, (MessageReceived, MessageRejected))
            out += [WireLine(flight, "S", ln, server.state, eod) for ln in lines(data)]
            if server.state is State.CLOSED:
                break
        if not to_client:
            break
    return out


@dataclass
class _Refuse:
    """A policy: refuse the n-th event with ``code``."""

    nth: int
    code: int
    seen: int = 0

    def __call__(self, event: object) -> Reply | None:
        self.seen += 1
        if self.seen == self.nth and not isinstance(event, (MessageRejected, Data)):
            return Reply.of(self.code, "refused")
        return None


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 12), st.sampled_from([450, 550, 421]), st.booleans(), st.booleans(),
       st.sampled_from([b"hi\r\n", b".dot\r\n..two\r\n", b"bare\nlf\r\n", b"x" * 1200]),
       st.sampled_from(["reject", "normalize"]))
def test_converse_records_what_recording_event_by_event_records(
        nth: int, code: int, pipelining: bool, ehlo: bool, content: bytes, bare: str) -> None:
    def session() -> tuple[MailSender, ServerConnection]:
        msg = Outgoing("bob@example.org", ("al@example.com", "cy@example.com"), content)
        return (MailSender("c.example", [msg, msg], pipelining=pipelining, ehlo=ehlo),
                ServerConnection(ServerConfig(bare_line_endings=bare)))

    if has_bare_line_ending(content):
        return  # MailSender refuses such content; nothing to record
    sender, server = session()
    got = converse(sender, server, _Refuse(nth, code))
    ref_sender, ref_server = session()
    assert got == _reference_converse(ref_sender, ref_server, _Refuse(nth, code))
    assert sender.results == ref_sender.results
