"""What a reply says, for people: the EHLO extension keywords, and one explainer of reply lines.

A server answers ``EHLO`` with a multi-line ``250`` reply: the first line greets, every
other line names one **extension** (a keyword, sometimes followed by parameters) that the
client may use in this session::

    250-mx.example.com Hello student-pc
    250-PIPELINING
    250-SIZE 10240000
    250 HELP

:data:`EXTENSIONS` says in one sentence what each keyword offers; :func:`explain_line`
explains one reply line (its code, its enhanced status code, or its extension), and
:func:`explain_lines` a whole reply, so that a console says the meaning of the code once
per reply and one short note per extension. Every view that explains replies (the
Console, the Stepper, :class:`~smtpsim.sim.ConsoleSession`) reads these functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._replies import explain

__all__ = ["COMMANDS", "EXTENSIONS", "explain_command", "explain_extension", "explain_line",
           "explain_lines"]

#: What each command asks of the server (RFC 5321 §4.1.1; AUTH from RFC 4954).
COMMANDS: dict[str, str] = {
    "HELO": "the client says who it is (the old greeting: no extensions)",
    "EHLO": "the client says who it is and asks which extensions the server offers",
    "AUTH": "the client logs in (PLAIN: user name and password, base64-encoded)",
    "MAIL": "a new message: this is its envelope sender, where bounces go",
    "RCPT": "one envelope recipient of the message",
    "DATA": "the message itself follows, ended by a line holding only a dot",
    "RSET": "forget the message started so far",
    "NOOP": "do nothing (keeps the connection alive)",
    "VRFY": "does this mailbox exist? (most servers will not say)",
    "HELP": "which commands does the server know?",
    "QUIT": "the client is done: the server says 221 and closes",
}

#: EHLO keyword -> what it offers the client (and the RFC that defines it).
EXTENSIONS: dict[str, str] = {
    "PIPELINING": "you may send MAIL, RCPT and DATA without waiting for each reply (RFC 2920)",
    "SIZE": "the largest message this server accepts, in bytes; "
            "MAIL FROM may announce a size with SIZE=n (RFC 1870)",
    "8BITMIME": "the message may contain 8-bit bytes (MAIL FROM ... BODY=8BITMIME, RFC 6152)",
    "SMTPUTF8": "addresses and headers may be in UTF-8 (MAIL FROM ... SMTPUTF8, RFC 6531)",
    "ENHANCEDSTATUSCODES": "replies carry a second, precise code such as 5.1.1 (RFC 2034)",
    "AUTH": "you may log in with these mechanisms before sending (RFC 4954)",
    "HELP": "the HELP command answers with a list of commands (RFC 5321)",
    "DSN": "you may ask for delivery status notifications (NOTIFY=, RET=, RFC 3461)",
    "STARTTLS": "you may switch the connection to TLS encryption (RFC 3207)",
    "CHUNKING": "you may send the message in BDAT chunks instead of DATA (RFC 3030)",
    "BINARYMIME": "the message may be binary, sent with BDAT (RFC 3030)",
    "VRFY": "VRFY may be used to ask whether a mailbox exists (RFC 5321)",
    "ETRN": "you may ask the server to flush its queue for a domain (RFC 1985)",
}


def _code(line: str) -> int:
    """The reply code of ``line``, or 0 when it does not start with three digits."""
    return int(line[:3]) if line[:3].isdigit() and line[3:4] in ("", " ", "-") else 0


def explain_extension(keyword_line: str) -> str:
    """What one EHLO extension line offers: ``"SIZE 10240000"`` (or ``"250-SIZE 10240000"``).

    The keyword is looked up in :data:`EXTENSIONS`; its parameters are repeated in the
    sentence (the size limit, the AUTH mechanisms). An unknown keyword is named as such,
    and a line that is no keyword at all gives ``""``.

    >>> explain_extension("250-SIZE 10240000")[:40]
    'SIZE 10240000: the largest message this '
    """
    text = keyword_line[4:] if _code(keyword_line) else keyword_line
    keyword, _, params = text.strip().partition(" ")
    if not keyword or not keyword.replace("-", "").isalnum():
        return ""
    meaning = EXTENSIONS.get(keyword.upper())
    shown = f"{keyword.upper()} {params}".strip()
    if meaning is None:
        return f"{shown}: an extension smtpsim does not describe"
    return f"{shown}: {meaning}"


def explain_line(line: str) -> str:
    """The plain-English meaning of one reply line such as ``"250 2.1.5 Ok"``.

    The reply code is explained (:func:`explain`), and the enhanced status code too when
    the line carries one (``2.1.5`` right after the code). A line that is not a reply (a
    command, an empty line) gives ``""``.

    >>> explain_line("550 5.1.1 User unknown")[:28]
    'Mailbox unavailable: no such'
    """
    code = _code(line)
    if not 200 <= code <= 599:
        return ""
    first = line[4:].split(" ", 1)[0]
    enhanced = first if first[:1] in ("2", "4", "5") and first.count(".") == 2 else None
    return explain(code, enhanced)


def explain_command(line: str) -> str:
    """What a client's command line asks for, or ``""`` if it is no command.

    >>> explain_command("MAIL FROM:<bob@example.org>")
    'a new message: this is its envelope sender, where bounces go'
    """
    verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
    return COMMANDS.get(verb, "")


def explain_lines(lines: Sequence[str]) -> tuple[list[str], str]:
    """Explain one whole reply (every line of it, the last one ending with a space).

    Returns ``(notes, meaning)``: ``notes`` has one entry per line, the extension that
    line offers for the lines after the first of a multi-line ``250`` (an EHLO reply),
    else ``""``; ``meaning`` explains the reply's code once, from its last line.

    >>> notes, meaning = explain_lines(["250-mx Hello me", "250-PIPELINING", "250 HELP"])
    >>> notes[0], notes[2][:6], meaning[:9]
    ('', 'HELP: ', 'Requested')
    """
    if not lines:
        return [], ""
    notes = [""] * len(lines)
    if len(lines) > 1 and _code(lines[0]) == 250:
        for i, line in enumerate(lines[1:], start=1):
            notes[i] = explain_extension(line)
    return notes, explain_line(lines[-1])
