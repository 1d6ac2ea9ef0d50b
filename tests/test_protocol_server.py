"""The server engine: every bad input, exact reply codes, states, AUTH, DATA, EOF."""

from __future__ import annotations

import base64

import pytest
from helpers import ClientServerPair, byte_chunks, lines, run_server

from smtpsim.errors import LocalProtocolError
from smtpsim.protocol import (
    NEED_DATA,
    AuthCredentials,
    AuthData,
    BadCommand,
    ConnectionClosed,
    Data,
    Ehlo,
    MailFrom,
    MessageReceived,
    MessageRejected,
    Quit,
    RcptTo,
    Reply,
    ServerConfig,
    ServerConnection,
    State,
)

EHLO = "EHLO client.example.org"
TXN = (EHLO, "MAIL FROM:<bob@example.org>", "RCPT TO:<alice@example.com>")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ---------------------------------------------------------------------------
# Command-level errors: (script lines, config overrides, expected reply codes)
# ---------------------------------------------------------------------------
BAD_INPUT_CASES = [
    pytest.param(["MAIL FROM:<a@b.c>"], {}, [503], id="mail-before-hello"),
    pytest.param(["RCPT TO:<a@b.c>"], {}, [503], id="rcpt-before-hello"),
    pytest.param([EHLO, "RCPT TO:<a@b.c>"], {}, [250, 503], id="rcpt-before-mail"),
    pytest.param([EHLO, "DATA"], {}, [250, 503], id="data-before-mail"),
    pytest.param([*TXN[:2], "DATA"], {}, [250, 250, 503], id="data-before-rcpt"),
    pytest.param([*TXN[:2], "MAIL FROM:<a@b.c>"], {}, [250, 250, 503], id="nested-mail"),
    pytest.param(["XYZZY"], {}, [500], id="unknown"),
    pytest.param(["EXPN list"], {}, [502], id="not-implemented"),
    pytest.param(["HELO"], {}, [501], id="helo-no-arg"),
    pytest.param([EHLO, "MAIL FROM bob@example.org"], {}, [250, 501], id="mail-syntax"),
    pytest.param([EHLO, "MAIL FROM:bob@example.org"], {}, [250, 501], id="no-brackets"),
    pytest.param([EHLO, "MAIL FROM:<bob@@example.org>"], {}, [250, 553], id="bad-address"),
    pytest.param([*TXN[:2], "RCPT TO:<>"], {}, [250, 250, 553], id="null-rcpt"),
    pytest.param(["NOOP " + "x" * 600], {}, [500], id="line-over-512"),
    pytest.param(["NOOP " + "x" * 505], {}, [250], id="line-of-512-ok"),
    pytest.param(["NOOP " + "x" * 506], {}, [500], id="line-of-513"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> SIZE=2000"], {"max_message_size": 1000},
                 [250, 552], id="declared-size"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> SIZE=1000"], {"max_message_size": 1000},
                 [250, 250], id="declared-size-at-limit"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> SIZE=big"], {}, [250, 501], id="size-not-number"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> SIZE=²"], {}, [250, 501], id="size-unicode-digit"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> BODY=8BITMIME"], {}, [250, 250], id="body-8bit"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> BODY=9BIT"], {}, [250, 501], id="body-bad"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> BODY=8BITMIME"], {"eightbitmime": False},
                 [250, 555], id="body-not-offered"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> FOO=BAR"], {}, [250, 555], id="unknown-param"),
    pytest.param(["HELO c.example", "MAIL FROM:<a@b.c> SIZE=10"], {}, [250, 555],
                 id="params-need-ehlo"),
    pytest.param([*TXN[:2], "RCPT TO:<x@y.z> NOTIFY=NEVER"], {}, [250, 250, 555],
                 id="rcpt-param"),
    pytest.param([*TXN[:2], "RCPT TO:<a@y.z>", "RCPT TO:<b@y.z>", "RCPT TO:<c@y.z>"],
                 {"max_recipients": 2}, [250, 250, 250, 250, 452], id="too-many-rcpts"),
    pytest.param([EHLO, "MAIL FROM:<jörg@b.c>"], {}, [250, 553], id="utf8-without-smtputf8"),
    pytest.param([EHLO, "MAIL FROM:<jörg@b.c> SMTPUTF8"], {}, [250, 250], id="utf8-with"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> SMTPUTF8"], {"smtputf8": False}, [250, 555],
                 id="smtputf8-not-offered"),
    pytest.param([EHLO, "MAIL FROM:<jörg@b.c> SMTPUTF8"], {"smtputf8": False}, [250, 553],
                 id="utf8-address-smtputf8-not-offered"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c>", "RCPT TO:<jörg@b.c>"], {}, [250, 250, 553],
                 id="utf8-rcpt-without-smtputf8"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c> SMTPUTF8", "RCPT TO:<jörg@b.c>"], {},
                 [250, 250, 250], id="utf8-rcpt-with-smtputf8"),
    pytest.param(["NOOP é"], {}, [501], id="non-ascii-command"),
    pytest.param(["HELO résumé.example"], {}, [501], id="non-ascii-helo"),
    pytest.param([EHLO, "MAIL FROM:<a@b.c>"], {"require_auth": True,
                                               "auth_mechanisms": ("PLAIN",)},
                 [250, 530], id="require-auth"),
    pytest.param(["HELO c.example", "AUTH PLAIN"], {"auth_mechanisms": ("PLAIN",)},
                 [250, 503], id="auth-after-helo"),
    pytest.param([EHLO, "AUTH PLAIN"], {}, [250, 500], id="auth-not-offered"),
    pytest.param([EHLO, "AUTH CRAM-MD5"], {"auth_mechanisms": ("PLAIN",)}, [250, 504],
                 id="auth-unknown-mech"),
    pytest.param([*TXN[:2], "AUTH PLAIN"], {"auth_mechanisms": ("PLAIN",)},
                 [250, 250, 503], id="auth-in-transaction"),
    pytest.param(["VRFY bob"], {}, [252], id="vrfy"),
    pytest.param(["HELP"], {}, [214], id="help"),
    pytest.param(["HELP RCPT"], {}, [214], id="help-topic"),
    pytest.param(["HELP NOSUCH"], {}, [504], id="help-unknown-topic"),
    pytest.param(["RSET", "NOOP", "QUIT"], {}, [250, 250, 221], id="housekeeping"),
    pytest.param([EHLO, "EHLO again.example", "HELO x.example"], {}, [250, 250, 250],
                 id="hello-again"),
]


