"""SMTP replies: the numbered answers a server sends, and what each one means.

An SMTP reply (RFC 5321 §4.2) is a three-digit code and some text. The first digit is
the whole story for a client program:

* ``2xx`` done, go on; ``3xx`` go on and send more (354 after DATA, 334 during AUTH);
* ``4xx`` not now, try again later (the message stays queued);
* ``5xx`` never: do not repeat this (the message bounces).

A reply may span several lines: every line but the last has a hyphen after the code
(``250-SIZE 10240000``), the last a space (``250 HELP``). When the server has
advertised ENHANCEDSTATUSCODES (RFC 2034) each line also carries an RFC 3463 code such
as ``5.1.1`` (class.subject.detail) that says more precisely what happened.

This module holds :class:`Reply`, the reader that turns reply bytes back into
:class:`Reply` objects, and *one* table of plain-English explanations for every reply
code the engine can emit (:func:`explain`), which views show beside each reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import LocalProtocolError, RemoteProtocolError
from ._fast import remember, slot_filler

__all__ = [
    "ENHANCED_EXPLANATIONS",
    "EXPLANATIONS",
    "Reply",
    "ReplyReader",
    "explain",
]

_ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$", re.ASCII)
#: A reply line: three ASCII digits, then a space, a hyphen or nothing (RFC 5321 §4.2).
_REPLY_LINE_RE = re.compile(rb"([0-9]{3})([ -]|$)")


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: a code, one or more lines of text, maybe an enhanced code.

    Args:
        code: the three-digit reply code, 200-599.
        lines: the text of each line (without code, hyphen or CRLF); at least one.
        enhanced: the RFC 3463 enhanced status code (``"2.1.0"``) or None.

    ``Reply.of(250, "Ok")`` is the short way to write a one-line reply.
    """

    code: int
    lines: tuple[str, ...] = ("",)
    enhanced: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, int) or not 200 <= self.code <= 599:
            raise LocalProtocolError(f"a reply code is a number from 200 to 599, not {self.code!r}")
        if isinstance(self.lines, str) or not self.lines:
            raise LocalProtocolError("a reply needs a tuple of one or more text lines")
        for text in self.lines:
            if "\r" in text or "\n" in text:
                raise LocalProtocolError(f"reply text may not contain CR or LF: {text!r}")
        if self.enhanced is not None:
            m = _ENHANCED_RE.match(self.enhanced)
            if not m:
                raise LocalProtocolError(f"{self.enhanced!r} is not an enhanced status code")
            if m.group(1) != str(self.code)[0]:
                raise LocalProtocolError(
                    f"enhanced code {self.enhanced} does not match the class of reply {self.code}"
                )

    @classmethod
    def of(cls, code: int, text: str = "", enhanced: str | None = None) -> Reply:
        """A reply whose text may hold several lines separated by ``\\n``."""
        if cls is Reply and type(code) is int and type(text) is str and (
                enhanced is None or type(enhanced) is str):
            return known_reply(code, tuple(text.split("\n")), enhanced)
        return cls(code, tuple(text.split("\n")), enhanced)

    @classmethod
    def _trusted(cls, code: int, lines: tuple[str, ...], enhanced: str | None = None) -> Reply:
        """Engine-internal fast path: a reply whose parts are already known to be valid,
        built without checking them again (the checks cost more than the object)."""
        return _fill_reply(code, lines, enhanced)  # its slots filled directly (._fast)

    @property
    def kind(self) -> int:
        """The first digit: 2 success, 3 intermediate, 4 transient failure, 5 permanent."""
        return self.code // 100

    @property
    def is_success(self) -> bool:
        return self.code // 100 == 2  # self.kind == 2, without a second property call

    @property
    def is_transient(self) -> bool:
        return self.code // 100 == 4  # self.kind == 4, without a second property call

    @property
    def is_permanent(self) -> bool:
        return self.code // 100 == 5  # self.kind == 5, without a second property call

    @property
    def text(self) -> str:
        """All the lines of text joined with newlines."""
        return "\n".join(self.lines)

    def to_lines(self, enhanced: bool = True) -> list[str]:
        """The reply's wire lines without CRLF, e.g. ``["250-a", "250 b"]``.

        Args:
            enhanced: include the enhanced status code (only when the server has
                advertised ENHANCEDSTATUSCODES).
        """
        prefix = f"{self.enhanced} " if enhanced and self.enhanced else ""
        last = len(self.lines) - 1
        # RFC 5321 §4.2.1: "250-" on every line but the last, "250 " on the last.
        return [
            f"{self.code}{' ' if i == last else '-'}{prefix}{text}"
            for i, text in enumerate(self.lines)
        ]

    def last_line(self, enhanced: bool = True) -> str:
        """``to_lines(enhanced)[-1]``: the line with the code and a space, the one a
        log or a bounce quotes (``250 2.0.0 Ok: queued as 4F2A1``)."""
        prefix = f"{self.enhanced} " if enhanced and self.enhanced else ""
        return f"{self.code} {prefix}{self.lines[-1]}"

    def to_bytes(self, enhanced: bool = True, utf8: bool = False) -> bytes:
        """The reply as it goes on the wire, every line ended by CRLF."""
        prefix = f"{self.enhanced} " if enhanced and self.enhanced else ""
        lines = self.lines
        data = f"{self.code} {prefix}{lines[-1]}\r\n"
        if len(lines) > 1:
            # Fast path for to_lines(): "250-" on every line but the last, in one join.
            head = f"{self.code}-{prefix}"
            data = head + f"\r\n{head}".join(lines[:-1]) + "\r\n" + data
        return data.encode("utf-8" if utf8 else "ascii", "strict" if utf8 else "replace")

    def __str__(self) -> str:
        return "\n".join(self.to_lines())


