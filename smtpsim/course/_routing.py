"""The exercises on the envelope, the headers and the route a message takes: notebooks
02, 03 and 04 (with the fixed data they ask about)."""

from __future__ import annotations

from typing import Any

from ._verdict import (
    _as_int,
    _Exercise,
    _header_name,
    _host,
    _one_of,
    _reply_class_is,
    _right,
    _word,
)

# ---------------------------------------------------------------------------
# 02 - envelope and headers
# ---------------------------------------------------------------------------

_RCPT_COUNT = _Exercise(
    where=("the Bcc example in 02-envelope-and-headers: count the RCPT TO lines in the "
           "transcript, and compare them with the header lines of the message."),
    read=_as_int,
    unreadable="The answer is a whole number.",
    right=_one_of(5),
    praise=("Five: one RCPT TO per recipient, To, Cc and Bcc alike. The envelope "
            "is what servers deliver by; the Bcc addresses are simply never "
            "written into the headers."),
    hints=(
        (_one_of(3), "Three counts only the visible (To and Cc) recipients. Do Bcc "
                     "recipients get the message? Then how does their server learn their "
                     "address?"),
        (_one_of(1), "One RCPT TO can name only one mailbox."),
    ),
)


def check_rcpt_count(answer: Any) -> bool:
    """Notebook 02: a message with 2 addresses in To, 1 in Cc and 2 in Bcc (all
    different): how many ``RCPT TO`` commands does the sender's mail program send?"""
    return _RCPT_COUNT(answer)


_ENVELOPE_HEADER = _Exercise(
    where=("print the top of a delivered message from a mailbox in 02: the MDA adds "
           "two header lines at the very top; one of them holds the MAIL FROM address."),
    read=_header_name,
    unreadable="Give a header name as a string, e.g. \"Subject\".",
    right=_one_of("return-path"),
    praise=("Return-Path: the envelope sender, written by the last hop. Bounces go "
            "there, not to the From: header, which the sender can write freely."),
    hints=(
        (_one_of("from"), "From: is written by the sender's mail program, not by a server, "
                          "and can say anything (you saw it spoofed)."),
        (_one_of("delivered-to"), "Delivered-To: records the envelope *recipient*. Which one "
                                  "records the sender?"),
        (_one_of("sender"), "Sender: is not it."),
        (_one_of("reply-to"), "Reply-To: is not it."),
        (_one_of("received"), "Received: is not it."),
    ),
)


def check_envelope_header(answer: Any) -> bool:
    """Notebook 02: which header does the final delivery agent (MDA) add to record the
    envelope sender (``MAIL FROM``)?"""
    return _ENVELOPE_HEADER(answer)


# ---------------------------------------------------------------------------
# 03 - DNS and MX
# ---------------------------------------------------------------------------

#: The MX records of the exercise in notebook 03 (``(preference, host)``).
MX_EXERCISE: dict[str, list[tuple[int, str]]] = {
    "example.net": [(20, "mx-b.example.net"), (5, "mx-c.example.net"),
                    (10, "mx-a.example.net"), (50, "backup.example.org")],
}
_MX_PREFERENCES = {host: pref for pref, host in MX_EXERCISE["example.net"]}

_FIRST_MX = _Exercise(
    where=("the rule at the top of 03-dns-and-mx ('lower preference ...'), or ask "
           "mail_route() with a Zone holding these records."),
    read=_host,
    unreadable="Give a host name as a string, e.g. \"mx-b.example.net\".",
    right=_one_of("mx-c.example.net"),
    praise=("mx-c.example.net: preference 5 is the lowest number, so the most "
            "preferred. Order in the DNS answer does not matter."),
    hints=(
        (lambda host: host not in _MX_PREFERENCES,
         "{answer!r} is not one of the MX hosts listed."),
        (lambda host: _MX_PREFERENCES[host] == max(_MX_PREFERENCES.values()),
         "That is the host with the highest number: in MX records a higher "
         "number means *less* preferred (a backup)."),
    ),
    otherwise=("Is the first record listed the first one tried? Look at the numbers, "
               "not the order."),
)


