"""Run a whole SMTP session in memory: a client engine talking to a server engine.

:func:`converse` joins a :class:`MailSender` and a :class:`ServerConnection` with an
imaginary wire and lets them talk until the client is done. It returns every line
that crossed the wire, in order, each tagged with the direction (``C`` or ``S``), the
server's protocol state after it, and the *flight* it travelled in: all the bytes one
side wrote before waiting for the other. Counting flights is counting network round
trips, which is how the simulation turns a dialog into time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._events import NEED_DATA, ConnectionClosed, MessageReceived, MessageRejected, ServerEvent
from ._replies import Reply
from ._sender import MailSender
from ._server import ServerConnection
from ._state import State

__all__ = ["Policy", "WireLine", "converse"]

#: Decides the server's reply to an event; None means "the engine's default reply".
Policy = Callable[[ServerEvent], "Reply | None"]


@dataclass(frozen=True, slots=True)
class WireLine:
    """One line on the wire (without CRLF), its direction and flight, and where the
    dialog stands once it has crossed: a command changes nothing until its reply, so a
    client line carries the state its flight started in, a reply the state it led to.
    ``end_of_data`` marks the reply to a message's content (the 250 that hands it over).
    """

    flight: int
    dir: str
    line: str
    state: State
    end_of_data: bool = False


def _lines(data: bytes) -> list[str]:
    # Decoding first and splitting after gives the same lines (CR and LF are ASCII,
    # so no UTF-8 sequence spans them) with one decode per flight instead of per line.
    parts = data.decode("utf-8", "replace").split("\r\n")
    if parts[-1] == "":
        parts.pop()
    return parts


def _record(out: list[WireLine], flight: int, direction: str, data: bytes,
            state: State, end_of_data: bool = False) -> None:
    """Append ``WireLine(flight, direction, line, state, end_of_data)`` for each line
    of ``data``."""
    for line in _lines(data):
        out.append(WireLine(flight, direction, line, state, end_of_data))


def converse(sender: MailSender, server: ServerConnection, policy: Policy | None = None, *,
             greeting: Reply | None = None, max_flights: int = 10_000,
             record: bool = True) -> list[WireLine]:
    """Let ``sender`` and ``server`` talk until the session ends.

    Args:
        sender: the client side (it already holds the messages to send).
        server: a fresh server engine.
        policy: called with each server event (MAIL FROM, RCPT TO, the received
            message ...); returns the reply to send, or None for the default.
        greeting: the server's first reply (default ``220 host ESMTP ...``).
        max_flights: a safety stop for a session that never ends.
        record: False keeps only the replies to the end of DATA and the session's last
            line (enough to time a session when nobody will read the dialog).

    Returns:
        Every line that crossed the wire, in order (see ``record``).
    """
    out: list[WireLine] = []
    flight = 0
    to_client = server.greet(greeting)
    # Without a record, the session's last line: WireLine(last_flight, "S", "", state).
    last_flight, last_state = 0, server.state
    if record:
        _record(out, flight, "S", to_client, server.state)
    while flight < max_flights:
        if to_client:
            sender.receive_data(to_client)
        if server.state is State.CLOSED:
            sender.receive_data(b"")  # the server hung up after its last reply
        to_server = sender.data_to_send()
        if not to_server:
            # Nothing more to say. b"" would mean EOF to the server, so only a client
            # that has finished hangs up; either way the dialog is over.
            if sender.done and server.state is not State.CLOSED:
                server.receive_data(b"")
                server.next_event()
            break
        flight += 1
        if record:
            # Everything the client wrote in this flight crossed the wire before any
            # reply to it (with PIPELINING, MAIL, RCPT and DATA go in one flight), so
            # the flight's client lines come first, all in the state the flight
            # started in; then the server's replies, each in the state it led to.
            _record(out, flight, "C", to_server, server.state)
        server.receive_data(to_server)
        replies: list[bytes] = []
        while (event := server.next_event()) is not NEED_DATA:
            if isinstance(event, ConnectionClosed):
                break
            reply = (policy(event) if policy else None) or server.default_reply()
            data = server.send(reply)
            replies.append(data)
            eod = isinstance(event, (MessageReceived, MessageRejected))
            if record or eod:
                _record(out, flight, "S", data, server.state, eod)
            if not record:
                last_flight, last_state = flight, server.state
            elif server.state is State.CLOSED:
                break
        if not replies:
            break
        to_client = b"".join(replies)
    if not record and (not out or out[-1].flight != last_flight):
        out.append(WireLine(last_flight, "S", "", last_state))
    return out
