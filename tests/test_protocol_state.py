"""The state machine and the reply rules (``smtpsim.protocol._state``), and both
engines held to them.

``TRANSITIONS`` says where each reply moves a dialog; ``REPLY_RULES`` and
``INTERMEDIATE_REPLIES`` say which replies may answer which command. The server engine
refuses to send anything else, and the client (``MailSender``) hangs up on a server
that does: both are checked here against the tables, command by command and code by
code, through the public API only.
"""

from __future__ import annotations

import pytest

from smtpsim.errors import LocalProtocolError
from smtpsim.protocol import (
    AUTH_DATA,
    CREDENTIALS,
    END_OF_DATA,
    GREETING,
    INTERMEDIATE_REPLIES,
    NEED_DATA,
    REPLY_RULES,
    TRANSITIONS,
    MailSender,
    Outgoing,
    Reply,
    ServerConfig,
    ServerConnection,
    State,
    in_sequence,
    next_state,
    reply_allowed,
)

CODES = [211, 220, 235, 250, 252, 334, 350, 354, 421, 450, 452, 535, 550, 554]


# -- the tables themselves -------------------------------------------------------------

@pytest.mark.parametrize("state", list(State), ids=lambda s: s.name)
def test_in_sequence_reads_the_table(state: State) -> None:
    events = {event for _, event, _ in TRANSITIONS} | {"EXPN", ""}
    for event in events:
        expected = (state, event, 2) in TRANSITIONS or (state, event, 3) in TRANSITIONS
        assert in_sequence(state, event) == expected


def test_every_success_in_transitions_is_a_reply_the_rules_allow() -> None:
    for (_, event, kind), _ in TRANSITIONS.items():
        if kind in (2, 3):
            assert kind in REPLY_RULES[event], (event, kind)


def test_every_success_the_rules_allow_moves_the_machine_somewhere() -> None:
    for event, classes in REPLY_RULES.items():
        if event == CREDENTIALS:  # moved under "AUTH" or "auth data" (see _state)
            continue
        for kind in classes:
            if kind in (2, 3):
                assert any(e == event and k == kind for _, e, k in TRANSITIONS), (event, kind)


