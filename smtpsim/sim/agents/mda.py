"""The mail delivery agent (MDA) and the mailboxes it fills: the last step of a message.

When a message reaches the MTA of its recipient's domain, the MTA hands it over
locally (not by SMTP: Postfix's local(8), or LMTP to Dovecot) to the *mail delivery
agent*. The MDA adds two header fields on top of the message and stores it in the
recipient's :class:`Mailbox`:

* ``Return-Path:`` the envelope sender, so that a reply to a bounce is possible;
* ``Delivered-To:`` the envelope recipient, which a Bcc'd reader finds nowhere else.

A mailbox may have a quota; a full one answers ``452`` (try later) or ``552`` (for
good), which the MTA already tells the sender at RCPT time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ... import message as _message
from ...mailstore import Maildrop
from ...trace import Delivered
from ..node import Node

__all__ = ["MDA", "Mailbox", "MailboxDeliveryAgent"]


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
        #: The view POP3 and IMAP have of it, once a mailbox server serves it.
        self.maildrop: Maildrop | None = None

    def is_full(self) -> bool:
        return self.quota is not None and len(self.messages) >= self.quota

    def parsed(self) -> list[Any]:
        """The delivered messages as :class:`email.message.EmailMessage` objects."""
        return [_message.from_bytes(m) for m in self.messages]


class MDA(Node):
    """The mail delivery agent: the last step, into a :class:`Mailbox`."""

    kind: ClassVar[str] = "mda"

    def __init__(self, name: str, domain: str, mailboxes: Sequence[Mailbox] = ()) -> None:
        super().__init__(name, domain)
        self.mailboxes: dict[str, Mailbox] = {m.owner.lower(): m for m in mailboxes}

    def parts(self) -> list[Node]:
        return list(self.mailboxes.values())

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
        world = self.world
        if box.maildrop is not None:  # on offer to POP3 and IMAP at once
            box.maildrop.add(data, world.date(), key=msg)
        world.record(Delivered(world.now, self.name, msg, rcpt, box.name))


#: The textbook's full name for the :class:`MDA`.
MailboxDeliveryAgent = MDA
