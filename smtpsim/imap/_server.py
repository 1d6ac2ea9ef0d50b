"""The IMAP server engine (RFC 9051, IMAP4rev2; IMAP4rev1, RFC 3501, for older clients).

How an IMAP session goes, in the order this file handles it:

1. The server greets: ``* OK [CAPABILITY ...] imap.example.com IMAP4rev2 server ready``.
2. **NOT AUTHENTICATED**: the client logs in with ``a1 LOGIN alice secret`` (or
   ``AUTHENTICATE PLAIN``). A wrong password and an unknown user get the same
   ``NO [AUTHENTICATIONFAILED]``, so nobody can probe which accounts exist.
3. **AUTHENTICATED**: ``LIST`` shows the mailboxes (here one: ``INBOX``), ``STATUS``
   counts a mailbox's messages, ``SELECT INBOX`` opens it (``EXAMINE``: read-only).
4. **SELECTED**: the server has said how many messages there are (``* 3 EXISTS``)
   and the client works on them by number or by UID: ``FETCH`` parts of them,
   ``SEARCH``, ``STORE`` flags, ``EXPUNGE`` the ones flagged ``\\Deleted``.
   ``IDLE`` waits for news; ``CLOSE`` or ``UNSELECT`` leave the mailbox.
5. **LOGOUT**: ``* BYE``, the tagged ``OK``, and the connection closes.

Reading a command takes three steps, each in its own place: the *framing* here finds
where a command ends (at a CRLF that is not inside a literal, asking the client to go
on with ``+`` before each synchronizing literal); :func:`~smtpsim.imap._syntax.read`
turns it into tokens; the handler of its command name checks and answers it.

The mailbox is shared with every other session that has it open (Alice's phone and
her laptop). Each session keeps its own numbering of the messages, and the server
tells the client what changed - ``* 4 EXISTS`` for new mail, ``* 2 EXPUNGE`` for a
message gone, ``* 1 FETCH (FLAGS (\\Seen))`` for flags set elsewhere - before the
tagged response of its next command (and at once, while it is in ``IDLE``). Never
during ``FETCH``, ``STORE`` or ``SEARCH``: an ``EXPUNGE`` would renumber the messages
under the client's feet (RFC 9051 §7.5.1).

The server speaks IMAP4rev1 until the client says ``ENABLE IMAP4rev2`` (RFC 9051
§6.3.1); the one difference a reader sees here is how ``SEARCH`` answers (``* SEARCH
2 3`` in rev1, ``* ESEARCH (TAG "a5") ALL 2:3`` in rev2). The server never marks a
message ``\\Recent`` (the flag is gone from IMAP4rev2), so it says ``* 0 RECENT``.

Sans-IO, as the SMTP and POP3 engines: bytes in with :meth:`ImapServer.receive_data`,
bytes out with :meth:`~ImapServer.data_to_send`, events from
:meth:`~ImapServer.next_event`. Nothing a client sends raises an exception: a broken
command gets ``BAD``, a refused one ``NO``, and the session goes on.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..mailstore import SYSTEM_FLAGS, Accounts, Maildrop, MaildropMessage
from ._events import (
    ConnectionClosed,
    Expunged,
    FlagsChanged,
    ImapEvent,
    LoggedIn,
    LoginFailed,
    Retrieved,
    Selected,
)
from ._fetch import FetchItem, data_item, parse_items, section_octets
from ._search import CHARSETS, parse_search
from ._state import State, allowed, next_state, where_allowed
from ._syntax import (
    Atom,
    ImapSyntaxError,
    SequenceSet,
    Token,
    astring,
    compact,
    flag_list,
    literal_at_end,
    quoted,
    read,
)

__all__ = ["CAPABILITIES", "ImapLimits", "ImapServer"]


@dataclass(frozen=True, slots=True)
class ImapLimits:
    """The bounds an IMAP server keeps a client within.

    Args:
        max_line: the longest line of a command in octets, CRLF included (RFC 7162
            §4 asks servers to take at least 8192); a longer one gets ``* BAD``.
        max_literal: the largest literal a command may carry. This server has no
            APPEND, so literals carry only names, passwords and search text.
        max_failures: failed logins before the server says ``* BYE`` and closes.
    """

    max_line: int = 8192
    max_literal: int = 65536
    max_failures: int = 3

    def __post_init__(self) -> None:
        if self.max_line < 64:
            raise ValueError(f"max_line must be at least 64 octets, not {self.max_line}")
        if self.max_literal < 0:
            raise ValueError(f"max_literal cannot be negative: {self.max_literal}")
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be at least 1, not {self.max_failures}")


#: What CAPABILITY lists: the versions spoken (IMAP4rev1 too, which Python's imaplib
#: looks for), how to log in, and the extensions this server has.
CAPABILITIES = ("IMAP4rev2", "IMAP4rev1", "AUTH=PLAIN", "SASL-IR", "LITERAL+", "ENABLE",
                "IDLE", "UNSELECT")

#: The one mailbox an account has here.
INBOX = "INBOX"

#: The commands whose answers must not carry ``* n EXPUNGE`` (RFC 9051 §7.5.1).
_NO_EXPUNGE_DURING = frozenset({"FETCH", "STORE", "SEARCH"})


class ImapServer:
    """One IMAP session, the server side.

    Args:
        accounts: who may log in, and their maildrops (each is the account's INBOX).
        hostname: the name the server gives in its greeting.
        limits: line, literal and failed-login bounds.

    >>> from smtpsim.mailstore import Accounts
    >>> accounts = Accounts(); inbox = accounts.add("alice", "pw")
    >>> server = ImapServer(accounts)
    >>> server.receive_data(b"a1 LOGIN alice pw\\r\\na2 SELECT INBOX\\r\\n")
    >>> print(server.data_to_send().decode().splitlines()[-1])
    a2 OK [READ-WRITE] SELECT completed
    """

    def __init__(self, accounts: Accounts, *, hostname: str = "imap.example.com",
                 limits: ImapLimits = ImapLimits()) -> None:
        self.accounts = accounts
        self.hostname = hostname
        self.limits = limits
        self.state = State.NOT_AUTHENTICATED
        self._buffer = b""
        self._command = b""  # the command read so far: its lines and literals
        self._literal = 0  # octets of a literal still to come
        self._discarding = False  # inside a line that was too long, until its LF
        self._out: list[bytes] = []
        self._events: deque[ImapEvent] = deque()
        self._failures = 0
        self._rev2 = False  # ENABLE IMAP4rev2 was sent
        self._sasl_tag: str | None = None  # AUTHENTICATE waits for its response line
        self._idle_tag: str | None = None  # IDLE waits for DONE
        self._account: Maildrop | None = None  # the INBOX of the logged-in user
        # The open mailbox, as this session numbers it: message n has UID _uids[n - 1].
        self._selected: Maildrop | None = None
        self._read_only = False
        self._uids: list[int] = []
        self._highest = 0  # the highest UID this session has announced
        self._told_flags: dict[int, frozenset[str]] = {}  # the flags the client knows

    # -- the caller's side ------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the session is over (the server sends nothing more)."""
        return self.state is State.LOGOUT

    @property
    def idling(self) -> bool:
        """Whether the client is in IDLE, waiting to be told of changes."""
        return self._idle_tag is not None

    def greeting(self) -> bytes:
        """The server's first line, sent as soon as the connection opens."""
        return (f"* OK [CAPABILITY {' '.join(CAPABILITIES)}] {self.hostname} "
                "IMAP4rev2 server ready\r\n").encode()

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the client and answer every complete command in them.

        ``b""`` means the client closed the connection; nothing is expunged by that
        (flags already stored stay stored).
        """
        if self.closed:
            return
        if data == b"":
            self._logout("dropped")
            return
        self._buffer += data
        while not self.closed:
            if self._literal:  # inside a literal: take its octets, CRLFs and all
                part = self._buffer[:self._literal]
                self._buffer = self._buffer[len(part):]
                self._command += part
                self._literal -= len(part)
                if self._literal:
                    return
                continue
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) >= self.limits.max_line and not self._discarding:
                    self._too_long()
                if self._discarding:
                    self._buffer = b""  # a runaway line does not grow memory
                return
            line, self._buffer = self._buffer[:end + 1], self._buffer[end + 1:]
            if self._discarding:
                self._discarding = False  # the end of the line we already refused
                continue
            if len(line) > self.limits.max_line:
                self._too_long()
                self._discarding = False
                continue
            self._command += line
            announced = None if self._waiting_for_line() else literal_at_end(line)
            if announced is not None and self._start_literal(*announced):
                continue
            command, self._command = self._command, b""
            self._handle(command)

    def data_to_send(self) -> bytes:
        """The responses waiting to be sent (then forgotten here)."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def next_event(self) -> ImapEvent | None:
        """The next thing that happened (a login, a message sent, an expunge), or None."""
        return self._events.popleft() if self._events else None

    def mailbox_changed(self) -> None:
        """The mailbox changed (new mail, or another session's expunge or flags): a
        client in IDLE is told at once; any other is told with its next command."""
        if self.idling:
            self._announce(expunges=True)

    # -- framing ----------------------------------------------------------------------

    def _waiting_for_line(self) -> bool:
        """Whether the next line is not a command (AUTHENTICATE's answer, or DONE)."""
        return self._sasl_tag is not None or self._idle_tag is not None

    def _start_literal(self, size: int, sync: bool) -> bool:
        """A line ended with ``{size}``: read ``size`` octets before the command goes
        on. Returns False if the command was refused instead."""
        if size > self.limits.max_literal:
            tag = _tag_of(self._command)
            self._command = b""
            if sync:  # the client waits for "+": it will not send the octets
                self._tagged(tag, "BAD", f"a literal of {size} octets is more than this "
                             f"server takes ({self.limits.max_literal})")
                return True
            # {size+} octets are on their way already; there is no telling where the
            # next command starts, so the session ends.
            self._untagged(f"BYE a literal of {size} octets is more than this server "
                           f"takes ({self.limits.max_literal})")
            self._logout("literal too large")
            return True
        if sync:
            self._out.append(b"+ go ahead: send the %d octets\r\n" % size)
        self._literal = size
        return True

    def _too_long(self) -> None:
        self._untagged(f"BAD line too long (the limit is {self.limits.max_line} octets)")
        self._command = b""
        self._discarding = True

    # -- writing responses ----------------------------------------------------------------

    def _line(self, text: str) -> None:
        # A response line is never split by what a client sent into it.
        self._out.append(text.replace("\r", " ").replace("\n", " ").encode("utf-8") + b"\r\n")

    def _untagged(self, text: str) -> None:
        self._line("* " + text)

    def _tagged(self, tag: str, status: str, text: str) -> None:
        self._line(f"{tag} {status} {text}")

    def _ok(self, tag: str, text: str, *, command: str = "") -> None:
        """The tagged OK that completes a command, after the news about the mailbox
        (EXPUNGE news not during FETCH, STORE or SEARCH)."""
        self._announce(expunges=command not in _NO_EXPUNGE_DURING)
        self._tagged(tag, "OK", text)

    # -- one command --------------------------------------------------------------------

    def _handle(self, command: bytes) -> None:
        if self._sasl_tag is not None:
            self._sasl_response(command.rstrip(b"\r\n").decode("utf-8", "replace"))
            return
        if self._idle_tag is not None:
            self._idle_line(command.rstrip(b"\r\n").decode("utf-8", "replace"))
            return
        try:
            tokens = read(command, max_literal=self.limits.max_literal)
        except ImapSyntaxError as exc:
            self._tagged(_tag_of(command), "BAD", str(exc))
            return
        if not tokens:
            self._untagged("BAD empty command line")
            return
        tag = tokens[0]
        if not isinstance(tag, Atom) or not _valid_tag(tag):
            self._untagged("BAD a command starts with a tag (a1, a2 ...), then its name")
            return
        if len(tokens) < 2 or not isinstance(tokens[1], Atom):
            self._tagged(tag, "BAD", "no command name after the tag")
            return
        name = tokens[1].upper()
        handler = self._handlers().get(name)
        if handler is None:
            self._tagged(tag, "BAD", f"unknown command {name[:20]!r}")
            return
        if not allowed(self.state, name):
            self._tagged(tag, "BAD", _out_of_state(name, self.state))
            return
        try:
            handler(tag, tokens[2:])
        except ImapSyntaxError as exc:
            self._tagged(tag, "BAD", f"{name}: {exc}")

    def _handlers(self) -> dict[str, Callable[[str, list[Token]], None]]:
        return {
            "CAPABILITY": self._do_capability, "NOOP": self._do_noop,
            "LOGOUT": self._do_logout, "LOGIN": self._do_login,
            "AUTHENTICATE": self._do_authenticate, "ENABLE": self._do_enable,
            "LIST": self._do_list, "STATUS": self._do_status,
            "SELECT": self._do_select, "EXAMINE": self._do_examine, "IDLE": self._do_idle,
            "FETCH": self._do_fetch, "SEARCH": self._do_search, "STORE": self._do_store,
            "UID": self._do_uid, "EXPUNGE": self._do_expunge, "CLOSE": self._do_close,
            "UNSELECT": self._do_unselect,
        }

    # any state ------------------------------------------------------------------------

    def _do_capability(self, tag: str, args: list[Token]) -> None:
        _no_arguments("CAPABILITY", args)
        self._untagged("CAPABILITY " + " ".join(CAPABILITIES))
        self._ok(tag, "CAPABILITY completed")

    def _do_noop(self, tag: str, args: list[Token]) -> None:
        _no_arguments("NOOP", args)
        self._ok(tag, "NOOP completed")  # the news about the mailbox comes with it

    def _do_logout(self, tag: str, args: list[Token]) -> None:
        _no_arguments("LOGOUT", args)
        self._untagged(f"BYE {self.hostname} IMAP server logging out")
        self._tagged(tag, "OK", "LOGOUT completed")
        self._logout("LOGOUT")

    def _logout(self, reason: str) -> None:
        self.state = State.LOGOUT
        self._sasl_tag = self._idle_tag = None
        self._events.append(ConnectionClosed(reason))

    # NOT AUTHENTICATED ------------------------------------------------------------------

    def _do_login(self, tag: str, args: list[Token]) -> None:
        user, password = _strings(args, 2, "LOGIN takes a user name and a password")
        self._login(tag, user, password, "LOGIN")

    def _do_authenticate(self, tag: str, args: list[Token]) -> None:
        if not 1 <= len(args) <= 2 or not isinstance(args[0], Atom):
            raise ImapSyntaxError("AUTHENTICATE takes a mechanism name, e.g. AUTHENTICATE PLAIN")
        if args[0].upper() != "PLAIN":
            self._tagged(tag, "NO", f"unsupported mechanism {str(args[0])[:20]!r}: this "
                         "server offers AUTHENTICATE PLAIN")
            return
        if len(args) == 2:  # SASL-IR (RFC 4959): the credentials on the same line
            initial = astring(args[1]) or ""
            self._plain(tag, "" if initial == "=" else initial)
            return
        self._sasl_tag = tag
        self._out.append(b"+ \r\n")  # an empty challenge: the credentials follow

    def _sasl_response(self, line: str) -> None:
        tag, self._sasl_tag = self._sasl_tag or "*", None
        if line == "*":
            self._tagged(tag, "BAD", "AUTHENTICATE cancelled")
            return
        self._plain(tag, line)

    def _plain(self, tag: str, encoded: str) -> None:
        """Check SASL PLAIN credentials: base64 of authzid NUL user NUL password."""
        try:
            parts = base64.b64decode(encoded.encode(), validate=True).decode("utf-8").split("\0")
        except (binascii.Error, UnicodeDecodeError):
            self._tagged(tag, "BAD", "the credentials are not base64 PLAIN")
            return
        if len(parts) != 3:
            self._tagged(tag, "BAD", "PLAIN credentials are authzid NUL user NUL password")
            return
        authzid, user, password = parts
        if authzid and authzid != user:
            self._tagged(tag, "NO", "[AUTHORIZATIONFAILED] this server does not let you "
                         "act as another user")
            return
        self._login(tag, user, password, "PLAIN")

    def _login(self, tag: str, user: str, password: str, mechanism: str) -> None:
        maildrop = self.accounts.login(user, password) if user else None
        if maildrop is None:
            self._failures += 1
            self._events.append(LoginFailed(user))
            # One answer for an unknown user and a wrong password alike.
            self._tagged(tag, "NO", "[AUTHENTICATIONFAILED] invalid user name or password")
            if self._failures >= self.limits.max_failures:
                self._untagged("BYE too many failed logins; goodbye")
                self._logout("too many failed logins")
            return
        self._account = maildrop
        self.state = next_state(self.state, "LOGIN")
        self._events.append(LoggedIn(user, mechanism))
        self._tagged(tag, "OK", f"logged in as {user}")

    # AUTHENTICATED ----------------------------------------------------------------------

    def _do_enable(self, tag: str, args: list[Token]) -> None:
        if not args:
            raise ImapSyntaxError("ENABLE names the extensions to turn on, e.g. IMAP4rev2")
        if any(isinstance(a, Atom) and a.upper() == "IMAP4REV2" for a in args):
            self._rev2 = True
            self._untagged("ENABLED IMAP4rev2")
        self._ok(tag, "ENABLE completed")

    def _do_list(self, tag: str, args: list[Token]) -> None:
        reference, pattern = _strings(args, 2, 'LIST takes a reference and a pattern, '
                                      'e.g. LIST "" "*"')
        if pattern == "":  # RFC 9051 §6.3.9: asks only for the hierarchy delimiter
            self._untagged('LIST (\\Noselect) "/" ""')
        elif _pattern_matches(reference + pattern, INBOX):
            self._untagged('LIST (\\HasNoChildren) "/" INBOX')
        self._ok(tag, "LIST completed")

    def _do_status(self, tag: str, args: list[Token]) -> None:
        if len(args) != 2 or not isinstance(args[1], list) or astring(args[0]) is None:
            raise ImapSyntaxError("STATUS takes a mailbox and a list: STATUS INBOX (MESSAGES)")
        if not self._mailbox_exists(tag, astring(args[0]) or ""):
            return
        assert self._account is not None
        messages = self._account.messages()
        counts = {
            "MESSAGES": len(messages),
            "UIDNEXT": self._account.uidnext,
            "UIDVALIDITY": self._account.uidvalidity,
            "UNSEEN": sum("\\Seen" not in m.flags for m in messages),
            "DELETED": sum("\\Deleted" in m.flags for m in messages),
            "SIZE": sum(m.size for m in messages),
        }
        asked = []
        for item in args[1]:
            name = item.upper() if isinstance(item, Atom) else ""
            if name not in counts:
                raise ImapSyntaxError(f"unknown STATUS item {item!r}; the items are "
                                      + " ".join(counts))
            asked.append(f"{name} {counts[name]}")
        self._untagged(f"STATUS INBOX ({' '.join(asked)})")
        self._ok(tag, "STATUS completed")

    def _mailbox_exists(self, tag: str, name: str) -> bool:
        if name.upper() == INBOX:  # INBOX is INBOX in any case (RFC 9051 §5.1)
            return True
        self._tagged(tag, "NO", f"[NONEXISTENT] no mailbox {name[:40]!r}: this server "
                     "has only INBOX")
        return False

    def _do_select(self, tag: str, args: list[Token]) -> None:
        self._open(tag, args, "SELECT")

    def _do_examine(self, tag: str, args: list[Token]) -> None:
        self._open(tag, args, "EXAMINE")

    def _open(self, tag: str, args: list[Token], command: str) -> None:
        """SELECT (read and change) or EXAMINE (read only) a mailbox."""
        name = astring(args[0]) if len(args) == 1 else None
        if name is None:
            raise ImapSyntaxError(f"{command} takes one mailbox name: {command} INBOX")
        if self.state is State.SELECTED:
            self._leave()  # SELECT closes the open mailbox first, even if it fails
        if not self._mailbox_exists(tag, name):
            return
        assert self._account is not None
        drop = self._selected = self._account
        self._read_only = command == "EXAMINE"
        messages = drop.messages()
        self._uids = [m.uid for m in messages]
        self._highest = max(self._uids, default=0)
        self._told_flags = {m.uid: m.flags for m in messages}
        self.state = next_state(self.state, command)
        self._untagged(f"{len(messages)} EXISTS")
        if not self._rev2:
            self._untagged("0 RECENT")
        self._untagged("FLAGS " + flag_list(SYSTEM_FLAGS))
        permanent = "()" if self._read_only else flag_list(SYSTEM_FLAGS | {"\\*"})
        self._untagged(f"OK [PERMANENTFLAGS {permanent}] the flags you can change"
                       + (" (none: read-only)" if self._read_only else ""))
        unseen = next((n for n, m in enumerate(messages, 1) if "\\Seen" not in m.flags), 0)
        if unseen and not self._rev2:
            self._untagged(f"OK [UNSEEN {unseen}] message {unseen} is the first not seen")
        self._untagged(f"OK [UIDVALIDITY {drop.uidvalidity}] UIDs valid")
        self._untagged(f"OK [UIDNEXT {drop.uidnext}] the next message will get this UID")
        if self._rev2:
            self._untagged('LIST () "/" INBOX')
        self._events.append(Selected(INBOX, self._read_only, len(messages)))
        access = "READ-ONLY" if self._read_only else "READ-WRITE"
        self._tagged(tag, "OK", f"[{access}] {command} completed")

    def _do_idle(self, tag: str, args: list[Token]) -> None:
        _no_arguments("IDLE", args)
        self._idle_tag = tag
        self._out.append(b"+ idling: new mail will be announced; send DONE to stop\r\n")
        self._announce(expunges=True)

    def _idle_line(self, line: str) -> None:
        tag, self._idle_tag = self._idle_tag or "*", None
        if line.upper() != "DONE":
            self._tagged(tag, "BAD", "IDLE ends with DONE; nothing else may be sent")
            return
        self._ok(tag, "IDLE terminated")

    # SELECTED ---------------------------------------------------------------------------

    def _leave(self) -> None:
        self._selected = None
        self._uids = []
        self._told_flags = {}
        self.state = State.AUTHENTICATED

    def _targets(self, sequence: Token, by_uid: bool) -> list[tuple[int, int]]:
        """``(message number, UID)`` of the messages a sequence set names.

        Raises:
            ImapSyntaxError: not a sequence set, or a message number that does not
                exist (a UID that does not exist is just left out: RFC 9051 §6.4.9).
        """
        if not isinstance(sequence, Atom):
            raise ImapSyntaxError(f"{sequence!r} is not a sequence set such as 1:3")
        numbers = SequenceSet.parse(str(sequence))
        if by_uid:
            wanted = set(numbers.resolve(self._uids[-1] if self._uids else 0))
            return [(n, uid) for n, uid in enumerate(self._uids, 1) if uid in wanted]
        count = len(self._uids)
        chosen = list(numbers.resolve(count))
        if not count or chosen[-1] > count:
            raise ImapSyntaxError(f"no message {chosen[-1] if count else str(numbers)}: "
                                  f"INBOX holds {count} (as this session numbers them)")
        return [(n, self._uids[n - 1]) for n in chosen]

    def _do_fetch(self, tag: str, args: list[Token], by_uid: bool = False) -> None:
        if len(args) < 2:
            raise ImapSyntaxError("FETCH takes a sequence set and items: FETCH 1 (FLAGS)")
        targets = self._targets(args[0], by_uid)
        items = parse_items(args[1:])
        if by_uid and not any(item.name == "UID" for item in items):
            items.insert(0, FetchItem("UID"))  # a UID FETCH always says the UID
        assert self._selected is not None
        gone = False
        for number, uid in targets:
            message = self._selected.get(uid)
            if message is None:
                gone = True  # expunged by another session; this one is told later
                continue
            self._fetch_one(number, message, items)
        if gone:
            self._tagged(tag, "NO", "[EXPUNGEISSUED] some of those messages were expunged "
                         "by another session; NOOP will say which")
            return
        self._ok(tag, f"{'UID ' if by_uid else ''}FETCH completed",
                 command="UID" if by_uid else "FETCH")

    def _fetch_one(self, number: int, message: MaildropMessage, items: list[FetchItem]) -> None:
        assert self._selected is not None
        seen_now = (any(item.sets_seen for item in items) and not self._read_only
                    and "\\Seen" not in message.flags)
        if seen_now:  # opening a message marks it read (BODY.PEEK does not)
            message = self._selected.set_flags(message.uid, message.flags | {"\\Seen"})
            self._events.append(FlagsChanged(message.uid, message.key, message.flags))
        parts = [data_item(message, item) for item in items]
        if seen_now and not any(item.name == "FLAGS" for item in items):
            parts.append(data_item(message, FetchItem("FLAGS")))
        self._told_flags[message.uid] = message.flags
        self._out.append(b"* %d FETCH (" % number + b" ".join(parts) + b")\r\n")
        for item in items:
            if item.carries_octets:
                self._events.append(Retrieved(message.uid, message.key, item.label(),
                                              len(section_octets(message, item)),
                                              item.whole_message))

    def _do_search(self, tag: str, args: list[Token], by_uid: bool = False) -> None:
        assert self._selected is not None
        numbers = dict(enumerate(self._uids, 1))
        try:
            match = parse_search(args, numbers, self._uids[-1] if self._uids else 0)
        except LookupError:
            self._tagged(tag, "NO", f"[BADCHARSET ({' '.join(CHARSETS)})] this server "
                         "searches in UTF-8")
            return
        found = []
        for number, uid in numbers.items():
            message = self._selected.get(uid)
            if message is not None and match(number, message):
                found.append(uid if by_uid else number)
        if self._rev2:
            self._untagged(f"ESEARCH (TAG {quoted(tag)})" + (" UID" if by_uid else "")
                           + (f" ALL {compact(found)}" if found else ""))
        else:
            self._untagged("SEARCH" + "".join(f" {n}" for n in found))
        self._ok(tag, f"{'UID ' if by_uid else ''}SEARCH completed",
                 command="UID" if by_uid else "SEARCH")

    def _do_store(self, tag: str, args: list[Token], by_uid: bool = False) -> None:
        if len(args) != 3 or not isinstance(args[1], Atom):
            raise ImapSyntaxError("STORE takes a sequence set, +FLAGS, -FLAGS or FLAGS, "
                                  "and flags: STORE 1 +FLAGS (\\Seen)")
        targets = self._targets(args[0], by_uid)
        how, _, silent = args[1].upper().partition(".")
        if how not in ("FLAGS", "+FLAGS", "-FLAGS") or silent not in ("", "SILENT"):
            raise ImapSyntaxError(f"{args[1]!r}: STORE changes FLAGS, +FLAGS or -FLAGS "
                                  "(with .SILENT for no answer)")
        flags = _flags(args[2])
        if self._read_only:
            self._tagged(tag, "NO", "[READ-ONLY] INBOX was opened with EXAMINE; SELECT it "
                         "to change flags")
            return
        assert self._selected is not None
        for number, uid in targets:
            message = self._selected.get(uid)
            if message is None:
                continue
            new = (flags if how == "FLAGS" else message.flags | flags if how == "+FLAGS"
                   else message.flags - flags)
            if new != message.flags:
                message = self._selected.set_flags(uid, new)
                self._events.append(FlagsChanged(uid, message.key, message.flags))
            self._told_flags[uid] = message.flags
            if not silent:
                self._untagged(f"{number} FETCH ({f'UID {uid} ' if by_uid else ''}"
                               f"FLAGS {flag_list(message.flags)})")
        self._ok(tag, f"{'UID ' if by_uid else ''}STORE completed",
                 command="UID" if by_uid else "STORE")

    def _do_uid(self, tag: str, args: list[Token]) -> None:
        command = args[0].upper() if args and isinstance(args[0], Atom) else ""
        handlers = {"FETCH": self._do_fetch, "SEARCH": self._do_search,
                    "STORE": self._do_store}
        if command not in handlers:
            raise ImapSyntaxError("UID goes before FETCH, SEARCH or STORE")
        handlers[command](tag, args[1:], by_uid=True)

    def _do_expunge(self, tag: str, args: list[Token]) -> None:
        _no_arguments("EXPUNGE", args)
        if self._read_only:
            self._tagged(tag, "NO", "[READ-ONLY] INBOX was opened with EXAMINE; nothing "
                         "can be expunged")
            return
        self._remove_deleted()
        self._ok(tag, "EXPUNGE completed")  # the * n EXPUNGE lines come with it

    def _remove_deleted(self) -> None:
        """Remove this session's messages flagged ``\\Deleted`` from the maildrop."""
        assert self._selected is not None
        doomed = [uid for uid in self._uids
                  if (m := self._selected.get(uid)) is not None and "\\Deleted" in m.flags]
        removed = self._selected.remove(doomed)
        if removed:
            self._events.append(Expunged(tuple(m.uid for m in removed),
                                         tuple(m.key for m in removed)))

    def _do_close(self, tag: str, args: list[Token]) -> None:
        _no_arguments("CLOSE", args)
        if not self._read_only:
            self._remove_deleted()  # CLOSE expunges silently: no * n EXPUNGE lines
        self._leave()
        self._tagged(tag, "OK", "CLOSE completed")

    def _do_unselect(self, tag: str, args: list[Token]) -> None:
        _no_arguments("UNSELECT", args)
        self._leave()  # unlike CLOSE, nothing is expunged (RFC 3691)
        self._tagged(tag, "OK", "UNSELECT completed")

    # telling the client what changed ---------------------------------------------------

    def _announce(self, *, expunges: bool) -> None:
        """Tell the client how the open mailbox changed since it last heard: messages
        gone (``* n EXPUNGE``), new mail (``* n EXISTS``), flags set elsewhere."""
        drop = self._selected
        if self.state is not State.SELECTED or drop is None:
            return
        if expunges:
            kept: list[int] = []
            for uid in self._uids:
                if drop.get(uid) is None:
                    # Numbered as the client numbers them now: each EXPUNGE moves the
                    # messages after it down by one (RFC 9051 §7.5.1).
                    self._untagged(f"{len(kept) + 1} EXPUNGE")
                    self._told_flags.pop(uid, None)
                else:
                    kept.append(uid)
            self._uids = kept
        arrived = [m for m in drop.messages() if m.uid > self._highest]
        if arrived:
            self._uids += [m.uid for m in arrived]
            self._highest = arrived[-1].uid
            self._told_flags.update((m.uid, m.flags) for m in arrived)
            self._untagged(f"{len(self._uids)} EXISTS")
        for number, uid in enumerate(self._uids, 1):
            message = drop.get(uid)
            if message is not None and message.flags != self._told_flags.get(uid):
                self._told_flags[uid] = message.flags
                self._untagged(f"{number} FETCH (FLAGS {flag_list(message.flags)})")


def _no_arguments(command: str, args: list[Token]) -> None:
    if args:
        raise ImapSyntaxError(f"{command} takes no arguments")


def _strings(args: list[Token], count: int, usage: str) -> list[str]:
    """The text of ``count`` string arguments (atoms, quoted strings or literals).

    Raises:
        ImapSyntaxError: ``usage``, if there are not ``count`` of them.
    """
    texts = [text for text in map(astring, args) if text is not None]
    if len(args) != count or len(texts) != count:
        raise ImapSyntaxError(usage)
    return texts


def _flags(token: Token) -> frozenset[str]:
    """The flags of a STORE: one flag or a parenthesised list of them.

    Raises:
        ImapSyntaxError: not a flag, or a system flag that does not exist (or that
            a client may not set, such as ``\\Recent``).
    """
    given = token if isinstance(token, list) else [token]
    out = set()
    for flag in given:
        if not isinstance(flag, Atom) or flag == "":
            raise ImapSyntaxError(f"{flag!r} is not a flag such as \\Seen")
        if flag.startswith("\\"):
            known = {f.upper(): f for f in SYSTEM_FLAGS}
            if flag.upper() not in known:
                raise ImapSyntaxError(f"{flag} is not a flag a client can set; the system "
                                      "flags are " + " ".join(sorted(SYSTEM_FLAGS)))
            out.add(known[flag.upper()])
        else:
            out.add(str(flag))  # a keyword, e.g. $Important
    return frozenset(out)


def _valid_tag(tag: str) -> bool:
    """A tag is a word of printable ASCII without ``+``, ``*``, ``%``, ``\\`` (RFC 9051 §9)."""
    return bool(tag) and tag.isascii() and not any(c in '+*%\\"[]' for c in tag)


def _tag_of(command: bytes) -> str:
    """The tag at the start of a command that could not be read, or ``*``."""
    word = command.split(b" ", 1)[0].rstrip(b"\r\n").decode("ascii", "replace")
    return word if word.isprintable() and _valid_tag(word) and len(word) <= 64 else "*"


def _pattern_matches(pattern: str, name: str) -> bool:
    """Whether a LIST pattern matches a mailbox name: ``*`` matches anything, ``%``
    anything but the hierarchy delimiter ``/``; INBOX in any case."""
    regex = "".join(".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c)
                    for c in pattern)
    return re.fullmatch(regex, name, re.IGNORECASE) is not None


def _out_of_state(command: str, state: State) -> str:
    """Why ``command`` is refused in ``state``, in words that say what to do."""
    states = where_allowed(command)
    if state is State.NOT_AUTHENTICATED:
        return f"{command} needs a logged-in session: LOGIN first"
    if state is State.AUTHENTICATED and states == [State.SELECTED]:
        return f"{command} needs an open mailbox: SELECT INBOX first"
    if states == [State.NOT_AUTHENTICATED]:
        return "already logged in"
    return f"{command} is not allowed in the {state.value} state"
