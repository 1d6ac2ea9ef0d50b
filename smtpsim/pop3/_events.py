"""What a POP3 server did, as events: what the caller (the simulation, a socket
server, a test) learns from :meth:`Pop3Server.next_event`.

The server answers every command itself, from the maildrop; these events only report
what happened that matters outside the dialog: who logged in, which message was read,
and, at the end, what was removed from the maildrop.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConnectionClosed", "LoggedIn", "LoginFailed", "Marked", "Pop3Event",
           "Retrieved", "Updated"]


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """``user`` logged in (with ``mechanism``: ``USER/PASS`` or ``PLAIN``); the
    maildrop was opened with ``messages`` messages."""

    user: str
    mechanism: str
    messages: int


@dataclass(frozen=True, slots=True)
class LoginFailed:
    """A login as ``user`` was refused (the user may not even exist: the client is
    never told which)."""

    user: str


@dataclass(frozen=True, slots=True)
class Retrieved:
    """The message with maildrop UID ``uid`` was sent to the client: whole (``RETR``,
    ``top`` None) or its headers and ``top`` body lines (``TOP``)."""

    uid: int
    key: str
    octets: int
    top: int | None = None


@dataclass(frozen=True, slots=True)
class Marked:
    """``DELE`` marked message ``uid`` for deletion (``marked`` True), or ``RSET``
    unmarked it (``marked`` False). Nothing is removed yet."""

    uid: int
    key: str
    marked: bool = True


@dataclass(frozen=True, slots=True)
class Updated:
    """``QUIT`` after login: the UPDATE state removed these messages from the maildrop
    (their UIDs and keys, in order; empty if none were marked)."""

    uids: tuple[int, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The connection ended: after ``QUIT`` (``reason`` "QUIT"), because the client
    dropped it ("dropped": nothing marked was removed), or because the server gave up
    ("too many failed logins")."""

    reason: str


Pop3Event = LoggedIn | LoginFailed | Retrieved | Marked | Updated | ConnectionClosed
