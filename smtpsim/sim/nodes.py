"""The nodes of a simulated email network, one class per role a textbook names.

* :class:`UserAgent` - Bob's mail program: composes, submits to his provider (port 587,
  with AUTH), reads his mailbox.
* :class:`SubmissionServer` (MSA) - the provider's submission service: only logged-in
  users may send; it then relays anywhere.
* :class:`MTA` - a mail transfer agent (port 25): accepts, queues and relays, routing
  by its local domains, a transport (smarthost) table, or DNS MX records.
* :class:`Gateway` - converts between SMTP and something else (an HTTP/JSON send API,
  or SMS) and records each conversion.
* :class:`MDA` - the mail delivery agent: drops a message into a mailbox, adding
  ``Return-Path`` and ``Delivered-To``.
* :class:`Mailbox` - the delivered messages, to inspect.

Servers speak real SMTP through :class:`smtpsim.protocol.ServerConnection`; senders
drive :class:`smtpsim.protocol.MailSender`. The :class:`~smtpsim.sim.network.Network`
moves the bytes between them and keeps the clock.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .. import message as _message
from ..protocol import (
    AuthCredentials,
    MailFrom,
    MessageReceived,
    RcptTo,
    Reply,
    ServerConfig,
    ServerEvent,
)
from ..trace import Converted, Delivered, Injected, MessageAccepted, Relayed
from .base import Node
from .queue import QueueEntry, RetryPolicy
from .routing import NextHop, Sender

if TYPE_CHECKING:
    pass

__all__ = [
    "MDA",
    "MTA",
    "App",
    "Gateway",
    "Mailbox",
    "MailboxDeliveryAgent",
    "Node",
    "SessionContext",
    "SubmissionServer",
    "UserAgent",
]

from .base import MESSAGE_ID as _MSGID

_SUBJECT = re.compile(rb"(?im)^Subject:[ \t]*([^\r\n]*)")

# ---------------------------------------------------------------------------
# Final delivery
# ---------------------------------------------------------------------------


class Mailbox(Node):
    """One user's mailbox: the messages delivered to ``owner``.

    Args:
        owner: the email address whose mail lands here.
        quota: the most messages it holds, or None for no limit.
        full: ``"temporary"`` (452, retry later) or ``"permanent"`` (552) when over quota.
    """

    kind: ClassVar[str] = "mailbox"

    def __init__(self, owner: str, *, quota: int | None = None, full: str = "temporary") -> None:
        super().__init__(f"mailbox:{owner}", owner.rpartition("@")[2])
        if full not in ("temporary", "permanent"):
            raise ValueError("full must be 'temporary' or 'permanent'")
        self.owner = owner
        self.quota = quota
        self.full = full
        self.messages: list[bytes] = []
        self.ids: list[str] = []

    def is_full(self) -> bool:
        return self.quota is not None and len(self.messages) >= self.quota

    def parsed(self) -> list[Any]:
        """The delivered messages as :class:`email.message.EmailMessage` objects."""
        return [_message.from_bytes(m) for m in self.messages]


class MDA(Node):
    """The mail delivery agent: the last step, into a :class:`Mailbox`.

    It adds ``Return-Path:`` (the envelope sender, so replies to bounces are possible)
    and ``Delivered-To:`` (the envelope recipient, which a Bcc'd reader can find nowhere
    else) on top of the message, then stores it.
    """

    kind: ClassVar[str] = "mda"

    def __init__(self, name: str, domain: str, mailboxes: Sequence[Mailbox] = ()) -> None:
        super().__init__(name, domain)
        self.mailboxes: dict[str, Mailbox] = {m.owner.lower(): m for m in mailboxes}

    def peers(self) -> list[tuple[str, int, str]]:
        return [(m.name, 0, "local") for m in self.mailboxes.values()]

    def mailbox(self, address: str) -> Mailbox | None:
        return self.mailboxes.get(address.lower())

    def deliver(self, msg: str, sender: str, rcpt: str, content: bytes) -> None:
        """Put ``content`` into ``rcpt``'s mailbox, with Return-Path and Delivered-To."""
        box = self.mailboxes[rcpt.lower()]
        data = _message.prepend_header(content, "Delivered-To", rcpt)
        data = _message.prepend_header(data, "Return-Path", f"<{sender}>")
        box.messages.append(data)
        box.ids.append(msg)
        net = self.network
        net.record(Delivered(net.now, self.name, msg, rcpt, box.name))


