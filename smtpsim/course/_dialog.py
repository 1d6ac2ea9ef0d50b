"""The exercises on the SMTP dialog itself: notebooks 00, 01 and 07."""

from __future__ import annotations

from typing import Any

from ._verdict import (
    _Exercise,
    _is_sequence,
    _one_of,
    _reply_class_is,
    _reply_code,
    _right,
    _unanswered,
    _word,
    _wrong,
)

# ---------------------------------------------------------------------------
# 00 - start here
# ---------------------------------------------------------------------------

_PROTOCOL_WORDS = {
    "smtp": "SMTP", "esmtp": "SMTP", "submission": "SMTP", "smtp submission": "SMTP",
    "imap": "IMAP", "imap4": "IMAP", "imaps": "IMAP",
    "pop": "POP", "pop3": "POP", "pops": "POP", "pop3s": "POP",
}
_PROTOCOLS_RIGHT = ("SMTP", "SMTP", "IMAP")


def check_protocols(answer: Any) -> bool:
    """Notebook 00: which protocol does each of the three jobs.

    The three jobs, in order: (1) Bob's mail program hands his message to his
    provider; (2) Bob's provider passes it to Alice's provider; (3) Alice reads her
    mail on her phone *and* her laptop and wants both to show the same folders and
    read/unread marks. The answer is a list of three protocol names (``"SMTP"``,
    ``"IMAP"`` or ``"POP"``), in that order.
    """
    where = ("the table 'Three protocols, three jobs' at the top of 00-start-here: one "
             "protocol pushes mail, two others let a reader fetch it.")
    if answer is None:
        return _unanswered(where)
    if not _is_sequence(answer) or len(answer) != 3:
        return _wrong("Give a list of three protocol names, one per job, e.g. "
                      "[\"POP\", \"POP\", \"POP\"] (that one is wrong, but it has the "
                      "right shape).")
    named = [_PROTOCOL_WORDS.get(_word(a) or "") for a in answer]
    unknown = [a for a, n in zip(answer, named, strict=True) if n is None]
    if unknown:
        return _wrong(f"{unknown[0]!r} is not one of SMTP, IMAP or POP.")
    if named == list(_PROTOCOLS_RIGHT):
        return _right("SMTP pushes mail at every hop (submission and relay alike); "
                      "IMAP keeps the mailbox on the server, so every device sees the same "
                      "folders. POP would download and (usually) delete.")
    wrong = [i + 1 for i, (n, r) in enumerate(zip(named, _PROTOCOLS_RIGHT, strict=True)) if n != r]
    tips = []
    if 1 in wrong or 2 in wrong:
        tips.append("jobs 1 and 2 both *send* mail towards its destination; ask which "
                    "protocol pushes mail, whoever the sender is")
    if 3 in wrong:
        tips.append("job 3 *reads* mail and needs the mailbox to stay on the server, "
                    "shared by several devices")
    return _wrong(f"Job(s) {', '.join(map(str, wrong))} not right yet: "
                  + "; ".join(tips) + ". " + where[0].upper() + where[1:])


# ---------------------------------------------------------------------------
# 01 - the SMTP dialog
# ---------------------------------------------------------------------------

_REPLY_AFTER_DATA = _Exercise(
    where=("the table 'Command by command' in 01 (the DATA row), or the cell under it "
           "that pairs each command with its reply. Careful in the transcript: with "
           "PIPELINING, MAIL FROM, RCPT TO and DATA go out together and the replies come "
           "back in the same order, so the line right after 'C: DATA' answers MAIL FROM; "
           "DATA's reply is the last of them, just before the message's lines."),
    read=_reply_code,
    unreadable="A reply code is a three-digit number such as 250.",
    right=_one_of(354),
    praise=("354: 'Start mail input; end with <CRLF>.<CRLF>'. A 3xx reply "
            "means 'go on, send me more': here, the message itself."),
    hints=(
        (_reply_class_is(2),
         "{answer} is a 2xx (done) reply, but after DATA the server is not done: it is "
         "waiting for the message. Which reply class means 'go on, send more'?"),
    ),
    otherwise="{answer} is not what a willing server answers to DATA.",
)


def check_reply_after_data(answer: Any) -> bool:
    """Notebook 01: the reply code a server sends right after the client's ``DATA``."""
    return _REPLY_AFTER_DATA(answer)


