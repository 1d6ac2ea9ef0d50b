"""The SMTP state machine, as data.

Theory of operation
-------------------
SMTP is lock-step: the client sends a command, the server answers with a reply, and
the *reply* decides where the dialog goes next. ``MAIL FROM`` answered ``250`` opens
a transaction; answered ``550`` it leaves everything as it was. So each transition
is keyed by ``(state, what happened, reply class)`` where the reply class is the
first digit of the reply code (2, 3, 4 or 5).

Rules this file keeps (as h11 does for HTTP):

* Everything that moves the state machine lives in :data:`TRANSITIONS`, here. The
  client engine and the server engine both run on it, and the state diagram students
  see (``smtpsim.viz``) is drawn from it, so the picture cannot drift from the code.
* A key that is not in the table for a 4xx or 5xx reply leaves the state unchanged:
  a refused command changes nothing (RFC 5321 §4.1.4). A ``421`` from any state
  closes the connection.
* A command is *in sequence* in a state exactly when the table has an entry for it
  there with a 2xx or 3xx reply. Anything else earns ``503 Bad sequence of commands``.
* Which reply may answer which command lives in :data:`REPLY_RULES` (and the 3xx
  replies that exist in :data:`INTERMEDIATE_REPLIES`), next to the transitions: the
  server engine will not send anything else, and the client engine hangs up on a
  server that does. A 2xx or 3xx that the rules allow is exactly what
  :data:`TRANSITIONS` has an entry for, somewhere (a test holds them to it).
"""

from __future__ import annotations

import enum

__all__ = [
    "AUTH_DATA",
    "CREDENTIALS",
    "END_OF_DATA",
    "GREETING",
    "INTERMEDIATE_REPLIES",
    "REPLY_RULES",
    "TRANSITIONS",
    "State",
    "in_sequence",
    "next_state",
    "reply_allowed",
    "reply_error",
    "sequence_hint",
]


class State(enum.Enum):
    """Where an SMTP dialog stands, as the server sees it."""

    #: The TCP connection is open; the server has not greeted yet.
    CONNECTED = "CONNECTED"
    #: The server said 220; it waits for HELO or EHLO.
    GREETED = "GREETED"
    #: The server greeted with 554: it will take no mail, only QUIT.
    NO_SERVICE = "NO_SERVICE"
    #: Hello done, no mail transaction under way.
    READY = "READY"
    #: In the middle of an AUTH exchange (334 challenges).
    AUTH = "AUTH"
    #: MAIL FROM accepted: the transaction has a sender.
    MAIL = "MAIL"
    #: At least one RCPT TO accepted: the transaction has recipients.
    RCPT = "RCPT"
    #: DATA answered 354: the message content is being sent.
    DATA = "DATA"
    #: QUIT answered 221 (or 421, or the connection dropped).
    CLOSED = "CLOSED"


S = State

#: The events that move the machine besides commands (those are keyed by their verb).
GREETING = "greeting"
END_OF_DATA = "end of data"
AUTH_DATA = "auth data"

#: ``(state, event, reply class) -> new state``. ``event`` is a command verb
#: ("MAIL"), or one of "greeting", "end of data", "auth data".
TRANSITIONS: dict[tuple[State, str, int], State] = {
    # RFC 5321 §3.1: the server speaks first. 554 means "no service here".
    (S.CONNECTED, GREETING, 2): S.GREETED,
    (S.CONNECTED, GREETING, 5): S.NO_SERVICE,
    # §4.1.4: EHLO/HELO may come again at any time and resets any transaction.
    **{(st, verb, 2): S.READY
       for st in (S.GREETED, S.READY, S.MAIL, S.RCPT) for verb in ("EHLO", "HELO")},
    # RFC 4954: AUTH only after EHLO, only outside a transaction.
    (S.READY, "AUTH", 2): S.READY,
    (S.READY, "AUTH", 3): S.AUTH,
    (S.AUTH, AUTH_DATA, 3): S.AUTH,
    (S.AUTH, AUTH_DATA, 2): S.READY,
    (S.AUTH, AUTH_DATA, 4): S.READY,
    (S.AUTH, AUTH_DATA, 5): S.READY,
    # §3.3: the mail transaction: MAIL, one or more RCPT, DATA.
    (S.READY, "MAIL", 2): S.MAIL,
    (S.MAIL, "RCPT", 2): S.RCPT,
    (S.RCPT, "RCPT", 2): S.RCPT,
    (S.RCPT, "DATA", 3): S.DATA,
    # Whatever the server answers to the content, the transaction is over.
    (S.DATA, END_OF_DATA, 2): S.READY,
    (S.DATA, END_OF_DATA, 4): S.READY,
    (S.DATA, END_OF_DATA, 5): S.READY,
    # §4.1.1.5: RSET abandons the transaction.
    (S.GREETED, "RSET", 2): S.GREETED,
    **{(st, "RSET", 2): S.READY for st in (S.READY, S.MAIL, S.RCPT)},
    # NOOP, VRFY and HELP change nothing, wherever they come.
    **{(st, verb, 2): st
       for st in (S.GREETED, S.READY, S.MAIL, S.RCPT) for verb in ("NOOP", "VRFY", "HELP")},
    # §4.1.1.10: QUIT ends the session from anywhere outside DATA.
    **{(st, "QUIT", 2): S.CLOSED
       for st in (S.GREETED, S.NO_SERVICE, S.READY, S.MAIL, S.RCPT)},
}