MailboxDeliveryAgent = MDA


# ---------------------------------------------------------------------------
# SMTP servers
# ---------------------------------------------------------------------------


@dataclass
class SessionContext:
    """What a server knows about one incoming connection."""

    id: str
    client: str
    client_ip: str
    port: int
    authenticated: str | None = None
    #: The sender of the transaction under way (MAIL FROM), for greylisting.
    mail_from: str = ""


class MTA(Sender):
    """A mail transfer agent: accepts mail on port 25, queues it, relays it on.

    Args:
        name: host name (``mx.example.com``).
        domain: the organisation's domain.
        local_domains: domains whose mail it delivers itself, through ``mda``.
        mda: its delivery agent (needed when it has local domains).
        transport: domain -> next-hop host, like Postfix's transport table; ``"*"``
            is the smarthost for everything else.
        relay_from: client host names allowed to relay through it (Postfix's
            ``mynetworks``); anyone may send to its local domains.
        relay_domains: other domains it accepts mail for and forwards (a backup MX).
        greylisting: answer ``450 4.7.1`` to an unknown (client, sender, recipient)
            triple, and accept it when it is retried after ``greylist_delay`` seconds.
        rate_limit: at most this many messages per sender per minute (else ``451``).
        max_message_size: the SIZE limit.
        max_hops: Received headers beyond this mean a loop (``554 5.4.6``).
        retry: its retry schedule.
        crash_after_data: how many times it crashes right after storing a message but
            before its 250 reaches the client (the client retries: a labelled duplicate).
        busy: greet every client with ``421 4.3.2`` (overloaded): senders try the
            next MX host, as RFC 5321 §5.1 says.
    """

    kind: ClassVar[str] = "mta"
    port: ClassVar[int] = 25

    def __init__(self, name: str, domain: str, *, local_domains: Sequence[str] = (),
                 mda: MDA | None = None, transport: dict[str, str] | None = None,
                 relay_from: Sequence[str] = (), relay_domains: Sequence[str] = (),
                 greylisting: bool = False, greylist_delay: float = 60.0,
                 rate_limit: int | None = None, max_message_size: int = 10_240_000,
                 max_hops: int = 50, retry: RetryPolicy | None = None,
                 crash_after_data: int = 0, busy: bool = False,
                 address: str | None = None) -> None:
        super().__init__(name, domain, address=address, retry=retry)
        self.local_domains = {d.lower() for d in local_domains}
        self.mda = mda
        if self.local_domains and mda is None:
            raise ValueError(f"{name}: local domains need an MDA")
        self.transport = {k.lower(): v for k, v in (transport or {}).items()}
        self.relay_from = set(relay_from)
        self.relay_domains = {d.lower() for d in relay_domains}
        self.greylisting = greylisting
        self.greylist_delay = greylist_delay
        self._greylist: dict[tuple[str, str, str], float] = {}
        self.rate_limit = rate_limit
        self._sent_at: dict[str, list[float]] = {}
        self.max_message_size = max_message_size
        self.max_hops = max_hops
        if crash_after_data < 0:
            raise ValueError(f"{name}: crash_after_data must not be negative")
        self.crash_after_data = crash_after_data
        self.busy = busy
        self._qid = zlib.crc32(name.encode()) & 0xFFFFF

    def peers(self) -> list[tuple[str, int, str]]:
        out = [(h, 25, "SMTP") for h in self.transport.values()]
        if self.mda is not None:
            out.append((self.mda.name, 0, "local"))
        return out

    # -- being a server -----------------------------------------------------
    auth_mechanisms: ClassVar[tuple[str, ...]] = ()

    def server_config(self) -> ServerConfig:
        """The engine configuration of this server."""
        return ServerConfig(hostname=self.name, banner="ESMTP smtpsim",
                            max_message_size=self.max_message_size,
                            auth_mechanisms=self.auth_mechanisms,
                            require_auth=False, queue_ids=self.next_queue_id)

    def greeting(self) -> Reply | None:
        """The first reply to a new connection; None for the usual ``220``."""
        if self.busy:
            return Reply.of(421, f"{self.name} Service not available, too busy; try "
                                 "again later", "4.3.2")
        return None

    def next_queue_id(self) -> str:
        self._qid = (self._qid + 1) & 0xFFFFF
        return f"{self._qid:05X}"

    def is_local(self, address: str) -> bool:
        return address.rpartition("@")[2].lower() in self.local_domains

    def decide(self, ctx: SessionContext, event: ServerEvent) -> Reply | None:
        """This server's policy: the reply to ``event``, or None for the default.

        The checks, by what the client did: a login is checked against the users, a
        sender against the rate limit, a recipient against the mailboxes, relaying
        rules and greylisting, a message against the hop limit. Everything else gets
        the engine's default reply.
        """
        check = _POLICY_CHECKS.get(type(event))
        return None if check is None else getattr(self, check)(ctx, event)

    def _check_sender(self, ctx: SessionContext, event: MailFrom) -> Reply | None:
        ctx.mail_from = event.address
        return self._check_rate(event.address)

    def _check_recipient(self, ctx: SessionContext, event: RcptTo) -> Reply | None:
        return self._check_rcpt(ctx, event.address)

    def _check_message(self, ctx: SessionContext, event: MessageReceived) -> Reply | None:
        if _message.is_looping(event.content, self.max_hops):
            return Reply.of(554, "Too many hops: mail forwarding loop detected", "5.4.6")
        return None

    def check_credentials(self, ctx: SessionContext, event: AuthCredentials) -> Reply:
        return Reply.of(535, "Authentication credentials invalid", "5.7.8")

    def _check_rate(self, sender: str) -> Reply | None:
        if self.rate_limit is None:
            return None
        now = self.network.now
        recent = [t for t in self._sent_at.get(sender, []) if t > now - 60.0]
        if len(recent) >= self.rate_limit:
            self._sent_at[sender] = recent
            return Reply.of(451, f"Rate limit exceeded ({self.rate_limit} messages a minute "
                                 "per sender); try again later", "4.7.1")
        recent.append(now)
        self._sent_at[sender] = recent
        return None

    def _check_rcpt(self, ctx: SessionContext, rcpt: str) -> Reply | None:
        domain = rcpt.rpartition("@")[2].lower()
        if domain in self.local_domains:
            assert self.mda is not None
            box = self.mda.mailbox(rcpt)
            if box is None:
                return Reply.of(550, f"<{rcpt}>: Recipient address rejected: User unknown "
                                     "in local recipient table", "5.1.1")
            if box.is_full():
                if box.full == "permanent":
                    return Reply.of(552, f"<{rcpt}>: Mailbox full", "5.2.2")
                return Reply.of(452, f"<{rcpt}>: Mailbox full, try again later", "4.2.2")
        elif not (ctx.authenticated or ctx.client in self.relay_from
                  or domain in self.relay_domains):
            return Reply.of(554, f"<{rcpt}>: Relay access denied", "5.7.1")
        if self.greylisting and not ctx.authenticated:
            key = (ctx.client, ctx.mail_from, rcpt.lower())
            first = self._greylist.setdefault(key, self.network.now)
            if self.network.now - first < self.greylist_delay:
                return Reply.of(450, f"<{rcpt}>: Recipient address rejected: Greylisted, "
                                     "try again later", "4.7.1")
        return None

    def accept(self, ctx: SessionContext, sender: str, rcpts: Sequence[str], content: bytes,
               queue_id: str, helo: str, esmtp: bool, *, smtputf8: bool = False,
               msg: str | None = None) -> str:
        """The end of DATA was answered 250: take the message (at simulated time now).

        Prepends this hop's Received header, records it, and queues it for delivery.
        ``msg`` is the trace id the sending node knows the message by; None means the
        message comes from outside the simulation (a person at the console, a real
        socket): it enters the trace here, injected by the client, with a new id.
        Returns the message's trace id.
        """
        net = self.network
        if smtputf8:  # RFC 6531 §4.3
            protocol = "UTF8SMTPA" if ctx.authenticated else "UTF8SMTP"
        else:
            protocol = ("ESMTPA" if ctx.authenticated else "ESMTP") if esmtp else "SMTP"
        received = _message.received_header(
            helo=helo, peer_host=ctx.client, peer_ip=ctx.client_ip, by=self.name,
            protocol=protocol, queue_id=queue_id, recipients=rcpts, date=net.date())
        content = _message.prepend_received(content, received)
        header_end = content.find(b"\r\n\r\n")
        headers = content[: header_end if header_end >= 0 else len(content)]
        if msg is None:
            msg = net.new_trace_id()
            subject = _SUBJECT.search(headers)
            net.record(Injected(net.now, ctx.client, msg, sender, tuple(rcpts),
                                subject.group(1).decode("utf-8", "replace") if subject else ""))
            # The hop from the outside client to this server, for paths and summaries.
            net.record(Relayed(net.now, ctx.client, msg, tuple(rcpts), self.name,
                               f"250 queued as {queue_id}"))
        net.record(MessageAccepted(net.now, self.name, msg, ctx.client, ctx.id, sender,
                                   tuple(rcpts), queue_id,
                                   headers.decode("utf-8", "replace") if net.full else ""))
        self.enqueue(msg, sender, list(rcpts), content)
        return msg

    # -- being a sender -----------------------------------------------------
    def route_for(self, rcpt: str) -> NextHop:
        """Local domains go to the MDA; then the transport table; then DNS MX."""
        domain = rcpt.rpartition("@")[2].lower()
        if domain in self.local_domains:
            return NextHop(local=True)
        host = self.transport.get(domain) or self.transport.get("*")
        if host:
            return NextHop(hosts=(host,))
        return self.mx_route(domain)

    def handoff(self, msg: str, rcpt: str) -> None:
        """Record the message leaving this MTA's queue for its MDA (a local hand-over,
        like Postfix's local(8) or LMTP to Dovecot: not an SMTP hop)."""
        assert self.mda is not None
        net = self.network
        net.record(Relayed(net.now, self.name, msg, (rcpt,), self.mda.name, "local delivery"))

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> tuple[str, Reply]:
        assert self.mda is not None
        box = self.mda.mailbox(rcpt)
        if box is None:
            return "failed", Reply.of(550, f"<{rcpt}>: User unknown", "5.1.1")
        if box.is_full():
            if box.full == "permanent":
                return "failed", Reply.of(552, f"<{rcpt}>: Mailbox full", "5.2.2")
            return "deferred", Reply.of(452, f"<{rcpt}>: Mailbox full", "4.2.2")
        self.handoff(entry.msg, rcpt)
        self.mda.deliver(entry.msg, entry.sender, rcpt, entry.content)
        return "sent", Reply.of(250, f"delivered to mailbox {box.name}", "2.0.0")


