"""The pull half of email: a user agent fetches its mail from the mailbox server.

:func:`fetch_session` is one POP3 or IMAP session between a user agent and a mailbox
server. Like an SMTP hop (:func:`smtpsim.sim.session.smtp_session`) it is computed
first (the client engine and the server engine talk to the end in memory, through
:func:`smtpsim.wire.talk`) and then replayed in simulated time: every flight costs the
link's one-way latency, and every line is recorded at the moment it would cross the
wire, as a :class:`~smtpsim.trace.Pop3Line` or :class:`~smtpsim.trace.ImapLine`.

What the session did to the mailbox is recorded at the moment it happens on the wire:
a :class:`~smtpsim.trace.Fetched` when the server's answer carrying a message arrives,
a :class:`~smtpsim.trace.Removed` at POP3's ``QUIT`` (the UPDATE state) or IMAP's
``EXPUNGE``, a :class:`~smtpsim.trace.Flagged` when IMAP changes a message's flags
(``\\Seen`` once it is read). The mailbox itself changes when the session is computed, at its start:
a session lasts well under a second of simulated time, and nothing else in the
simulation reads the mailbox meanwhile.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from .. import imap, pop3
from ..mailstore import Accounts
from ..trace import (
    DialogLine,
    Fetched,
    Flagged,
    ImapLine,
    Pop3Line,
    Removed,
    SessionClosed,
    SessionOpened,
)
from ..wire import Dialog, LineServer, talk
from .world import World

__all__ = ["FetchResult", "fetch_session"]

#: The port and the trace event of each retrieval protocol.
_PORTS = {"POP3": 110, "IMAP": 143}
_LINES: dict[str, type[DialogLine]] = {"POP3": Pop3Line, "IMAP": ImapLine}


@dataclass
class FetchResult:
    """How one fetch went: whether it connected, what it downloaded (``(id, bytes)``
    per message, ``id`` being POP3's UIDL or IMAP's ``UIDVALIDITY.UID``, the same
    text), the server's refusal, if any (a wrong password, say), and with IMAP the
    flags of every message in the mailbox, by id."""

    connected: bool
    fetched: list[tuple[str, bytes]] = field(default_factory=list)
    error: str = ""
    flags: dict[str, frozenset[str]] = field(default_factory=dict)


def fetch_session(world: World, client: str, host: str, protocol: str, user: str,
                  password: str, *, delete: bool = True, known: set[str] | None = None
                  ) -> Generator[Any, Any, FetchResult]:
    """One fetch from ``client`` (a user agent) at the mailbox server ``host``.

    A process step (use ``yield from``): it returns once the session has ended.

    Args:
        world: the world both nodes live in.
        client: the user agent's node name.
        host: the mailbox server to connect to.
        protocol: ``"POP3"`` or ``"IMAP"``.
        user: the account name; ``password`` its password.
        delete: remove what was downloaded (POP3: ``DELE`` then ``QUIT``; IMAP: mark
            ``\\Deleted`` and ``EXPUNGE``).
        known: ids already downloaded by this client (skipped); updated in place.

    Raises:
        ValueError: an unknown protocol.
    """
    if protocol not in _PORTS:
        raise ValueError(f"a fetch uses POP3 or IMAP, not {protocol!r}")
    known = known if known is not None else set()
    latency = world.latency(client, host)
    service = world.mailbox_service(host)
    if service is None or not service.serves(protocol) or not world.reachable(client, host):
        yield world.timeout(2 * latency)
        return FetchResult(False, error=f"connect to {host}:{_PORTS[protocol]}: "
                                        "Connection refused")
    fetcher, server = _engines(protocol, service.accounts, host, user, password, delete,
                               known)
    dialog = talk(fetcher, server)
    sid = world.new_session_id()
    yield world.timeout(latency)  # the TCP handshake
    base = now = world.now
    world.record(SessionOpened(base, host, client, sid, _PORTS[protocol]))
    line_event = _LINES[protocol]
    mailbox = service.mailbox_of(user)
    happened = _by_flight(dialog)
    # What the server did in a flight is recorded after the flight's last answer line
    # (after the whole message, for a RETR).
    last = {line.flight: i for i, line in enumerate(dialog.lines) if line.dir == "S"}
    for i, line in enumerate(dialog.lines):
        due = base + (2 * line.flight - (line.dir == "C")) * latency
        if due > now:
            yield world.timeout(due - now)
            now = world.now
        world.record(line_event(now, host, client, sid, line.dir, line.line, line.state))
        if last.get(line.flight) == i:
            for event in happened.pop(line.flight, []):
                _record_event(world, host, client, protocol, user, event, mailbox)
    end = base + 2 * (dialog.lines[-1].flight if dialog.lines else 0) * latency
    if end > now:
        yield world.timeout(end - now)
    world.record(SessionClosed(world.now, host, client, sid,
                               "QUIT" if fetcher.done else "closed"))
    known.update(uid for uid, _ in fetcher.fetched)
    flags = dict(fetcher.flags) if isinstance(fetcher, imap.ImapFetcher) else {}
    return FetchResult(True, list(fetcher.fetched), fetcher.error, flags)


def _engines(protocol: str, accounts: Accounts, host: str, user: str, password: str,
             delete: bool, known: set[str]
             ) -> tuple[pop3.Pop3Fetcher | imap.ImapFetcher, LineServer]:
    """The client and server engines of one session."""
    if protocol == "POP3":
        return (pop3.Pop3Fetcher(user, password, delete=delete, known=known),
                pop3.Pop3Server(accounts, hostname=host))
    return (imap.ImapFetcher(user, password, delete=delete, known=known),
            imap.ImapServer(accounts, hostname=host))


def _by_flight(dialog: Dialog) -> dict[int, list[object]]:
    """The server's events, by the flight that caused them."""
    out: dict[int, list[object]] = {}
    for flight, event in dialog.events:
        out.setdefault(flight, []).append(event)
    return out


def _record_event(world: World, host: str, client: str, protocol: str, user: str,
                  event: object, mailbox: str) -> None:
    """The trace event for what the server did to the mailbox, if anything: a whole
    message sent (not POP3's TOP, nor IMAP's header-only fetches), messages removed,
    flags changed."""
    if ((isinstance(event, pop3.Retrieved) and event.top is None)
            or (isinstance(event, imap.Retrieved) and event.whole)):
        world.record(Fetched(world.now, host, event.key, client, protocol, user, mailbox))
    elif isinstance(event, (pop3.Updated, imap.Expunged)):
        for key in event.keys:
            world.record(Removed(world.now, host, key, client, protocol, user))
    elif isinstance(event, imap.FlagsChanged):
        world.record(Flagged(world.now, host, event.key, client, protocol, user,
                             tuple(sorted(event.flags))))

