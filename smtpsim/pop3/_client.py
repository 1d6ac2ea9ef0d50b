"""A POP3 client session: what a mail client does when it "checks mail" with POP3.

:class:`Pop3Fetcher` is the client half of a whole session, as a user agent runs it:

1. read the greeting, ask ``CAPA`` what the server offers;
2. log in with ``USER`` and ``PASS``;
3. ``UIDL``: the unique id of every message, to tell new ones from those it has
   already downloaded (a client that keeps mail on the server must remember them);
4. ``RETR`` each new message, and ``DELE`` it if told to (the classic POP3 way:
   download and delete);
5. ``QUIT``, which makes the server remove what was marked.

Sans-IO like the server: feed it what the server sent with :meth:`receive_data`, send
what :meth:`data_to_send` returns. One command at a time, each waiting for its
answer, as RFC 1939 clients do (no pipelining).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import RemoteProtocolError

__all__ = ["Pop3Fetcher"]


class Pop3Fetcher:
    """Log in, download every new message (deleting it if asked), and quit.

    Args:
        user: the account name.
        password: its password.
        delete: mark each downloaded message with ``DELE`` (removed at ``QUIT``).
        known: unique ids (UIDL) already downloaded in earlier sessions: not fetched
            again.

    After the session, :attr:`fetched` holds ``(unique id, message bytes)`` for each
    message downloaded, and :attr:`error` the server's ``-ERR`` line if the session
    failed (a refused login, say), else ``""``.
    """

    def __init__(self, user: str, password: str, *, delete: bool = True,
                 known: Iterable[str] = ()) -> None:
        if not user or " " in user or "\r" in user or "\n" in user:
            raise ValueError(f"a POP3 user name has no spaces or line breaks: {user!r}")
        if "\r" in password or "\n" in password:
            raise ValueError("a password may not hold CR or LF")
        self.user = user
        self.password = password
        self.delete = delete
        self.known = set(known)
        self.fetched: list[tuple[str, bytes]] = []
        self.error = ""
        self.capabilities: list[str] = []
        self._buffer = b""
        self._out: list[bytes] = []
        self._waiting = "greeting"  # what the next answer is to
        self._multiline = False  # that answer goes on after +OK until a lone dot
        self._body: list[bytes] = []
        self._to_fetch: list[tuple[str, str]] = []  # (number, unique id) still to RETR
        self._current: tuple[str, str] = ("", "")
        self._done = False

    @property
    def done(self) -> bool:
        """Whether the session is over (QUIT answered, or the server hung up)."""
        return self._done

    def data_to_send(self) -> bytes:
        """The command(s) waiting to be sent."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the server; ``b""`` means it closed the connection.

        Raises:
            RemoteProtocolError: the server sent something that is not POP3.
        """
        if data == b"":
            self._done = True
            return
        # Every complete line, and the start of the next one (kept for the next read).
        *lines, self._buffer = (self._buffer + data).split(b"\r\n")
        for line in lines:
            if self._done:
                break
            if self._multiline:
                self._body_line(line)
            else:
                self._status(line.decode("utf-8", "replace"))

    # -- reading answers ------------------------------------------------------------

    def _status(self, line: str) -> None:
        if line.startswith("-ERR"):
            if self._waiting in ("RETR", "DELE"):
                self._next_message()  # gone meanwhile: go on with the others
                return
            self.error = line
            if self._waiting == "QUIT":
                self._finish()
            else:
                self._send("QUIT")  # a refused login (or worse): say goodbye
            return
        if not line.startswith("+OK"):
            raise RemoteProtocolError(f"not a POP3 status line: {line!r}")
        if self._waiting in ("CAPA", "UIDL", "RETR"):
            self._multiline = True
            self._body = []
            return
        self._answered(self._waiting)

    def _body_line(self, line: bytes) -> None:
        if line == b".":
            self._multiline = False
            self._answered(self._waiting)
            return
        # RFC 1939 §3: a line that starts with "." had one added; take it off.
        self._body.append(line[1:] if line.startswith(b".") else line)

    # -- what to say next -------------------------------------------------------------

    def _send(self, command: str) -> None:
        self._waiting = command.split(" ", 1)[0]
        self._out.append(command.encode("utf-8") + b"\r\n")

    def _answered(self, command: str) -> None:
        if command == "greeting":
            self._send("CAPA")
        elif command == "CAPA":
            self.capabilities = [b.decode("utf-8", "replace") for b in self._body]
            self._send(f"USER {self.user}")
        elif command == "USER":
            self._send(f"PASS {self.password}")
        elif command == "PASS":
            self._send("UIDL")
        elif command == "UIDL":
            for entry in self._body:
                number, _, uid = entry.decode("ascii", "replace").partition(" ")
                if uid not in self.known:
                    self._to_fetch.append((number, uid))
            self._next_message()
        elif command == "RETR":
            data = b"".join(line + b"\r\n" for line in self._body)
            self.fetched.append((self._current[1], data))
            self.known.add(self._current[1])
            if self.delete:
                self._send(f"DELE {self._current[0]}")
            else:
                self._next_message()
        elif command == "DELE":
            self._next_message()
        elif command == "QUIT":
            self._finish()

    def _next_message(self) -> None:
        if self._to_fetch:
            self._current = self._to_fetch.pop(0)
            self._send(f"RETR {self._current[0]}")
        else:
            self._send("QUIT")

    def _finish(self) -> None:
        self._done = True