@pytest.mark.parametrize(("script", "cfg", "codes"), BAD_INPUT_CASES)
def test_reply_codes(script: list[str], cfg: dict[str, object], codes: list[int]) -> None:
    run = run_server(lines(*script), ServerConfig(**cfg))  # type: ignore[arg-type]
    assert run.codes == codes
    # every reply crossed the wire in order, one per command
    assert run.output.count(b"\r\n") >= len(codes) + 1


@pytest.mark.parametrize(("raw", "code"), [
    (b"NOOP \x00\r\n", 500), (b"NO\x00OP\r\n", 500), (b"NOOP a\rb\r\n", 500),
    (b"NOOP \xff\xfe\r\n", 500), (b"\xc3\x28\r\n", 500),
])
def test_nul_bare_cr_and_invalid_utf8_in_commands(raw: bytes, code: int) -> None:
    assert run_server(raw).codes == [code]


def test_bare_lf_ends_a_command_line() -> None:
    assert run_server(b"NOOP\nQUIT\n").codes == [250, 221]


def test_long_line_then_server_recovers() -> None:
    run = run_server([b"NOOP " + b"x" * 400, b"x" * 400, b"\r\nNOOP\r\n"])
    assert run.codes == [500, 250]


# ---------------------------------------------------------------------------
# State after each step, through the round-trip pair
# ---------------------------------------------------------------------------
def test_states_through_a_transaction() -> None:
    pair = ClientServerPair()
    assert pair.server.state is State.GREETED
    pair.send(Ehlo("c.example"))
    assert pair.server.state is State.READY
    assert pair.send(MailFrom("bob@example.org")).enhanced == "2.1.0"
    assert pair.server.state is State.MAIL
    pair.send(RcptTo("alice@example.com"), Reply.of(550, "No such user", "5.1.1"))
    assert pair.server.state is State.MAIL  # a refused command changes nothing
    pair.send(RcptTo("theo@example.com"))
    assert pair.server.state is State.RCPT
    assert pair.server.envelope.rcpt_tos == ["theo@example.com"]
    assert pair.send(Data()).code == 354
    assert pair.server.state is State.DATA
    event, reply = pair.send_content(b"Subject: x\r\n\r\nhi\r\n")
    assert isinstance(event, MessageReceived)
    assert event.envelope.mail_from == "bob@example.org"
    assert event.envelope.rcpt_tos == ["theo@example.com"]
    assert reply.code == 250
    assert pair.server.state is State.READY
    assert pair.server.envelope.mail_from is None  # the transaction is over
    pair.send(Quit())
    assert pair.server.state is State.CLOSED


