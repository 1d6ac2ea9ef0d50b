"""The client engine and MailSender: sequence rules, pipelining, per-recipient outcomes."""

from __future__ import annotations

import base64

import pytest
from helpers import ClientServerPair

from smtpsim.errors import LocalProtocolError, RemoteProtocolError
from smtpsim.protocol import (
    NEED_DATA,
    Auth,
    AuthCredentials,
    AuthLine,
    ClientConnection,
    ConnectionClosed,
    Data,
    Ehlo,
    Helo,
    MailFrom,
    MailSender,
    MessageReceived,
    Noop,
    Outgoing,
    Quit,
    RcptTo,
    Reply,
    ReplyReceived,
    Rset,
    ServerConfig,
    ServerConnection,
    ServerEvent,
    State,
    converse,
)

# ---------------------------------------------------------------------------
# ClientConnection
# ---------------------------------------------------------------------------


def _ready_client(extensions: str = "PIPELINING") -> ClientConnection:
    client = ClientConnection()
    client.receive_data(b"220 hi\r\n")
    client.next_event()
    client.send(Ehlo("c.example"))
    client.receive_data(b"250-mx\r\n" + (f"250 {extensions}\r\n".encode() if extensions
                                         else b"250 x\r\n"))
    assert isinstance(client.next_event(), ReplyReceived)
    return client


def test_client_waits_for_greeting() -> None:
    client = ClientConnection()
    with pytest.raises(LocalProtocolError, match="greeting"):
        client.send(Ehlo("c.example"))


@pytest.mark.parametrize("commands", [
    [RcptTo("a@b.c")], [Data()], [MailFrom("a@b.c"), Data()],
    [AuthLine("abc")], [object()],
])
def test_client_refuses_out_of_sequence(commands: list[object]) -> None:
    client = _ready_client()
    *before, last = commands
    for cmd in before:
        client.send(cmd)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        client.send(last)  # type: ignore[arg-type]


@pytest.mark.parametrize(("extensions", "first", "then", "ok"), [
    ("PIPELINING", MailFrom("a@b.c"), RcptTo("x@y.z"), True),
    ("PIPELINING", Rset(), MailFrom("a@b.c"), True),
    ("PIPELINING", Noop(), MailFrom("a@b.c"), False),  # NOOP must end a group
    ("PIPELINING", Ehlo("c.example"), Noop(), False),
    ("", MailFrom("a@b.c"), RcptTo("x@y.z"), False),  # no PIPELINING offered
])
def test_client_pipelining_rules(extensions: str, first: object, then: object,
                                 ok: bool) -> None:
    client = _ready_client(extensions)
    client.send(first)  # type: ignore[arg-type]
    if ok:
        client.send(then)  # type: ignore[arg-type]
        assert client.waiting == 2
    else:
        with pytest.raises(LocalProtocolError):
            client.send(then)  # type: ignore[arg-type]
        assert client.waiting == 1  # the refused command was not queued


def test_nothing_after_data_until_354() -> None:
    client = _ready_client()
    for cmd in (MailFrom("a@b.c"), RcptTo("x@y.z"), Data()):
        client.send(cmd)
    with pytest.raises(LocalProtocolError):
        client.send(Quit())
    with pytest.raises(LocalProtocolError):
        client.send_content(b"x\r\n")
    client.receive_data(b"250 ok\r\n250 ok\r\n354 go\r\n")
    assert [e.reply.code for e in iter(client.next_event, NEED_DATA)] == [250, 250, 354]
    assert client.state is State.DATA
    assert client.send_content(b".hi") == b"..hi\r\n.\r\n"


def test_client_pairs_pipelined_replies_in_order() -> None:
    client = _ready_client()
    sent = [MailFrom("a@b.c"), RcptTo("x@y.z"), RcptTo("w@y.z"), Data()]
    for cmd in sent:
        client.send(cmd)
    client.receive_data(b"250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n")
    events = list(iter(client.next_event, NEED_DATA))
    assert [(e.to, e.reply.code) for e in events] == list(zip(sent, [250, 550, 250, 354]))


def test_client_unsolicited_and_garbage() -> None:
    client = _ready_client()
    client.receive_data(b"421 shutting down\r\n")
    event = client.next_event()
    assert isinstance(event, ReplyReceived)
    assert (event.to, client.state) == ("unsolicited", State.CLOSED)
    client = _ready_client()
    client.receive_data(b"250 who asked\r\n")
    with pytest.raises(RemoteProtocolError):
        client.next_event()


