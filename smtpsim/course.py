"""Self-check exercises for the smtpsim course notebooks (``notebooks/``).

Every notebook ends with an exercise: the student writes an answer into a variable
and passes it to one of the ``check_*`` functions here. Each function prints
``✅`` and a short confirmation when the answer is right, or a hint that says *where
to look* (never the answer itself) when it is wrong or still ``None``, and returns
``True`` or ``False``. None of them raises, whatever it is given: a notebook stored
with ``answer = None`` must run top to bottom.

Answers are read forgivingly: ``354``, ``"354"`` and ``"354 "`` are the same reply
code; host names and command names are case-insensitive; a trailing dot on a host
name (``mx1.example.net.``) is fine.

This module is plain standard library (no matplotlib, no widgets), so it imports
fast and can be tested alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "CHECKS",
    "CLASSIFY_CODES",
    "EXERCISE_RECEIVED",
    "MX_EXERCISE",
    "RETRY_EXERCISE",
    "check_bounce_sender",
    "check_classify_codes",
    "check_client_action",
    "check_command_order",
    "check_envelope_header",
    "check_first_hop",
    "check_first_mx",
    "check_hop_count",
    "check_next_retry",
    "check_null_mx_code",
    "check_out_of_sequence_reply",
    "check_protocols",
    "check_rcpt_count",
    "check_reply_after_data",
]

# ---------------------------------------------------------------------------
# Printing the verdict
# ---------------------------------------------------------------------------


def _right(text: str) -> bool:
    print(f"✅ {text}")
    return True


def _wrong(text: str) -> bool:
    print(f"❌ Not yet. {text}")
    return False


def _unanswered(where: str) -> bool:
    print("✏️  No answer yet: replace `None` with your answer in the cell above, run it, "
          f"then run this cell again.\n   Where to look: {where}")
    return False


# ---------------------------------------------------------------------------
# Reading answers forgivingly
# ---------------------------------------------------------------------------


def _as_int(answer: Any) -> int | None:
    """``354``, ``"354"``, ``" 354 s"``, ``354.0`` -> 354; anything else -> None."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer
    if isinstance(answer, float):
        return int(answer) if answer.is_integer() else None
    if isinstance(answer, str):
        m = re.fullmatch(r"\s*(\d+)(?:\.0+)?\s*(?:s|sec|secs|seconds?)?\s*\.?", answer.lower())
        return int(m.group(1)) if m else None
    return None


def _as_number(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, (int, float)):
        return float(answer)
    if isinstance(answer, str):
        m = re.fullmatch(r"\s*t?\s*=?\s*(\d+(?:\.\d*)?)\s*(?:s|sec|secs|seconds?)?\s*",
                         answer.lower())
        return float(m.group(1)) if m else None
    return None


def _word(answer: Any) -> str | None:
    """A string answer, lower-case, outer spaces, quotes and a final dot removed."""
    if not isinstance(answer, str):
        return None
    text = " ".join(answer.strip().strip("'\"`").split()).lower()
    return text[:-1] if len(text) > 1 and text.endswith(".") else text


def _host(answer: Any) -> str | None:
    text = _word(answer)
    return text.rstrip(".").strip("<>") if text is not None else None


