"""The user agent (MUA): a person's mail program, Bob's laptop.

It composes a message (an RFC 5322 message made with the ``email`` package), works
out the envelope (every To, Cc and Bcc address; Bcc never appears in the headers),
and *submits* it to its provider's submission server on port 587, logging in with
AUTH. Unsent mail waits in its outbox and is retried, like an MTA's queue. A message
the provider refuses is reported to the user, not mailed back as a bounce.

It also *reads* mail: told to :meth:`UserAgent.fetch_from` a mailbox server, it
downloads new messages with POP3 or IMAP (once, or every so many seconds) and keeps
them in :attr:`UserAgent.read`, byte for byte as the MDA stored them.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, ClassVar

from ... import message as _message
from ...trace import Injected
from ..node import Sender
from ..queue import NextHop, RetryPolicy
from ..retrieval import fetch_session
from .mda import Mailbox

__all__ = ["UserAgent"]


class UserAgent(Sender):
    """A mail program (MUA). It submits to ``submit_to`` on port 587 with AUTH, keeps
    unsent mail in its outbox (retrying), and reads ``mailbox``.

    Args:
        name: the machine's name (used in EHLO).
        user: the email address.
        password: for AUTH at the submission server.
        submit_to: the host name of the submission server (MSA).
        mailbox: where this user's mail is delivered, to read it.
        retry: its outbox's retry schedule.
    """

    kind: ClassVar[str] = "user_agent"
    #: A mail program shows its user the error instead of mailing itself a bounce.
    sends_dsn = False

    def __init__(self, name: str, user: str, *, password: str, submit_to: str,
                 mailbox: Mailbox | None = None, retry: RetryPolicy | None = None) -> None:
        super().__init__(name, user.rpartition("@")[2], retry=retry)
        self.user = user
        self.password = password
        self.submit_to = submit_to
        self.mailbox = mailbox
        #: What it has downloaded: ``(protocol, id, message bytes)``, in order.
        self.read: list[tuple[str, str, bytes]] = []
        #: Where it fetches from: ``(host, protocol)`` (for the network's picture).
        self.fetches: list[tuple[str, str]] = []
        self._known: dict[tuple[str, str], set[str]] = {}
        self._flags: dict[str, dict[str, frozenset[str]]] = {}

    def peers(self) -> list[tuple[str, int, str]]:
        ports = {"POP3": 110, "IMAP": 143}
        return [(self.submit_to, 587, "SMTP+AUTH")] + [
            (host, ports[protocol], protocol) for host, protocol in self.fetches]

    def fetch_from(self, host: str, protocol: str = "POP3", *, account: str | None = None,
                   password: str | None = None, at: float = 0.0, every: float | None = None,
                   times: int | None = None, delete: bool | None = None) -> None:
        """Fetch this user's mail from the mailbox server ``host``, starting at ``at``
        simulated seconds, then every ``every`` seconds (or once).

        Args:
            host: the mailbox server.
            protocol: ``"POP3"`` or ``"IMAP"``.
            account: the account name (default: the local part of its address).
            password: its password (default: the one it submits with).
            at: when the first fetch starts.
            every: seconds between fetches, or None to fetch once.
            times: how many fetches in all; needed with ``every`` (a mail program polls
                for ever, a simulation must end).
            delete: remove what was downloaded; by default True with POP3 (download and
                delete, the classic way) and False with IMAP (mail stays on the server).

        Raises:
            ValueError: an unknown protocol, a negative time, a non-positive interval.
        """
        if protocol not in ("POP3", "IMAP"):
            raise ValueError(f"a user agent fetches with POP3 or IMAP, not {protocol!r}")
        if at < 0:
            raise ValueError(f"a fetch cannot start before time 0 (at={at})")
        if every is not None and not every > 0:
            raise ValueError(f"the interval between fetches must be above 0, not {every}")
        if every is not None and times is None:
            raise ValueError("a periodic fetch needs times= (how many fetches in all)")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        user = account or self.user.rpartition("@")[0]
        secret = self.password if password is None else password
        remove = (protocol == "POP3") if delete is None else delete
        known = self._known.setdefault((host, protocol), set())
        self.fetches.append((host, protocol))
        world = self.world

        def fetching() -> Generator[Any, Any, None]:
            yield world.timeout(at)
            done = 0
            while True:
                result = yield from fetch_session(world, self.name, host, protocol, user,
                                                  secret, delete=remove, known=known)
                self.read += [(protocol, uid, data) for uid, data in result.fetched]
                if protocol == "IMAP" and result.connected and not result.error:
                    self._flags[host] = result.flags
                done += 1
                if every is None or times is None or done >= times:
                    return
                # A mail program checks on a timer: at, at + every, at + 2 every ...
                yield world.timeout(max(0.0, at + done * every - world.now))

        world.process(fetching())

    def flags(self, host: str) -> dict[str, frozenset[str]]:
        """The IMAP flags of each message in its mailbox at ``host``, by id
        (``UIDVALIDITY.UID``), as this user agent saw them at its last IMAP fetch
        there; empty if it has not fetched from ``host`` with IMAP."""
        return dict(self._flags.get(host, {}))

    def send(self, to: Sequence[str], *, subject: str, body: str, cc: Sequence[str] = (),
             bcc: Sequence[str] = (), from_name: str | None = None,
             headers: dict[str, str] | None = None, sender: str | None = None) -> str:
        """Compose a message now and put it in the outbox; returns its trace id.

        ``sender`` overrides the envelope sender (MAIL FROM), to show spoofing.
        """
        world = self.world
        writer = world.engines.message
        msg = writer.compose(self.user, to, cc=cc, bcc=bcc, subject=subject, body=body,
                             date=world.date(), from_name=from_name, extra_headers=headers,
                             message_id=world.new_message_id(self.domain))
        rcpts = _message.envelope_recipients(to, cc, bcc)
        trace_id = world.new_trace_id()
        env_from = sender or self.user
        world.record(Injected(world.now, self.name, trace_id, env_from, tuple(rcpts), subject))
        self.enqueue(trace_id, env_from, rcpts, writer.to_bytes(msg))
        return trace_id

    def route_for(self, rcpt: str) -> NextHop:
        """Everything goes to the submission server."""
        return NextHop(hosts=(self.submit_to,))

    def credentials(self, host: str) -> tuple[str, str] | None:
        return (self.user, self.password)

    def inbox(self) -> list[Any]:
        """The messages in this user's mailbox, parsed."""
        return self.mailbox.parsed() if self.mailbox else []
