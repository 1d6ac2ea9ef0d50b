"""A dialog between two line-based engines, flight by flight: the retrieval protocols' wire.

POP3 and IMAP, like SMTP, are dialogs of CRLF-ended lines: the client writes, then
waits for the server's answer. :func:`talk` joins a client engine and a server engine
(both sans-IO: bytes in, bytes out) with an imaginary wire and lets them talk until the
dialog ends. It returns every line that crossed, in order, each with its direction
(``C`` or ``S``), the server's state once it has crossed, and its *flight*: all the
bytes one side wrote before waiting for the other. A flight is half a round trip,
which is how the simulation turns a dialog into time.

(SMTP has its own :func:`smtpsim.protocol.converse`, which also hands the server's
decisions to a policy; retrieval servers decide for themselves, from the mail store.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

__all__ = ["Dialog", "Line", "LineClient", "LineServer", "talk"]


class LineClient(Protocol):
    """What :func:`talk` needs of a client engine."""

    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    @property
    def done(self) -> bool: ...


class LineServer(Protocol):
    """What :func:`talk` needs of a server engine."""

    def greeting(self) -> bytes: ...
    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    @property
    def state(self) -> Enum: ...
    @property
    def closed(self) -> bool: ...
    def next_event(self) -> object | None: ...


@dataclass(frozen=True, slots=True)
class Line:
    """One line on the wire (without CRLF): its flight, direction (``C``/``S``), text,
    and the server's state (its value) once the line has crossed."""

    flight: int
    dir: str
    line: str
    state: str


@dataclass(frozen=True, slots=True)
class Dialog:
    """What :func:`talk` returns: the lines that crossed, and what the server did
    (its events, e.g. a login or a deletion), each with the flight that caused it."""

    lines: list[Line]
    events: list[tuple[int, object]]


def _lines(flight: int, direction: str, data: bytes, state: str) -> list[Line]:
    parts = data.decode("utf-8", "replace").split("\r\n")
    if parts[-1] == "":
        parts.pop()
    return [Line(flight, direction, text, state) for text in parts]


def talk(client: LineClient, server: LineServer, *, max_flights: int = 10_000) -> Dialog:
    """Let ``client`` and ``server`` talk until the dialog ends.

    The server speaks first (its greeting). Then, flight after flight, the client
    writes what it has to say and the server answers it. The dialog ends when the
    client has nothing more to say, or the server has closed the connection.

    Args:
        client: the client engine.
        server: a fresh server engine.
        max_flights: a safety stop for a dialog that never ends.

    Returns:
        Every line, in order, and the server's events with their flights.
    """
    to_client = server.greeting()
    out = _lines(0, "S", to_client, server.state.value)
    events: list[tuple[int, object]] = []
    flight = 0
    while flight < max_flights:
        client.receive_data(to_client)
        if server.closed:
            client.receive_data(b"")  # the server hung up after its last answer
            break
        to_server = client.data_to_send()
        if not to_server:
            if client.done:
                server.receive_data(b"")  # the client hangs up
                events += _drain(flight, server)
            break
        flight += 1
        out += _lines(flight, "C", to_server, server.state.value)
        server.receive_data(to_server)
        to_client = server.data_to_send()
        events += _drain(flight, server)
        if not to_client and not server.closed:
            break  # the server is waiting for more than the client will send
        out += _lines(flight, "S", to_client, server.state.value)
    return Dialog(out, events)


def _drain(flight: int, server: LineServer) -> list[tuple[int, object]]:
    events = []
    while (event := server.next_event()) is not None:
        events.append((flight, event))
    return events