def test_rset_abandons_transaction() -> None:
    run = run_server(lines(*TXN, "RSET", "RCPT TO:<x@y.z>"))
    assert run.codes == [250, 250, 250, 250, 503]
    assert run.server.state is State.READY
    assert run.server.envelope.rcpt_tos == []


def test_enhanced_codes_only_after_ehlo() -> None:
    helo = run_server(lines("HELO c.example", "MAIL FROM:<a@b.c>", "FOO"))
    assert b"2.1.0" not in helo.output and b"5.5.2" not in helo.output
    ehlo = run_server(lines(EHLO, "MAIL FROM:<a@b.c>", "FOO"))
    assert b"250 2.1.0 Ok\r\n" in ehlo.output and b"500 5.5.2 " in ehlo.output
    off = run_server(lines(EHLO, "MAIL FROM:<a@b.c>"), ServerConfig(enhanced_status_codes=False))
    assert b"2.1.0" not in off.output and b"ENHANCEDSTATUSCODES" not in off.output


@pytest.mark.parametrize(("cfg", "present", "absent"), [
    ({}, ["PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8",
          "HELP"], ["AUTH", "STARTTLS"]),
    ({"auth_mechanisms": ("PLAIN", "LOGIN"), "max_message_size": 5000},
     ["AUTH PLAIN LOGIN", "SIZE 5000"], ["STARTTLS"]),
    ({"pipelining": False, "eightbitmime": False, "smtputf8": False, "help": False,
      "enhanced_status_codes": False}, ["SIZE"],
     ["PIPELINING", "8BITMIME", "SMTPUTF8", "HELP", "ENHANCEDSTATUSCODES"]),
])
def test_ehlo_advertises_as_configured(cfg: dict[str, object], present: list[str],
                                       absent: list[str]) -> None:
    run = run_server(lines(EHLO), ServerConfig(**cfg))  # type: ignore[arg-type]
    reply = run.steps[0][1]
    assert reply is not None
    keywords = reply.lines[1:]
    for word in present:
        assert any(k.startswith(word) for k in keywords), word
    for word in absent:
        assert not any(k.startswith(word) for k in keywords), word


# ---------------------------------------------------------------------------
# Greeting paths
# ---------------------------------------------------------------------------
def test_greeting_554_allows_only_quit() -> None:
    run = run_server(lines(EHLO, "MAIL FROM:<a@b.c>", "NOOP", "QUIT"),
                     greeting=Reply.of(554, "No SMTP service here"))
    assert run.output.startswith(b"554 No SMTP service here\r\n")
    assert run.codes == [503, 503, 503, 221]


def test_greeting_421_closes() -> None:
    run = run_server(lines(EHLO), greeting=Reply.of(421, "Too busy"), eof=True)
    assert run.server.state is State.CLOSED
    assert run.steps == []


def test_greeting_has_no_enhanced_code_and_only_once() -> None:
    server = ServerConnection(ServerConfig(hostname="mx.example", banner="ESMTP Postfix"))
    assert server.greet() == b"220 mx.example ESMTP Postfix\r\n"
    with pytest.raises(LocalProtocolError):
        server.greet()


# ---------------------------------------------------------------------------
# API misuse raises LocalProtocolError; peer input never raises
# ---------------------------------------------------------------------------
def test_reply_owed_misuse() -> None:
    server = ServerConnection()
    with pytest.raises(LocalProtocolError, match="greet"):
        server.next_event()
    server.greet()
    with pytest.raises(LocalProtocolError):
        server.send(Reply.of(250, "Ok"))  # nothing to answer
    with pytest.raises(LocalProtocolError):
        server.default_reply()
    server.receive_data(lines("FOO", EHLO, "MAIL FROM:<a@b.c>", "RCPT TO:<x@y.z>", "DATA"))
    assert isinstance(server.next_event(), BadCommand)
    with pytest.raises(LocalProtocolError):
        server.next_event()  # the previous event is still owed a reply
    with pytest.raises(LocalProtocolError):
        server.send(Reply.of(250, "Ok"))  # a BadCommand cannot be accepted
    assert server.state is State.GREETED
    server.send(server.default_reply())
    assert isinstance(server.next_event(), Ehlo)
    with pytest.raises(LocalProtocolError):
        server.send(Reply.of(354, "go"))  # 3xx only answers DATA or AUTH
    server.send(server.default_reply())
    for _ in range(2):
        server.next_event()
        server.send(server.default_reply())
    assert isinstance(server.next_event(), Data)
    with pytest.raises(LocalProtocolError):
        server.send(Reply.of(250, "Ok"))  # DATA is answered 354, 4xx or 5xx
    assert server.state is State.RCPT  # a refused send leaves the state alone


