"""The fourth round's fast paths give exactly what the general way gives.

Issue 3, fourth round: the simulation's sessions send the same commands session after
session (one EHLO per client name, one AUTH per account, a RCPT TO per address, DATA,
QUIT), so the sender keeps one object of each and the client engine remembers its
bytes; the client checks a command's sequence and takes the next step of its expected
state in one lookup; the server remembers its EHLO reply by the fields it is made of,
and answers "nothing yet" at once when its buffer is empty. Each is checked here
against the plain way it replaces.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpsim.errors import LocalProtocolError
from smtpsim.protocol import (
    NEED_DATA,
    Auth,
    AuthLine,
    Command,
    ConnectionClosed,
    Data,
    Ehlo,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    ServerConfig,
    ServerConnection,
    State,
    Vrfy,
    _client,
    _sender,
    _server,
)
from smtpsim.protocol._replies import known_reply
from smtpsim.protocol._state import AUTH_DATA, in_sequence, next_state

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

KEYS = sorted(set(_client._KEYS.values()))


# -- the client: sequence check and one step of the fold, in one lookup ------------------

@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
@pytest.mark.parametrize("key", KEYS)
def test_promised_state_is_in_sequence_then_the_fold(state: State, key: str) -> None:
    if not in_sequence(state, key):
        assert (state, key) not in _client._PROMISED
        return
    plain = State.DATA if key == "DATA" else next_state(
        state, key, 334 if key == AUTH_DATA else 250)
    assert _client._PROMISED[state, key] is plain


def _ready_client(extensions: bytes = b"250-PIPELINING\r\n250 SIZE 100\r\n"
                  ) -> _client.ClientConnection:
    client = _client.ClientConnection()
    client.receive_data(b"220 hi\r\n")
    client.next_event()
    client.send(Ehlo("c.example"))
    client.receive_data(b"250-mx Hello\r\n" + extensions)
    client.next_event()
    return client


def test_the_client_refuses_what_it_refused_before() -> None:
    client = _ready_client()
    with pytest.raises(LocalProtocolError, match="RCPT is out of sequence in state READY"):
        client.send(RcptTo("a@b.example"))
    with pytest.raises(LocalProtocolError, match="AUTH data only answers a 334"):
        client.send(AuthLine("eA=="))
    client.send(MailFrom("a@b.example"))
    client.send(RcptTo("c@d.example"))
    client.send(Data())
    with pytest.raises(LocalProtocolError, match="wait for the reply to DATA"):
        client.send(Rset())


replies = st.lists(st.sampled_from([b"250 ok\r\n", b"550 no\r\n", b"354 go\r\n", b"421 bye\r\n",
                                    b"452 later\r\n"]), max_size=3)


@SETTINGS
@given(replies)
def test_the_remembered_expected_state_is_the_folded_one(answers: list[bytes]) -> None:
    client = _ready_client()
    client.send(MailFrom("a@b.example"))
    client.send(RcptTo("c@d.example"))
    client.send(RcptTo("e@f.example"))
    for data in answers:
        client.receive_data(data)
        event = client.next_event()
        if isinstance(event, ConnectionClosed) or client.state is State.CLOSED:
            break
        if client._expected is not None:
            assert client._expected is client._expected_state()


# -- the client: wire bytes of a command, remembered ---------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
commands = st.one_of(
    st.builds(Ehlo, text), st.builds(Helo, text), st.builds(RcptTo, text),
    st.builds(MailFrom, text), st.builds(Vrfy, text), st.builds(Help, text),
    st.builds(Noop, text), st.builds(Auth, text, st.none() | text), st.builds(AuthLine, text),
    st.just(Data()), st.just(Rset()), st.just(Quit()),
    st.builds(RcptTo, text, st.just((("NOTIFY", "NEVER"),))),
    st.builds(MailFrom, text, st.just((("SIZE", "10"),))))


def _plain_bytes(command: Command) -> bytes | type[Exception]:
    try:
        return command.to_bytes()
    except LocalProtocolError:
        return LocalProtocolError


def _fast_bytes(command: Command) -> bytes | type[Exception]:
    try:
        return _client._command_bytes(command)
    except LocalProtocolError:
        return LocalProtocolError


@SETTINGS
@given(commands)
def test_remembered_command_bytes_are_to_bytes(command: Command) -> None:
    plain = _plain_bytes(command)
    for _ in range(2):  # made (or refused), then remembered (or refused again)
        assert _fast_bytes(command) == plain


def test_a_command_that_smuggles_a_line_is_refused_every_time() -> None:
    command = Ehlo("c.example\r\nMAIL FROM:<a@b.example>")
    for _ in range(3):
        with pytest.raises(LocalProtocolError, match="CR or LF"):
            _client._command_bytes(command)


def test_only_text_only_commands_are_remembered() -> None:
    class MyEhlo(Ehlo):
        __slots__ = ()

        def to_line(self) -> str:
            return f"EHLO {next(counter)}"

    counter = itertools.count()
    subclassed = MyEhlo("x")
    assert _client._command_bytes(subclassed) == b"EHLO 0\r\n"
    assert _client._command_bytes(subclassed) == b"EHLO 1\r\n"  # made afresh
    params: list[tuple[str, str | None]] = []
    with_list = RcptTo("a@b.example", params)  # type: ignore[arg-type]
    assert _client._command_bytes(with_list) == b"RCPT TO:<a@b.example>\r\n"
    params.append(("NOTIFY", "NEVER"))
    assert _client._command_bytes(with_list) == b"RCPT TO:<a@b.example> NOTIFY=NEVER\r\n"


# -- the sender: one command object per name and address -----------------------------------

@pytest.mark.parametrize("name", ["c.example", "bob-pc", "ü.example"])
def test_remembered_hello_and_rcpt_are_the_plain_commands(name: str) -> None:
    for _ in range(2):
        assert _sender._hello(name, True) == Ehlo(name)
        assert type(_sender._hello(name, True)) is Ehlo
        assert _sender._hello(name, False) == Helo(name)
        assert type(_sender._hello(name, False)) is Helo
        assert _sender._rcpt_to(f"a@{name}") == RcptTo(f"a@{name}")


# -- the server: the EHLO reply, remembered by what it is made of --------------------------

configs = st.builds(
    ServerConfig, hostname=st.sampled_from(["mx.example.com", "smtp.example.org"]),
    max_message_size=st.sampled_from([10_240_000, 500, 1]),
    pipelining=st.booleans(), eightbitmime=st.booleans(), enhanced_status_codes=st.booleans(),
    smtputf8=st.booleans(), help=st.booleans(),
    auth_mechanisms=st.sampled_from([(), ("PLAIN",), ("PLAIN", "LOGIN")]))


def _plain_ehlo(cfg: ServerConfig, domain: str) -> object:
    return known_reply(250, (f"{cfg.hostname} Hello {domain}", *cfg.extensions()))


@SETTINGS
@given(configs, st.sampled_from(["c.example", "bob-pc", "[192.0.2.1]"]))
def test_remembered_ehlo_reply_is_the_plain_one(cfg: ServerConfig, domain: str) -> None:
    for _ in range(2):
        assert _server._ehlo_reply(cfg, domain) == _plain_ehlo(cfg, domain)


def test_the_ehlo_reply_follows_a_changed_config() -> None:
    cfg = ServerConfig()
    before = _server._ehlo_reply(cfg, "c.example")
    cfg.max_message_size = 100
    cfg.pipelining = False
    after = _server._ehlo_reply(cfg, "c.example")
    assert after != before and after == _plain_ehlo(cfg, "c.example")


def test_unusual_configs_take_the_general_way() -> None:
    class Quiet(ServerConfig):
        def extensions(self) -> list[str]:
            return ["PIPELINING"]

    float_size = ServerConfig(max_message_size=10.0)  # type: ignore[arg-type]
    int_size = ServerConfig(max_message_size=10)
    listed = ServerConfig(auth_mechanisms=["PLAIN"])  # type: ignore[arg-type]
    for cfg in (Quiet(), float_size, int_size, listed, float_size):
        assert _server._ehlo_reply(cfg, "c") == _plain_ehlo(cfg, "c")
    assert _server._ehlo_reply(float_size, "c") != _server._ehlo_reply(int_size, "c")


# -- the server: an empty buffer is "nothing yet" in any state ---------------------------

@pytest.mark.parametrize("lines", [
    b"NOOP\r\n", b"EHLO c\r\n", b"EHLO c\r\nMAIL FROM:<a@b.example>\r\n",
    b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n", b"x" * 600])
def test_an_empty_buffer_means_need_data_or_closed(lines: bytes) -> None:
    server = ServerConnection()
    server.greet()
    server.receive_data(lines)
    while server.next_event() is not NEED_DATA:
        server.send(server.default_reply())
    assert server.next_event() is NEED_DATA
    under_way = server.state in (State.MAIL, State.RCPT, State.DATA)
    server.receive_data(b"")
    closed = server.next_event()
    assert isinstance(closed, ConnectionClosed) and closed.discarded == under_way
