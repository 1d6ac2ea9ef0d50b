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

from ..errors import LocalProtocolError, RemoteProtocolError

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
        return cls(code, tuple(text.split("\n")), enhanced)

    @property
    def kind(self) -> int:
        """The first digit: 2 success, 3 intermediate, 4 transient failure, 5 permanent."""
        return self.code // 100

    @property
    def is_success(self) -> bool:
        return self.code // 100 == 2

    @property
    def is_transient(self) -> bool:
        return self.code // 100 == 4

    @property
    def is_permanent(self) -> bool:
        return self.code // 100 == 5

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
        data = "\r\n".join(self.to_lines(enhanced)) + "\r\n"
        return data.encode("utf-8" if utf8 else "ascii", "strict" if utf8 else "replace")

    def __str__(self) -> str:
        return "\n".join(self.to_lines())


class ReplyReader:
    """Turns bytes from a server into :class:`Reply` objects (used by the client).

    Feed it whatever arrived with :meth:`feed`; :meth:`next_reply` returns a complete
    reply once its last line (code followed by a space) is in, or None.
    """

    #: RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
    MAX_LINE = 512

    def __init__(self, enhanced: bool = False) -> None:
        self._buf = b""  # what arrived and is not read yet
        self._pending: list[str] = []  # the text of the lines read of the next reply
        self._code: int | None = None  # that reply's code, once its first line is in
        #: Whether to split an RFC 3463 code off the text (set after EHLO).
        self.enhanced = enhanced

    def feed(self, data: bytes) -> None:
        """Take bytes received from the server."""
        self._buf += data

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None if more bytes are needed.

        Raises:
            RemoteProtocolError: the server sent something that is not a reply line.
        """
        while self._buf:
            buf = self._buf
            i = buf.find(b"\n")
            if i < 0:
                if len(buf) > 4 * self.MAX_LINE:
                    raise RemoteProtocolError("reply line too long")
                return None
            raw, self._buf = buf[:i].rstrip(b"\r"), buf[i + 1 :]  # the line is consumed
            m = _REPLY_LINE_RE.match(raw)
            line = raw.decode("utf-8", "replace")
            if m is None:
                raise RemoteProtocolError(f"not an SMTP reply line: {line!r}")
            code = int(m.group(1))
            if self._code is not None and code != self._code:
                raise RemoteProtocolError(
                    f"reply code changed inside a multi-line reply: {line!r}")
            self._pending.append(line[4:])
            if m.group(2) == b"-":
                self._code = code  # RFC 5321 §4.2.1: a hyphen says more lines follow
                continue
            lines, self._pending, self._code = self._pending, [], None
            return self._build(code, lines)
        return None

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