def test_server_421_at_any_time() -> None:
    server = ServerConnection()
    server.greet()
    assert server.send(Reply.of(421, "Shutting down", "4.3.2")) == b"421 Shutting down\r\n"
    assert server.state is State.CLOSED
    assert server.next_event() is NEED_DATA


def test_bad_config_rejected() -> None:
    with pytest.raises(LocalProtocolError):
        ServerConfig(bare_line_endings="ignore")


# ---------------------------------------------------------------------------
# AUTH (RFC 4954): the engine decodes, the caller decides
# ---------------------------------------------------------------------------
AUTH_CFG = ServerConfig(auth_mechanisms=("PLAIN", "LOGIN"), require_auth=True)


def _accept_bob(event: object) -> Reply | None:
    if isinstance(event, AuthCredentials):
        ok = (event.username, event.password) == ("bob", "secret")
        return Reply.of(235, "Authentication successful", "2.7.0") if ok else None
    return None


@pytest.mark.parametrize(("script", "codes", "user"), [
    pytest.param(["AUTH PLAIN " + b64("\0bob\0secret")], [235], "bob", id="plain-initial"),
    pytest.param(["AUTH PLAIN", b64("\0bob\0secret")], [334, 235], "bob", id="plain-334"),
    pytest.param(["AUTH PLAIN " + b64("bob\0bob\0secret")], [235], "bob", id="plain-authzid"),
    pytest.param(["AUTH PLAIN " + b64("\0bob\0wrong")], [535], None, id="plain-wrong"),
    pytest.param(["AUTH LOGIN", b64("bob"), b64("secret")], [334, 334, 235], "bob",
                 id="login"),
    pytest.param(["AUTH LOGIN " + b64("bob"), b64("secret")], [334, 235], "bob",
                 id="login-initial"),
    pytest.param(["AUTH PLAIN", "*"], [334, 501], None, id="cancel"),
    pytest.param(["AUTH LOGIN", b64("bob"), "*"], [334, 334, 501], None, id="cancel-login"),
    pytest.param(["AUTH PLAIN", "!!!not base64"], [334, 501], None, id="bad-b64"),
    pytest.param(["AUTH PLAIN !!!"], [501], None, id="bad-b64-initial"),
    pytest.param(["AUTH PLAIN " + b64("bob")], [501], None, id="plain-malformed"),
    pytest.param(["AUTH PLAIN =", ], [501], None, id="plain-empty"),
    pytest.param(["AUTH PLAIN", "x" * 600], [334, 500], None, id="auth-line-too-long"),
])
def test_auth(script: list[str], codes: list[int], user: str | None) -> None:
    run = run_server(lines(EHLO, *script, "MAIL FROM:<bob@example.org>"), AUTH_CFG,
                     _accept_bob)
    assert run.codes == [250, *codes, 250 if user else 530]
    assert run.server.authenticated_as == user
    assert run.server.state is (State.MAIL if user else State.READY)


def test_auth_events_and_password_hidden() -> None:
    run = run_server(lines(EHLO, "AUTH LOGIN", b64("bob"), b64("pw")), AUTH_CFG)
    assert run.events[2] == AuthData("LOGIN", "bob")
    assert run.events[3] == AuthCredentials("LOGIN", "bob", "pw")
    assert "pw" not in repr(run.events[3])


def test_auth_twice_is_503() -> None:
    run = run_server(lines(EHLO, "AUTH PLAIN " + b64("\0bob\0secret"),
                           "AUTH PLAIN " + b64("\0bob\0secret")), AUTH_CFG, _accept_bob)
    assert run.codes == [250, 235, 503]