#: What :meth:`MTA.decide` checks, by the type of the engine's event: the name of the
#: method, looked up on the node, so that a subclass's own version is the one asked.
_POLICY_CHECKS: dict[type, str] = {
    AuthCredentials: "check_credentials",
    MailFrom: "_check_sender",
    RcptTo: "_check_recipient",
    MessageReceived: "_check_message",
}


class SubmissionServer(MTA):
    """The message submission agent (MSA, RFC 6409), port 587.

    Only users who log in with AUTH may send (``530 5.7.0`` otherwise); once logged in
    they may send to anyone, and the MSA relays the message on like any MTA.

    Args:
        users: address -> password of the accounts allowed to log in.
    """

    kind: ClassVar[str] = "msa"
    port: ClassVar[int] = 587
    auth_mechanisms: ClassVar[tuple[str, ...]] = ("PLAIN", "LOGIN")

    def __init__(self, name: str, domain: str, *, users: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name, domain, **kwargs)
        self.users = dict(users or {})

    def server_config(self) -> ServerConfig:
        return dataclasses.replace(super().server_config(), require_auth=True)

    def check_credentials(self, ctx: SessionContext, event: AuthCredentials) -> Reply:
        if self.users.get(event.username) == event.password:
            ctx.authenticated = event.username
            return Reply.of(235, "Authentication successful", "2.7.0")
        return Reply.of(535, "Authentication credentials invalid", "5.7.8")

    def accept(self, ctx: SessionContext, sender: str, rcpts: Sequence[str], content: bytes,
               queue_id: str, helo: str, esmtp: bool, *, smtputf8: bool = False,
               msg: str | None = None) -> str:
        # Like Postfix's cleanup(8): a submitted message without Message-ID gets one.
        end = content.find(b"\r\n\r\n")  # the header block: a body line never counts
        if not _MSGID.search(content, 0, end if end >= 0 else len(content)):
            mid = f"<{queue_id}.{int(self.network.now)}@{self.name}>"
            content = _message.prepend_header(content, "Message-ID", mid)
        return super().accept(ctx, sender, rcpts, content, queue_id, helo, esmtp,
                              smtputf8=smtputf8, msg=msg)