def _is_sequence(answer: Any) -> bool:
    return isinstance(answer, (list, tuple))


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
    where = ("the table 'Who does what' at the top of 00-start-here: one protocol pushes "
             "mail, two others let a reader fetch it.")
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
        return _right("Right: SMTP pushes mail at every hop (submission and relay alike); "
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


def check_reply_after_data(answer: Any) -> bool:
    """Notebook 01: the reply code a server sends right after the client's ``DATA``."""
    where = ("step the Stepper to the line 'C: DATA' and read the server's next line, "
             "or find DATA in the state diagram: the edge out of RCPT is labelled with "
             "its reply class.")
    if answer is None:
        return _unanswered(where)
    code = _as_int(answer)
    if code is None or not 200 <= code <= 599:
        return _wrong("A reply code is a three-digit number such as 250. " + where)
    if code == 354:
        return _right("354: 'Start mail input; end with <CRLF>.<CRLF>'. A 3xx reply "
                      "means 'go on, send me more': here, the message itself.")
    if code // 100 == 2:
        return _wrong(f"{code} is a 2xx (done) reply, but after DATA the server is not done: "
                      "it is waiting for the message. Which reply class means 'go on, send "
                      "more'? " + where)
    return _wrong(f"{code} is not what a willing server answers to DATA. " + where)


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
    text = _word(item) if isinstance(item, str) else None
    if text is None:
        return None
    if text in (".", "dot"):
        return "DOT"
    if text in _COMMAND_NAMES:
        return _COMMAND_NAMES[text]
    head = text.split(":")[0].strip()  # "MAIL FROM:<bob@example.org>"
    if head in _COMMAND_NAMES:
        return _COMMAND_NAMES[head]
    first = text.split()[0]
    return _COMMAND_NAMES.get(first)


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
# 02 - envelope and headers
# ---------------------------------------------------------------------------


def check_rcpt_count(answer: Any) -> bool:
    """Notebook 02: a message with 2 addresses in To, 1 in Cc and 2 in Bcc (all
    different): how many ``RCPT TO`` commands does the sender's mail program send?"""
    where = ("the Bcc example in 02-envelope-and-headers: count the RCPT TO lines in the "
             "transcript, and compare them with the header lines of the message.")
    if answer is None:
        return _unanswered(where)
    n = _as_int(answer)
    if n is None:
        return _wrong("The answer is a whole number. " + where)
    if n == 5:
        return _right("Five: one RCPT TO per recipient, To, Cc and Bcc alike. The envelope "
                      "is what servers deliver by; the Bcc addresses are simply never "
                      "written into the headers.")
    if n == 3:
        return _wrong("Three counts only the visible (To and Cc) recipients. Do Bcc "
                      "recipients get the message? Then how does their server learn their "
                      "address? " + where)
    if n == 1:
        return _wrong("One RCPT TO can name only one mailbox. " + where)
    return _wrong(where)


def check_envelope_header(answer: Any) -> bool:
    """Notebook 02: which header does the final delivery agent (MDA) add to record the
    envelope sender (``MAIL FROM``)?"""
    where = ("print the top of a delivered message from a mailbox in 02: the MDA adds "
             "two header lines at the very top; one of them holds the MAIL FROM address.")
    if answer is None:
        return _unanswered(where)
    text = _word(answer)
    if text is None:
        return _wrong("Give a header name as a string, e.g. \"Subject\". " + where)
    text = text.rstrip(":").strip()
    if text == "return-path":
        return _right("Return-Path: the envelope sender, written by the last hop. Bounces go "
                      "there, not to the From: header, which the sender can write freely.")
    if text == "from":
        return _wrong("From: is written by the sender's mail program, not by a server, and "
                      "can say anything (you saw it spoofed). " + where)
    if text == "delivered-to":
        return _wrong("Delivered-To: records the envelope *recipient*. Which one records the "
                      "sender? " + where)
    if text in ("sender", "reply-to", "received"):
        return _wrong(f"{text.title()}: is not it. " + where)
    return _wrong(where)


# ---------------------------------------------------------------------------
# 03 - DNS and MX
# ---------------------------------------------------------------------------

#: The MX records of the exercise in notebook 03 (``(preference, host)``).
MX_EXERCISE: dict[str, list[tuple[int, str]]] = {
    "example.net": [(20, "mx-b.example.net"), (5, "mx-c.example.net"),
                    (10, "mx-a.example.net"), (50, "backup.example.org")],
}


def check_first_mx(answer: Any) -> bool:
    """Notebook 03: for the records in :data:`MX_EXERCISE`, which host does a sending
    MTA try first?"""
    where = ("the rule at the top of 03-dns-and-mx ('lower preference ...'), or ask "
             "mail_route() with a Zone holding these records.")
    if answer is None:
        return _unanswered(where)
    host = _host(answer)
    if host is None:
        return _wrong("Give a host name as a string, e.g. \"mx-b.example.net\". " + where)
    hosts = {h: p for p, h in MX_EXERCISE["example.net"]}
    if host == "mx-c.example.net":
        return _right("mx-c.example.net: preference 5 is the lowest number, so the most "
                      "preferred. Order in the DNS answer does not matter.")
    if host not in hosts:
        return _wrong(f"{host!r} is not one of the MX hosts listed. " + where)
    if hosts[host] == max(hosts.values()):
        return _wrong("That is the host with the highest number: in MX records a higher "
                      "number means *less* preferred (a backup). " + where)
    return _wrong("Is the first record listed the first one tried? Look at the numbers, "
                  "not the order. " + where)


def check_null_mx_code(answer: Any) -> bool:
    """Notebook 03: the reply code a sending MTA reports when the recipient's domain
    publishes a null MX (``MX 0 .``). The enhanced code is accepted as well."""
    where = ("the null-MX cell of 03: print route.code (or route.status) of mail_route() "
             "for the domain with 'MX 0 .', and look the code up with explain().")
    if answer is None:
        return _unanswered(where)
    text = _word(answer)
    if text is not None and text.replace(" ", "") in ("5.1.10", "556/5.1.10", "5565.1.10"):
        return _right("5.1.10 goes with reply 556: 'this domain does not accept mail'. "
                      "The MTA bounces at once, without trying anything.")
    code = _as_int(answer)
    if code is None:
        return _wrong("Give a three-digit reply code. " + where)
    if code == 556:
        return _right("556 (RFC 7505, enhanced code 5.1.10): the domain accepts no mail, so "
                      "the sender bounces at once and never opens a connection.")
    if 400 <= code < 500:
        return _wrong("A 4xx would make the sender try again for days. Is a null MX a "
                      "temporary state? " + where)
    if code == 550:
        return _wrong("550 is the general 'mailbox unavailable'; a null MX has a more "
                      "precise code of its own. " + where)
    return _wrong(where)


# ---------------------------------------------------------------------------
# 04 - relaying and gateways
# ---------------------------------------------------------------------------

#: The message header of the exercise in notebook 04 (a message that crossed a
#: submission server, an outbound relay, the recipient's MX and a filter host).
EXERCISE_RECEIVED: bytes = (
    b"Return-Path: <carol@example.org>\r\n"
    b"Delivered-To: dave@example.net\r\n"
    b"Received: from filter.example.net (filter.example.net [192.0.2.31])\r\n"
    b"\tby store.example.net (smtpsim) with ESMTP id 4C1D2\r\n"
    b"\tfor <dave@example.net>; Sat, 28 Nov 2026 09:00:02 +0000\r\n"
    b"Received: from out.relay.example (out.relay.example [198.51.100.40])\r\n"
    b"\tby mx.example.net (smtpsim) with ESMTP id 9A0B1\r\n"
    b"\tfor <dave@example.net>; Sat, 28 Nov 2026 09:00:01 +0000\r\n"
    b"Received: from smtp.example.org (smtp.example.org [198.51.100.5])\r\n"
    b"\tby out.relay.example (smtpsim) with ESMTP id 77E31\r\n"
    b"\tfor <dave@example.net>; Sat, 28 Nov 2026 09:00:00 +0000\r\n"
    b"Received: from carol-pc (carol-pc [203.0.113.9])\r\n"
    b"\tby smtp.example.org (smtpsim) with ESMTPA id 1F2E3\r\n"
    b"\tfor <dave@example.net>; Sat, 28 Nov 2026 08:59:59 +0000\r\n"
    b"From: Carol <carol@example.org>\r\n"
    b"To: dave@example.net\r\n"
    b"Subject: minutes of the meeting\r\n"
    b"Date: Sat, 28 Nov 2026 08:59:58 +0000\r\n"
    b"Message-ID: <minutes.1@example.org>\r\n"
    b"\r\n"
    b"See attached.\r\n"
)
_HOPS = 4
_FIRST_SERVER = "smtp.example.org"


def check_hop_count(answer: Any) -> bool:
    """Notebook 04: how many servers accepted :data:`EXERCISE_RECEIVED` (how many
    ``Received:`` hops)?"""
    where = ("print the header of course.EXERCISE_RECEIVED (or draw it with "
             "viz.received_chain): every server that accepts a message writes one line.")
    if answer is None:
        return _unanswered(where)
    n = _as_int(answer)
    if n is None:
        return _wrong("The answer is a whole number. " + where)
    if n == _HOPS:
        return _right("Four Received lines, four servers that each answered 250 and took "
                      "responsibility for the message.")
    if n == _HOPS - 1:
        return _wrong("Close. Did you count hops *between* servers? The question counts the "
                      "servers that accepted the message: one Received line each. " + where)
    if n == _HOPS + 1:
        return _wrong("Return-Path and Delivered-To are added at delivery, not by a relay "
                      "hop, and the sender's own machine writes no Received line. " + where)
    return _wrong(where)


def check_first_hop(answer: Any) -> bool:
    """Notebook 04: in :data:`EXERCISE_RECEIVED`, which server accepted the message
    first (the host after ``by`` in the oldest Received line)?"""
    where = ("each server adds its Received line at the *top*; so where in the header is "
             "the oldest line? Read its 'by' clause.")
    if answer is None:
        return _unanswered(where)
    host = _host(answer)
    if host is None:
        return _wrong("Give a host name as a string. " + where)
    if host == _FIRST_SERVER:
        return _right("smtp.example.org, Carol's submission server (with ESMTPA: she "
                      "logged in). Received lines are read bottom-up.")
    if host == "store.example.net":
        return _wrong("That is the server that accepted it *last*: its line is on top. "
                      + where)
    if host == "carol-pc":
        return _wrong("carol-pc is the client in the 'from' clause: it sent the message but "
                      "wrote no Received line itself. Which server received it? " + where)
    return _wrong(where)


# ---------------------------------------------------------------------------
# 05 - store and forward under faults
# ---------------------------------------------------------------------------

#: The retry question of notebook 05: queued at ``arrived``, attempt failed at ``now``.
RETRY_EXERCISE: dict[str, float] = {"arrived": 100.0, "failed_at": 1300.0}
_NEXT_RETRY = 2700.0


def check_next_retry(answer: Any) -> bool:
    """Notebook 05: a message entered an MTA's queue at t = 100 s and its attempt at
    t = 1300 s was answered ``450``. With the default :class:`RetryPolicy`, at what
    simulated time is the next attempt?"""
    where = ("the RetryPolicy cell of 05: the wait is the time already spent in the queue "
             "(between the minimal and maximal backoff), and then the message waits for the "
             "next queue scan (a multiple of queue_run_delay). RetryPolicy().next_attempt() "
             "does the sum.")
    if answer is None:
        return _unanswered(where)
    t = _as_number(answer)
    if t is None:
        return _wrong("Give a time in simulated seconds, e.g. 1500. " + where)
    if abs(t - _NEXT_RETRY) < 0.5:
        return _right("t = 2700 s: it had been queued 1200 s, so it waits 1200 s more "
                      "(until 2500), then the next 300-second queue scan picks it up.")
    if abs(t - 2500.0) < 0.5:
        return _wrong("You have the backoff right; now the message waits for the queue "
                      "manager's next scan. " + where)
    if abs(t - 1600.0) < 0.5 or abs(t - 1500.0) < 0.5:
        return _wrong("300 s is only the *minimum* backoff; a message that has waited "
                      "longer backs off longer. " + where)
    if t < RETRY_EXERCISE["failed_at"]:
        return _wrong("The next attempt is after the failed one. " + where)
    return _wrong(where)


def check_bounce_sender(answer: Any) -> bool:
    """Notebook 05: what envelope sender (``MAIL FROM``) does a bounce (DSN) carry?
    ``"<>"`` and ``""`` are both accepted."""
    where = ("the bounce cell of 05: print the Injected event of the DSN (its .sender), or "
             "the 'MAIL FROM' line of the session that carried the bounce.")
    if answer is None:
        return _unanswered(where)
    text = _word(answer)
    if text is None:
        return _wrong("Give the MAIL FROM address as a string. " + where)
    if text.replace(" ", "") in ("<>", "", "null", "nullsender", "thenullsender",
                                 "null sender", "null-sender", "mailfrom:<>"):
        return _right("The null sender <>: a bounce that cannot be delivered is dropped, "
                      "never bounced again, so bounces cannot loop.")
    if "mailer-daemon" in text or "postmaster" in text:
        return _wrong("That name appears in the bounce's *From: header*. The question is "
                      "about the envelope. " + where)
    if "@" in text:
        return _wrong("A bounce is sent from no address at all, so that it cannot bounce "
                      "back in turn. How is 'no address' written in SMTP? " + where)
    return _wrong(where)


# ---------------------------------------------------------------------------
# 06 - reply codes
# ---------------------------------------------------------------------------

#: The codes to classify in notebook 06.
CLASSIFY_CODES: tuple[int, ...] = (221, 354, 421, 452, 535, 550)

_CLASS_WORDS: dict[str, int] = {}
for _digit, _words in {
    2: ("2", "2xx", "success", "ok", "done", "positive completion", "completion", "positive"),
    3: ("3", "3xx", "intermediate", "more", "continue", "go on", "send more",
        "positive intermediate"),
    4: ("4", "4xx", "transient", "temporary", "retry", "try again", "try later",
        "transient failure", "temporary failure", "transient negative", "defer"),
    5: ("5", "5xx", "permanent", "permanent failure", "fail", "failure", "bounce", "never",
        "permanent negative", "fatal"),
}.items():
    for _w in _words:
        _CLASS_WORDS[_w] = _digit


def _reply_class(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 2 <= value <= 5 else (value // 100 if 200 <= value <= 599 else None)
    text = _word(value)
    return _CLASS_WORDS.get(text) if text is not None else None


def check_classify_codes(answer: Any) -> bool:
    """Notebook 06: classify each code of :data:`CLASSIFY_CODES`.

    The answer maps each code to its class: ``"success"``, ``"intermediate"``,
    ``"transient"`` or ``"permanent"`` (or the digits 2, 3, 4, 5).
    """
    where = ("the first digit of a reply code carries its class; the table built from "
             "EXPLANATIONS in 06 shows each class in its own colour.")
    if answer is None:
        return _unanswered(where)
    if not isinstance(answer, Mapping):
        return _wrong("Give a dict such as {221: \"success\", 354: \"...\", ...} with all "
                      f"{len(CLASSIFY_CODES)} codes. " + where)
    given: dict[int, Any] = {}
    for key, value in answer.items():
        code = _as_int(key)
        if code is not None:
            given[code] = value
    missing = [c for c in CLASSIFY_CODES if c not in given]
    if missing:
        return _wrong(f"Classify every code; missing: {', '.join(map(str, missing))}.")
    unread = [c for c in CLASSIFY_CODES if _reply_class(given[c]) is None]
    if unread:
        return _wrong(f"I cannot read the class you gave {unread[0]} ({given[unread[0]]!r}); "
                      "use success, intermediate, transient or permanent.")
    wrong = [c for c in CLASSIFY_CODES if _reply_class(given[c]) != c // 100]
    if not wrong:
        return _right("All right. The first digit is all a client program needs: 2 done, "
                      "3 send more, 4 keep it queued and retry, 5 give up and bounce.")
    return _wrong(f"{len(wrong)} of {len(CLASSIFY_CODES)} not right yet, e.g. {wrong[0]}. "
                  + where)


def check_client_action(answer: Any) -> bool:
    """Notebook 06: an MTA relaying a message gets ``452 4.2.2 Mailbox full`` for one
    recipient. Does it ``"retry"`` later or ``"bounce"`` the message now?"""
    where = ("run explain(452, '4.2.2') in 06 and look at the first digit; the "
             "'what a client does' cell shows both cases.")
    if answer is None:
        return _unanswered(where)
    text = _word(answer)
    if text is None:
        return _wrong('Answer "retry" or "bounce". ' + where)
    if text in ("retry", "retry later", "try again", "try again later", "queue", "defer",
                "keep it queued", "keep queued", "wait", "requeue", "later"):
        return _right("Retry: 4xx is a transient failure. The message stays in the queue "
                      "and is tried again on the retry schedule; it bounces only if the "
                      "queue lifetime (5 days) runs out.")
    if text in ("bounce", "bounce now", "give up", "fail", "reject", "drop", "dsn"):
        return _wrong("Bouncing is what a 5xx asks for. Is 452 a 5xx? " + where)
    return _wrong('Answer "retry" or "bounce". ' + where)


# ---------------------------------------------------------------------------
# 07 - talk SMTP yourself
# ---------------------------------------------------------------------------


def check_out_of_sequence_reply(answer: Any) -> bool:
    """Notebook 07: the reply code a server gives to ``RCPT TO`` sent before any
    ``MAIL FROM``."""
    where = ("try it: in the Console (or with console.send / session.send_line in 07), "
             "say EHLO, then RCPT TO:<alice@example.com> straight away, and read the reply.")
    if answer is None:
        return _unanswered(where)
    code = _as_int(answer)
    if code is None or not 200 <= code <= 599:
        return _wrong("A reply code is a three-digit number. " + where)
    if code == 503:
        return _right("503 Bad sequence of commands: the command is fine, the moment is "
                      "not. A transaction needs MAIL FROM first.")
    if code in (500, 501, 502):
        return _wrong(f"{code} is about a command the server cannot parse or does not know; "
                      "RCPT TO is a perfectly good command, just at the wrong time. "
                      + where)
    if code // 100 == 2:
        return _wrong("The server does not accept a recipient for a transaction that has "
                      "not begun. " + where)
    return _wrong(where)


#: Every check function, by name (for the tests and for a teacher's overview).
CHECKS: dict[str, Callable[[Any], bool]] = {
    name: obj for name, obj in globals().items() if name.startswith("check_")
}