def check_first_mx(answer: Any) -> bool:
    """Notebook 03: for the records in :data:`MX_EXERCISE`, which host does a sending
    MTA try first?"""
    return _FIRST_MX(answer)


_NULL_MX_CODE = _Exercise(
    where=("the null-MX cell of 03: print route.code (or route.status) of mail_route() "
           "for the domain with 'MX 0 .', and look the code up with explain()."),
    read=_as_int,
    unreadable="Give a three-digit reply code.",
    right=_one_of(556),
    praise=("556 (RFC 7505, enhanced code 5.1.10): the domain accepts no mail, so "
            "the sender bounces at once and never opens a connection."),
    hints=(
        (_reply_class_is(4), "A 4xx would make the sender try again for days. Is a null MX "
                             "a temporary state?"),
        (_one_of(550), "550 is the general 'mailbox unavailable'; a null MX has a more "
                       "precise code of its own."),
    ),
)


def check_null_mx_code(answer: Any) -> bool:
    """Notebook 03: the reply code a sending MTA reports when the recipient's domain
    publishes a null MX (``MX 0 .``). The enhanced code is accepted as well."""
    text = _word(answer)  # the enhanced code is right too, and gets its own confirmation
    if text is not None and text.replace(" ", "") in ("5.1.10", "556/5.1.10", "5565.1.10"):
        return _right("5.1.10 goes with reply 556: 'this domain does not accept mail'. "
                      "The MTA bounces at once, without trying anything.")
    return _NULL_MX_CODE(answer)


# ---------------------------------------------------------------------------
# 04 - relaying and gateways
# ---------------------------------------------------------------------------

#: The message header of the exercise in notebook 04 (a message that crossed a
#: submission server, an outbound relay, the recipient's MX and a filter host).
EXERCISE_RECEIVED: bytes = (
    b"Return-Path: <carol@example.org>\r\n"
    b"Delivered-To: dave@example.net\r\n"
    b"Received: from mx.example.net (mx.example.net [192.0.2.30])\r\n"
    b"\tby filter.example.net (smtpsim) with ESMTP id 4C1D2\r\n"
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

_HOP_COUNT = _Exercise(
    where=("print the header of course.EXERCISE_RECEIVED (or draw it with "
           "viz.received_chain): every server that accepts a message writes one line."),
    read=_as_int,
    unreadable="The answer is a whole number.",
    right=_one_of(_HOPS),
    praise=("Four Received lines, four servers that each answered 250 and took "
            "responsibility for the message."),
    hints=(
        (_one_of(_HOPS - 1), "Close. Did you count hops *between* servers? The question "
                             "counts the servers that accepted the message: one Received "
                             "line each."),
        (_one_of(_HOPS + 1), "Return-Path and Delivered-To are added at delivery, not by a "
                             "relay hop, and the sender's own machine writes no Received "
                             "line."),
    ),
)


def check_hop_count(answer: Any) -> bool:
    """Notebook 04: how many servers accepted :data:`EXERCISE_RECEIVED` (how many
    ``Received:`` hops)?"""
    return _HOP_COUNT(answer)


_FIRST_HOP = _Exercise(
    where=("each server adds its Received line at the *top*; so where in the header is "
           "the oldest line? Read its 'by' clause."),
    read=_host,
    unreadable="Give a host name as a string.",
    right=_one_of(_FIRST_SERVER),
    praise=("smtp.example.org, Carol's submission server (with ESMTPA: she "
            "logged in). Received lines are read bottom-up."),
    hints=(
        (_one_of("filter.example.net"), "That is the server that accepted it *last*: its "
                                        "line is on top."),
        (_one_of("carol-pc"), "carol-pc is the client in the 'from' clause: it sent the "
                              "message but wrote no Received line itself. Which server "
                              "received it?"),
    ),
)


def check_first_hop(answer: Any) -> bool:
    """Notebook 04: in :data:`EXERCISE_RECEIVED`, which server accepted the message
    first (the host after ``by`` in the oldest Received line)?"""
    return _FIRST_HOP(answer)