def test_client_eof() -> None:
    client = _ready_client()
    client.send(Noop())
    client.receive_data(b"")
    assert client.next_event() == ConnectionClosed(discarded=True)
    assert client.next_event() is NEED_DATA


def test_helo_after_ehlo_drops_extensions() -> None:
    pair = ClientServerPair()
    pair.send(Ehlo("c.example"))
    assert "PIPELINING" in pair.client.extensions
    pair.send(Helo("c.example"))
    assert pair.client.extensions == {}
    assert not pair.client._reader.enhanced
    pair.client.send(MailFrom("a@b.c"))  # its reply has not arrived yet ...
    with pytest.raises(LocalProtocolError, match="PIPELINING"):
        pair.client.send(RcptTo("x@y.z"))  # ... and after plain HELO nothing is pipelined


def test_pair_auth_login_round_trip() -> None:
    pair = ClientServerPair(ServerConfig(auth_mechanisms=("LOGIN",)))
    pair.send(Ehlo("c.example"))
    assert pair.send(Auth("LOGIN")).code == 334
    assert pair.client.state is State.AUTH
    pair.server.receive_data(pair.client.send(AuthLine(base64.b64encode(b"bob").decode())))
    pair.server.next_event()
    pair._deliver(pair.server.default_reply())
    pair.server.receive_data(pair.client.send(AuthLine(base64.b64encode(b"pw").decode())))
    assert pair.server.next_event() == AuthCredentials("LOGIN", "bob", "pw")
    pair._deliver(Reply.of(235, "ok", "2.7.0"))
    assert pair.server.authenticated_as == "bob"


# ---------------------------------------------------------------------------
# MailSender: outcomes per recipient
# ---------------------------------------------------------------------------
MSG = Outgoing("bob@example.org", ("alice@example.com", "theo@example.com", "zed@example.com"),
               b"Subject: hi\r\n\r\nhello\r\n")


def _outcomes(sender: MailSender) -> list[tuple[int, str, int, str]]:
    return [(r.message, r.recipient, r.reply.code, r.phase) for r in sender.results]


def _policy(rcpt: dict[str, int] | None = None, mail: int | None = None,
            data: int | None = None, content: int | None = None):  # type: ignore[no-untyped-def]
    def decide(event: ServerEvent) -> Reply | None:
        if isinstance(event, RcptTo) and rcpt and event.address in rcpt:
            return Reply.of(rcpt[event.address], "decided")
        if isinstance(event, MailFrom) and mail:
            return Reply.of(mail, "decided")
        if isinstance(event, Data) and data:
            return Reply.of(data, "decided")
        if isinstance(event, MessageReceived) and content:
            return Reply.of(content, "decided")
        return None
    return decide


@pytest.mark.parametrize("pipelining", [True, False])
def test_mixed_rcpt_replies(pipelining: bool) -> None:
    sender = MailSender("c.example", [MSG], pipelining=pipelining)
    received: list[MessageReceived] = []

    def policy(event: ServerEvent) -> Reply | None:
        if isinstance(event, MessageReceived):
            received.append(event)
        return _policy({"alice@example.com": 550, "zed@example.com": 450})(event)

    converse(sender, ServerConnection(), policy)
    assert sender.done
    assert sorted(_outcomes(sender)) == [
        (0, "alice@example.com", 550, "rcpt"), (0, "theo@example.com", 250, "content"),
        (0, "zed@example.com", 450, "rcpt")]
    assert {r.recipient: r.status for r in sender.results} == {
        "alice@example.com": "failed", "theo@example.com": "sent", "zed@example.com": "deferred"}
    assert received[0].envelope.rcpt_tos == ["theo@example.com"]


