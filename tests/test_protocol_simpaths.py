"""The fast paths of the simulation's sessions give exactly what the general way gives.

Issue 3, third round: the simulation's sessions differ from the plain benchmark's.
Each server names every message with a new queue id, so the reply that takes the
message ("250 2.0.0 Ok: queued as 1A2B3") is new every time: the server builds it from
its fixed, valid parts and the checked id, and the client reads a new one-line reply in
one go instead of line by line. The first hop logs in with AUTH PLAIN, whose command
and decoded response are remembered. Each fast path is checked here against the plain
way it replaces.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_protocol_tables import EVENTS

from smtpsim.errors import LocalProtocolError, RemoteProtocolError
from smtpsim.protocol import (
    Auth,
    AuthCredentials,
    AuthLine,
    Command,
    Data,
    Ehlo,
    Envelope,
    Helo,
    Help,
    MailFrom,
    MessageReceived,
    Noop,
    Quit,
    RcptTo,
    Reply,
    ReplyReader,
    Rset,
    ServerConfig,
    ServerConnection,
    State,
    Vrfy,
    _client,
    _commands,
    _replies,
    _sender,
    _server,
)
from smtpsim.protocol._state import AUTH_DATA

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# -- a new one-line reply, read in one go ----------------------------------------------

reply_lines = st.builds(
    lambda code, sep, text, end: code + sep + text + end,
    st.sampled_from([b"250", b"221", b"354", b"421", b"550", b"199", b"600", b"000", b"2a0",
                     b"25", b"\xd9\xa2\xd9\xa5\xd9\xa0"]),  # (the last: Arabic-Indic digits)
    st.sampled_from([b" ", b"-", b"", b"x"]),
    st.lists(st.sampled_from([b"2.0.0", b"5.1.1", b"4.7.1", b"2.1234.0", b"5.0.0x", b" ",
                              b"Ok:", b"queued as 1A2B3", b"\r", b"\n", "é".encode(),
                              b"\xff", b"", b"\x00", b"2.0.0 "]), max_size=5).map(b"".join),
    st.sampled_from([b"\r\n", b"\n", b"\r\r\n", b"\r\n250 next\r\n", b""]))


def _outcome(reader: ReplyReader, data: bytes) -> list[object]:
    reader.feed(data)
    got: list[object] = []
    try:
        while (reply := reader.next_reply()) is not None:
            got.append((reply, repr(reply)))
    except RemoteProtocolError as exc:  # the error is part of the answer
        got.append((type(exc), str(exc)))
    return got


@contextlib.contextmanager
def _without_fast_path() -> Iterator[None]:
    """The general reader alone: nothing remembered and no one-line fast path."""
    _replies._PARSED.clear()
    saved = _replies._one_line_reply
    _replies._one_line_reply = lambda line, enhanced: None  # type: ignore[assignment]
    try:
        yield
    finally:
        _replies._one_line_reply = saved  # type: ignore[assignment]
        _replies._PARSED.clear()


@SETTINGS
@given(reply_lines, st.booleans())
def test_a_new_one_line_reply_is_read_as_the_line_by_line_reader_reads_it(
        data: bytes, enhanced: bool) -> None:
    _replies._PARSED.clear()
    fast = _outcome(ReplyReader(enhanced), data)
    with _without_fast_path():
        general = _outcome(ReplyReader(enhanced), data)
    assert fast == general


def _read_line_by_line(line: bytes, enhanced: bool) -> Reply | None:
    """The general reader's Reply for ``line``."""
    with _without_fast_path():
        reader = ReplyReader(enhanced)
        reader.feed(line)
        return reader.next_reply()


@SETTINGS
@given(reply_lines, st.booleans())
def test_the_one_line_reader_takes_only_what_the_general_reader_accepts(
        data: bytes, enhanced: bool) -> None:
    line = data[: data.find(b"\n") + 1] if b"\n" in data else data
    fast = _replies._one_line_reply(line, enhanced)
    if fast is None:
        return
    plain = _read_line_by_line(line, enhanced)
    assert type(fast) is Reply
    assert plain == fast and repr(plain) == repr(fast)
    # A Reply built without the checks passes the checks.
    assert Reply(fast.code, fast.lines, fast.enhanced) == fast


