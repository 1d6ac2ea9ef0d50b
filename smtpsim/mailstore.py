"""The mail store the retrieval protocols read: accounts, and each account's maildrop.

SMTP ends at the mailbox: the mail delivery agent (MDA) writes the message there and
its work is done. The *pull* half of email starts from the same place. The recipient's
user agent connects to a mailbox server and fetches with POP3 (RFC 1939) or IMAP
(RFC 9051). Both protocols see a mailbox the same way, and this module is that view:

* a :class:`MaildropMessage` is one message exactly as the MDA stored it (the bytes,
  CRLF line ends, with the Return-Path and Received headers the last hop added), a
  number that never changes (its **UID**, RFC 9051 §2.3.1.1), the time it arrived and
  its flags (``\\Seen``, ``\\Deleted`` ...);
* a :class:`Maildrop` is one account's inbox: messages in arrival order, UIDs that only
  grow, and a ``uidvalidity`` that says "the UIDs you remember still mean the same
  messages";
* :class:`Accounts` checks a user name and password and hands out the maildrop.

Several sessions may have the same maildrop open at once (Alice's laptop with POP3 and
her phone with IMAP): they share this one object, so a flag set by one is seen by the
other, and a message removed by one is gone for both. Removing is the only way a
message leaves; nothing here forgets a message by itself.

The store is plain data with no sockets or clocks, so the sans-IO engines
(:mod:`smtpsim.pop3`, :mod:`smtpsim.imap`), the simulation and the socket server in
:mod:`smtpsim.bridge` all use it alike.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

__all__ = ["SYSTEM_FLAGS", "Accounts", "Maildrop", "MaildropMessage"]

#: The system flags of RFC 9051 §2.3.2 (``\\Recent`` is gone from IMAP4rev2).
SYSTEM_FLAGS = frozenset({"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"})


@dataclass(frozen=True, slots=True)
class MaildropMessage:
    """One message in a maildrop.

    Args:
        uid: its unique identifier in the maildrop, from 1, never reused.
        data: the message as stored, every line ended by CRLF.
        arrived: when it was delivered (IMAP's INTERNALDATE).
        flags: its IMAP flags, e.g. ``frozenset({"\\\\Seen"})``.
        key: a name for the message outside the protocols (the simulation's message
            id, or the Maildir file name); not sent on the wire.
    """

    uid: int
    data: bytes
    arrived: datetime
    flags: frozenset[str] = frozenset()
    key: str = ""

    @property
    def size(self) -> int:
        """The size in octets, as POP3's LIST and IMAP's RFC822.SIZE count it."""
        return len(self.data)


@dataclass
class Maildrop:
    """One account's inbox: messages in arrival order, each with a UID that only grows.

    Args:
        owner: the account name (for messages and views).
        uidvalidity: the UIDVALIDITY value (RFC 9051 §2.3.1.1); a client that sees it
            change must forget the UIDs it remembers.
        on_remove: called with each message removed (the Maildir server deletes its
            file there).
    """

    owner: str
    uidvalidity: int = 1
    on_remove: Callable[[MaildropMessage], None] | None = None
    _messages: dict[int, MaildropMessage] = field(default_factory=dict, repr=False)
    _next_uid: int = 1

    @property
    def uidnext(self) -> int:
        """The UID the next message will get (IMAP's UIDNEXT)."""
        return self._next_uid

    def add(self, data: bytes, arrived: datetime | None = None,
            flags: Iterable[str] = (), key: str = "") -> MaildropMessage:
        """Store a delivered message and return it with its new UID.

        Raises:
            TypeError: ``data`` is not bytes.
            ValueError: ``data`` has a line not ended by CRLF (the store keeps wire
                form, so POP3 and IMAP can send it as it is).
        """
        if not isinstance(data, bytes):
            raise TypeError(f"a stored message is bytes, not {type(data).__name__}")
        if data.count(b"\n") != data.count(b"\r\n") or data.count(b"\r") != data.count(b"\r\n"):
            raise ValueError("a stored message must end every line with CRLF")
        message = MaildropMessage(self._next_uid, data,
                                arrived or datetime(1970, 1, 1, tzinfo=timezone.utc),
                                frozenset(flags), key)
        self._messages[message.uid] = message
        self._next_uid += 1
        return message

    def messages(self) -> list[MaildropMessage]:
        """The messages in the maildrop now, oldest first (ascending UID)."""
        return list(self._messages.values())

    def get(self, uid: int) -> MaildropMessage | None:
        """The message with this UID, or None if there is none (any more)."""
        return self._messages.get(uid)

    def set_flags(self, uid: int, flags: Iterable[str]) -> MaildropMessage:
        """Replace the flags of message ``uid`` and return the updated message.

        Raises:
            KeyError: no message has that UID.
        """
        message = replace(self._messages[uid], flags=frozenset(flags))
        self._messages[uid] = message
        return message

    def remove(self, uids: Iterable[int]) -> list[MaildropMessage]:
        """Remove the messages with these UIDs (POP3's UPDATE state, IMAP's EXPUNGE)
        and return those that were there; UIDs already gone are skipped."""
        removed = []
        for uid in uids:
            message = self._messages.pop(uid, None)
            if message is not None:
                removed.append(message)
                if self.on_remove is not None:
                    self.on_remove(message)
        return removed

    def __len__(self) -> int:
        return len(self._messages)


class Accounts:
    """Who may log in to the mailbox server, and their maildrops.

    >>> accounts = Accounts()
    >>> drop = accounts.add("alice", "wonderland")
    >>> accounts.login("alice", "wonderland") is drop
    True
    >>> accounts.login("alice", "wrong") is None
    True
    """

    def __init__(self) -> None:
        self._accounts: dict[str, tuple[str, Maildrop]] = {}

    def add(self, user: str, password: str, maildrop: Maildrop | None = None) -> Maildrop:
        """Create the account ``user`` (or give it ``maildrop``) and return its maildrop.

        Raises:
            ValueError: the name is empty or holds a space or control character (POP3
                and IMAP could not send it), or the account exists.
        """
        if not user or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in user):
            raise ValueError(f"an account name must be non-empty with no spaces or "
                             f"control characters: {user!r}")
        if any(c in "\r\n\0" for c in password):
            raise ValueError("a password may not hold CR, LF or NUL")
        if user in self._accounts:
            raise ValueError(f"the account {user!r} exists already")
        drop = maildrop if maildrop is not None else Maildrop(user)
        self._accounts[user] = (password, drop)
        return drop

    def login(self, user: str, password: str) -> Maildrop | None:
        """The maildrop of ``user`` if ``password`` is theirs, else None.

        The answer is the same None for an unknown user and a wrong password, so a
        server that reports only this cannot reveal which accounts exist.
        """
        entry = self._accounts.get(user)
        # compare_digest takes as long for a wrong password as for a right one.
        if entry is None or not hmac.compare_digest(entry[0].encode(), password.encode()):
            return None
        return entry[1]

    def maildrop(self, user: str) -> Maildrop | None:
        """The maildrop of ``user`` (for delivering into it), or None."""
        entry = self._accounts.get(user)
        return entry[1] if entry else None

    def users(self) -> list[str]:
        """The account names, in the order they were added."""
        return list(self._accounts)