def _json_error(text: str) -> str:
    return json.dumps({"error": text})


class Gateway(MTA):
    """A protocol converter at the edge of the SMTP world.

    * Its HTTP front end is a transactional mail service's JSON send API
      (``POST /v3/mail/send`` with ``Authorization: Bearer <token>``): each accepted
      request becomes an RFC 5322 message and goes on by SMTP.
    * Mail for its ``sms_domain`` (``15551234567@sms.example.net``) is converted into
      a text message of at most 160 characters and handed to the phone network.

    Args:
        api_tokens: token -> the sender address the token may use.
        sms_domain: the mail domain it turns into SMS, or None.
    """

    kind: ClassVar[str] = "gateway"

    def __init__(self, name: str, domain: str, *, api_tokens: dict[str, str] | None = None,
                 sms_domain: str | None = None, sms_phones: Sequence[Mailbox] = (),
                 **kwargs: Any) -> None:
        if sms_domain:
            kwargs.setdefault("local_domains", [sms_domain])
            kwargs.setdefault("mda", MDA(f"sms-out.{domain}", domain, sms_phones))
        super().__init__(name, domain, **kwargs)
        self.api_tokens = dict(api_tokens or {})
        self.sms_domain = sms_domain.lower() if sms_domain else None

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> tuple[str, Reply]:
        if self.sms_domain is None or not rcpt.lower().endswith("@" + self.sms_domain):
            return super().local_delivery(entry, rcpt)
        assert self.mda is not None
        box = self.mda.mailbox(rcpt)
        if box is None:
            return "failed", Reply.of(550, f"<{rcpt}>: no such phone number", "5.1.1")
        msg = _message.from_bytes(entry.content)
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        subject = str(msg.get("Subject", ""))
        sms = f"{subject}: {' '.join(text.split())}"
        sms = sms[:157] + "..." if len(sms) > 160 else sms
        net = self.network
        net.record(Converted(net.now, self.name, entry.msg, "smtp", "sms",
                             f"{len(entry.content)} bytes of email -> {len(sms)} characters "
                             f"of SMS to {rcpt.partition('@')[0]}"))
        # An empty header block, then the text: the SMS is a body, never a header.
        self.handoff(entry.msg, rcpt)
        self.mda.deliver(entry.msg, entry.sender, rcpt, b"\r\n" + sms.encode("utf-8"))
        return "sent", Reply.of(250, "handed to the SMS network", "2.0.0")

    def http_send(self, app: str, token: str, payload: dict[str, Any]
                  ) -> Generator[Any, Any, tuple[int, str]]:
        """Handle one JSON API request (a SimPy process step); returns (status, body).

        The request is checked like an API would (401 bad token, 400 bad JSON fields,
        403 sender not allowed), then converted into an RFC 5322 message with the
        standard ``email`` package and queued for SMTP delivery.
        """
        net = self.network
        allowed = self.api_tokens.get(token)
        if allowed is None:
            return 401, _json_error("invalid API token")
        if not isinstance(payload, dict) or "from" not in payload or "to" not in payload:
            return 400, _json_error("the fields 'from' and 'to' are required")
        sender, to = payload["from"], payload["to"]
        if isinstance(to, str):
            to = [to]
        if not isinstance(sender, str) or not isinstance(to, list) or \
                not all(isinstance(a, str) for a in to) or not to:
            return 400, _json_error("'from' must be an address and 'to' a list of addresses")
        if sender.lower() != allowed.lower():
            return 403, _json_error(f"this token may not send as {sender}")
        subject = str(payload.get("subject", ""))
        text = str(payload.get("text", ""))
        try:
            msg = _message.compose(sender, to, subject=subject, body=text, date=net.date(),
                                   message_id=net.new_message_id(self.domain))
        except (ValueError, TypeError) as exc:
            return 400, _json_error(str(exc))
        content = _message.to_bytes(msg)
        trace_id = net.new_trace_id()
        net.record(Injected(net.now, app, trace_id, sender, tuple(to), subject))
        net.record(Converted(net.now, self.name, trace_id, "http-json", "smtp",
                             f"JSON fields from/to/subject/text -> RFC 5322 message "
                             f"({len(content)} bytes)"))
        yield net.clock.timeout(0)
        self.enqueue(trace_id, sender, to, content)
        # The hop from the app to the gateway, for paths and summaries.
        net.record(Relayed(net.now, app, trace_id, tuple(to), self.name,
                           "HTTP/1.1 202 Accepted"))
        return 202, json.dumps({"id": trace_id, "status": "queued"})