# ---------------------------------------------------------------------------
# DATA: transparency, limits, smuggling, EOF
# ---------------------------------------------------------------------------
def _data_run(body: bytes, cfg: ServerConfig | None = None, chunks: int = 0):  # type: ignore[no-untyped-def]
    script = lines(*TXN, "DATA") + body + lines("NOOP")
    pieces = [script] if not chunks else [script[i:i + chunks]
                                          for i in range(0, len(script), chunks)]
    return run_server(pieces, cfg)


@pytest.mark.parametrize(("wire", "content"), [
    (b"hello\r\n.\r\n", b"hello\r\n"),
    (b".\r\n", b""),
    (b"..\r\n.\r\n", b".\r\n"),
    (b"...\r\n.\r\n", b"..\r\n"),
    (b"..a\r\nb.\r\n.b\r\n.\r\n", b".a\r\nb.\r\nb\r\n"),  # a lone leading dot is dropped
    (b"\r\n\r\n.\r\n", b"\r\n\r\n"),
    (b"8bit \xff\xfe\x00\r\n.\r\n", b"8bit \xff\xfe\x00\r\n"),
    (b"x" * 998 + b"\r\n.\r\n", b"x" * 998 + b"\r\n"),
])
def test_unstuffing_preserves_bytes(wire: bytes, content: bytes) -> None:
    for chunks in (0, 1, 7):
        run = _data_run(wire, chunks=chunks)
        received = run.of_type(MessageReceived)
        assert [m.content for m in received] == [content]  # type: ignore[attr-defined]
        assert run.codes[-2:] == [250, 250]  # the content, then NOOP as a command


@pytest.mark.parametrize(("body", "cfg", "code"), [
    pytest.param(b"x" * 999 + b"\r\n.\r\n", {}, 500, id="line-1001"),
    pytest.param(b"a\r\n" + b"x" * 5000 + b"\r\n.\r\n", {}, 500, id="line-5002"),
    pytest.param(b"x" * 60 + b"\r\n.\r\n", {"max_message_size": 50}, 552, id="size"),
    pytest.param(b"bare\nlf\r\n.\r\n", {}, 550, id="bare-lf"),
    pytest.param(b"bare\rcr\r\n.\r\n", {}, 550, id="bare-cr"),
    pytest.param(b"a\n.\nb\r\n.\r\n", {}, 550, id="lf-dot-lf"),
])
def test_whole_message_refused(body: bytes, cfg: dict[str, object], code: int) -> None:
    for chunks in (0, 1, 100):
        run = _data_run(body, ServerConfig(**cfg), chunks)  # type: ignore[arg-type]
        assert run.of_type(MessageReceived) == []
        rejected = run.of_type(MessageRejected)
        assert len(rejected) == 1
        assert run.codes[-2:] == [code, 250]  # refused once, then back to commands
        assert run.server.state is State.READY


@pytest.mark.parametrize("smuggle", [
    b"a\r\n\n.\r\nMAIL FROM:<evil@x.y>\r\n",
    b"a\r\n.\nMAIL FROM:<evil@x.y>\r\n",
    b"a\n.\r\nMAIL FROM:<evil@x.y>\r\n",
    b"a\r.\r\nMAIL FROM:<evil@x.y>\r\n",
    b"a\r\n.\rMAIL FROM:<evil@x.y>\r\n",
])
@pytest.mark.parametrize("policy", ["reject", "normalize"])
def test_smuggling_never_ends_data(smuggle: bytes, policy: str) -> None:
    run = _data_run(smuggle + b".\r\n", ServerConfig(bare_line_endings=policy))
    assert len(run.of_type(MessageReceived) + run.of_type(MessageRejected)) == 1
    assert not any(isinstance(e, MailFrom) and e.address == "evil@x.y" for e in run.events)
    if policy == "reject":
        assert run.of_type(MessageReceived) == []
    else:
        (msg,) = run.of_type(MessageReceived)
        assert b"MAIL FROM:<evil@x.y>\r\n" in msg.content  # type: ignore[attr-defined]


def test_overlong_line_ending_in_dot_at_chunk_boundary() -> None:
    # Regression: the tail of a long line that happened to be "." ended DATA early.
    head = lines(*TXN, "DATA") + b"a" * 1500 + b"."
    run = run_server([head, b"\r\nMAIL FROM:<evil@x.y>\r\n.\r\n"])
    assert not any(isinstance(e, MailFrom) and e.address == "evil@x.y" for e in run.events)
    assert run.codes[-1] == 500


