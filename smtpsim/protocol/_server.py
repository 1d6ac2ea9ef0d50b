"""The server side of an SMTP connection, sans-IO.

Theory of operation
-------------------
:class:`ServerConnection` never touches a socket or a clock. You give it the bytes a
client sent (:meth:`~ServerConnection.receive_data`), it hands you events one at a time
(:meth:`~ServerConnection.next_event`), and for each event you decide the reply and
turn it into bytes with :meth:`~ServerConnection.send`. Decisions such as "does this
mailbox exist?" or "is this password right?" are always yours; the engine only knows
the protocol. It suggests a sensible reply for every event with
:meth:`~ServerConnection.default_reply`, and for a line it cannot accept
(:class:`BadCommand`) it has already decided the error (500, 501, 503 ...).

SMTP is lock-step: every command gets exactly one reply, in order (RFC 2920 keeps it
so even when the client pipelines). The engine therefore hands out the next event
only after you have answered the previous one. The same bytes can be driven from the
simulation, from an asyncio socket (:mod:`smtpsim.bridge`) or from a test.

A typical driver loop::

    server = ServerConnection(ServerConfig(hostname="mx.example.com"))
    out = server.greet()                      # b"220 mx.example.com ESMTP smtpsim\\r\\n"
    server.receive_data(received_bytes)
    while (event := server.next_event()) is not NEED_DATA:
        if isinstance(event, ConnectionClosed):
            break
        out += server.send(my_policy(event) or server.default_reply())

The class reads in the order of the engine's work: bytes in and events out, then
answering an event; then, one section per step of an RFC 5321 dialog in the order a
dialog takes them (greeting, EHLO/HELO, AUTH, MAIL, RCPT, DATA, the end of the data,
RSET/NOOP/VRFY/HELP, QUIT), everything the server does for that command: the checks
it makes beyond grammar and sequence, its default reply, and what an accepting reply
changes. :data:`_HANDLING`, at the end, lists those sections' methods per event, in
the same order. Which reply may answer which command, and where each reply moves the
dialog, are not here: they are the tables of :mod:`._state`, which the client engine
reads too.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import LocalProtocolError
from ._commands import (
    Auth,
    BadCommand,
    Data,
    Ehlo,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    Vrfy,
    parse_command,
)
from ._data import DataReader
from ._events import (
    NEED_DATA,
    AuthCredentials,
    AuthData,
    ConnectionClosed,
    Envelope,
    MessageReceived,
    MessageRejected,
    NeedData,
    ServerConfig,
    ServerEvent,
)
from ._replies import Reply
from ._state import (
    AUTH_DATA,
    CREDENTIALS,
    END_OF_DATA,
    GREETING,
    State,
    in_sequence,
    next_state,
    reply_error,
    sequence_hint,
)

__all__ = ["ServerConnection"]

# The default replies that never vary: values, made once like any constant.
_MAIL_OK = Reply(250, ("Ok",), "2.1.0")
_RCPT_OK = Reply(250, ("Ok",), "2.1.5")
_START_DATA = Reply(354, ("End data with <CR><LF>.<CR><LF>",))
_OK = Reply(250, ("Ok",), "2.0.0")
_BYE = Reply(221, ("Bye",), "2.0.0")
_VRFY = Reply(252, ("Cannot VRFY user, but will accept message and attempt delivery",), "2.0.0")


class ServerConnection:
    """One SMTP connection, server side: bytes in, events out, replies to bytes.

    Args:
        config: what the server offers and enforces; :class:`ServerConfig` defaults.

    Attributes:
        state: the protocol :class:`State` (``GREETED``, ``READY``, ``MAIL`` ...).
        helo: the name the client gave in HELO/EHLO, or None.
        esmtp: the client said EHLO (so extensions are in use).
        authenticated_as: the user name after a successful AUTH, or None.
        envelope: the current transaction's :class:`Envelope`.
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.state = State.CONNECTED
        self.helo: str | None = None
        self.esmtp = False
        self.authenticated_as: str | None = None
        self.envelope = Envelope()
        self._buf = bytearray()  # received, not yet read
        self._eof = False  # the client closed its side
        self._closed_reported = False
        self._discarding = False  # inside a command line too long to keep
        self._data: DataReader | None = None  # reading the content, after 354
        self._pending: ServerEvent | None = None  # the event waiting for a reply
        self._pending_key = ""  # what it is in TRANSITIONS: a verb, "auth data" ...
        self._auth_user: str | None = None  # AUTH LOGIN: the user name, once given
        self._auth_mechanism = "PLAIN"
        self._counter = itertools.count(0x12345)  # queue ids, without config.queue_ids

    # ------------------------------------------------------- bytes in, events out
    def receive_data(self, data: bytes) -> None:
        """Give the engine bytes received from the client; ``b""`` means the client
        closed the connection (EOF)."""
        if data == b"":
            self._eof = True
        elif self.state is not State.CLOSED:
            self._buf += data

    @property
    def pending(self) -> ServerEvent | None:
        """The event waiting for your reply, if any."""
        return self._pending

    def next_event(self) -> ServerEvent | NeedData:
        """The next event, or :data:`NEED_DATA` if more bytes must arrive first.

        Raises:
            LocalProtocolError: the previous event has not been answered yet, or the
                greeting has not been sent (call :meth:`greet` first).
        """
        if self._pending is not None:
            raise LocalProtocolError(f"reply to {self._pending!r} first")
        state = self.state
        if state is State.CONNECTED:
            raise LocalProtocolError("the server speaks first: call greet() before next_event()")
        if state is State.CLOSED:
            return NEED_DATA
        event = self._read_data() if state is State.DATA else self._read_command()
        if event is None:
            if self._eof and not self._closed_reported:
                self._closed_reported = True
                self.state = State.CLOSED
                self._data = None
                self.envelope = Envelope()
                return ConnectionClosed(discarded=state in (State.MAIL, State.RCPT, State.DATA))
            return NEED_DATA
        self._pending = event
        return event

    def _read_command(self) -> ServerEvent | None:
        """The next command line as an event, or None until a whole line is in."""
        buf = self._buf
        limit = self.config.max_command_line
        i = buf.find(b"\n")
        if i < 0:
            if len(buf) > limit:
                self._discarding = True  # RFC 5321 §4.5.3.1.4: 512 octets at most
                del buf[:-1]
            return None
        if self._discarding or i + 1 > limit:  # i + 1: the line's length, LF included
            del buf[: i + 1]
            self._discarding = False
            return self._bad("", 500, "5.5.2", "Line too long (512 octets at most)")
        end = i - 1 if i and buf[i - 1] == 0x0D else i  # a bare LF is tolerated here
        raw = bytes(buf[:end])
        del buf[: i + 1]
        return self._parse(raw)

    def _parse(self, raw: bytes) -> ServerEvent:
        """The event one command line makes: the grammar (:func:`parse_command`), the
        sequence (:data:`TRANSITIONS`), then the server's own checks of that command."""
        if b"\x00" in raw:
            return self._bad(raw.decode("latin-1"), 500, "5.5.2", "NUL character in command")
        if b"\r" in raw:
            return self._bad(raw.decode("latin-1"), 500, "5.5.2", "Bare CR in command")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._bad(raw.decode("latin-1"), 500, "5.5.2", "Command is not valid UTF-8")
        if self.state is State.AUTH:
            return self._parse_auth_data(line)
        cfg = self.config
        verb = line.partition(" ")[0].upper()
        if not line.isascii() and verb not in ("MAIL", "RCPT"):
            return self._bad(line, 501, "5.5.2", "Non-ASCII characters are not allowed here")
        if verb == "AUTH" and cfg.auth_mechanisms and not self.esmtp:
            return self._bad(line, 503, "5.5.1", "Bad sequence of commands: send EHLO first "
                             "(AUTH is an ESMTP extension)", "AUTH")
        # RFC 6531: UTF-8 in MAIL FROM that asks for SMTPUTF8, and in the RCPTs after it.
        utf8_ok = cfg.smtputf8 and self.esmtp and (verb == "MAIL" or self.envelope.smtputf8)
        cmd = parse_command(line, utf8_ok=utf8_ok,
                            auth_mechanisms=cfg.auth_mechanisms if self.esmtp else ())
        self._pending_key = cmd.verb
        if isinstance(cmd, BadCommand):
            return cmd
        if not in_sequence(self.state, cmd.verb):
            if isinstance(cmd, Auth) and self.authenticated_as is not None:
                return self._bad(line, 503, "5.5.1", "Already authenticated", "AUTH")
            hint = sequence_hint(self.state, cmd.verb)
            return self._bad(line, 503, "5.5.1", f"Bad sequence of commands: {hint}", cmd.verb)
        check = _HANDLING[type(cmd)].check
        return cmd if check is None else check(self, line, cmd)

    def _bad(self, line: str, code: int, enhanced: str, text: str, verb: str = "") -> BadCommand:
        """A line refused with this reply (the event the caller then answers with it)."""
        # Any error during an AUTH exchange ends the exchange (RFC 4954 §4).
        self._pending_key = AUTH_DATA if self.state is State.AUTH else verb
        return BadCommand(line, Reply.of(code, text, enhanced), verb)

    # ------------------------------------------------------------- answering
    def send(self, reply: Reply) -> bytes:
        """Answer the pending event with ``reply``; returns the bytes to send.

        A ``421`` may also be sent with no event pending (the server is shutting down
        or the client has been idle too long); it closes the connection.

        Raises:
            LocalProtocolError: no event is waiting for a reply, or ``reply`` is not a
                legal answer to it (accepting a :class:`BadCommand`, say).
        """
        event = self._pending
        if event is None:
            if reply.code == 421:
                self.state = State.CLOSED
                return reply.to_bytes(enhanced=self._enhanced())
            raise LocalProtocolError("no command is waiting for a reply")
        error = self._reply_error(event, reply.code)
        if error is not None:
            raise LocalProtocolError(error)
        self._pending = None
        before = self.state
        self.state = next_state(before, self._pending_key, reply.code)
        if reply.kind in (2, 3):  # a refusal changes nothing (RFC 5321 §4.1.4)
            accepted = _HANDLING[type(event)].accepted.get(reply.kind)
            if accepted is not None:
                accepted(self, event)
        if self.state is State.READY and before in (State.MAIL, State.RCPT, State.DATA):
            self.envelope = Envelope()  # the transaction is over, whatever the reply
        if self.state is not State.AUTH:
            self._auth_user = None
        return reply.to_bytes(self._enhanced(), self.envelope.smtputf8)

    def _reply_error(self, event: ServerEvent, code: int) -> str | None:
        """Why ``code`` may not answer ``event``: :data:`REPLY_RULES` for what the
        client said, and a line the engine refused takes nothing but a refusal."""
        if isinstance(event, (BadCommand, MessageRejected)):
            if code // 100 in (4, 5):
                return None
            return f"{type(event).__name__} must be answered with 4xx/5xx"
        if isinstance(event, AuthCredentials):
            return reply_error(CREDENTIALS, code)
        return reply_error(self._pending_key, code)

    def _enhanced(self) -> bool:
        """Whether replies carry RFC 3463 codes: only after EHLO (RFC 2034)."""
        return self.esmtp and self.config.enhanced_status_codes

    def default_reply(self) -> Reply:
        """The reply a well-behaved server would give to the pending event.

        Policy decisions get the permissive answer (250 for any recipient), except
        credentials, which are refused (535) unless you accept them yourself.
        """
        event = self._pending
        if event is None:
            raise LocalProtocolError("no event is waiting for a reply")
        return _HANDLING[type(event)].default(self, event)

    # ============================================================================
    # The dialog, step by step (RFC 5321 §3), each command's handling in one place.
    # ============================================================================

    # -- the greeting (§3.1): the server speaks first --------------------------
    def greet(self, reply: Reply | None = None) -> bytes:
        """The server speaks first: ``220 hostname ESMTP ...`` (or the reply you give,
        e.g. ``554`` to refuse service or ``421`` to say "busy, come back later")."""
        if self.state is not State.CONNECTED:
            raise LocalProtocolError("the greeting has already been sent")
        reply = reply or Reply.of(220, f"{self.config.hostname} {self.config.banner}")
        error = reply_error(GREETING, reply.code)
        if error is not None:
            raise LocalProtocolError(error)
        self.state = next_state(self.state, GREETING, reply.code)
        return reply.to_bytes(enhanced=False)

    # -- EHLO and HELO (§4.1.1.1): who is calling, and what the server offers -----
    def _ehlo_reply(self, event: Ehlo) -> Reply:
        """``250`` with the server's name, then one EHLO keyword per line."""
        cfg = self.config
        return Reply(250, (f"{cfg.hostname} Hello {event.domain}", *cfg.extensions()))

    def _helo_reply(self, event: Helo) -> Reply:
        return Reply.of(250, f"{self.config.hostname} Hello {event.domain}")

    def _hello_accepted(self, event: Ehlo | Helo) -> None:
        """A hello starts afresh: a new name, no transaction (§4.1.4)."""
        self.helo, self.esmtp = event.domain, isinstance(event, Ehlo)
        self.envelope = Envelope()

    # -- AUTH (RFC 4954): logging in, on a submission server ----------------------
    def _check_auth(self, line: str, cmd: Auth) -> ServerEvent:
        if self.authenticated_as is not None:
            return self._bad(line, 503, "5.5.1", "Already authenticated", "AUTH")
        if cmd.initial_response is not None:
            self._auth_mechanism = cmd.mechanism
            return self._auth_response(cmd.mechanism, cmd.initial_response, "AUTH")
        return cmd

    def _auth_challenge(self, event: Auth) -> Reply:
        """``334`` and a base64 challenge: LOGIN asks for the user name first."""
        return Reply.of(334, "VXNlcm5hbWU6" if event.mechanism == "LOGIN" else "")

    def _auth_started(self, event: Auth) -> None:
        self._auth_mechanism = event.mechanism

    def _parse_auth_data(self, line: str) -> ServerEvent:
        """A line in answer to a 334: a base64 response, or ``*`` to cancel."""
        if line.strip() == "*":
            return self._bad(line, 501, "5.0.0", "Authentication cancelled", AUTH_DATA)
        return self._auth_response(self._auth_mechanism, line.strip(), AUTH_DATA)

    def _auth_response(self, mechanism: str, b64: str, key: str) -> ServerEvent:
        """What a base64 response says: PLAIN's ``\\0user\\0password`` (RFC 4616), or
        LOGIN's user name, then its password."""
        text = _base64_text(b64)
        if text is None:
            return self._bad(b64, 501, "5.5.2", "Cannot decode the base64 response", key)
        self._pending_key = key
        if mechanism == "PLAIN":
            parts = text.split("\x00")
            if len(parts) != 3 or not parts[1]:
                return self._bad(b64, 501, "5.5.2", "Malformed PLAIN response", key)
            return AuthCredentials("PLAIN", parts[1], parts[2])
        if self._auth_user is None:
            return AuthData("LOGIN", text)
        return AuthCredentials("LOGIN", self._auth_user, text)

    def _password_challenge(self, event: AuthData) -> Reply:
        return Reply.of(334, "UGFzc3dvcmQ6")  # base64 of "Password:"

    def _auth_user_given(self, event: AuthData) -> None:
        self._auth_user = event.username

    def _credentials_refused(self, event: AuthCredentials) -> Reply:
        """Only you know the passwords: by default, every login fails."""
        return Reply.of(535, "Authentication credentials invalid", "5.7.8")

    def _logged_in(self, event: AuthCredentials) -> None:
        self.authenticated_as = event.username

    # -- MAIL FROM (§4.1.1.2): a transaction begins, with its sender --------------
    def _check_mail(self, line: str, cmd: MailFrom) -> ServerEvent:
        """Login first on a submission server; then each parameter must be one the
        server offers (SIZE, RFC 1870; BODY, RFC 6152; SMTPUTF8, RFC 6531)."""
        cfg = self.config
        if cfg.require_auth and self.authenticated_as is None:
            return self._bad(line, 530, "5.7.0", "Authentication required", "MAIL")
        for key, value in cmd.params:
            if not self.esmtp:
                return self._bad(line, 555, "5.5.4", "MAIL parameters need EHLO", "MAIL")
            if key == "SIZE":
                if value is None or not (value.isascii() and value.isdigit()):
                    return self._bad(line, 501, "5.5.4", "Bad SIZE parameter", "MAIL")
                if int(value) > cfg.max_message_size:
                    return self._bad(line, 552, "5.3.4",
                                     "Message size exceeds fixed maximum message size", "MAIL")
            elif key == "BODY" and cfg.eightbitmime:
                if (value or "").upper() not in ("7BIT", "8BITMIME"):
                    return self._bad(line, 501, "5.5.4", "Bad BODY parameter", "MAIL")
            elif key == "SMTPUTF8" and cfg.smtputf8 and value is None:
                continue
            else:
                return self._bad(line, 555, "5.5.4", f"Unsupported parameter {key}", "MAIL")
        return cmd

    def _mail_reply(self, event: MailFrom) -> Reply:
        return _MAIL_OK

    def _mail_accepted(self, event: MailFrom) -> None:
        self.envelope = Envelope(
            mail_from=event.address, mail_params=event.params,
            smtputf8=event.param("SMTPUTF8") is not None,
            body=(event.param("BODY") or "7BIT").upper())

    # -- RCPT TO (§4.1.1.3): one recipient at a time --------------------------------
    def _check_rcpt(self, line: str, cmd: RcptTo) -> ServerEvent:
        if len(self.envelope.rcpt_tos) >= self.config.max_recipients:
            return self._bad(line, 452, "4.5.3", "Too many recipients", "RCPT")
        if cmd.params:
            return self._bad(line, 555, "5.5.4", "Unsupported RCPT TO parameter", "RCPT")
        return cmd

    def _rcpt_reply(self, event: RcptTo) -> Reply:
        return _RCPT_OK

    def _rcpt_accepted(self, event: RcptTo) -> None:
        self.envelope.rcpt_tos.append(event.address)

    # -- DATA (§4.1.1.4): "go ahead", then the content ------------------------------
    def _data_reply(self, event: Data) -> Reply:
        return _START_DATA

    def _data_started(self, event: Data) -> None:
        cfg = self.config
        self._data = DataReader(cfg.max_message_size, cfg.max_text_line, cfg.bare_line_endings)

    # -- the end of the data (§4.1.1.4): the 250 that takes responsibility ----------
    def _read_data(self) -> ServerEvent | None:
        """After 354: the content, until ``<CRLF>.<CRLF>`` (see :mod:`._data`)."""
        reader = self._data
        assert reader is not None
        if not self._buf:
            return None
        rest = reader.feed(bytes(self._buf))
        self._buf = bytearray(rest)
        if not reader.done:
            return None
        verdict = reader.verdict()
        self._data = None
        self._pending_key = END_OF_DATA
        if verdict.reply is not None:
            return MessageRejected(self.envelope, verdict.reply)
        assert verdict.content is not None
        return MessageReceived(self.envelope, verdict.content)

    def _queued_as(self, event: MessageReceived) -> Reply:
        """``250 Ok: queued as <id>``: the message is the server's responsibility now."""
        cfg = self.config
        queue_id = cfg.queue_ids() if cfg.queue_ids else f"{next(self._counter):X}"
        return Reply.of(250, f"Ok: queued as {queue_id}", "2.0.0")

    def _refusal(self, event: BadCommand | MessageRejected) -> Reply:
        """A line or a message the engine refused: the reply it decided."""
        return event.reply

    # -- RSET, NOOP, VRFY, HELP (§4.1.1.5-§4.1.1.8): anywhere outside DATA ---------
    def _ok(self, event: Rset | Noop) -> Reply:
        return _OK

    def _vrfy_reply(self, event: Vrfy) -> Reply:
        """252: a server that will not say who exists (so spammers cannot harvest)."""
        return _VRFY

    def _help_reply(self, event: Help) -> Reply:
        text = _HELP_TEXT.get(event.topic.upper())
        if text is None:
            return Reply.of(504, f"HELP topic {event.topic!r} unknown", "5.5.4")
        return Reply(214, (*text, "End of HELP info"), "2.0.0")

    # -- QUIT (§4.1.1.10) -------------------------------------------------------
    def _bye(self, event: Quit) -> Reply:
        return _BYE


