"""The mailbox server: where a user agent fetches its mail with POP3 or IMAP.

The MDA drops each message into a mailbox, and there SMTP's work ends. The mailbox
server (Dovecot or Courier, in real life) holds those same mailboxes and lets their
owners read them: POP3 on port 110, IMAP on port 143. Each account has a user name
and a password, and one mailbox.

It opens a :class:`~smtpsim.mailstore.Maildrop` over each mailbox it serves, so a
message the MDA delivers is at once on offer to POP3 and IMAP, and a message deleted
through them (POP3's ``QUIT``, IMAP's ``EXPUNGE``) leaves the mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from ...mailstore import Accounts, Maildrop, MaildropMessage
from ..node import Node
from .mda import Mailbox

__all__ = ["MailboxServer"]

#: The port each retrieval protocol listens on (RFC 1939, RFC 9051).
PORTS = {"POP3": 110, "IMAP": 143}


class MailboxServer(Node):
    """Serves mailboxes over POP3 and IMAP.

    Args:
        name: its host name (``pop.example.com``).
        domain: its mail domain.
        accounts: ``{user: (password, mailbox)}``: who may log in, and to which mailbox.
        protocols: what it serves: both by default, or ``("POP3",)`` or ``("IMAP",)``.

    Raises:
        ValueError: an unknown protocol, or an account name POP3 and IMAP could not send.
    """

    kind: ClassVar[str] = "mailbox_server"

    def __init__(self, name: str, domain: str,
                 accounts: Mapping[str, tuple[str, Mailbox]],
                 protocols: tuple[str, ...] = ("POP3", "IMAP")) -> None:
        super().__init__(name, domain)
        unknown = [p for p in protocols if p not in PORTS]
        if unknown or not protocols:
            raise ValueError(f"a mailbox server serves POP3 and/or IMAP, "
                             f"not {unknown or '()'}")
        self.protocols = tuple(protocols)
        self.accounts = Accounts()
        self.mailboxes: dict[str, Mailbox] = {}
        for user, (password, box) in accounts.items():
            if box.maildrop is None:
                box.maildrop = Maildrop(user, on_remove=_forget(box))
            self.accounts.add(user, password, box.maildrop)
            self.mailboxes[user] = box

    def serves(self, protocol: str) -> bool:
        """Whether it answers ``protocol`` (``"POP3"`` or ``"IMAP"``)."""
        return protocol in self.protocols

    def mailbox_of(self, user: str) -> str:
        """The name of the mailbox node the account ``user`` reads (``""`` if none)."""
        box = self.mailboxes.get(user)
        return box.name if box is not None else ""

    def peers(self) -> list[tuple[str, int, str]]:
        return [(box.name, 0, "local") for box in self.mailboxes.values()]

    def mailbox_service(self) -> MailboxServer:
        return self


def _forget(box: Mailbox) -> Callable[[MaildropMessage], None]:
    """The Maildrop's ``on_remove``: a message deleted over POP3 or IMAP leaves the
    mailbox's own lists too."""
    def forget(message: MaildropMessage) -> None:
        if message.key in box.ids:
            i = box.ids.index(message.key)
            del box.ids[i]
            del box.messages[i]
    return forget
