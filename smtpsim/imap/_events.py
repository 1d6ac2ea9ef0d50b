"""What an IMAP server did, as events: what the caller (the simulation, a socket
server, a test) learns from :meth:`ImapServer.next_event`.

The server answers every command itself, from the maildrop; these events only report
what matters outside the dialog: who logged in, which message was sent, which flags
changed, and what was expunged. The names match those of :mod:`smtpsim.pop3` where
the two protocols do the same thing (``imap.LoggedIn``, ``pop3.LoggedIn``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConnectionClosed", "Expunged", "FlagsChanged", "ImapEvent", "LoggedIn",
           "LoginFailed", "Retrieved", "Selected"]


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """``user`` logged in (``mechanism``: ``LOGIN`` or ``PLAIN``)."""

    user: str
    mechanism: str


@dataclass(frozen=True, slots=True)
class LoginFailed:
    """A login as ``user`` was refused (the client is never told whether the user
    exists)."""

    user: str


@dataclass(frozen=True, slots=True)
class Selected:
    """A mailbox was opened: by SELECT (``read_only`` False) or EXAMINE (True),
    holding ``exists`` messages."""

    mailbox: str
    read_only: bool
    exists: int


@dataclass(frozen=True, slots=True)
class Retrieved:
    """Part of message ``uid`` was sent: ``item`` is how the response named it
    (``BODY[]`` is the whole message, ``BODY[HEADER]`` its header ...), ``octets``
    its size, and ``whole`` says whether it was the whole message."""

    uid: int
    key: str
    item: str
    octets: int
    whole: bool


@dataclass(frozen=True, slots=True)
class FlagsChanged:
    """Message ``uid`` has new flags (by STORE, or ``\\Seen`` set by a FETCH)."""

    uid: int
    key: str
    flags: frozenset[str]


@dataclass(frozen=True, slots=True)
class Expunged:
    """EXPUNGE or CLOSE removed these messages from the maildrop (UIDs and keys)."""

    uids: tuple[int, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The connection ended: after LOGOUT (``reason`` "LOGOUT"), a drop ("dropped"),
    or because the server gave up (e.g. "too many failed logins")."""

    reason: str


ImapEvent = (LoggedIn | LoginFailed | Selected | Retrieved | FlagsChanged | Expunged
             | ConnectionClosed)