# ---------------------------------------------------------------------------
# Clients: people and programs that send
# ---------------------------------------------------------------------------


class UserAgent(Sender):
    """A mail program (MUA): Bob's laptop. It submits to ``submit_to`` on port 587 with
    AUTH, keeps unsent mail in its outbox (retrying), and reads ``mailbox``.

    Args:
        name: the machine's name (used in EHLO).
        user: the email address.
        password: for AUTH at the submission server.
        submit_to: the host name of the submission server (MSA).
        mailbox: where this user's mail is delivered, to read it.
    """

    kind: ClassVar[str] = "user_agent"

    def __init__(self, name: str, user: str, *, password: str, submit_to: str,
                 mailbox: Mailbox | None = None, retry: RetryPolicy | None = None) -> None:
        super().__init__(name, user.rpartition("@")[2], retry=retry)
        self.user = user
        self.password = password
        self.submit_to = submit_to
        self.mailbox = mailbox

    def peers(self) -> list[tuple[str, int, str]]:
        return [(self.submit_to, 587, "SMTP+AUTH")]

    def send(self, to: Sequence[str], *, subject: str, body: str, cc: Sequence[str] = (),
             bcc: Sequence[str] = (), from_name: str | None = None,
             headers: dict[str, str] | None = None, sender: str | None = None) -> str:
        """Compose a message now and put it in the outbox; returns its trace id.

        ``sender`` overrides the envelope sender (MAIL FROM), to show spoofing.
        """
        net = self.network
        msg = _message.compose(self.user, to, cc=cc, bcc=bcc, subject=subject, body=body,
                               date=net.date(), from_name=from_name, extra_headers=headers,
                               message_id=net.new_message_id(self.domain))
        rcpts = _message.envelope_recipients(to, cc, bcc)
        trace_id = net.new_trace_id()
        env_from = sender or self.user
        net.record(Injected(net.now, self.name, trace_id, env_from, tuple(rcpts), subject))
        self.enqueue(trace_id, env_from, rcpts, _message.to_bytes(msg))
        return trace_id

    #: A mail program shows its user the error instead of mailing itself a bounce.
    sends_dsn = False

    def route_for(self, rcpt: str) -> NextHop:
        return NextHop(hosts=(self.submit_to,))

    def credentials(self, host: str) -> tuple[str, str] | None:
        return (self.user, self.password)

    def inbox(self) -> list[Any]:
        """The messages in this user's mailbox, parsed."""
        return self.mailbox.parsed() if self.mailbox else []


class App(Node):
    """A program that sends mail through a mail service's HTTP API (not SMTP).

    Args:
        gateway: the host name of the :class:`Gateway` with the API.
        token: its API token.
    """

    kind: ClassVar[str] = "app"

    def __init__(self, name: str, domain: str, *, gateway: str, token: str) -> None:
        super().__init__(name, domain)
        self.gateway = gateway
        self.token = token
        self.responses: list[tuple[int, str]] = []

    def peers(self) -> list[tuple[str, int, str]]:
        return [(self.gateway, 443, "HTTPS/JSON")]

    def post(self, payload: dict[str, Any]) -> None:
        """Send ``payload`` to the gateway's API (as a simulated process)."""
        self.network.clock.process(self.network.http_request(self, self.gateway, payload))


