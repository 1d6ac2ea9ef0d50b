"""``MailSender`` (``smtpsim.protocol._sender``): a whole client session, whatever the
server answers."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpsim.errors import LocalProtocolError
from smtpsim.protocol import (
    AuthCredentials,
    MailSender,
    Outgoing,
    Reply,
    ServerConfig,
    ServerConnection,
    converse,
)

RECIPIENTS = ("x@y.example", "z@y.example")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([250, 251, 354, 421, 450, 451, 452, 550, 552, 553, 554]),
                max_size=12),
       st.booleans(), st.booleans())
def test_sender_settles_every_recipient_whatever_the_replies(
        codes: list[int], pipelining: bool, ehlo: bool) -> None:
    # Scripted replies, one per command the sender waits for: whatever they are, it
    # ends with exactly one result per recipient of every message.
    msgs = [Outgoing("a@b.example", RECIPIENTS, b"hi\r\n")] * 2
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
            return  # the content after a 354 it did not expect: refused, never sent
    assert sender.done
    keys = [(r.message, r.recipient) for r in sender.results]
    assert sorted(keys) == sorted((i, r) for i in range(2) for r in RECIPIENTS)


def _login_policy(seen: list[AuthCredentials]):  # type: ignore[no-untyped-def]
    def policy(event: object) -> Reply | None:
        if isinstance(event, AuthCredentials):
            seen.append(event)
            ok = (event.username, event.password) == ("bob", "pâss wörd")
            return Reply.of(235, "ok", "2.7.0") if ok else None
        return None
    return policy


def test_auth_plain_logs_in_with_the_rfc_4616_response() -> None:
    seen: list[AuthCredentials] = []
    msg = Outgoing("bob@example.org", ("al@example.com",), b"hi\r\n")
    sender = MailSender("c.example", [msg], auth=("bob", "pâss wörd"))
    server = ServerConnection(ServerConfig(auth_mechanisms=("PLAIN",), require_auth=True))
    lines = converse(sender, server, _login_policy(seen))
    token = base64.b64encode("\0bob\0pâss wörd".encode()).decode()
    assert f"AUTH PLAIN {token}" in [w.line for w in lines if w.dir == "C"]
    assert [(c.mechanism, c.username) for c in seen] == [("PLAIN", "bob")]
    assert server.authenticated_as == "bob"
    assert [r.status for r in sender.results] == ["sent"]


def test_a_wrong_password_fails_every_message() -> None:
    msgs = [Outgoing("bob@example.org", ("al@example.com",), b"hi\r\n")] * 2
    sender = MailSender("c.example", msgs, auth=("bob", "wrong"))
    server = ServerConnection(ServerConfig(auth_mechanisms=("PLAIN",), require_auth=True))
    converse(sender, server, _login_policy([]))
    assert [(r.reply.code, r.phase) for r in sender.results] == [(535, "auth")] * 2


def test_the_same_sender_settings_give_the_same_bytes_session_after_session() -> None:
    msg = Outgoing("bob@example.org", RECIPIENTS, b"hi\r\n")
    runs = [[w.line for w in converse(MailSender("c.example", [msg]), ServerConnection())]
            for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert "RCPT TO:<x@y.example>" in runs[0] and "EHLO c.example" in runs[0]