@pytest.mark.parametrize("pipelining", [True, False])
@pytest.mark.parametrize(("policy", "code", "phase"), [
    (_policy(mail=550), 550, "mail"), (_policy(mail=451), 451, "mail"),
    (_policy(data=554), 554, "data"), (_policy(content=451), 451, "content"),
    (_policy(content=554), 554, "content"),
    (_policy(dict.fromkeys(MSG.recipients, 550)), 550, "rcpt"),
])
def test_refusals_then_next_message(pipelining: bool, policy, code: int,  # type: ignore[no-untyped-def]
                                    phase: str) -> None:
    second = Outgoing("bob@example.org", ("ann@example.net",), b"second\r\n")
    sender = MailSender("c.example", [MSG, second], pipelining=pipelining)
    mails = []

    def first_only(event: ServerEvent) -> Reply | None:
        mails.extend([event] if isinstance(event, MailFrom) else [])
        return policy(event) if len(mails) == 1 else None

    wire = converse(sender, ServerConnection(), first_only)
    assert sender.done
    first = [(r.reply.code, r.phase) for r in sender.results if r.message == 0]
    assert first == [(code, phase)] * 3
    assert [(r.reply.code, r.phase) for r in sender.results if r.message == 1] == [
        (250, "content")]
    client_lines = [w.line for w in wire if w.dir == "C"]
    # RSET only where a transaction was left half open (MAIL accepted, message not sent)
    assert ("RSET" in client_lines) == (phase in ("rcpt", "data"))
    assert client_lines[-1] == "QUIT"


@pytest.mark.parametrize(("greeting", "quits"), [(421, False), (554, True)])
def test_greeting_refused(greeting: int, quits: bool) -> None:
    sender = MailSender("c.example", [MSG])
    wire = converse(sender, ServerConnection(), greeting=Reply.of(greeting, "go away"))
    assert sender.done
    assert {(r.reply.code, r.phase) for r in sender.results} == {(greeting, "greeting")}
    assert len(sender.results) == 3
    assert ([w.line for w in wire if w.dir == "C"] == ["QUIT"]) == quits


def test_421_mid_session_defers_everything_left() -> None:
    second = Outgoing("bob@example.org", ("ann@example.net",), b"x\r\n")
    sender = MailSender("c.example", [MSG, second], pipelining=False)
    policy = _policy({"theo@example.com": 421})
    converse(sender, ServerConnection(), policy)
    assert sender.done
    assert sorted(_outcomes(sender)) == [
        (0, "alice@example.com", 421, "rcpt"), (0, "theo@example.com", 421, "rcpt"),
        (0, "zed@example.com", 421, "rcpt"), (1, "ann@example.net", 421, "rcpt")]


def test_connection_lost_after_content_maybe_duplicated() -> None:
    sender = MailSender("c.example", [MSG])
    server = ServerConnection()
    sender.receive_data(server.greet())
    while server.state is not State.DATA or server.pending is None:
        server.receive_data(sender.data_to_send())
        while server.next_event() is not NEED_DATA:
            sender.receive_data(server.send(server.default_reply()))
            if server.state is State.DATA:
                break
        if server.state is State.DATA:
            break
    server.receive_data(sender.data_to_send())  # the content, dot and all
    assert isinstance(server.next_event(), MessageReceived)
    sender.receive_data(b"")  # ... and the connection drops before the 250
    assert sender.done
    assert sender.maybe_duplicated == [0]
    assert {(r.reply.code, r.phase) for r in sender.results} == {(421, "connection")}


def test_connection_lost_before_content_not_duplicated() -> None:
    sender = MailSender("c.example", [MSG])
    sender.receive_data(b"220 hi\r\n")
    sender.receive_data(b"")
    assert sender.done and sender.maybe_duplicated == []
    assert all(r.status == "deferred" for r in sender.results)


def test_multiple_messages_one_session() -> None:
    msgs = [Outgoing("a@b.c", (f"r{i}@x.y",), f"message {i}\r\n".encode()) for i in range(3)]
    sender = MailSender("c.example", msgs)
    got: list[bytes] = []

    def policy(event: ServerEvent) -> Reply | None:
        if isinstance(event, MessageReceived):
            got.append(event.content)
        return None

    wire = converse(sender, ServerConnection(), policy)
    assert got == [m.content for m in msgs]
    assert [w.line for w in wire if w.dir == "C"].count("EHLO c.example") == 1
    assert "RSET" not in [w.line for w in wire]
    assert [r.status for r in sender.results] == ["sent"] * 3


def test_non_pipelining_server_one_command_per_flight() -> None:
    sender = MailSender("c.example", [MSG])
    wire = converse(sender, ServerConnection(ServerConfig(pipelining=False)))
    flights = [w.flight for w in wire if w.dir == "C"]
    assert len(flights) == len(set(flights)) + MSG.content.count(b"\r\n")  # content: 1 flight
    assert all(r.status == "sent" for r in sender.results)


