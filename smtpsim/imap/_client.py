"""An IMAP client session: what a mail client does when it checks mail with IMAP.

:class:`ImapFetcher` is the client half of a whole session, as a user agent runs it:

1. read the greeting and log in: ``a1 LOGIN alice secret``;
2. ``a2 SELECT INBOX``: the server says how many messages there are (``EXISTS``) and
   the mailbox's ``UIDVALIDITY``;
3. ``a3 UID FETCH 1:* (UID FLAGS)``: the UID and flags of every message, which is
   how the client learns what is new and what another device has read or deleted;
4. ``a4 UID FETCH 7:8 (BODY[])``: download the new messages (this marks them
   ``\\Seen`` on the server, for every device to see);
5. if told to delete: ``a5 UID STORE 7:8 +FLAGS.SILENT (\\Deleted)`` then
   ``a6 EXPUNGE``; the classic IMAP way is to leave the mail on the server;
6. ``a7 LOGOUT``.

A message is known by ``UIDVALIDITY.UID`` (``"1.7"``): the same text POP3's UIDL gives
for it on this server, so a user agent can tell a message it has read either way.

Sans-IO: feed it what the server sent with :meth:`receive_data`, send what
:meth:`data_to_send` returns. One command at a time, each waiting for its tagged
response.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import RemoteProtocolError
from ._syntax import Atom, ImapSyntaxError, compact, literal_at_end, quoted, read

__all__ = ["ImapFetcher"]


class ImapFetcher:
    """Log in, download every new message (deleting it if asked), and log out.

    Args:
        user: the account name.
        password: its password.
        delete: flag each downloaded message ``\\Deleted`` and ``EXPUNGE`` it.
        known: ids (``UIDVALIDITY.UID``) downloaded in earlier sessions: not
            downloaded again.
        peek: download with ``BODY.PEEK[]``, which leaves messages unread.

    After the session: :attr:`fetched` holds ``(id, message bytes)`` for each message
    downloaded, :attr:`flags` the flags of every message in the mailbox by id (as
    last seen), :attr:`exists` what SELECT said, and :attr:`error` the server's
    ``NO``/``BAD`` line if the session failed, else ``""``.
    """

    def __init__(self, user: str, password: str, *, delete: bool = False,
                 known: Iterable[str] = (), peek: bool = False) -> None:
        for name, value in (("user name", user), ("password", password)):
            if any(c in value for c in "\r\n\0"):
                raise ValueError(f"an IMAP {name} may not hold CR, LF or NUL")
        if not user:
            raise ValueError("an IMAP user name cannot be empty")
        self.user = user
        self.password = password
        self.delete = delete
        self.peek = peek
        self.known = set(known)
        self.fetched: list[tuple[str, bytes]] = []
        self.flags: dict[str, frozenset[str]] = {}
        self.exists: int | None = None
        self.uidvalidity = 0
        self.error = ""
        self._buffer = b""
        self._response = b""  # the response read so far (its lines and literals)
        self._literal = 0
        self._out: list[bytes] = []
        self._tags = 0
        self._tag = ""
        self._waiting = "greeting"  # the command whose tagged response comes next
        self._new: list[int] = []  # UIDs to download
        self._done = False

    @property
    def done(self) -> bool:
        """Whether the session is over (LOGOUT answered, or the server hung up)."""
        return self._done

    def data_to_send(self) -> bytes:
        """The command waiting to be sent."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the server; ``b""`` means it closed the connection.

        Raises:
            RemoteProtocolError: the server sent something that is not IMAP.
        """
        if data == b"":
            self._done = True
            return
        self._buffer += data
        while not self._done:
            if self._literal:
                part = self._buffer[:self._literal]
                self._buffer = self._buffer[len(part):]
                self._response += part
                self._literal -= len(part)
                if self._literal:
                    return
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return
            line, self._buffer = self._buffer[:end + 2], self._buffer[end + 2:]
            self._response += line
            announced = literal_at_end(line)
            if announced is not None:
                self._literal = announced[0]
                continue
            response, self._response = self._response, b""
            self._read_response(response)

    # -- reading responses ---------------------------------------------------------------

    def _read_response(self, response: bytes) -> None:
        first = response.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        if first.startswith("* "):
            self._untagged(first, response)
            return
        if first.startswith("+"):
            raise RemoteProtocolError(f"the server asks for more, but nothing was sent "
                                      f"that needs it: {first!r}")
        tag, _, rest = first.partition(" ")
        status = rest.partition(" ")[0]
        if self._waiting == "greeting" or tag != self._tag or status not in ("OK", "NO", "BAD"):
            raise RemoteProtocolError(f"not the IMAP response expected: {first!r}")
        if status != "OK":
            self.error = first
            if self._waiting == "LOGOUT":
                self._done = True
            else:
                self._send("LOGOUT")  # a refused login (or worse): say goodbye
            return
        self._completed(self._waiting)

    def _untagged(self, first: str, response: bytes) -> None:
        words = first.split(" ")
        if self._waiting == "greeting":
            if words[1] not in ("OK", "PREAUTH"):
                self.error = first
                self._done = True
                return
            self._send(f"LOGIN {quoted(self.user)} {quoted(self.password)}")
        elif len(words) >= 3 and words[1].isdigit() and words[2] == "EXISTS":
            self.exists = int(words[1])
        elif words[1] == "OK" and len(words) >= 4 and words[2] == "[UIDVALIDITY":
            self.uidvalidity = int(words[3].rstrip("]"))
        elif len(words) >= 3 and words[1].isdigit() and words[2] == "FETCH":
            self._fetch_response(response)

    def _fetch_response(self, response: bytes) -> None:
        """``* n FETCH (UID 7 FLAGS (\\Seen) BODY[] {912} ...)``: note what it says."""
        try:
            tokens = read(response)
        except ImapSyntaxError as exc:
            raise RemoteProtocolError(f"a FETCH response IMAP cannot read: {exc}") from None
        items = tokens[3] if len(tokens) == 4 and isinstance(tokens[3], list) else []
        values = dict(zip(items[::2], items[1::2], strict=False))  # name value ...
        uid = values.get("UID")
        if not isinstance(uid, Atom) or not uid.isdigit():
            return  # news about a message without its UID (flags changed elsewhere)
        ident = f"{self.uidvalidity}.{uid}"
        flags = values.get("FLAGS")
        if isinstance(flags, list):
            self.flags[ident] = frozenset(str(f) for f in flags)
        body = values.get("BODY[]")
        if isinstance(body, bytes):
            self.fetched.append((ident, body))
            self.known.add(ident)

    # -- what to say next ----------------------------------------------------------------

    def _send(self, command: str, step: str = "") -> None:
        """Send ``command`` with the next tag; ``step`` names it for :meth:`_completed`
        (by default its first word)."""
        self._tags += 1
        self._tag = f"a{self._tags}"
        self._waiting = step or command.split(" ", 1)[0]
        self._out.append(f"{self._tag} {command}\r\n".encode())

    def _completed(self, command: str) -> None:
        if command == "LOGIN":
            self._send("SELECT INBOX")
        elif command == "SELECT":
            if self.exists:
                self._send("UID FETCH 1:* (UID FLAGS)", "FLAGS")
            else:
                self._send("LOGOUT")
        elif command == "FLAGS":  # the UIDs and flags of all: now the new ones
            self._new = sorted(int(ident.partition(".")[2]) for ident in self.flags
                               if ident not in self.known)
            item = "BODY.PEEK[]" if self.peek else "BODY[]"
            if self._new:
                self._send(f"UID FETCH {compact(self._new)} ({item})", "BODY")
            else:
                self._send("LOGOUT")
        elif command == "BODY":
            downloaded = [int(ident.partition(".")[2]) for ident, _ in self.fetched]
            if self.delete and downloaded:
                self._send(f"UID STORE {compact(downloaded)} +FLAGS.SILENT (\\Deleted)",
                           "STORE")
            else:
                self._send("LOGOUT")
        elif command == "STORE":
            self._send("EXPUNGE")
        elif command == "EXPUNGE":
            self._send("LOGOUT")
        elif command == "LOGOUT":
            self._done = True