def test_normalize_policy() -> None:
    cfg = ServerConfig(bare_line_endings="normalize")
    run = _data_run(b"a\nb\rc\r\n.d\n..e\r\n.\r\n", cfg, chunks=3)
    (msg,) = run.of_type(MessageReceived)
    assert msg.content == b"a\r\nb\r\nc\r\nd\r\n.e\r\n"  # type: ignore[attr-defined]


def test_normalize_policy_bounded_and_line_limit() -> None:
    cfg = ServerConfig(bare_line_endings="normalize")
    ok = _data_run(b"ab\n" * 2000 + b"\r\n.\r\n", cfg, chunks=500)
    assert len(ok.of_type(MessageReceived)) == 1
    bad = _data_run(b"ab\n" + b"x" * 1200 + b"\n\r\n.\r\n", cfg, chunks=100)
    assert [r.reply.code for r in bad.of_type(MessageRejected)] == [500]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("script", "discarded", "delivered"), [
    (lines(EHLO), False, 0),
    (lines(*TXN[:2]), True, 0),
    (lines(*TXN), True, 0),
    (lines(*TXN, "DATA") + b"Subject: half a message\r\n", True, 0),
    (lines(*TXN, "DATA") + b"Subject: almost\r\n.", True, 0),
    (lines(*TXN, "DATA") + b"all of it\r\n.\r\n", False, 1),
])
def test_eof(script: bytes, discarded: bool, delivered: int) -> None:
    run = run_server(script, eof=True)
    assert run.events[-1] == ConnectionClosed(discarded)
    assert run.server.state is State.CLOSED
    assert len(run.of_type(MessageReceived)) == delivered
    assert run.server.next_event() is NEED_DATA  # reported once


def test_pipelined_replies_in_order() -> None:
    script = lines(EHLO, "MAIL FROM:<a@b.c>", "RCPT TO:<x@y.z>", "RCPT TO:<bad>",
                   "RCPT TO:<w@y.z>", "DATA") + b"hi\r\n.\r\n" + lines("MAIL FROM:<a@b.c>",
                                                                        "RSET", "QUIT")
    run = run_server(script)
    assert run.codes == [250, 250, 250, 553, 250, 354, 250, 250, 250, 221]
    # one reply per command: the greeting, 7 EHLO lines, one line for each other reply
    assert run.output.count(b"\r\n") == 1 + 7 + len(run.codes) - 1


WHOLE_SESSION = lines(
    "EHLO c.example", "NOOP", "MAIL FROM:<bob@example.org> SIZE=40", "RCPT TO:<a@x.y>",
    "RCPT TO:<bad>", "RCPT TO:<b@x.y>", "DATA") + b"Subject: hi\r\n\r\n..dot\r\n.\r\n" + \
    lines("VRFY a", "HELP", "AUTH PLAIN", "FOO", "MAIL FROM:<c@x.y>", "RSET", "QUIT")


def test_byte_by_byte_equals_all_at_once() -> None:
    whole = run_server(WHOLE_SESSION, eof=True)
    bytewise = run_server(byte_chunks(WHOLE_SESSION), eof=True)
    assert bytewise.steps == whole.steps
    assert bytewise.output == whole.output
    assert len(whole.of_type(MessageReceived)) == 1


# ---------------------------------------------------------------------------
# Configuration is immutable; the EHLO reply is what the configuration says.
# ---------------------------------------------------------------------------
def test_server_config_is_frozen_and_replace_makes_a_new_one() -> None:
    import dataclasses

    cfg = ServerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.require_auth = True  # type: ignore[misc]
    strict = dataclasses.replace(cfg, require_auth=True, max_message_size=100)
    assert strict.require_auth and not cfg.require_auth
    with pytest.raises(LocalProtocolError):
        dataclasses.replace(cfg, bare_line_endings="ignore")


def _ehlo_lines(cfg: ServerConfig) -> list[str]:
    run = run_server(b"EHLO c.example\r\n", cfg)
    reply = run.steps[0][1]
    assert reply is not None
    return list(reply.lines)


def test_the_ehlo_reply_follows_the_config_of_each_connection() -> None:
    import dataclasses

    cfg = ServerConfig(hostname="mx.example.com")
    assert _ehlo_lines(cfg) == ["mx.example.com Hello c.example", *cfg.extensions()]
    smaller = dataclasses.replace(cfg, max_message_size=100, pipelining=False)
    assert _ehlo_lines(smaller) == ["mx.example.com Hello c.example", "SIZE 100",
                                    "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8", "HELP"]
    assert _ehlo_lines(cfg)[1:] == cfg.extensions()  # the first config is unchanged