def test_the_intermediate_replies_are_exactly_the_3xx_the_rules_allow() -> None:
    assert {e for e, classes in REPLY_RULES.items() if 3 in classes} == set(INTERMEDIATE_REPLIES)
    assert INTERMEDIATE_REPLIES == {"DATA": 354, "AUTH": 334, AUTH_DATA: 334}
    assert all(code // 100 == 3 for code in INTERMEDIATE_REPLIES.values())


@pytest.mark.parametrize("event", sorted(REPLY_RULES))
@pytest.mark.parametrize("code", CODES)
def test_reply_allowed_is_the_rules(event: str, code: int) -> None:
    kind = code // 100
    expected = kind in REPLY_RULES[event] and (
        kind != 3 or code == INTERMEDIATE_REPLIES[event])
    assert reply_allowed(event, code) == expected


def test_refusals_answer_anything_and_421_always_closes() -> None:
    for event in REPLY_RULES:
        assert reply_allowed(event, 450) and reply_allowed(event, 550)
    for state in State:
        assert next_state(state, "MAIL", 421) is State.CLOSED
    assert not reply_allowed("DATA", 250) and not reply_allowed("MAIL", 354)
    assert not reply_allowed("DATA", 334) and not reply_allowed(CREDENTIALS, 334)


# -- the server engine against the tables ---------------------------------------------

_AUTH_CONFIG = ServerConfig(auth_mechanisms=("PLAIN", "LOGIN"))
#: For each event: the lines that lead to it (the last one makes it), the key it has in
#: the tables, and the config to use.
SERVER_STEPS: dict[str, tuple[list[bytes], str]] = {
    "EHLO": ([b"EHLO c.example"], "EHLO"),
    "HELO": ([b"HELO c.example"], "HELO"),
    "AUTH": ([b"EHLO c.example", b"AUTH LOGIN"], "AUTH"),
    "auth data": ([b"EHLO c.example", b"AUTH LOGIN", b"Ym9i"], AUTH_DATA),
    "credentials": ([b"EHLO c.example", b"AUTH PLAIN AGJvYgBwdw=="], CREDENTIALS),
    "LOGIN credentials": ([b"EHLO c.example", b"AUTH LOGIN", b"Ym9i", b"cHc="], CREDENTIALS),
    "MAIL": ([b"EHLO c.example", b"MAIL FROM:<a@b.example>"], "MAIL"),
    "RCPT": ([b"EHLO c.example", b"MAIL FROM:<a@b.example>", b"RCPT TO:<x@y.example>"],
             "RCPT"),
    "DATA": ([b"EHLO c.example", b"MAIL FROM:<a@b.example>", b"RCPT TO:<x@y.example>",
              b"DATA"], "DATA"),
    "end of data": ([b"EHLO c.example", b"MAIL FROM:<a@b.example>",
                     b"RCPT TO:<x@y.example>", b"DATA", b"hi\r\n."], END_OF_DATA),
    "RSET": ([b"EHLO c.example", b"MAIL FROM:<a@b.example>", b"RSET"], "RSET"),
    "NOOP": ([b"EHLO c.example", b"NOOP"], "NOOP"),
    "VRFY": ([b"EHLO c.example", b"VRFY bob"], "VRFY"),
    "HELP": ([b"EHLO c.example", b"HELP"], "HELP"),
    "QUIT": ([b"EHLO c.example", b"QUIT"], "QUIT"),
}


def _server_at(lines: list[bytes]) -> ServerConnection:
    """A server with the event of the last line pending, every earlier one accepted."""
    server = ServerConnection(_AUTH_CONFIG)
    server.greet()
    for line in lines:
        server.receive_data(line + b"\r\n")
        event = server.next_event()
        assert event is not NEED_DATA
        if line is not lines[-1]:
            reply = server.default_reply()
            if reply.code == 535:  # the engine refuses every login by default
                reply = Reply.of(235, "ok")
            server.send(reply)
    return server


@pytest.mark.parametrize("step", sorted(SERVER_STEPS))
@pytest.mark.parametrize("code", CODES)
def test_the_server_sends_exactly_what_the_rules_allow_and_moves_as_the_table_says(
        step: str, code: int) -> None:
    lines, key = SERVER_STEPS[step]
    server = _server_at(lines)
    before = server.state
    reply = Reply.of(code, "text")
    if reply_allowed(key, code):
        server.send(reply)
        transition_key = {CREDENTIALS: "AUTH" if len(lines) == 2 else AUTH_DATA}.get(key, key)
        assert server.state is next_state(before, transition_key, code)
    else:
        with pytest.raises(LocalProtocolError):
            server.send(reply)
        assert server.state is before and server.pending is not None


@pytest.mark.parametrize("code", CODES)
def test_the_server_greets_with_what_the_rules_allow(code: int) -> None:
    server = ServerConnection()
    if reply_allowed(GREETING, code):
        server.greet(Reply.of(code, "hi"))
        assert server.state is next_state(State.CONNECTED, GREETING, code)
    else:
        with pytest.raises(LocalProtocolError):
            server.greet(Reply.of(code, "hi"))


def test_a_refused_line_takes_only_a_refusal() -> None:
    server = ServerConnection()
    server.greet()
    server.receive_data(b"BOGUS\r\n")
    server.next_event()
    with pytest.raises(LocalProtocolError, match="4xx/5xx"):
        server.send(Reply.of(250, "ok"))
    server.send(server.default_reply())


# -- the client (MailSender) against the tables ----------------------------------------

#: The replies of a whole submission session, step by step, as MailSender makes it
#: (without PIPELINING: one command, one reply). The second message's recipient is
#: refused, so that the sender abandons the half-open transaction with RSET; the third
#: is then refused at MAIL, and the session ends.
CLIENT_SCRIPT: list[tuple[str, bytes]] = [
    (GREETING, b"220 mx ESMTP\r\n"),
    ("EHLO", b"250-mx Hello\r\n250-AUTH PLAIN\r\n250 SIZE 100000\r\n"),
    ("AUTH", b"235 ok\r\n"),
    ("MAIL", b"250 ok\r\n"),
    ("RCPT", b"250 ok\r\n"),
    ("DATA", b"354 go\r\n"),
    (END_OF_DATA, b"250 queued\r\n"),
    ("MAIL", b"250 ok\r\n"),
    ("RCPT", b"550 no\r\n"),
    ("RSET", b"250 ok\r\n"),
    ("MAIL", b"550 no\r\n"),
    ("QUIT", b"221 bye\r\n"),
]


def _sender() -> MailSender:
    msgs = [Outgoing("a@b.example", ("x@y.example",), b"hi\r\n"),
            Outgoing("a@b.example", ("z@y.example",), b"hi\r\n"),
            Outgoing("a@b.example", ("w@y.example",), b"hi\r\n")]
    return MailSender("c.example", msgs, auth=("bob", "pw"), pipelining=False)


@pytest.mark.parametrize("step", range(len(CLIENT_SCRIPT)))
@pytest.mark.parametrize("code", [c for c in CODES if c != 421])
def test_the_sender_hangs_up_exactly_on_what_the_rules_refuse(step: int, code: int) -> None:
    sender = _sender()
    for _, data in CLIENT_SCRIPT[:step]:
        sender.receive_data(data)
        sender.data_to_send()
    event = CLIENT_SCRIPT[step][0]
    sender.receive_data(f"{code} text\r\n".encode())
    errors = [r for r in sender.results if r.reply.text.startswith("Protocol error")]
    if event == "QUIT":  # nothing is left to settle: either way the session is over
        assert sender.done and sender.data_to_send() == b""
    elif reply_allowed(event, code):
        assert errors == []
    else:
        assert errors and sender.done
        assert all(r.reply.code == 451 and r.reply.enhanced == "4.5.0" for r in errors)


def test_the_client_script_is_a_whole_session() -> None:
    sender = _sender()
    for _, data in CLIENT_SCRIPT:
        sender.receive_data(data)
        sender.data_to_send()
    assert sender.done
    assert [r.status for r in sender.results] == ["sent", "failed", "failed"]
