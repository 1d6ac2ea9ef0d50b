"""A complete client session that delivers messages: what an MTA does on each hop.

:class:`MailSender` wraps a :class:`ClientConnection` and plays the client's part of a
whole session by itself: wait for the greeting, EHLO (falling back to HELO), AUTH if
it has credentials, then for each message MAIL FROM, one RCPT TO per recipient, DATA,
the content, and finally QUIT. With PIPELINING it sends MAIL, the RCPTs and DATA in one
go, as Postfix does. It is still sans-IO: feed it the server's bytes, collect the
bytes it wants to send.

Every recipient ends with a :class:`RecipientResult`: the reply that decided its fate.
A 2xx to the end of DATA means the next hop has taken responsibility; a 4xx means try
again later; a 5xx means bounce.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import LocalProtocolError
from ._client import ClientConnection, ReplyReceived
from ._commands import Auth, Command, Data, Ehlo, Helo, MailFrom, Quit, RcptTo, Rset
from ._events import NEED_DATA, ConnectionClosed
from ._replies import Reply
from ._state import END_OF_DATA, GREETING, State, in_sequence, reply_allowed

__all__ = ["MailSender", "Outgoing", "RecipientResult"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: its envelope and its content (CRLF line endings).

    Raises:
        LocalProtocolError: no recipients (SMTP cannot send a message to nobody).
    """

    sender: str
    recipients: tuple[str, ...]
    content: bytes
    id: str = ""

    def __post_init__(self) -> None:
        if not self.recipients or isinstance(self.recipients, str):
            raise LocalProtocolError("a message needs a tuple of one or more recipients")


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """How delivery of one message to one recipient ended on this hop.

    ``phase`` names the step whose reply decided it ("greeting", "ehlo", "auth",
    "mail", "rcpt", "data", "content" or "connection").
    """

    message: int
    recipient: str
    reply: Reply
    phase: str

    @property
    def status(self) -> str:
        """``"sent"`` (2xx), ``"deferred"`` (4xx: try later) or ``"failed"`` (5xx)."""
        return _STATUS.get(self.reply.code // 100, "failed")


_STATUS = {2: "sent", 4: "deferred"}


@dataclass(slots=True)
class _Txn:
    index: int
    message: Outgoing
    accepted: list[str] = field(default_factory=list)
    mail_ok: bool = True
    rcpts_sent: int = 0  # without PIPELINING: how many RCPT TO have gone out


def _needs_utf8(msg: Outgoing) -> bool:
    return not (msg.sender.isascii() and all(map(str.isascii, msg.recipients)))


#: What a recipient's result says when the session ended (QUIT's 221, or a 421 nobody
#: asked for) before its message went: never let a 221 count as a delivery.
_ENDED_EARLY = Reply.of(451, "Session ended before the message was sent", "4.4.2")


def _auth_plain(user: str, password: str) -> Auth:
    """``AUTH PLAIN`` with its initial response, base64 of ``\\0user\\0password``
    (RFC 4616)."""
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    return Auth("PLAIN", token)


class MailSender:
    """Plays a whole client session that sends ``messages``.

    Args:
        helo: the name to give in EHLO/HELO (the client host's name).
        messages: what to send, in order, in this one session.
        auth: ``(username, password)`` to log in with AUTH PLAIN (submission).
        pipelining: use PIPELINING when the server offers it.
        ehlo: greet with EHLO (and fall back to HELO on a 5xx); False sends plain
            HELO, as an RFC 821 client does: no extensions, no enhanced codes.

    Use: ``receive_data(bytes)`` with everything the server sends, ``data_to_send()``
    for the bytes to write, until :attr:`done`. ``results`` then holds one
    :class:`RecipientResult` per recipient of every message.
    """

    def __init__(self, helo: str, messages: Sequence[Outgoing], *,
                 auth: tuple[str, str] | None = None, pipelining: bool = True,
                 ehlo: bool = True) -> None:
        self.client = ClientConnection()
        self.helo = helo
        self.messages = list(messages)
        self.auth = auth
        self.pipelining = pipelining
        self.results: list[RecipientResult] = []
        self.done = False
        #: The content was sent but its reply never came: the server may have kept
        #: the message, so a retry could deliver it twice (RFC 5321 §6.1).
        self.maybe_duplicated: list[int] = []
        self._out: list[bytes] = []
        self._next = 0
        self._txn: _Txn | None = None
        self._tried_helo = not ehlo
        self._awaiting_content_reply = False

    # -- I/O ---------------------------------------------------------------
    def data_to_send(self) -> bytes:
        """Bytes the session wants written to the server, since the last call."""
        out = b"".join(self._out)
        self._out = []
        return out

    def receive_data(self, data: bytes) -> None:
        """Bytes from the server (``b""`` when it closed the connection)."""
        self.client.receive_data(data)
        while not self.done:
            event = self.client.next_event()
            if isinstance(event, ReplyReceived):
                self._on_reply(event.to, event.reply)
            elif event is NEED_DATA:
                return
            else:
                assert isinstance(event, ConnectionClosed)
                self._lost()
                return

    def _send(self, cmd: Command) -> None:
        self._out.append(self.client.send(cmd))

    # -- outcomes ------------------------------------------------------------
    def _settle(self, index: int, recipients: Sequence[str], reply: Reply, phase: str) -> None:
        known = {(r.message, r.recipient) for r in self.results}
        for rcpt in recipients:
            if (index, rcpt) not in known:
                self.results.append(RecipientResult(index, rcpt, reply, phase))

    def _settle_rest(self, reply: Reply, phase: str) -> None:
        start = self._txn.index if self._txn else self._next
        for i in range(start, len(self.messages)):
            self._settle(i, self.messages[i].recipients, reply, phase)

    def _lost(self) -> None:
        if self._txn is not None and self._awaiting_content_reply:
            self.maybe_duplicated.append(self._txn.index)
        self._settle_rest(Reply.of(421, "Connection lost before the reply", "4.4.2"),
                          "connection")
        self.done = True

    # -- the dialog ---------------------------------------------------------
    def _on_reply(self, to: Command | str, reply: Reply) -> None:
        """Take the next step after ``reply``, the answer to ``to``."""
        code = reply.code
        if code == 421 and not isinstance(to, Quit):
            # RFC 5321 §3.8: 421 from any step means "closing now"; nothing more can be
            # sent. Everything not yet settled is deferred with this reply.
            self._awaiting_content_reply = False
            self._settle_rest(reply, _phase(to))
            self.done = True
            return
        # The step is looked up in _NEXT_STEP (after this class) by what the reply
        # answers: a command's verb, or "greeting", "end of data", "unsolicited".
        verb = to if isinstance(to, str) else to.verb
        if not reply_allowed(verb, code):
            # A reply the protocol does not allow here (a 3xx to MAIL, a 2xx to DATA):
            # nobody knows what such a server expects next, so hang up. Nothing was
            # delivered by it, so all that is left waits for another connection.
            self._awaiting_content_reply = False
            self._settle_rest(Reply.of(451, f"Protocol error: {code} in reply to "
                                            f"{verb}", "4.5.0"), _phase(to))
            self.done = True
            return
        step = _NEXT_STEP.get(verb)
        if step is not None:
            step(self, to, reply)

    def _on_greeting(self, to: str, reply: Reply) -> None:
        if reply.code == 220:
            self._send(Helo(self.helo) if self._tried_helo else Ehlo(self.helo))
        else:
            self._settle_rest(reply, "greeting")
            self._quit(reply)

    def _on_hello(self, to: Ehlo | Helo, reply: Reply) -> None:
        if reply.is_success:
            self._after_hello()
        elif isinstance(to, Ehlo) and reply.is_permanent and not self._tried_helo:
            self._tried_helo = True
            self._send(Helo(self.helo))
        else:
            self._settle_rest(reply, "ehlo")
            self._quit(reply)

    def _on_auth(self, to: Auth, reply: Reply) -> None:
        if reply.is_success:
            self._start_next()
        else:
            self._settle_rest(reply, "auth")
            self._quit(reply)

    def _on_mail(self, to: MailFrom, reply: Reply) -> None:
        txn = self._txn
        assert txn is not None
        if not reply.is_success:
            txn.mail_ok = False
            self._settle(txn.index, txn.message.recipients, reply, "mail")
            if not self._pipelined():
                self._finish_txn()
        elif not self._pipelined():
            self._send_next_rcpt(txn)

    def _on_data(self, to: Data, reply: Reply) -> None:
        txn = self._txn
        assert txn is not None
        if reply.code == 354 and txn.accepted:
            self._awaiting_content_reply = True
            self._out.append(self.client.send_content(txn.message.content))
        elif reply.code == 354:  # a server that ignored RFC 2920: end DATA with "."
            self._out.append(self.client.send_content(b""))
        else:
            self._settle(txn.index, txn.accepted, reply, "data")
            self._finish_txn()

    def _on_content(self, to: str, reply: Reply) -> None:
        txn = self._txn
        assert txn is not None
        self._awaiting_content_reply = False
        self._settle(txn.index, txn.accepted, reply, "content")
        self._finish_txn()

    def _on_rset(self, to: Rset, reply: Reply) -> None:
        if reply.is_success:
            self._start_next()
            return
        # RFC 5321 §4.1.1.5 says a server MUST answer RSET with 250; one that refuses
        # has left the transaction in an unknown state, so nothing more is sent on this
        # connection (as Postfix does). The messages not yet offered were never refused:
        # they wait for a new connection (4xx), whatever the RSET reply was.
        why = Reply.of(451, f"RSET refused ({reply.last_line()}); the message waits "
                            "for a new connection", "4.3.0")
        self._settle_rest(why, "connection")
        self._quit(None)

    def _on_quit(self, to: Quit | str, reply: Reply) -> None:
        if reply.is_success:  # never let a 221 count as a delivery
            reply = _ENDED_EARLY
        self._settle_rest(reply, "connection")
        self.done = True

    def _pipelined(self) -> bool:
        return self.pipelining and "PIPELINING" in self.client.extensions

    def _after_hello(self) -> None:
        if self.auth is None:
            self._start_next()
            return
        mechs = self.client.extensions.get("AUTH", "").upper().split()
        if "PLAIN" not in mechs:
            reply = Reply.of(530, "Server offers no AUTH PLAIN; cannot log in", "5.7.0")
            self._settle_rest(reply, "auth")
            self._quit(reply)
            return
        self._send(_auth_plain(*self.auth))

    def _start_next(self) -> None:
        if self._next >= len(self.messages):
            self._quit(None)
            return
        index = self._next
        self._next += 1
        msg = self.messages[index]
        self._txn = _Txn(index, msg)
        params: list[tuple[str, str | None]] = []
        ext = self.client.extensions
        if "SIZE" in ext:
            params.append(("SIZE", str(len(msg.content))))
        if "8BITMIME" in ext and not msg.content.isascii():
            params.append(("BODY", "8BITMIME"))
        if _needs_utf8(msg):
            if "SMTPUTF8" not in ext:
                reply = Reply.of(553, "The next hop does not offer SMTPUTF8 for a non-ASCII "
                                      "address", "5.6.7")
                self._settle(index, msg.recipients, reply, "mail")
                self._finish_txn()
                return
            params.append(("SMTPUTF8", None))
        self._send(MailFrom(msg.sender, tuple(params)))
        if self._pipelined():
            for rcpt in msg.recipients:
                self._send(RcptTo(rcpt))
            self._send(Data())

    def _on_rcpt(self, to: RcptTo, reply: Reply) -> None:
        txn = self._txn
        assert txn is not None
        if txn.mail_ok:
            if reply.is_success:
                txn.accepted.append(to.address)
            else:
                self._settle(txn.index, [to.address], reply, "rcpt")
        if self._pipelined():
            return
        if txn.rcpts_sent < len(txn.message.recipients):
            self._send_next_rcpt(txn)
        elif txn.accepted:
            self._send(Data())
        else:
            self._finish_txn()

    def _send_next_rcpt(self, txn: _Txn) -> None:
        # Counted, not looked up: a recipient listed twice must not loop forever.
        self._send(RcptTo(txn.message.recipients[txn.rcpts_sent]))
        txn.rcpts_sent += 1

    def _finish_txn(self) -> None:
        self._txn = None
        if self.client.state in (State.MAIL, State.RCPT):
            # RFC 5321 §4.1.1.5: abandon a half-open transaction before the next one.
            self._send_rset_then_next()
            return
        self._start_next()

    def _send_rset_then_next(self) -> None:
        self._send(Rset())  # its reply starts the next message

    def _quit(self, reply: Reply | None) -> None:
        if reply is not None and reply.code == 421:
            self.done = True  # the server is closing anyway
            return
        if not in_sequence(self.client.state, "QUIT"):
            # Closed already, or a greeting the protocol has no QUIT for (a 4xx other
            # than 421): there is nothing polite left to say, so just hang up.
            self.done = True
            return
        self._send(Quit())


#: The sender's next step after a reply, by what the reply answers (see
#: ``MailSender._on_reply``). This is the client's half of the dialog at a glance.
_NEXT_STEP: dict[str, Callable[[MailSender, Any, Reply], None]] = {
    GREETING: MailSender._on_greeting,
    "EHLO": MailSender._on_hello,
    "HELO": MailSender._on_hello,
    "AUTH": MailSender._on_auth,
    "MAIL": MailSender._on_mail,
    "RCPT": MailSender._on_rcpt,
    "DATA": MailSender._on_data,
    END_OF_DATA: MailSender._on_content,
    "RSET": MailSender._on_rset,
    "QUIT": MailSender._on_quit,
    "unsolicited": MailSender._on_quit,  # a 421 nobody asked for
}


_PHASES = {"EHLO": "ehlo", "HELO": "ehlo", "AUTH": "auth", "MAIL": "mail", "RCPT": "rcpt",
           "DATA": "data", "RSET": "connection", "QUIT": "connection"}


def _phase(to: Command | str) -> str:
    """The :attr:`RecipientResult.phase` for a reply to ``to``."""
    if to == GREETING:
        return "greeting"
    if to == END_OF_DATA:
        return "content"
    return _PHASES.get(to.verb, "connection") if isinstance(to, Command) else "connection"