_HELP_TEXT = {
    "": ("Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
         "A mail transaction is MAIL FROM:<sender>, one RCPT TO:<recipient> per",
         "recipient, then DATA; end the message with a line holding only a dot."),
    "HELO": ("HELO <your hostname>: say hello (plain SMTP)",),
    "EHLO": ("EHLO <your hostname>: say hello and list the server's extensions",),
    "MAIL": ("MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]: start a transaction",),
    "RCPT": ("RCPT TO:<address>: add a recipient",),
    "DATA": ("DATA: send the message; end it with <CRLF>.<CRLF>",),
    "RSET": ("RSET: abandon the current transaction",),
    "NOOP": ("NOOP: do nothing, reply 250",),
    "VRFY": ("VRFY <user>: ask whether a user exists",),
    "QUIT": ("QUIT: end the session",),
    "AUTH": ("AUTH PLAIN <base64 of \\0user\\0password> or AUTH LOGIN: log in",),
}


def _base64_text(b64: str) -> str | None:
    """The UTF-8 text a base64 AUTH response holds (``=`` is the empty response,
    RFC 4954 §4), or None when it is not strict base64 of UTF-8."""
    try:
        raw = base64.b64decode(b"" if b64 == "=" else b64.encode(), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


class _Handling(NamedTuple):
    """What the server does with one kind of event (see :data:`_HANDLING`)."""

    #: Its checks beyond grammar and sequence: ``check(server, line, command)`` gives
    #: the command, or the :class:`BadCommand` refusing it. None: nothing to check.
    check: Callable[[ServerConnection, str, Any], ServerEvent] | None
    #: Its default reply: ``default(server, event)``.
    default: Callable[[ServerConnection, Any], Reply]
    #: What an accepting reply changes besides the state, by reply class (2 or 3).
    accepted: dict[int, Callable[[ServerConnection, Any], None]]


S = ServerConnection
#: Every event the engine makes, in the order of a dialog, with its handling.
_HANDLING: dict[type, _Handling] = {
    Ehlo: _Handling(None, S._ehlo_reply, {2: S._hello_accepted}),
    Helo: _Handling(None, S._helo_reply, {2: S._hello_accepted}),
    Auth: _Handling(S._check_auth, S._auth_challenge, {3: S._auth_started}),
    AuthData: _Handling(None, S._password_challenge, {3: S._auth_user_given}),
    AuthCredentials: _Handling(None, S._credentials_refused, {2: S._logged_in}),
    MailFrom: _Handling(S._check_mail, S._mail_reply, {2: S._mail_accepted}),
    RcptTo: _Handling(S._check_rcpt, S._rcpt_reply, {2: S._rcpt_accepted}),
    Data: _Handling(None, S._data_reply, {3: S._data_started}),
    MessageReceived: _Handling(None, S._queued_as, {}),
    MessageRejected: _Handling(None, S._refusal, {}),
    BadCommand: _Handling(None, S._refusal, {}),
    Rset: _Handling(None, S._ok, {}),
    Noop: _Handling(None, S._ok, {}),
    Vrfy: _Handling(None, S._vrfy_reply, {}),
    Help: _Handling(None, S._help_reply, {}),
    Quit: _Handling(None, S._bye, {}),
}
del S
