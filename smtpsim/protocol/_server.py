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
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
from collections.abc import Callable
from typing import Any

from ..errors import LocalProtocolError
from ._commands import (
    Auth,
    BadCommand,
    Command,
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
    _credentials,
    _message_received,
)
from ._fast import remember
from ._replies import Reply, known_reply, wire_bytes
from ._state import (
    AUTH_DATA,
    END_OF_DATA,
    GREETING,
    S_AUTH,
    S_CLOSED,
    S_CONNECTED,
    S_DATA,
    S_MAIL,
    S_RCPT,
    S_READY,
    State,
    in_sequence,
    next_state,
    sequence_hint,
)

__all__ = ["ServerConnection"]


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


# Fast path: a submission server hears the same AUTH PLAIN response from the same
# user in every session, and decoding is a pure function of the line, so the
# answers are remembered, as parsed commands are (the credentials are in memory
# anyway: the client engine holds them, and the server's event hands them over).
@functools.lru_cache(maxsize=256)
def _base64_text(b64: str) -> str | None:
    """The UTF-8 text a base64 AUTH response holds (``=`` is the empty response,
    RFC 4954 §4), or None when it is not strict base64 of UTF-8."""
    try:
        raw = base64.b64decode(b"" if b64 == "=" else b64.encode(), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


# The default replies that never vary, built (and validated) once.
_MAIL_OK = Reply.of(250, "Ok", "2.1.0")
_RCPT_OK = Reply.of(250, "Ok", "2.1.5")
_START_DATA = Reply.of(354, "End data with <CR><LF>.<CR><LF>")
_OK = Reply.of(250, "Ok", "2.0.0")
_BYE = Reply.of(221, "Bye", "2.0.0")



def _queued_as(queue_id: str) -> Reply:
    """``Reply.of(250, f"Ok: queued as {queue_id}", "2.0.0")``, the reply that takes
    responsibility for a message (new for every message, so never worth remembering).

    Its code and enhanced code are fixed and valid, so the id is the only part left to
    check, and the one rule it could break is "no CR or LF in a line of text". An id
    holding either goes the general way, ``Reply.of``: it makes a reply of several
    lines of an LF, and refuses a CR.
    """
    text = f"Ok: queued as {queue_id}"
    if "\r" in text or "\n" in text:
        return Reply.of(250, text, "2.0.0")
    return Reply._trusted(250, (text,), "2.0.0")


#: EHLO replies already made, keyed by what they say: the hostname, the client's name
#: and every field of the configuration that :meth:`ServerConfig.extensions` reads.
_EHLO_REPLIES: dict[tuple[Any, ...], Reply] = {}


def _ehlo_reply(cfg: ServerConfig, domain: str) -> Reply:
    """``known_reply(250, (f"{cfg.hostname} Hello {domain}", *cfg.extensions()))``, the
    reply to EHLO, remembered.

    A server says the same EHLO reply to the same client on every connection, but a
    ServerConfig may be changed at any time, so the memo is keyed by the fields the
    reply is made of, read afresh each time. A subclass (which may list its extensions
    its own way), unhashable mechanisms (a list) and a size that is not an int take the
    general way.
    """
    if type(cfg) is not ServerConfig or type(cfg.max_message_size) is not int:
        # (10.0 == 10, but "SIZE 10.0" is not "SIZE 10": only an int size is a key.)
        return known_reply(250, (f"{cfg.hostname} Hello {domain}", *cfg.extensions()))
    key = (cfg.hostname, domain, cfg.pipelining, cfg.max_message_size, cfg.auth_mechanisms,
           cfg.enhanced_status_codes, cfg.eightbitmime, cfg.smtputf8, cfg.help)
    try:
        reply = _EHLO_REPLIES.get(key)
    except TypeError:  # unhashable mechanisms
        return known_reply(250, (f"{cfg.hostname} Hello {domain}", *cfg.extensions()))
    if reply is None:
        reply = remember(_EHLO_REPLIES, key, known_reply(
            250, (f"{cfg.hostname} Hello {domain}", *cfg.extensions())), limit=256)
    return reply


#: Fast path for default_reply(): the events whose default reply never varies, by
#: exact type (anything else, a subclass included, takes the long way round).
_FIXED_REPLIES: dict[type, Reply] = {MailFrom: _MAIL_OK, RcptTo: _RCPT_OK, Data: _START_DATA,
                                     Rset: _OK, Noop: _OK, Quit: _BYE}



# Fast path: clients say the same lines again and again (DATA, QUIT, the same EHLO,
# MAIL FROM and RCPT TO), parse_command is a pure function and what it returns is
# immutable, so the server remembers its recent answers instead of parsing again.
@functools.lru_cache(maxsize=1024)
def _parse_command_cached(line: str, utf8_ok: bool, auth_mechanisms: tuple[str, ...]
                          ) -> Command | BadCommand:
    return parse_command(line, utf8_ok=utf8_ok, auth_mechanisms=auth_mechanisms)


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
        self.state = S_CONNECTED
        self.helo: str | None = None
        self.esmtp = False
        self.authenticated_as: str | None = None
        self.envelope = Envelope()
        self._buf = bytearray()
        self._eof = False
        self._closed_reported = False
        self._discarding = False
        self._data: DataReader | None = None
        self._pending: ServerEvent | None = None
        self._pending_key = ""
        self._auth_user: str | None = None
        self._auth_mechanism = "PLAIN"
        self._counter = itertools.count(0x12345)

    # ---------------------------------------------------------------- output
    def greet(self, reply: Reply | None = None) -> bytes:
        """The server speaks first: ``220 hostname ESMTP ...`` (or the reply you give,
        e.g. ``554`` to refuse service or ``421`` to say "busy, come back later")."""
        if self.state is not S_CONNECTED:
            raise LocalProtocolError("the greeting has already been sent")
        reply = reply or Reply.of(220, f"{self.config.hostname} {self.config.banner}")
        self.state = next_state(self.state, GREETING, reply.code)
        return wire_bytes(reply, enhanced=False)

    def send(self, reply: Reply) -> bytes:
        """Answer the pending event with ``reply``; returns the bytes to send.

        A ``421`` may also be sent with no event pending (the server is shutting down
        or the client has been idle too long); it closes the connection.

        Raises:
            LocalProtocolError: no event is waiting for a reply, or ``reply`` is not a
                legal answer to it (accepting a :class:`BadCommand`, say).
        """
        event = self._pending
        code = reply.code
        if event is None:
            if code == 421:
                self.state = S_CLOSED
                return reply.to_bytes(enhanced=self._enhanced())
            raise LocalProtocolError("no command is waiting for a reply")
        kind = code // 100
        # The tables first (see _REPLY_CLASSES); the rules only to say why not.
        if kind not in _REPLY_CLASSES.get(type(event), ()) or (
                kind == 3 and code != _INTERMEDIATE[type(event)]):
            self._check_reply(event, code)
        self._pending = None
        before = self.state
        self.state = next_state(before, self._pending_key, code)
        self._apply(event, kind, before)
        enhanced = self.esmtp and self.config.enhanced_status_codes
        return wire_bytes(reply, enhanced, self.envelope.smtputf8)

    def _enhanced(self) -> bool:
        return self.esmtp and self.config.enhanced_status_codes

    def _check_reply(self, event: ServerEvent, code: int) -> None:
        """Raise unless a reply with ``code`` may answer ``event``."""
        error = _reply_error(event, code)
        if error is not None:
            raise LocalProtocolError(error)

    def _apply(self, event: ServerEvent, kind: int, before: State) -> None:
        """What answering ``event`` with a reply of class ``kind`` changes, besides the
        state: a 2xx or 3xx takes effect (:data:`_EFFECTS`), a refusal (4xx, 5xx)
        leaves the session as it was (RFC 5321 §4.1.4), and a transaction that ended
        is forgotten."""
        effect = _EFFECTS.get((type(event), kind))
        if effect is not None:
            effect(self, event)
        state = self.state
        if state is S_READY and before in (S_MAIL, S_RCPT, S_DATA):
            self.envelope = Envelope()
        if state is not S_AUTH:
            self._auth_user = None

    # The effects of a 2xx or 3xx, one per event type (see _EFFECTS) ----------------
    def _hello_accepted(self, event: Ehlo | Helo) -> None:
        self.helo, self.esmtp = event.domain, isinstance(event, Ehlo)
        self.envelope = Envelope()

    def _mail_accepted(self, event: MailFrom) -> None:
        params = event.params
        if not params or (len(params) == 1 and params[0][0] == "SIZE"):
            # The usual MAIL FROM: no parameter but SIZE, so neither SMTPUTF8 nor BODY
            # is there to find, and the envelope keeps its defaults.
            self.envelope = Envelope(mail_from=event.address, mail_params=params)
            return
        self.envelope = Envelope(
            mail_from=event.address, mail_params=event.params,
            smtputf8=event.param("SMTPUTF8") is not None,
            body=(event.param("BODY") or "7BIT").upper())

    def _rcpt_accepted(self, event: RcptTo) -> None:
        self.envelope.rcpt_tos.append(event.address)

    def _logged_in(self, event: AuthCredentials) -> None:
        self.authenticated_as = event.username

    def _data_started(self, event: Data) -> None:
        cfg = self.config
        self._data = DataReader(cfg.max_message_size, cfg.max_text_line, cfg.bare_line_endings)

    def _auth_started(self, event: Auth) -> None:
        self._auth_mechanism = event.mechanism

    def _auth_user_given(self, event: AuthData) -> None:
        self._auth_user = event.username

    def default_reply(self) -> Reply:
        """The reply a well-behaved server would give to the pending event.

        Policy decisions get the permissive answer (250 for any recipient), except
        credentials, which are refused (535) unless you accept them yourself.
        """
        event = self._pending
        fixed = _FIXED_REPLIES.get(type(event))
        if fixed is not None:
            return fixed
        cfg = self.config
        if event is None:
            raise LocalProtocolError("no event is waiting for a reply")
        # (The event types are disjoint, so the order below is the order of need: the
        # message, then the hello, come in every session.)
        if isinstance(event, MessageReceived):
            queue_id = cfg.queue_ids() if cfg.queue_ids else f"{next(self._counter):X}"
            return _queued_as(queue_id)
        if isinstance(event, Ehlo):
            return _ehlo_reply(cfg, event.domain)
        if isinstance(event, (BadCommand, MessageRejected)):
            return event.reply
        if isinstance(event, Helo):
            return Reply.of(250, f"{cfg.hostname} Hello {event.domain}")
        if isinstance(event, MailFrom):
            return _MAIL_OK
        if isinstance(event, RcptTo):
            return _RCPT_OK
        if isinstance(event, Data):
            return _START_DATA
        if isinstance(event, (Rset, Noop)):
            return _OK
        if isinstance(event, Vrfy):
            return Reply.of(252, "Cannot VRFY user, but will accept message and attempt "
                                 "delivery", "2.0.0")
        if isinstance(event, Help):
            text = _HELP_TEXT.get(event.topic.upper())
            if text is None:
                return Reply.of(504, f"HELP topic {event.topic!r} unknown", "5.5.4")
            return Reply(214, (*text, "End of HELP info"), "2.0.0")
        if isinstance(event, Quit):
            return _BYE
        if isinstance(event, Auth):
            return Reply.of(334, "VXNlcm5hbWU6" if event.mechanism == "LOGIN" else "")
        if isinstance(event, AuthData):
            return Reply.of(334, "UGFzc3dvcmQ6")  # base64 of "Password:"
        if isinstance(event, AuthCredentials):
            return Reply.of(535, "Authentication credentials invalid", "5.7.8")
        raise LocalProtocolError(f"no default reply for {event!r}")  # pragma: no cover

    # ----------------------------------------------------------------- input
    def receive_data(self, data: bytes) -> None:
        """Give the engine bytes received from the client; ``b""`` means the client
        closed the connection (EOF)."""
        if data == b"":
            self._eof = True
        elif self.state is not S_CLOSED:
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
        if state is S_CONNECTED:
            raise LocalProtocolError("the server speaks first: call greet() before next_event()")
        if state is S_CLOSED:
            return NEED_DATA
        event: ServerEvent | None
        if not self._buf:
            event = None  # (what either reader finds in an empty buffer, asked first)
        elif state is S_DATA:
            event = self._read_data()
        else:
            event = self._read_command()
        if event is None:
            if self._eof and not self._closed_reported:
                self._closed_reported = True
                discarded = state in (S_MAIL, S_RCPT, S_DATA)
                self.state = S_CLOSED
                self._data = None
                self.envelope = Envelope()
                return ConnectionClosed(discarded)
            return NEED_DATA
        self._pending = event
        return event

    def _read_data(self) -> ServerEvent | None:
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
        return _message_received(self.envelope, verdict.content)

    def _read_command(self) -> ServerEvent | None:
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
        raw = buf[:end]
        del buf[: i + 1]
        return self._parse(raw)

    def _bad(self, line: str, code: int, enhanced: str, text: str, verb: str = "") -> BadCommand:
        # Any error during an AUTH exchange ends the exchange (RFC 4954 §4).
        self._pending_key = AUTH_DATA if self.state is S_AUTH else verb
        return BadCommand(line, Reply.of(code, text, enhanced), verb)

    def _parse(self, raw: bytes | bytearray) -> ServerEvent:
        # "0 in raw" asks for the byte value 0 (NUL): a plain memchr, several times
        # faster than the substring test b"\x00" in raw, with the same answer.
        if 0 in raw:
            return self._bad(raw.decode("latin-1"), 500, "5.5.2", "NUL character in command")
        if 0x0D in raw:
            return self._bad(raw.decode("latin-1"), 500, "5.5.2", "Bare CR in command")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._bad(raw.decode("latin-1"), 500, "5.5.2", "Command is not valid UTF-8")
        state = self.state
        if state is S_AUTH:
            return self._parse_auth_data(line)
        cfg = self.config
        esmtp = self.esmtp
        verb = line.partition(" ")[0].upper()
        if not line.isascii() and verb not in ("MAIL", "RCPT"):
            return self._bad(line, 501, "5.5.2", "Non-ASCII characters are not allowed here")
        utf8_ok = cfg.smtputf8 and esmtp and (verb == "MAIL" or self.envelope.smtputf8)
        if verb == "AUTH" and cfg.auth_mechanisms and not esmtp:
            return self._bad(line, 503, "5.5.1", "Bad sequence of commands: send EHLO first "
                             "(AUTH is an ESMTP extension)", "AUTH")
        mechanisms = cfg.auth_mechanisms if esmtp else ()
        try:
            cmd = _parse_command_cached(line, utf8_ok, mechanisms)
        except TypeError:  # unhashable mechanisms (a list): parse without the cache
            cmd = parse_command(line, utf8_ok=utf8_ok, auth_mechanisms=mechanisms)
        self._pending_key = key = cmd.verb
        if type(cmd) is BadCommand:  # (parse_command makes exactly these types)
            return cmd
        if not in_sequence(state, key):
            if isinstance(cmd, Auth) and self.authenticated_as is not None:
                return self._bad(line, 503, "5.5.1", "Already authenticated", "AUTH")
            return self._bad(line, 503, "5.5.1",
                             f"Bad sequence of commands: {sequence_hint(state, key)}", key)
        # The checks beyond grammar and sequence, for the commands that have any.
        check = _COMMAND_CHECKS.get(type(cmd))
        return cmd if check is None else check(self, line, cmd)

    def _check_rcpt(self, line: str, cmd: RcptTo) -> ServerEvent:
        if len(self.envelope.rcpt_tos) >= self.config.max_recipients:
            return self._bad(line, 452, "4.5.3", "Too many recipients", "RCPT")
        if cmd.params:
            return self._bad(line, 555, "5.5.4", "Unsupported RCPT TO parameter", "RCPT")
        return cmd

    def _check_auth(self, line: str, cmd: Auth) -> ServerEvent:
        if self.authenticated_as is not None:
            return self._bad(line, 503, "5.5.1", "Already authenticated", "AUTH")
        if cmd.initial_response is not None:
            self._auth_mechanism = cmd.mechanism
            return self._auth_response(cmd.mechanism, cmd.initial_response, "AUTH")
        return cmd

    def _check_mail(self, line: str, cmd: MailFrom) -> ServerEvent:
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

    # AUTH (RFC 4954) ---------------------------------------------------------
    def _parse_auth_data(self, line: str) -> ServerEvent:
        if line.strip() == "*":
            return self._bad(line, 501, "5.0.0", "Authentication cancelled", AUTH_DATA)
        return self._auth_response(self._auth_mechanism, line.strip(), AUTH_DATA)

    def _auth_response(self, mechanism: str, b64: str, key: str) -> ServerEvent:
        text = _base64_text(b64)
        if text is None:
            return self._bad(b64, 501, "5.5.2", "Cannot decode the base64 response", key)
        self._pending_key = key
        if mechanism == "PLAIN":
            parts = text.split("\x00")
            if len(parts) != 3 or not parts[1]:
                return self._bad(b64, 501, "5.5.2", "Malformed PLAIN response", key)
            return _credentials("PLAIN", parts[1], parts[2])
        if self._auth_user is None:
            return AuthData("LOGIN", text)
        return AuthCredentials("LOGIN", self._auth_user, text)


# ---------------------------------------------------------------------------
# What may answer what, and what an answer changes: two tables.
# ---------------------------------------------------------------------------

def _reply_error(event: ServerEvent, code: int) -> str | None:
    """Why a reply with ``code`` may not answer ``event``; None when it may.

    The rules: a refusal (4xx, 5xx) answers anything; a 3xx only DATA (with 354, "go
    ahead", RFC 5321 §4.3.2) and the steps of AUTH (with 334, a challenge, RFC 4954);
    DATA never gets a 2xx; a line the engine already refused gets nothing but a
    refusal; and a closed connection nothing at all.
    """
    kind = code // 100
    if kind == 2 or kind == 3:
        if isinstance(event, (BadCommand, MessageRejected)):
            return f"{type(event).__name__} must be answered with 4xx/5xx"
        if kind == 3 and not isinstance(event, (Data, Auth, AuthData)):
            return f"a 3xx reply is only for DATA or AUTH, not {event!r}"
        if kind == 3 and code != (354 if isinstance(event, Data) else 334):
            return (f"{code} cannot answer {event!r}: DATA's only 3xx is 354, "
                    "AUTH's is 334")
        if kind == 2 and isinstance(event, Data):
            return "DATA is answered with 354 (or 4xx/5xx), not 2xx"
    if isinstance(event, ConnectionClosed):
        return "the connection is closed; there is nobody to reply to"
    return None


#: The reply classes :func:`_reply_error` lets answer each event type the engine
#: makes, as a table (with :data:`_INTERMEDIATE` for the 3xx class): ``send()`` looks
#: here first and asks the rules only for a reply the tables do not allow (to raise
#: the error that says why).
_REPLY_CLASSES: dict[type, tuple[int, ...]] = {
    **dict.fromkeys((Ehlo, Helo, MailFrom, RcptTo, Rset, Noop, Vrfy, Help, Quit), (2, 4, 5)),
    Data: (3, 4, 5),
    Auth: (2, 3, 4, 5),
    AuthData: (2, 3, 4, 5),
    AuthCredentials: (2, 4, 5),
    MessageReceived: (2, 4, 5),
    BadCommand: (4, 5),
    MessageRejected: (4, 5),
}

#: Within the 3xx class, the one code each event the table lets have a 3xx takes:
#: DATA's "go ahead" and AUTH's challenge.
_INTERMEDIATE: dict[type, int] = {Data: 354, Auth: 334, AuthData: 334}

#: What a 2xx or 3xx reply to each event does to the session, besides moving the
#: state: ``(event type, reply class) -> method``. A refusal changes nothing, so it
#: has no entry, and neither have the commands that change only the state.
_EFFECTS: dict[tuple[type, int], Callable[[ServerConnection, Any], None]] = {
    (Ehlo, 2): ServerConnection._hello_accepted,
    (Helo, 2): ServerConnection._hello_accepted,
    (MailFrom, 2): ServerConnection._mail_accepted,
    (RcptTo, 2): ServerConnection._rcpt_accepted,
    (AuthCredentials, 2): ServerConnection._logged_in,
    (Data, 3): ServerConnection._data_started,
    (Auth, 3): ServerConnection._auth_started,
    (AuthData, 3): ServerConnection._auth_user_given,
}

#: The server's own checks of a command, after the grammar (:func:`parse_command`)
#: and the sequence (:data:`TRANSITIONS`): limits, parameters, AUTH's first step.
_COMMAND_CHECKS: dict[type, Callable[[ServerConnection, str, Any], ServerEvent]] = {
    MailFrom: ServerConnection._check_mail,
    RcptTo: ServerConnection._check_rcpt,
    Auth: ServerConnection._check_auth,
}