@pytest.mark.parametrize(("line", "enhanced"), [
    (b"250 2.0.0 Ok: queued as 1A2B3\r\n", True), (b"250 2.0.0 Ok: queued as 1A2B3\r\n", False),
    (b"550 2.0.0 class mismatch\r\n", True), (b"250 \r\n", True), (b"250 2.0.0\r\n", True),
    (b"421 4.3.2 busy\r\n", True), ("250 é\r\n".encode(), False)])
def test_the_one_line_reader_on_common_lines(line: bytes, enhanced: bool) -> None:
    fast = _replies._one_line_reply(line, enhanced)
    assert fast is not None
    assert fast == _read_line_by_line(line, enhanced)


@pytest.mark.parametrize("line", [b"250 a\rb\r\n", b"250 ok\r\r\n", b"250 ok\n", b"250-a\r\n",
                                  b"199 x\r\n", b"600 x\r\n", b"25 x\r\n", b"250 a\nb\r\n",
                                  b"abc x\r\n", b"250x\r\n"])
def test_the_one_line_reader_leaves_anything_unusual_to_the_general_reader(line: bytes) -> None:
    assert _replies._one_line_reply(line, True) is None


# -- the queued-as reply, built from its checked parts ---------------------------------

@SETTINGS
@given(st.one_of(st.text(max_size=8), st.sampled_from(["1A2B3", "A\nB", "A\rB", "\r\n", ""]),
                 st.integers(0, 2**20)))
def test_queued_as_is_the_general_reply(queue_id: object) -> None:
    try:
        plain: object = Reply.of(250, f"Ok: queued as {queue_id}", "2.0.0")
    except LocalProtocolError as exc:
        plain = (LocalProtocolError, str(exc))
    try:
        fast: object = _server._queued_as(queue_id)  # type: ignore[arg-type]
    except LocalProtocolError as exc:
        fast = (LocalProtocolError, str(exc))
    assert fast == plain and repr(fast) == repr(plain)
    if isinstance(fast, Reply):
        assert fast.to_bytes(True) == plain.to_bytes(True)  # type: ignore[union-attr]


def test_queued_as_reply_on_the_wire_and_back() -> None:
    ids = iter(["1A2B3", "1A2B4"])
    server = ServerConnection(ServerConfig(queue_ids=lambda: next(ids)))
    server.greet()
    server.receive_data(b"EHLO c.example\r\nMAIL FROM:<a@b.example> SIZE=4\r\n"
                        b"RCPT TO:<x@y.example>\r\nDATA\r\n")
    for _ in range(4):
        server.next_event()
        server.send(server.default_reply())
    server.receive_data(b"hi\r\n.\r\n")
    assert isinstance(server.next_event(), MessageReceived)
    reply = server.default_reply()
    assert reply == Reply.of(250, "Ok: queued as 1A2B3", "2.0.0")
    data = server.send(reply)
    assert data == b"250 2.0.0 Ok: queued as 1A2B3\r\n"
    reader = ReplyReader(enhanced=True)
    reader.feed(data)
    assert reader.next_reply() == reply


# -- the reply tables: what send() refuses is what the rules refuse --------------------

@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("code", [235, 250, 334, 350, 354, 399, 421, 450, 550])
def test_send_refuses_exactly_what_the_rules_refuse(event: object, code: int) -> None:
    server = ServerConnection()
    server.state = State.READY
    server._pending = event  # type: ignore[assignment]
    server._pending_key = "NOOP"
    try:
        server.send(Reply(code, ("x",)))
        refused = False
    except LocalProtocolError:
        refused = True
    assert refused == (_server._reply_error(event, code) is not None)  # type: ignore[arg-type]


# -- AUTH PLAIN, remembered --------------------------------------------------------------

@SETTINGS
@given(st.one_of(st.text(max_size=12), st.sampled_from(["=", "AGJvYgBwdw==", "AGJvYgBwdw",
                                                        "*", "!!", "/w==", "AA==", ""]),
                 st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())))