def test_pipelining_saves_round_trips() -> None:
    piped = converse(MailSender("c.example", [MSG]), ServerConnection())
    plain = converse(MailSender("c.example", [MSG], pipelining=False), ServerConnection())
    assert piped[-1].flight < plain[-1].flight


def test_helo_fallback_on_ehlo_5xx() -> None:
    sender = MailSender("c.example", [MSG])

    def policy(event: ServerEvent) -> Reply | None:
        return Reply.of(502, "EHLO not supported") if isinstance(event, Ehlo) else None

    wire = converse(sender, ServerConnection(), policy)
    c_lines = [w.line for w in wire if w.dir == "C"]
    assert c_lines[:3] == ["EHLO c.example", "HELO c.example", "MAIL FROM:<bob@example.org>"]
    assert not any("2.1.0" in w.line for w in wire)  # no enhanced codes after HELO
    assert all(r.status == "sent" for r in sender.results)


def test_auth_plain_sender() -> None:
    cfg = ServerConfig(auth_mechanisms=("PLAIN", "LOGIN"), require_auth=True)
    seen: list[AuthCredentials] = []

    def policy(event: ServerEvent) -> Reply | None:
        if isinstance(event, AuthCredentials):
            seen.append(event)
            if event.password == "secret":
                return Reply.of(235, "Authentication successful", "2.7.0")
        return None

    good = MailSender("c.example", [MSG], auth=("bob", "secret"))
    converse(good, ServerConnection(cfg), policy)
    assert all(r.status == "sent" for r in good.results)
    assert seen == [AuthCredentials("PLAIN", "bob", "secret")]
    bad = MailSender("c.example", [MSG], auth=("bob", "wrong"))
    converse(bad, ServerConnection(cfg), policy)
    assert {(r.reply.code, r.phase) for r in bad.results} == {(535, "auth")}
    none = MailSender("c.example", [MSG], auth=("bob", "secret"))
    converse(none, ServerConnection())  # the server offers no AUTH
    assert {(r.reply.code, r.phase) for r in none.results} == {(530, "auth")}


def test_smtputf8_needed_but_not_offered() -> None:
    msg = Outgoing("bob@example.org", ("jörg@example.de",), b"x\r\n")
    sender = MailSender("c.example", [msg, MSG])
    converse(sender, ServerConnection(ServerConfig(smtputf8=False)))
    assert [(r.message, r.reply.code) for r in sender.results][0] == (0, 553)
    assert [r.status for r in sender.results if r.message == 1] == ["sent"] * 3
    ok = MailSender("c.example", [msg])
    converse(ok, ServerConnection())
    assert ok.results[0].status == "sent"


def test_duplicate_recipients_do_not_loop() -> None:
    msg = Outgoing("a@b.c", ("x@y.z", "x@y.z"), b"hi\r\n")
    sender = MailSender("c.example", [msg], pipelining=False)
    converse(sender, ServerConnection(), max_flights=50)
    assert sender.done
    assert [r.status for r in sender.results] == ["sent", "sent"]


def test_outgoing_needs_recipients() -> None:
    with pytest.raises(LocalProtocolError):
        Outgoing("a@b.c", (), b"x")


@pytest.mark.parametrize("code", [550, 451])
def test_refused_rset_ends_the_session_and_defers_what_was_not_offered(code: int) -> None:
    # RSET must be answered 250 (RFC 5321 §4.1.1.5). A server that refuses it leaves the
    # transaction in doubt: the sender stops using the connection, and the next message,
    # never offered, waits for a new one instead of being refused with the RSET reply.
    second = Outgoing("bob@example.org", ("ann@example.net",), b"second\r\n")
    sender = MailSender("c.example", [MSG, second])

    def policy(event: ServerEvent) -> Reply | None:
        if isinstance(event, RcptTo):
            return Reply.of(550, "no such user", "5.1.1")
        if isinstance(event, Rset):
            return Reply.of(code, "not now")
        return None

    wire = converse(sender, ServerConnection(), policy)
    assert sender.done
    assert {(r.reply.code, r.phase) for r in sender.results if r.message == 0} == {
        (550, "rcpt")}
    [later] = [r for r in sender.results if r.message == 1]
    assert (later.reply.code, later.reply.enhanced, later.status) == (451, "4.3.0", "deferred")
    client_lines = [w.line for w in wire if w.dir == "C"]
    assert client_lines[-2:] == ["RSET", "QUIT"]
    assert client_lines.count("MAIL FROM:<bob@example.org> SIZE=9") == 0