_fill_reply = slot_filler(Reply)

# Memos of immutable Replies and their bytes, bounded (see ._fast.remember).

#: Replies the engine made before (see :func:`known_reply`).
_KNOWN: dict[tuple[int, tuple[str, ...], str | None], Reply] = {}


def known_reply(code: int, lines: tuple[str, ...], enhanced: str | None = None) -> Reply:
    """``Reply(code, lines, enhanced)``, checked only the first time it is asked for.

    Engine-internal: a server makes the same greeting, EHLO reply and error replies
    for every connection, and a Reply is immutable, so the one made then is handed
    out again (:meth:`Reply.of` comes here too).
    """
    key = (code, lines, enhanced)
    reply = _KNOWN.get(key)
    if reply is None:
        reply = remember(_KNOWN, key, Reply(code, lines, enhanced))
    return reply


#: Wire bytes already made: ``id(reply) -> [reply, plain bytes, enhanced bytes]``, each
#: made when first asked for. Keyed by identity, which is safe because the entry holds
#: the reply: no other object can take its id while the entry exists.
_WIRE: dict[int, list[Any]] = {}


def wire_bytes(reply: Reply, enhanced: bool, utf8: bool = False) -> bytes:
    """``reply.to_bytes(enhanced, utf8)``, remembered.

    Engine-internal: a server sends the same replies again and again (the greeting,
    the EHLO reply, ``250 Ok``), and a Reply is immutable, so the bytes made the first
    time serve every later time. (Under SMTPUTF8, rare, they are made afresh.)
    """
    if utf8:
        return reply.to_bytes(enhanced, utf8)
    entry = _WIRE.get(id(reply))
    if entry is None:
        entry = remember(_WIRE, id(reply), [reply, None, None])
    slot = 2 if enhanced else 1
    data: bytes | None = entry[slot]
    if data is None:
        data = entry[slot] = reply.to_bytes(bool(enhanced))
    return data


#: Replies already parsed, keyed by the reader's ``enhanced`` flag and their exact bytes.
_PARSED: dict[tuple[bool, bytes], Reply] = {}