def next_state(state: State, event: str, code: int) -> State:
    """The state after ``event`` in ``state`` was answered with reply ``code``."""
    if code == 421:
        return State.CLOSED
    return TRANSITIONS.get((state, event, code // 100), state)


#: ``(state, event)`` pairs that :data:`TRANSITIONS` lets succeed (a 2xx or 3xx reply).
_IN_SEQUENCE = frozenset((state, event) for state, event, kind in TRANSITIONS if kind in (2, 3))


def in_sequence(state: State, event: str) -> bool:
    """True when ``event`` (a verb) may be sent in ``state`` and could succeed."""
    return (state, event) in _IN_SEQUENCE


#: What a 503 reply says, per verb: the teaching hint for a command out of order.
_HINTS = {
    "MAIL": {S.GREETED: "send HELO or EHLO first", S.MAIL: "nested MAIL command",
             S.RCPT: "nested MAIL command", S.NO_SERVICE: "no service; send QUIT"},
    "RCPT": {S.GREETED: "send HELO or EHLO first", S.READY: "need MAIL before RCPT"},
    "DATA": {S.GREETED: "send HELO or EHLO first", S.READY: "need MAIL before DATA",
             S.MAIL: "need RCPT before DATA (no valid recipients)"},
    "AUTH": {S.GREETED: "send EHLO first", S.MAIL: "AUTH not allowed during a mail transaction",
             S.RCPT: "AUTH not allowed during a mail transaction"},
}


#: The answer to complete credentials (RFC 4954 §4: 235 or 535, never another
#: challenge). :data:`TRANSITIONS` moves it under the step that carried it ("AUTH" with
#: an initial response, or "auth data"); only the question "which reply may answer?"
#: tells it apart.
CREDENTIALS = "credentials"

#: Which reply classes may answer each event (a command verb, or "greeting", "end of
#: data", "auth data", "credentials"). Both engines read it: the server refuses to send
#: anything else (a bug in the caller), the client hangs up on a server that does.
#:
#: * a refusal (4xx, 5xx) may answer anything (RFC 5321 §4.2.5);
#: * a 2xx anything but DATA, which is answered "go ahead" (354) or refused;
#: * a 3xx only DATA and the steps of AUTH, with the one code of
#:   :data:`INTERMEDIATE_REPLIES`.
REPLY_RULES: dict[str, tuple[int, ...]] = {
    GREETING: (2, 4, 5),
    **dict.fromkeys(("EHLO", "HELO"), (2, 4, 5)),
    "AUTH": (2, 3, 4, 5),
    AUTH_DATA: (2, 3, 4, 5),
    CREDENTIALS: (2, 4, 5),
    "MAIL": (2, 4, 5),
    "RCPT": (2, 4, 5),
    "DATA": (3, 4, 5),
    END_OF_DATA: (2, 4, 5),
    **dict.fromkeys(("RSET", "NOOP", "VRFY", "HELP", "QUIT"), (2, 4, 5)),
}

#: The intermediate (3xx) replies that exist, by the event they answer: DATA's "start
#: mail input" (RFC 5321 §4.3.2) and AUTH's base64 challenge (RFC 4954 §4).
INTERMEDIATE_REPLIES: dict[str, int] = {"DATA": 354, "AUTH": 334, AUTH_DATA: 334}


def reply_error(event: str, code: int) -> str | None:
    """Why reply ``code`` may not answer ``event`` (see :data:`REPLY_RULES`); None
    when it may."""
    kind = code // 100
    classes = REPLY_RULES.get(event)
    if classes is None:
        return f"{event!r} is not something a reply answers"
    if kind not in classes:
        if kind == 3:
            return (f"a 3xx reply only answers DATA (354) or a step of AUTH (334), "
                    f"not {event}")
        if kind == 2 and event == "DATA":
            return "DATA is answered with 354 (or 4xx/5xx), not 2xx"
        return f"a {kind}xx reply cannot answer {event}"
    if kind == 3 and code != INTERMEDIATE_REPLIES[event]:
        return (f"{code} cannot answer {event}: {event}'s only 3xx is "
                f"{INTERMEDIATE_REPLIES[event]}")
    return None


def reply_allowed(event: str, code: int) -> bool:
    """True when reply ``code`` may answer ``event`` (see :data:`REPLY_RULES`)."""
    return reply_error(event, code) is None


def sequence_hint(state: State, verb: str) -> str:
    """A short explanation of why ``verb`` is out of sequence in ``state``."""
    return _HINTS.get(verb, {}).get(state, f"{verb} not allowed now")