def test_queue_ids_count_per_connection() -> None:
    # The engine's own queue ids restart with every connection.
    seen = []
    for _ in range(3):
        run = run_server(b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
                         b"RCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\n")
        seen.append(run.steps[-1][1])
    assert seen[0] == seen[1] == seen[2] == Reply.of(250, "Ok: queued as 12345", "2.0.0")


def test_queue_ids_from_the_config() -> None:
    ids = iter(["1A", "1B"])
    cfg = ServerConfig(queue_ids=lambda: next(ids))
    msg = b"MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\n"
    run = run_server(b"EHLO c\r\n" + msg + msg, cfg)
    assert [r.text for e, r in run.steps if isinstance(e, MessageReceived)] == [  # type: ignore[union-attr]
        "Ok: queued as 1A", "Ok: queued as 1B"]


@pytest.mark.parametrize(("params", "smtputf8", "body"), [
    (b"", False, "7BIT"), (b" SIZE=10", False, "7BIT"), (b" BODY=8bitmime", False, "8BITMIME"),
    (b" SMTPUTF8 BODY=7BIT SIZE=3", True, "7BIT")])
def test_the_envelope_after_mail_from(params: bytes, smtputf8: bool, body: str) -> None:
    run = run_server(b"EHLO c\r\nMAIL FROM:<a@b.example>" + params + b"\r\n")
    env = run.server.envelope
    assert (env.mail_from, env.smtputf8, env.body, env.rcpt_tos) == (
        "a@b.example", smtputf8, body, [])
    assert env.mail_params == run.events[-1].params  # type: ignore[union-attr]


@pytest.mark.parametrize("lines_in", [
    b"NOOP\r\n", b"EHLO c\r\n", b"EHLO c\r\nMAIL FROM:<a@b.example>\r\n",
    b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n", b"x" * 600])
def test_an_empty_buffer_means_need_data_then_closed(lines_in: bytes) -> None:
    server = run_server(lines_in).server
    assert server.next_event() is NEED_DATA
    under_way = server.state in (State.MAIL, State.RCPT, State.DATA)
    server.receive_data(b"")
    closed = server.next_event()
    assert isinstance(closed, ConnectionClosed) and closed.discarded == under_way


# ---------------------------------------------------------------------------
# Issue 12 item 10: addresses that hide their text (bidi controls, control codes).
# ---------------------------------------------------------------------------
HIDDEN = ["\u202e", "\u202a", "\u202d", "\u2066", "\u2069", "\u200e", "\u200f", "\u009b",
          "\u0085", "\u007f"]


@pytest.mark.parametrize("char", HIDDEN, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["local", "domain"])
def test_smtputf8_sender_with_a_hidden_character_is_refused_553_5_1_7(
        char: str, where: str) -> None:
    address = f"b{char}ob@example.org" if where == "local" else f"bob@exa{char}mple.org"
    run = run_server(f"EHLO c\r\nMAIL FROM:<{address}> SMTPUTF8\r\n".encode())
    event, reply = run.steps[-1]
    assert isinstance(event, BadCommand) and reply is not None
    assert (reply.code, reply.enhanced) == (553, "5.1.7")
    assert f"U+{ord(char):04X}" in reply.text
    assert run.server.state is State.READY


@pytest.mark.parametrize("char", HIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_smtputf8_recipient_with_a_hidden_character_is_refused_553_5_1_3(char: str) -> None:
    run = run_server(f"EHLO c\r\nMAIL FROM:<bob@example.org> SMTPUTF8\r\n"
                     f"RCPT TO:<al{char}ice@例え.jp>\r\nRCPT TO:<alice@例え.jp>\r\n".encode())
    (_, refused), (event, accepted) = run.steps[-2], run.steps[-1]
    assert refused is not None and (refused.code, refused.enhanced) == (553, "5.1.3")
    assert isinstance(event, RcptTo) and accepted is not None and accepted.code == 250
    assert run.server.envelope.rcpt_tos == ["alice@例え.jp"]


def test_plain_utf8_addresses_are_still_accepted() -> None:
    run = run_server("EHLO c\r\nMAIL FROM:<jörg@bücher.example> SMTPUTF8\r\n"
                     "RCPT TO:<用户@例子.广告>\r\n".encode())
    assert run.codes[-2:] == [250, 250]