_COMMAND_NAMES = {
    "helo": "EHLO", "ehlo": "EHLO", "helo/ehlo": "EHLO", "ehlo/helo": "EHLO",
    "mail": "MAIL", "mail from": "MAIL", "mail from:": "MAIL",
    "rcpt": "RCPT", "rcpt to": "RCPT", "rcpt to:": "RCPT",
    "data": "DATA",
    ".": "DOT", "dot": "DOT", "<crlf>.<crlf>": "DOT", "lone dot": "DOT", "the dot": "DOT",
    "quit": "QUIT",
}
_ORDER_RIGHT = ["EHLO", "MAIL", "RCPT", "DATA", "DOT", "QUIT"]


def _command_name(item: Any) -> str | None:
    """``"MAIL FROM:<bob@example.org>"`` -> ``"MAIL"``, ``"."`` -> ``"DOT"``; else None."""
    text = _word(item) if isinstance(item, str) else None
    if not text:
        return None
    if text in _COMMAND_NAMES:
        return _COMMAND_NAMES[text]
    head = text.split(":")[0].strip()  # "MAIL FROM:<bob@example.org>"
    if head in _COMMAND_NAMES:
        return _COMMAND_NAMES[head]
    return _COMMAND_NAMES.get(text.split()[0])


def check_command_order(answer: Any) -> bool:
    """Notebook 01: put ``DATA, QUIT, RCPT TO, EHLO, ".", MAIL FROM`` in dialog order.

    The answer is a list of those six items (HELO counts as EHLO; ``"MAIL FROM"`` and
    ``"MAIL"`` are the same).
    """
    where = ("step through the classic dialog again with the Stepper, or follow the "
             "arrows of the state diagram from GREETED to CLOSED.")
    if answer is None:
        return _unanswered(where)
    if not _is_sequence(answer):
        return _wrong('Give a list, e.g. ["QUIT", "DATA", ...], with all six items.')
    names = [_command_name(a) for a in answer]
    unknown = [a for a, n in zip(answer, names, strict=True) if n is None]
    if unknown:
        return _wrong(f"{unknown[0]!r} is not one of EHLO, MAIL FROM, RCPT TO, DATA, "
                      "\".\", QUIT.")
    given = [n for n in names if n is not None]  # all known, as checked just above
    if sorted(given) != sorted(_ORDER_RIGHT):
        missing = [n for n in _ORDER_RIGHT if n not in names]
        if missing:
            shown = {"DOT": '"."', "MAIL": "MAIL FROM", "RCPT": "RCPT TO"}
            return _wrong("Use each of the six items exactly once; missing: "
                          + ", ".join(shown.get(m, m) for m in missing) + ".")
        return _wrong("Use each of the six items exactly once.")
    if names == _ORDER_RIGHT:
        return _right("That is the order of every SMTP session: hello, envelope (sender, "
                      "then recipients), content ended by the lone dot, goodbye.")
    i = next(k for k, (got, want) in enumerate(zip(names, _ORDER_RIGHT, strict=True))
             if got != want)
    want = _ORDER_RIGHT[i]
    if i == 0:
        tip = "Who speaks first after the server's 220 greeting, and what do they say?"
    elif {names[i], want} == {"MAIL", "RCPT"}:
        tip = "The envelope names its sender before its recipients."
    elif "DOT" in (names[i], want) and "DATA" in (names[i], want):
        tip = "The dot ends something: what has to start before it can end?"
    elif "QUIT" in (names[i], want):
        tip = "QUIT ends the whole session; is everything else done by then?"
    else:
        tip = "The server must know the recipients before it agrees to take a message."
    return _wrong(f"The first {i} item(s) are in the right place, position {i + 1} is "
                  f"not. {tip} Or {where}")


# ---------------------------------------------------------------------------
# 07 - talk SMTP yourself
# ---------------------------------------------------------------------------

_OUT_OF_SEQUENCE_REPLY = _Exercise(
    where=("try it: in the Console (or with console.send / session.send_line in 07), "
           "say EHLO, then RCPT TO:<alice@example.com> straight away, and read the reply."),
    read=_reply_code,
    unreadable="A reply code is a three-digit number.",
    right=_one_of(503),
    praise=("503 Bad sequence of commands: the command is fine, the moment is "
            "not. A transaction needs MAIL FROM first."),
    hints=(
        (_one_of(500, 501, 502),
         "{answer} is about a command the server cannot parse or does not know; "
         "RCPT TO is a perfectly good command, just at the wrong time."),
        (_reply_class_is(2), "The server does not accept a recipient for a transaction "
                             "that has not begun."),
    ),
)


def check_out_of_sequence_reply(answer: Any) -> bool:
    """Notebook 07: the reply code a server gives to ``RCPT TO`` sent before any
    ``MAIL FROM``."""
    return _OUT_OF_SEQUENCE_REPLY(answer)
