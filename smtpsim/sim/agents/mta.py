"""The mail transfer agent (MTA): the post office of the Internet's mail.

An MTA listens on port 25. It *accepts* a message from whoever connects, if its
policy allows (a recipient of one of its local domains, a client allowed to relay,
a domain it backs up), writes its ``Received:`` header on top, and *queues* it. Then
it *relays* it on, routing each recipient by

1. its local domains: handed to its MDA, into a mailbox;
2. its transport table (Postfix's ``transport``): a fixed next hop per domain, or a
   smarthost (``"*"``) for everything else;
3. otherwise DNS: the domain's MX records (RFC 5321 §5.1).

Its policy checks follow what the client does: a login (only a submission server
takes one), a sender (the rate limit), a recipient (mailboxes, relaying rules,
greylisting), a message (the hop count that catches loops).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import ClassVar

from ... import message as _message
from ...protocol import (
    AuthCredentials,
    MailFrom,
    MessageReceived,
    RcptTo,
    Reply,
    ServerConfig,
    ServerEvent,
)
from ...trace import DnsAnswer, DnsQuery, Injected, MessageAccepted, Relayed
from ..dns import mail_route
from ..node import Node, Sender
from ..queue import LocalResult, NextHop, QueueEntry, RetryPolicy
from ..world import SessionContext
from .mda import MDA

__all__ = ["MTA"]

_SUBJECT = re.compile(rb"(?im)^Subject:[ \t]*([^\r\n]*)")


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

    # -- what it is and does ----------------------------------------------------------
    def parts(self) -> list[Node]:
        return [self.mda] if self.mda is not None else []

    def peers(self) -> list[tuple[str, int, str]]:
        out = [(h, 25, "SMTP") for h in self.transport.values()]
        if self.mda is not None:
            out.append((self.mda.name, 0, "local"))
        return out

    def smtp_server(self) -> MTA:
        return self

    def asks_dns(self) -> bool:
        return "*" not in self.transport

    def routes_by_mx(self, domain: str) -> bool:
        return self.asks_dns() and domain not in self.local_domains and \
            domain not in self.transport

    # -- being a server -------------------------------------------------------------
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

    def crashes_before_reply(self) -> bool:
        if self.crash_after_data <= 0:
            return False
        self.crash_after_data -= 1
        return True

    def is_local(self, address: str) -> bool:
        return address.rpartition("@")[2].lower() in self.local_domains

    def decide(self, ctx: SessionContext, event: ServerEvent) -> Reply | None:
        """This server's policy: the reply to ``event``, or None for the default.

        The checks, by what the client did: a login is checked against the users, a
        sender against the rate limit, a recipient against the mailboxes, relaying
        rules and greylisting, a message against the hop limit. Everything else gets
        the engine's default reply.
        """
        if isinstance(event, AuthCredentials):
            return self.check_credentials(ctx, event)
        if isinstance(event, MailFrom):
            ctx.mail_from = event.address
            return self._check_rate(event.address)
        if isinstance(event, RcptTo):
            return self._check_rcpt(ctx, event.address)
        if isinstance(event, MessageReceived) and \
                _message.is_looping(event.content, self.max_hops):
            return Reply.of(554, "Too many hops: mail forwarding loop detected", "5.4.6")
        return None

    def check_credentials(self, ctx: SessionContext, event: AuthCredentials) -> Reply:
        """A login attempt: an MTA takes none (a submission server does)."""
        return Reply.of(535, "Authentication credentials invalid", "5.7.8")

    def _check_rate(self, sender: str) -> Reply | None:
        if self.rate_limit is None:
            return None
        now = self.world.now
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
            now = self.world.now
            key = (ctx.client, ctx.mail_from, rcpt.lower())
            first = self._greylist.setdefault(key, now)
            if now - first < self.greylist_delay:
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
        world = self.world
        if smtputf8:  # RFC 6531 §4.3
            protocol = "UTF8SMTPA" if ctx.authenticated else "UTF8SMTP"
        else:
            protocol = ("ESMTPA" if ctx.authenticated else "ESMTP") if esmtp else "SMTP"
        received = _message.received_header(
            helo=helo, peer_host=ctx.client, peer_ip=ctx.client_ip, by=self.name,
            protocol=protocol, queue_id=queue_id, recipients=rcpts, date=world.date())
        content = _message.prepend_received(content, received)
        header_end = content.find(b"\r\n\r\n")
        headers = content[: header_end if header_end >= 0 else len(content)]
        if msg is None:
            msg = world.new_trace_id()
            subject = _SUBJECT.search(headers)
            world.record(Injected(world.now, ctx.client, msg, sender, tuple(rcpts),
                                  subject.group(1).decode("utf-8", "replace")
                                  if subject else ""))
            # The hop from the outside client to this server, for paths and summaries.
            world.record(Relayed(world.now, ctx.client, msg, tuple(rcpts), self.name,
                                 f"250 queued as {queue_id}"))
        world.record(MessageAccepted(world.now, self.name, msg, ctx.client, ctx.id, sender,
                                     tuple(rcpts), queue_id,
                                     headers.decode("utf-8", "replace")))
        self.enqueue(msg, sender, list(rcpts), content)
        return msg

    # -- being a sender -------------------------------------------------------------
    def route_for(self, rcpt: str) -> NextHop:
        """Local domains go to the MDA; then the transport table; then DNS MX."""
        domain = rcpt.rpartition("@")[2].lower()
        if domain in self.local_domains:
            return NextHop(local=True)
        host = self.transport.get(domain) or self.transport.get("*")
        if host:
            return NextHop(hosts=(host,))
        return self.mx_route(domain)

    def mx_route(self, domain: str) -> NextHop:
        """Look up ``domain``'s MX in DNS (recorded in the trace) and order the hosts."""
        world = self.world
        zone = world.zone
        world.record(DnsQuery(world.now, self.name, domain, "MX"))
        rcode, records = zone.lookup_mx(domain)
        answers = tuple(f"{p} {h if h == '.' else h + '.'}" for p, h in records)
        if rcode == "NOERROR" and not records and zone.lookup_a(domain):
            world.record(DnsAnswer(world.now, self.name, domain, "MX", rcode, ()))
            world.record(DnsQuery(world.now, self.name, domain, "A"))
            answers = (str(zone.lookup_a(domain)),)
            world.record(DnsAnswer(world.now, self.name, domain, "A", rcode, answers))
        else:
            world.record(DnsAnswer(world.now, self.name, domain, "MX", rcode, answers))
        route = mail_route(zone, domain, world.rng, me=self.name)
        if route.status:
            return NextHop(failure=Reply.of(route.code, route.reason, route.status))
        return NextHop(hosts=route.hosts)

    def handoff(self, msg: str, rcpt: str) -> None:
        """Record the message leaving this MTA's queue for its MDA (a local hand-over,
        like Postfix's local(8) or LMTP to Dovecot: not an SMTP hop)."""
        assert self.mda is not None
        world = self.world
        world.record(Relayed(world.now, self.name, msg, (rcpt,), self.mda.name,
                             "local delivery"))

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> LocalResult:
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