def test_remembered_base64_text_is_the_plain_decoding(b64: str) -> None:
    try:
        raw = base64.b64decode(b"" if b64 == "=" else b64.encode(), validate=True)
        plain: str | None = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        plain = None
    for _ in range(2):  # decoded, then remembered
        assert _server._base64_text(b64) == plain


@pytest.mark.parametrize(("user", "password"), [("bob@example.org", "pw"), ("u", ""),
                                                ("ü", "pässword")])
def test_remembered_auth_plain_is_the_plain_command(user: str, password: str) -> None:
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    for _ in range(2):
        assert _sender._auth_plain(user, password) == Auth("PLAIN", token)


def test_slot_filled_credentials_equal_the_constructed_ones() -> None:
    fast = _server._credentials("PLAIN", "bob", "pw")
    plain = AuthCredentials("PLAIN", "bob", "pw")
    assert type(fast) is AuthCredentials
    assert fast == plain and repr(fast) == repr(plain) and hash(fast) == hash(plain)


def test_auth_plain_session_logs_in() -> None:
    server = ServerConnection(ServerConfig(auth_mechanisms=("PLAIN", "LOGIN"),
                                           require_auth=True))
    server.greet()
    token = _sender._auth_plain("bob", "pw").initial_response
    server.receive_data(f"EHLO c.example\r\nAUTH PLAIN {token}\r\n".encode())
    server.next_event()
    server.send(server.default_reply())
    assert server.next_event() == AuthCredentials("PLAIN", "bob", "pw")


# -- the client's command keys, by exact type --------------------------------------------

COMMANDS = [Ehlo("c"), Helo("c"), MailFrom("a@b.c"), RcptTo("a@b.c"), Data(), Rset(), Noop(),
            Vrfy("bob"), Help(), Quit(), Auth("PLAIN"), AuthLine("eA==")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: type(c).__name__)
def test_client_command_keys_are_what_isinstance_finds(command: Command) -> None:
    plain = AUTH_DATA if isinstance(command, AuthLine) else command.verb
    assert _client._KEYS[type(command)] == plain


def test_client_command_keys_cover_every_command_type() -> None:
    names = [getattr(_commands, name) for name in _commands.__all__]
    kinds = {c for c in names if isinstance(c, type) and issubclass(c, Command)} - {Command}
    assert kinds == set(_client._KEYS)


def test_a_command_subclass_still_takes_the_long_way() -> None:
    class MyRset(Rset):
        __slots__ = ()

    client = _client.ClientConnection()
    client.receive_data(b"220 hi\r\n")
    client.next_event()
    assert client.send(MyRset()) == b"RSET\r\n"
    with pytest.raises(LocalProtocolError):
        client.send("RSET")  # type: ignore[arg-type]


# -- the server's envelope after MAIL FROM ----------------------------------------------

params = st.lists(st.tuples(st.sampled_from(["SIZE", "BODY", "SMTPUTF8", "size", "X-Y"]),
                            st.sampled_from([None, "", "100", "8bitmime", "7BIT"])), max_size=3)


@SETTINGS
@given(params)
def test_envelope_after_mail_from_is_the_plain_one(pairs: list[tuple[str, str | None]]) -> None:
    event = MailFrom("a@b.example", tuple(pairs))
    server = ServerConnection()
    server._mail_accepted(event)
    assert server.envelope == Envelope(
        mail_from=event.address, mail_params=event.params,
        smtputf8=event.param("SMTPUTF8") is not None,
        body=(event.param("BODY") or "7BIT").upper())


# -- the sender: a 2xx to anything but DATA fits ----------------------------------------

@pytest.mark.parametrize("verb", ["greeting", "EHLO", "HELO", "AUTH", "MAIL", "RCPT",
                                  "end of data", "RSET", "QUIT", "unsolicited", "NOOP"])
@pytest.mark.parametrize("code", [200, 221, 235, 250, 251, 299])
def test_a_2xx_to_anything_but_data_fits(verb: str, code: int) -> None:
    assert _sender._fits(verb, code)