def test_a_3xx_other_than_354_to_data_makes_the_sender_hang_up() -> None:
    # A broken server: 334 (an AUTH challenge) in reply to DATA. The sender cannot know
    # what it expects, so it hangs up; nothing was delivered, so all of it is deferred.
    sender = MailSender("c.example", [MSG])
    script = [b"220 mx.example ESMTP\r\n", b"250 mx.example\r\n", b"250 Ok\r\n"]
    script += [b"250 Ok\r\n"] * len(MSG.recipients) + [b"334 what now?\r\n"]
    for reply in script:
        assert not sender.done
        sender.receive_data(reply)
        sender.data_to_send()
    assert sender.done
    assert {(r.reply.code, r.reply.enhanced, r.status, r.phase) for r in sender.results} == {
        (451, "4.5.0", "deferred", "data")}
    assert len(sender.results) == len(MSG.recipients)


def test_the_server_engine_refuses_to_answer_data_with_another_3xx() -> None:
    def policy(event: ServerEvent) -> Reply | None:
        return Reply.of(334, "what now?") if isinstance(event, Data) else None

    with pytest.raises(LocalProtocolError, match="DATA's only 3xx is 354"):
        converse(MailSender("c.example", [MSG]), ServerConnection(), policy)


# ---------------------------------------------------------------------------
# The client engine on its own: sequence, pipelining, the EHLO keywords.
# ---------------------------------------------------------------------------
def _client_after_ehlo(extensions: bytes = b"250-PIPELINING\r\n250 SIZE 100\r\n"
                       ) -> ClientConnection:
    client = ClientConnection()
    client.receive_data(b"220 hi\r\n")
    client.next_event()
    client.send(Ehlo("c.example"))
    client.receive_data(b"250-mx Hello\r\n" + extensions)
    client.next_event()
    return client


def test_the_client_refuses_commands_out_of_sequence_with_a_reason() -> None:
    client = _client_after_ehlo()
    with pytest.raises(LocalProtocolError, match="RCPT is out of sequence in state READY"):
        client.send(RcptTo("a@b.example"))
    with pytest.raises(LocalProtocolError, match="AUTH data only answers a 334"):
        client.send(AuthLine("eA=="))
    client.send(MailFrom("a@b.example"))
    client.send(RcptTo("c@d.example"))
    client.send(Data())
    with pytest.raises(LocalProtocolError, match="wait for the reply to DATA"):
        client.send(Rset())
    with pytest.raises(LocalProtocolError, match="is not an SMTP command"):
        client.send("NOOP")  # type: ignore[arg-type]


@pytest.mark.parametrize(("answers", "then_ok"), [
    ([b"250 ok\r\n", b"250 ok\r\n"], True),  # MAIL and RCPT accepted: RCPT may follow
    ([b"550 no\r\n"], False),  # MAIL refused: the RCPT already sent is out of sequence
    ([b"250 ok\r\n", b"550 no\r\n"], False),  # the only RCPT refused: DATA may not follow
])
def test_the_client_pipelines_on_the_state_its_pending_commands_promise(
        answers: list[bytes], then_ok: bool) -> None:
    client = _client_after_ehlo()
    client.send(MailFrom("a@b.example"))
    client.send(RcptTo("c@d.example"))
    for data in answers:
        client.receive_data(data)
        assert isinstance(client.next_event(), ReplyReceived)
    if then_ok:
        assert client.send(Data()) == b"DATA\r\n"
    else:
        with pytest.raises(LocalProtocolError, match="out of sequence"):
            client.send(Data())


@pytest.mark.parametrize(("lines_in", "expected"), [
    ([], {}),
    (["PIPELINING", "size 1000", "AUTH PLAIN LOGIN", "X-THING a b"],
     {"PIPELINING": "", "SIZE": "1000", "AUTH": "PLAIN LOGIN", "X-THING": "a b"}),
    (["size 5", "SIZE 6"], {"SIZE": "6"}),
])
def test_the_ehlo_keywords_are_read_off_the_reply(lines_in: list[str],
                                                  expected: dict[str, str]) -> None:
    wire = Reply(250, ("mx Hello c", *lines_in)).to_bytes()
    client = ClientConnection()
    client.receive_data(b"220 hi\r\n")
    client.next_event()
    client.send(Ehlo("c.example"))
    client.receive_data(wire)
    client.next_event()
    assert client.extensions == expected
