"""``converse`` (``smtpsim.protocol._dialog``): two engines talking in memory, every
line recorded with its flight and state, or only what timing a session needs."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpsim.protocol import (
    NEED_DATA,
    ConnectionClosed,
    Data,
    MailSender,
    MessageReceived,
    MessageRejected,
    Outgoing,
    Reply,
    ServerConfig,
    ServerConnection,
    State,
    WireLine,
    converse,
    has_bare_line_ending,
)


def _reference_converse(sender: MailSender, server: ServerConnection,
                        policy: object) -> list[WireLine]:
    """converse(record=True) written the slow, obvious way: event by event."""
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


def _session(content: bytes, pipelining: bool, ehlo: bool,
             bare: str) -> tuple[MailSender, ServerConnection]:
    msg = Outgoing("bob@example.org", ("al@example.com", "cy@example.com"), content)
    return (MailSender("c.example", [msg, msg], pipelining=pipelining, ehlo=ehlo),
            ServerConnection(ServerConfig(bare_line_endings=bare)))


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 12), st.sampled_from([450, 550, 421]), st.booleans(), st.booleans(),
       st.sampled_from([b"hi\r\n", b".dot\r\n..two\r\n", b"x" * 1200]),
       st.sampled_from(["reject", "normalize"]))
def test_converse_records_what_recording_event_by_event_records(
        nth: int, code: int, pipelining: bool, ehlo: bool, content: bytes, bare: str) -> None:
    assert not has_bare_line_ending(content)
    sender, server = _session(content, pipelining, ehlo, bare)
    got = converse(sender, server, _Refuse(nth, code))
    ref_sender, ref_server = _session(content, pipelining, ehlo, bare)
    assert got == _reference_converse(ref_sender, ref_server, _Refuse(nth, code))
    assert sender.results == ref_sender.results


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 12), st.sampled_from([450, 550, 421]), st.booleans())
def test_without_a_record_only_the_ends_of_data_and_the_last_line_are_kept(
        nth: int, code: int, pipelining: bool) -> None:
    full_sender, full_server = _session(b"hi\r\n", pipelining, True, "reject")
    full = converse(full_sender, full_server, _Refuse(nth, code))
    sender, server = _session(b"hi\r\n", pipelining, True, "reject")
    short = converse(sender, server, _Refuse(nth, code), record=False)
    assert sender.results == full_sender.results
    ends = [w for w in full if w.end_of_data]
    assert short[: len(ends)] == ends
    # The last line says when the session ended, and in what state.
    assert short[-1].flight == full[-1].flight and short[-1].state is full[-1].state
