"""The conversations between nodes: an SMTP session, and an HTTP request to an API.

:func:`smtp_session` is one hop of a message. It runs a real SMTP dialog between a
:class:`~smtpsim.protocol.MailSender` (the client's engine) and a
:class:`~smtpsim.protocol.ServerConnection` (the server's), and spends simulated time
on it: every *flight* of bytes (what one side writes before waiting for the other)
costs the link's one-way latency, and every line is recorded at the moment it would
cross the wire.

A session is computed first (the two engines talk to the end in memory), then
replayed in simulated time, line by line. So the server's decisions (greylisting,
rate limits) are taken as of the moment the connection opened, and a node that goes
down in the middle of a session is noticed at the next connection, not mid-dialog.
Sessions last well under a second of simulated time, so this never changes what a
lesson shows.

The replay is the same whatever the trace keeps: ``Trace(keep=...)`` only chooses
what is stored, never when anything happens.

Responsibility moves with the 250: at the moment the server's ``250`` to the end of
DATA crosses the wire, the server node takes the message (:meth:`SmtpServer.accept`)
and the client is told (``on_accepted``) so it removes those recipients from its
queue. Nothing is ever in two queues, or in none.

:func:`http_request` is the HTTP equivalent for an app posting to a gateway's JSON
send API (port 443), recorded like a dialog.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from ..protocol import (
    MailSender,
    MessageReceived,
    Outgoing,
    RecipientResult,
    Reply,
    ServerConnection,
    ServerEvent,
    converse,
)
from ..trace import DialogLine, Duplicated, NodeState, SessionClosed, SessionOpened
from .world import SessionContext, World

__all__ = ["SessionResult", "http_request", "smtp_session"]

#: What the client is told when the server took recipients: ``(recipients, host, reply)``.
OnAccepted = Callable[[list[str], str, Reply], None]


@dataclass(frozen=True, slots=True)
class SessionResult:
    """How one SMTP session went: whether it connected, and the recipients it did not
    hand over (refused, deferred), each with the reply that said so."""

    connected: bool
    results: tuple[RecipientResult, ...] = ()
    error: str = ""


def smtp_session(world: World, client: str, host: str, messages: list[Outgoing],
                 auth: tuple[str, str] | None, on_accepted: OnAccepted
                 ) -> Generator[Any, Any, SessionResult]:
    """One SMTP session from the node ``client`` to ``host`` carrying ``messages``.

    A process step (use ``yield from``): it returns when the session has ended, after
    QUIT's round trip.

    Args:
        world: the world both nodes live in.
        client: the sending node's name (it says it in EHLO).
        host: the server to connect to.
        messages: what to send, in order.
        auth: ``(user, password)`` to log in with, or None.
        on_accepted: called at the instant each message's 250 arrives.
    """
    latency = world.latency(client, host)
    server_node = world.smtp_server(host)
    if server_node is None or not world.reachable(client, host):
        yield world.timeout(2 * latency)
        ip = world.address(host) if world.has_node(host) else "unknown"
        why = "Connection refused" if world.has_node(host) else "Host not found"
        return SessionResult(False, error=f"connect to {host}[{ip}]:25: {why}")
    port = server_node.port
    sid = world.new_session_id()
    ctx = SessionContext(sid, client, world.address(client), port)
    server = ServerConnection(server_node.server_config())
    sender = MailSender(client, messages, auth=auth)
    # What the server accepted, in order: (the message, the 250, HELO name, ESMTP?).
    accepted: list[tuple[MessageReceived, Reply, str, bool]] = []

    def policy(event: ServerEvent) -> Reply | None:
        reply = server_node.decide(ctx, event)
        if isinstance(event, MessageReceived):
            reply = reply or server.default_reply()
            if reply.is_success:
                accepted.append((event, reply, server.helo or "", server.esmtp))
        return reply

    lines = converse(sender, server, policy, greeting=server_node.greeting())
    # Which messages were accepted, and by which recipients; the other results
    # (refusals, deferrals) go back to the client at the end.
    sent: dict[int, list[str]] = {}
    others: list[RecipientResult] = []
    for r in sender.results:
        if r.phase == "content" and r.reply.code // 100 == 2:
            sent.setdefault(r.message, []).append(r.recipient)
        else:
            others.append(r)
    order = iter(sorted(sent))

    yield world.timeout(latency)  # the TCP handshake
    base = now = world.now
    world.record(SessionOpened(base, host, client, sid, port, tuple(m.id for m in messages)))
    for line in lines:
        # A line of flight k crosses the wire at 2k-1 latencies (the client's) or
        # 2k (the server's replies) after the connection opened.
        due = base + (2 * line.flight - (line.dir == "C")) * latency
        if due > now:
            yield world.timeout(due - now)
            now = world.now
        world.record(DialogLine(now, host, client, sid, line.dir, line.line,
                                line.state.value))
        if line.end_of_data and line.line[:1] == "2" and accepted:
            event, reply, helo, esmtp = accepted.pop(0)
            env = event.envelope
            queue_id = reply.text.rpartition(" ")[2]
            index = next(order, None)
            server_node.accept(ctx, env.mail_from or "", env.rcpt_tos, event.content,
                               queue_id, helo, esmtp, smtputf8=env.smtputf8,
                               msg=messages[index].id if index is not None else None)
            if index is None:
                continue
            if server_node.crashes_before_reply():
                return _crash(world, server_node.name, client, sid, messages[index],
                              sent[index])
            on_accepted(sent[index], host, reply)
    end = base + 2 * (lines[-1].flight if lines else 0) * latency
    if end > now:
        yield world.timeout(end - now)
    world.record(SessionClosed(world.now, host, client, sid,
                               "QUIT" if sender.done else "closed"))
    for index in sender.maybe_duplicated:
        world.record(Duplicated(world.now, client, messages[index].id, host))
    return SessionResult(True, tuple(others))


def _crash(world: World, host: str, client: str, sid: str, message: Outgoing,
           recipients: list[str]) -> SessionResult:
    """The server stored the message, then crashed before its 250 reached the client.

    The client cannot know the message arrived, so it keeps it and will send it
    again: the one way SMTP can deliver twice (RFC 5321 §6.1). The trace labels it.
    """
    world.record(NodeState(world.now, host, "crashed"))
    world.record(SessionClosed(world.now, host, client, sid,
                               "server crashed before its 250 reached the client"))
    world.record(Duplicated(world.now, client, message.id, host))
    lost = Reply.of(421, "Connection lost after the end of DATA; the message may have "
                         "been delivered", "4.4.2")
    return SessionResult(True, tuple(RecipientResult(0, r, lost, "content")
                                     for r in recipients))


#: The reason phrase of each status the send API answers with.
_REASONS = {202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}


def http_request(world: World, client: str, host: str, token: str, payload: dict[str, Any]
                 ) -> Generator[Any, Any, tuple[int, str]]:
    """An app's JSON API request to the gateway ``host`` (port 443), recorded like a
    dialog; a process step that returns ``(status, JSON body)`` (``0`` when nothing
    answered)."""
    gateway = world.http_server(host)
    latency = world.latency(client, host)
    yield world.timeout(latency)
    if gateway is None or not world.reachable(client, host):
        return 0, "connection refused"
    sid = world.new_session_id()
    world.record(SessionOpened(world.now, host, client, sid, 443))
    body = json.dumps(payload, ensure_ascii=False)
    request = ["POST /v3/mail/send HTTP/1.1", f"Host: {host}",
               "Authorization: Bearer " + token[:4] + "…",
               "Content-Type: application/json", f"Content-Length: {len(body.encode())}",
               "", body]
    for text in request:
        world.record(DialogLine(world.now, host, client, sid, "C", text, "HTTP"))
    status, reply = yield from gateway.http_send(client, token, payload)
    yield world.timeout(latency)
    for text in (f"HTTP/1.1 {status} {_REASONS.get(status, '')}",
                 "Content-Type: application/json", "", reply):
        world.record(DialogLine(world.now, host, client, sid, "S", text, "HTTP"))
    world.record(SessionClosed(world.now, host, client, sid, "HTTP response"))
    return status, reply