def _one_line_reply(line: bytes, enhanced: bool) -> Reply | None:
    """The Reply that the line-by-line reader makes of ``line``, a whole one-line reply
    ``b"250 2.0.0 Ok: queued as 1A2B3\\r\\n"``, or None to leave it to that reader.

    Engine-internal fast path for the plain shape only: three digits from 200 to 599,
    a space, text without CR or LF, and one CRLF. Anything else (a bare LF, a stray
    CR, a code out of range, not a reply at all) returns None, and the general reader
    decides, raising its errors. For the plain shape every check ``Reply`` would make
    has been made here, so the Reply is built without making them again.
    """
    # (bytes.isdigit() is true for ASCII digits only, as the reader's [0-9]{3} is; the
    # final CRLF must hold the line's only CR and only LF.)
    if not line.endswith(b"\r\n") or line.count(b"\r") != 1 or line.count(b"\n") != 1 \
            or line[3:4] != b" " or not line[:3].isdigit():
        return None
    code = int(line[:3])
    if not 200 <= code <= 599:
        return None
    # (Decoding the text alone or the whole line gives the same text: the first four
    # octets are ASCII. A "replace" decode never makes a CR or LF.)
    text = line[4:-2].decode("utf-8", "replace")
    code_enhanced = None
    if enhanced:  # as _build: an RFC 3463 code of the reply's class comes off the text
        head, _, rest = text.partition(" ")
        if head[:1] == str(code // 100) and _ENHANCED_RE.match(head):
            code_enhanced, text = head, rest
    return Reply._trusted(code, (text,), code_enhanced)


class ReplyReader:
    """Turns bytes from a server into :class:`Reply` objects (used by the client).

    Feed it whatever arrived with :meth:`feed`; :meth:`next_reply` returns a complete
    reply once its last line (code followed by a space) is in, or None.
    """

    #: RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
    MAX_LINE = 512

    def __init__(self, enhanced: bool = False) -> None:
        # What arrived and is not read yet. Immutable bytes rather than a bytearray:
        # a flight of replies usually comes in one piece, and is then read without
        # copying it first, each reply a slice of it.
        self._buf = b""
        self._pending: list[str] = []
        self._code: int | None = None
        # The bytes of the reply being read (None once one of its lines was refused).
        self._raw: bytearray | None = bytearray()
        #: Whether to split an RFC 3463 code off the text (set after EHLO).
        self.enhanced = enhanced

    def feed(self, data: bytes) -> None:
        # bytes(data) is data itself when it is bytes already, a copy of a bytearray.
        self._buf = self._buf + data if self._buf else bytes(data)

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None if more bytes are needed.

        Raises:
            RemoteProtocolError: the server sent something that is not a reply line.
        """
        buf = self._buf
        if not buf:  # the usual answer once the replies that arrived are read
            return None
        if self._code is None:
            # Fast path: servers repeat themselves (every RCPT gets "250 2.1.5 Ok"),
            # and a Reply is immutable, so when the bytes of the next whole reply were
            # parsed before, the Reply made then is handed out again. Its last line is
            # the first with no hyphen after the code: for a reply of several lines,
            # the one that starts with the same code and a space. (Only a whole reply
            # parsed before is ever found in _PARSED, so a hit is always right; anything
            # unusual misses and is read the general way.)
            if buf[3:4] == b"-":
                last = buf.find(b"\n" + buf[:3] + b" ")
                i = -1 if last < 0 else buf.find(b"\n", last + 1)
            else:
                i = buf.find(b"\n")
            if i >= 0:
                end = i + 1
                key = buf if end == len(buf) else buf[:end]
                reply = _PARSED.get((self.enhanced, key))
                if reply is None:
                    # A one-line reply not seen before ("250 2.0.0 Ok: queued as
                    # 1A2B3" is new every time): read it in one go when it has the
                    # plain shape, else line by line below.
                    reply = _one_line_reply(key, self.enhanced)
                    if reply is not None:
                        remember(_PARSED, (self.enhanced, key), reply)
                if reply is not None:
                    self._buf = buf[end:]
                    return reply
        # The general way: line by line. ``pos`` is where the unread bytes start.
        pos = 0
        try:
            while True:
                i = buf.find(b"\n", pos)
                if i < 0:
                    if len(buf) - pos > 4 * self.MAX_LINE:
                        raise RemoteProtocolError("reply line too long")
                    return None
                if self._raw is not None:
                    self._raw += buf[pos : i + 1]
                raw = buf[pos:i].rstrip(b"\r")
                pos = i + 1
                m = _REPLY_LINE_RE.match(raw)
                line = raw.decode("utf-8", "replace")
                if m is None:
                    self._raw = None
                    raise RemoteProtocolError(f"not an SMTP reply line: {line!r}")
                code = int(m.group(1))
                if self._code is not None and code != self._code:
                    self._raw = None
                    raise RemoteProtocolError(
                        f"reply code changed inside a multi-line reply: {line!r}")
                self._code = code
                self._pending.append(line[4:])
                if len(line) > 3 and line[3] == "-":
                    continue
                lines, self._pending, self._code = self._pending, [], None
                whole, self._raw = self._raw, bytearray()
                reply = self._build(code, lines)
                if whole is not None:
                    remember(_PARSED, (self.enhanced, bytes(whole)), reply)
                return reply
        finally:
            self._buf = buf[pos:]  # whatever happened, the lines read are consumed

    def _build(self, code: int, lines: list[str]) -> Reply:
        enhanced = None
        if self.enhanced:
            head = lines[0].partition(" ")[0]
            m = _ENHANCED_RE.match(head)
            if m and m.group(1) == str(code)[0]:
                enhanced = head
                stripped = []
                for text in lines:
                    h, _, r = text.partition(" ")
                    stripped.append(r if h == head else text)
                lines = stripped
        try:
            return Reply(code, tuple(lines), enhanced)
        except LocalProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from None


# ---------------------------------------------------------------------------
# One table, one place: what every reply code means, for people.
# ---------------------------------------------------------------------------

#: Plain-English meaning of every reply code smtpsim can send (RFC 5321 §4.2.2-4.2.3,
#: RFC 4954 for AUTH, RFC 7504 for 521/556).
EXPLANATIONS: dict[int, str] = {
    211: "System status or help reply.",
    214: "Help message: how to use the server or a command; meant for a human.",
    220: "Service ready: the server greets you and is waiting for HELO or EHLO.",
    221: "Service closing: the server says goodbye and closes the connection.",
    235: "Authentication succeeded: you may now send mail as this user.",
    250: "Requested action okay, completed.",
    251: "User not local; the server will forward the message to the right place.",
    252: "Cannot verify the user, but the server will accept the message and try delivery.",
    334: "Authentication in progress: the server waits for the next (base64) piece of "
    "your credentials.",
    354: "Start mail input: send the message (headers, a blank line, the body) and end it "
    "with a line holding only a dot.",
    421: "Service not available: the server is closing the connection (too busy, idle too "
    "long, or shutting down). Try again later.",
    450: "Mailbox unavailable for now (busy, or greylisted): try again later.",
    451: "Local error in processing, or a rate limit: the server could not do it now; "
    "try again later.",
    452: "Insufficient storage, or too many recipients in this transaction: try the rest "
    "later.",
    454: "Temporary authentication failure: try again later.",
    455: "The server cannot accept these parameters right now.",
    500: "Syntax error: the command was not recognized, or the line was too long.",
    501: "Syntax error in the parameters or arguments (a malformed address, for example).",
    502: "Command not implemented by this server.",
    503: "Bad sequence of commands: this command is not allowed at this point of the "
    "dialog.",
    504: "Command parameter not implemented (an unknown AUTH mechanism, for example).",
    521: "This host does not accept mail at all.",
    530: "Authentication required: log in with AUTH before sending mail.",
    534: "The authentication mechanism is too weak.",
    535: "Authentication failed: the user name or password is wrong.",
    550: "Mailbox unavailable: no such user here, or the action is refused by policy. "
    "Do not retry.",
    551: "User not local: the server will not forward it for you.",
    552: "Exceeded storage allocation: the message is too big, or the mailbox is full.",
    553: "Mailbox name not allowed (the address is malformed or not permitted).",
    554: "Transaction failed: refused for good (policy, relay denied, a mail loop).",
    555: "MAIL FROM or RCPT TO parameters not recognized or not implemented.",
    556: "The domain does not accept mail (it publishes a null MX).",
}

#: What the middle part of an RFC 3463 enhanced code says (``X.subject.detail``).
ENHANCED_EXPLANATIONS: dict[str, str] = {
    "0.0": "other or undefined status",
    "1.0": "other address status",
    "1.1": "bad destination mailbox address: no such user",
    "1.2": "bad destination system address: no such domain",
    "1.3": "bad destination mailbox address syntax",
    "1.5": "destination address valid",
    "1.6": "destination mailbox has moved",
    "1.7": "bad sender's mailbox address syntax",
    "1.8": "bad sender's system address",
    "1.10": "recipient address has null MX",
    "2.0": "other or undefined mailbox status",
    "2.1": "mailbox disabled, not accepting messages",
    "2.2": "mailbox full",
    "2.3": "message length exceeds administrative limit",
    "3.0": "other or undefined mail system status",
    "3.4": "message too big for system",
    "4.0": "other or undefined network or routing status",
    "4.1": "no answer from host",
    "4.2": "bad connection",
    "4.3": "directory server failure (DNS)",
    "4.4": "unable to route",
    "4.6": "routing loop detected",
    "4.7": "delivery time expired",
    "5.0": "other or undefined protocol status",
    "5.1": "invalid command",
    "5.2": "syntax error",
    "5.3": "too many recipients",
    "5.4": "invalid command arguments",
    "5.6": "line too long",
    "6.0": "other or undefined media error",
    "6.7": "non-ASCII address not permitted without SMTPUTF8",
    "7.0": "other or undefined security status",
    "7.1": "delivery not authorized, message refused",
    "7.8": "authentication credentials invalid",
    "7.9": "authentication mechanism is too weak",
}


def explain(code: int, enhanced: str | None = None) -> str:
    """A short plain-English explanation of a reply code, for people.

    Args:
        code: the three-digit reply code.
        enhanced: an RFC 3463 code such as ``"5.1.1"``, explained too when known.

    >>> explain(550, "5.1.1")[:40]
    'Mailbox unavailable: no such user here, '
    """
    text = EXPLANATIONS.get(code)
    if text is None:
        generic = {
            2: "Success.",
            3: "Intermediate: the server waits for more from the client.",
            4: "Transient failure: try again later.",
            5: "Permanent failure: do not retry.",
        }
        text = generic.get(code // 100, "Not a valid SMTP reply code.")
    if enhanced:
        detail = ENHANCED_EXPLANATIONS.get(enhanced.split(".", 1)[1]) if "." in enhanced else None
        if detail:
            text += f" ({enhanced}: {detail})"
    return text
