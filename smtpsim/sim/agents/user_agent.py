"""The user agent (MUA): a person's mail program, Bob's laptop.

It composes a message (an RFC 5322 message made with the ``email`` package), works
out the envelope (every To, Cc and Bcc address; Bcc never appears in the headers),
and *submits* it to its provider's submission server on port 587, logging in with
AUTH. Unsent mail waits in its outbox and is retried, like an MTA's queue. A message
the provider refuses is reported to the user, not mailed back as a bounce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ... import message as _message
from ...trace import Injected
from ..node import Sender
from ..queue import NextHop, RetryPolicy
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

    def peers(self) -> list[tuple[str, int, str]]:
        return [(self.submit_to, 587, "SMTP+AUTH")]

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
