"""The engine's dispatch tables and second-round fast paths give what the plain way gives.

Issue 2, second round: the engines look things up by type or verb in small tables
instead of walking ``isinstance`` chains, build their hottest immutable events by
filling slots directly, remember wire bytes and EHLO keywords, find the end of a
remembered multi-line reply in one search, and take a whole clean message in one
``splitlines`` pass. Each is checked here against the obvious way to do the same.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpsim.errors import LocalProtocolError, RemoteProtocolError
from smtpsim.protocol import (
    Auth,
    AuthCredentials,
    AuthData,
    BadCommand,
    ConnectionClosed,
    Data,
    Ehlo,
    Envelope,
    Helo,
    Help,
    MailFrom,
    MailSender,
    MessageReceived,
    MessageRejected,
    Noop,
    Outgoing,
    Quit,
    RcptTo,
    RecipientResult,
    Reply,
    ReplyReader,
    Rset,
    ServerConnection,
    State,
    Vrfy,
    WireLine,
    _client,
    _dialog,
    _sender,
    _server,
)
from smtpsim.protocol._data import DataReader
from smtpsim.protocol._fast import MEMO_MAX, fast_init, remember, slot_filler
from smtpsim.protocol._replies import wire_bytes

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

_OK = Reply.of(250, "Ok")

#: One event of every type a server engine makes (and so may have pending).
EVENTS = [Ehlo("c.example"), Helo("c.example"), MailFrom("a@b.example", (("SIZE", "10"),)),
          MailFrom("a@b.example", (("BODY", "8bitmime"), ("SMTPUTF8", None))),
          RcptTo("x@y.example"), Data(), Rset(), Noop(), Vrfy("bob"), Help("mail"), Quit(),
          Auth("PLAIN"), Auth("LOGIN"), AuthData("LOGIN", "bob"),
          AuthCredentials("PLAIN", "bob", "pw"), MessageReceived(Envelope(), b"hi\r\n"),
          BadCommand("x", Reply.of(500, "no")), MessageRejected(Envelope(), Reply.of(552, "big")),
          ConnectionClosed()]


# -- what may answer what ------------------------------------------------------------

@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("kind", [2, 3, 4, 5])
def test_reply_class_table_agrees_with_the_rules(event: object, kind: int) -> None:
    allowed = kind in _server._REPLY_CLASSES.get(type(event), ())
    # The table holds classes; within the 3xx class DATA takes 354 and AUTH 334 only.
    code = {2: 250, 4: 450, 5: 550}.get(kind) or (354 if isinstance(event, Data) else 334)
    assert allowed == (_server._reply_error(event, code) is None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("event", "code"), [(Data(), 334), (Data(), 350), (Auth("LOGIN"), 354),
                                             (AuthData("LOGIN", "bob"), 354)])
def test_a_3xx_other_than_the_one_the_command_expects_is_refused(event: object,
                                                                  code: int) -> None:
    assert _server._reply_error(event, code) is not None  # type: ignore[arg-type]


# -- what an answer changes: _EFFECTS against the plain isinstance chain --------------

def _reference_apply(server: ServerConnection, event: object, kind: int, before: State) -> None:
    """ServerConnection._apply as the first round wrote it."""
    if kind == 2:
        if isinstance(event, (Ehlo, Helo)):
            server.helo, server.esmtp = event.domain, isinstance(event, Ehlo)
            server.envelope = Envelope()
        elif isinstance(event, MailFrom):
            server.envelope = Envelope(
                mail_from=event.address, mail_params=event.params,
                smtputf8=event.param("SMTPUTF8") is not None,
                body=(event.param("BODY") or "7BIT").upper())
        elif isinstance(event, RcptTo):
            server.envelope.rcpt_tos.append(event.address)
        elif isinstance(event, AuthCredentials):
            server.authenticated_as = event.username
    elif kind == 3:
        if isinstance(event, Data):
            cfg = server.config
            server._data = DataReader(cfg.max_message_size, cfg.max_text_line,
                                      cfg.bare_line_endings)
        elif isinstance(event, Auth):
            server._auth_mechanism = event.mechanism
        elif isinstance(event, AuthData):
            server._auth_user = event.username
    if server.state is State.READY and before in (State.MAIL, State.RCPT, State.DATA):
        server.envelope = Envelope()
    if server.state is not State.AUTH:
        server._auth_user = None


def _server_view(server: ServerConnection) -> tuple[object, ...]:
    data = server._data
    return (server.helo, server.esmtp, server.authenticated_as, server.envelope,
            server._auth_mechanism, server._auth_user,
            None if data is None else (data.max_size, data.max_line, data.policy))


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("kind", [2, 3, 4, 5])
@pytest.mark.parametrize(("before", "after"), [(State.READY, State.READY),
                                               (State.RCPT, State.READY),
                                               (State.AUTH, State.AUTH),
                                               (State.MAIL, State.MAIL)])
def test_effects_table_does_what_the_isinstance_chain_did(
        event: object, kind: int, before: State, after: State) -> None:
    def fresh() -> ServerConnection:
        server = ServerConnection()
        server.state = after
        server.envelope = Envelope("old@example.org", ["r@example.org"])
        server._auth_user = "someone"
        return server

    table, plain = fresh(), fresh()
    table._apply(event, kind, before)  # type: ignore[arg-type]
    _reference_apply(plain, event, kind, before)
    assert _server_view(table) == _server_view(plain)


# -- the sender's next step, by what a reply answers --------------------------------

def test_every_command_the_sender_sends_has_a_next_step() -> None:
    verbs = {cls.verb for cls in (Ehlo, Helo, Auth, MailFrom, RcptTo, Data, Rset, Quit)}
    assert verbs | {"greeting", "end of data", "unsolicited"} == set(_sender._NEXT_STEP)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([250, 251, 354, 421, 450, 451, 452, 550, 552, 553, 554]),
                max_size=12),
       st.booleans(), st.booleans())
def test_sender_settles_every_recipient_whatever_the_replies(
        codes: list[int], pipelining: bool, ehlo: bool) -> None:
    # Drive a sender with scripted replies; whatever they are, it ends with one result
    # per recipient and never crashes (the table covers every step).
    msgs = [Outgoing("a@b.example", ("x@y.example", "z@y.example"), b"hi\r\n")] * 2
    sender = MailSender("c.example", msgs, pipelining=pipelining, ehlo=ehlo)
    sender.receive_data(b"220 hi\r\n")
    script = iter(codes)
    while not sender.done and sender.client.waiting:
        sender.data_to_send()
        code = next(script, None)
        if code is None:
            sender.receive_data(b"")
            break
        try:
            sender.receive_data(f"{code} x\r\n".encode())
        except LocalProtocolError:
            return  # a reply no server may send here (354 to MAIL, say): refused
    if sender.done:
        keys = {(r.message, r.recipient) for r in sender.results}
        assert keys == {(i, r) for i in range(2) for r in ("x@y.example", "z@y.example")}


# -- objects built by filling their slots -----------------------------------------

def test_slot_filled_objects_equal_the_constructed_ones() -> None:
    reply = Reply.of(250, "Ok", "2.0.0")
    env = Envelope("a@b.example", ["x@y.example"])
    pairs = [
        (_sender._result(1, "x@y.example", reply, "content"),
         RecipientResult(1, "x@y.example", reply, "content")),
        (_server._message_received(env, b"hi\r\n"), MessageReceived(env, b"hi\r\n")),
        (_dialog._wire_line(3, "S", "250 Ok", State.READY, True),
         WireLine(3, "S", "250 Ok", State.READY, True)),
        (Reply._trusted(250, ("Ok: queued as 1A",), "2.0.0"),
         Reply(250, ("Ok: queued as 1A",), "2.0.0")),
    ]
    for fast, plain in pairs:
        assert type(fast) is type(plain)
        assert fast == plain
        assert repr(fast) == repr(plain)
        if type(fast) is not MessageReceived:  # (its Envelope is mutable: no hash)
            assert hash(fast) == hash(plain)
        first = dataclasses.fields(fast)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(fast, first, None)


# -- remembered wire bytes -----------------------------------------------------------

@given(st.sampled_from([250, 221, 354, 421, 550]),
       st.lists(st.sampled_from(["Ok", "", "héllo", "queued as 1A", "PIPELINING"]),
                min_size=1, max_size=4),
       st.sampled_from([None, "2.0.0", "5.1.1"]), st.booleans(), st.booleans())
@SETTINGS
def test_remembered_wire_bytes_are_the_formatted_ones(
        code: int, lines: list[str], enhanced_code: str | None, enhanced: bool,
        utf8: bool) -> None:
    try:
        reply = Reply(code, tuple(lines), enhanced_code)
    except LocalProtocolError:
        return
    for _ in range(2):  # made, then remembered
        assert wire_bytes(reply, enhanced, utf8) == reply.to_bytes(enhanced, utf8)


def test_remembered_wire_bytes_stay_bounded() -> None:
    from smtpsim.protocol import _replies
    for n in range(MEMO_MAX + 10):
        reply = Reply._trusted(250, (f"Ok: queued as {n:X}",), "2.0.0")
        assert wire_bytes(reply, True) == reply.to_bytes(True)
    assert len(_replies._WIRE) <= MEMO_MAX


# -- EHLO keywords, remembered -------------------------------------------------------

@given(st.lists(st.sampled_from(["PIPELINING", "size 1000", "AUTH PLAIN LOGIN", "8BITMIME",
                                 "HELP", "X-THING a b", "size 5", ""]), max_size=8))
@SETTINGS
def test_ehlo_keywords_are_the_ones_read_line_by_line(lines: list[str]) -> None:
    reply_lines = ("mx.example Hello c", *lines)
    plain: dict[str, str] = {}
    for line in reply_lines[1:]:
        word, _, arg = line.partition(" ")
        plain[word.upper()] = arg
    assert dict(_client._keywords(reply_lines)) == plain


# -- the reply reader: finding a remembered reply of several lines --------------------

reply_line = st.builds(
    lambda code, sep, text, end: code + sep + text + end,
    st.sampled_from([b"250", b"251", b"550", b"25", b"2x0"]),
    st.sampled_from([b" ", b"-", b""]),
    st.sampled_from([b"", b"Ok", b"2.1.0 Ok", b"5.1.1 no", b"PIPELINING", b"a\rb"]),
    st.sampled_from([b"\r\n", b"\n"]))


def _replies(data: bytes, enhanced: bool, step: int) -> list[object]:
    reader, got = ReplyReader(enhanced), []
    for i in range(0, len(data), step):
        reader.feed(data[i : i + step])
        try:
            while (reply := reader.next_reply()) is not None:
                got.append(reply)
        except RemoteProtocolError as exc:
            got.append((type(exc), str(exc)))
            break
    return got


@given(st.lists(reply_line, min_size=1, max_size=10).map(b"".join), st.booleans())
@SETTINGS
def test_remembered_replies_of_several_lines_are_the_ones_parsed_afresh(
        data: bytes, enhanced: bool) -> None:
    first = _replies(data, enhanced, 1)  # byte by byte: parsed line by line
    assert _replies(data, enhanced, len(data)) == first  # now (partly) remembered
    assert _replies(data, enhanced, 3) == first


# -- DataReader: the one-pass whole-message path -------------------------------------

clean_lines = st.lists(st.sampled_from([b"", b".", b"..", b".x", b"a", b"x" * 9, "é".encode()]),
                       max_size=8)


def _byte_by_byte(stream: bytes) -> tuple[bytes, object]:
    """What is left after the end of data, and the verdict, feeding one octet at a time."""
    reader = DataReader(10_000)
    for i in range(len(stream)):
        rest = reader.feed(stream[i : i + 1])
        if reader.done:
            return rest + stream[i + 1 :], reader.verdict()
    return b"", None


@given(clean_lines, st.sampled_from([b"", b"QUIT\r\n", b".\r\n"]))
@SETTINGS
def test_whole_path_takes_a_clean_message_and_only_that(lines: list[bytes], after: bytes) -> None:
    # ``lines`` is the content; the stream is what a client sends: dot-stuffed, then
    # the line holding only a dot, maybe with more bytes after it.
    content = b"".join(ln + b"\r\n" for ln in lines)
    stream = b"".join((b"." + ln if ln[:1] == b"." else ln) + b"\r\n" for ln in lines) + b".\r\n"
    reader = DataReader(10_000)
    taken = reader._whole(stream + after)
    # Nothing after the end of data: taken in one go. Anything after it: declined,
    # and left to the line-by-line path.
    assert taken == (after == b"")
    if taken:
        assert reader.done and reader.verdict() == (content, None)
    whole = DataReader(10_000)
    rest = whole.feed(stream + after)
    assert (rest, whole.verdict()) == _byte_by_byte(stream + after) == (after, (content, None))


@pytest.mark.parametrize("stream", [b"a\n.\r\n", b"a\r.\r\n", b"\n.\r\n", b"x.\r\n",
                                    b"a\r\n.\r\nb\r\n.\r\n", b".\r\n.\r\n", b".\n.\r\n"])
def test_whole_path_declines_what_is_not_a_clean_message(stream: bytes) -> None:
    assert not DataReader(10_000)._whole(stream)


# -- a dialog end to end: many sessions, the same answers --------------------------

def test_queue_ids_count_per_connection() -> None:
    # The engine's own queue ids restart with every connection; the remembered
    # bytes must not mix one connection's reply with another's.
    seen = []
    for _ in range(3):
        server = ServerConnection()
        server.greet()
        server.receive_data(b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
                            b"RCPT TO:<x@y.example>\r\nDATA\r\n")
        for _ in range(4):
            server.next_event()
            server.send(server.default_reply())
        server.receive_data(b"hi\r\n.\r\n")
        server.next_event()
        seen.append(server.send(server.default_reply()))
    assert len(set(seen)) == 1 and seen[0].startswith(b"250 2.0.0 Ok: queued as ")


# -- the two tricks themselves (._fast) ------------------------------------------------

def test_a_slot_filler_builds_what_the_class_builds_defaults_included() -> None:
    build = slot_filler(WireLine)
    made = build(2, "C", "DATA", State.RCPT)  # end_of_data takes its default
    assert made == WireLine(2, "C", "DATA", State.RCPT)
    assert hash(made) == hash(WireLine(2, "C", "DATA", State.RCPT))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = "QUIT"  # type: ignore[misc]
    with pytest.raises(TypeError):
        build(2, "C")  # the fields without a default must be given


def test_fast_init_builds_what_dataclasses_builds() -> None:
    """Every trace record has the quick __init__: same signature, defaults, equality,
    hash, frozenness and replace() as the one dataclasses wrote."""
    import inspect

    from smtpsim.trace import EVENT_KINDS, Relayed, SessionOpened

    @dataclasses.dataclass(frozen=True, slots=True)
    class Plain:
        t: float
        node: str
        rest: tuple[str, ...] = ()

    @fast_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class Quick:
        t: float
        node: str
        rest: tuple[str, ...] = ()

    def params(cls: type) -> list[tuple[str, object, object]]:
        return [(p.name, p.default, p.kind) for p in inspect.signature(cls).parameters.values()]
    assert params(Quick) == params(Plain)
    for args, kwargs in [((1.0, "a"), {}), ((1.0,), {"node": "b", "rest": ("x",)})]:
        plain, quick = Plain(*args, **kwargs), Quick(*args, **kwargs)
        assert (quick.t, quick.node, quick.rest) == (plain.t, plain.node, plain.rest)
    with pytest.raises(TypeError):
        Quick(1.0)  # a field without a default must be given
    with pytest.raises(TypeError):
        Quick(1.0, "a", (), "extra")
    for cls in EVENT_KINDS.values():
        assert "_set_t" in cls.__init__.__code__.co_names, cls  # the quick one
    made = Relayed(1.0, "mx", "m1", ("a@x",), "mda", "250 ok")
    assert made == Relayed(t=1.0, node="mx", msg="m1", recipients=("a@x",), to="mda",
                           reply="250 ok")
    assert hash(made) == hash(dataclasses.replace(made))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.t = 2.0  # type: ignore[misc]
    assert SessionOpened(0.0, "mx", "c", "s1", 25).messages == ()  # a default


def test_fast_init_refuses_records_it_would_break() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            assert self.n > 0

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        n: int

    for cls in (Checked, Factory, NoSlots):
        with pytest.raises(TypeError, match="fast_init"):
            fast_init(cls)


def test_remember_empties_a_full_memo_and_returns_the_value() -> None:
    memo: dict[int, str] = {}
    for n in range(5):
        assert remember(memo, n, str(n), limit=3) == str(n)
    assert memo == {3: "3", 4: "4"}  # emptied when the fourth came
