"""The exercises on what a reply means for the message: retries, bounces and reply
classes, notebooks 05 and 06 (with the fixed data they ask about)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._verdict import (
    _as_int,
    _as_number,
    _Exercise,
    _near,
    _one_of,
    _right,
    _unanswered,
    _word,
    _wrong,
)

# ---------------------------------------------------------------------------
# 05 - store and forward under faults
# ---------------------------------------------------------------------------

#: The retry question of notebook 05: queued at ``arrived``, attempt failed at ``now``.
RETRY_EXERCISE: dict[str, float] = {"arrived": 100.0, "failed_at": 1300.0}
_NEXT_RETRY = 2700.0

_NEXT_RETRY_EXERCISE = _Exercise(
    where=("the RetryPolicy cell of 05: the wait is the time already spent in the queue "
           "(between the minimal and maximal backoff), and then the message waits for the "
           "next queue scan (a multiple of queue_run_delay). RetryPolicy().next_attempt() "
           "does the sum."),
    read=_as_number,
    unreadable="Give a time in simulated seconds, e.g. 1500.",
    right=_near(_NEXT_RETRY),
    praise=("t = 2700 s: it had been queued 1200 s, so it waits 1200 s more "
            "(until 2500), then the next 300-second queue scan picks it up."),
    hints=(
        (_near(2500.0), "You have the backoff right; now the message waits for the queue "
                        "manager's next scan."),
        (_near(1600.0, 1500.0), "300 s is only the *minimum* backoff; a message that has "
                                "waited longer backs off longer."),
        (lambda t: t < RETRY_EXERCISE["failed_at"], "The next attempt is after the failed "
                                                    "one."),
    ),
)


def check_next_retry(answer: Any) -> bool:
    """Notebook 05: a message entered an MTA's queue at t = 100 s and its attempt at
    t = 1300 s was answered ``450``. With the default :class:`RetryPolicy`, at what
    simulated time is the next attempt?"""
    return _NEXT_RETRY_EXERCISE(answer)


_NULL_SENDER_WORDS = ("<>", "", "null", "nullsender", "thenullsender", "null-sender",
                      "mailfrom:<>")  # compared with the spaces taken out

_BOUNCE_SENDER = _Exercise(
    where=("the bounce cell of 05: print the Injected event of the DSN (its .sender), or "
           "the 'MAIL FROM' line of the session that carried the bounce."),
    read=_word,
    unreadable="Give the MAIL FROM address as a string.",
    right=lambda text: text.replace(" ", "") in _NULL_SENDER_WORDS,
    praise=("The null sender <>: a bounce that cannot be delivered is dropped, "
            "never bounced again, so bounces cannot loop."),
    hints=(
        (lambda text: "mailer-daemon" in text or "postmaster" in text,
         "That name appears in the bounce's *From: header*. The question is about the "
         "envelope."),
        (lambda text: "@" in text,
         "A bounce is sent from no address at all, so that it cannot bounce back in turn. "
         "How is 'no address' written in SMTP?"),
    ),
)


def check_bounce_sender(answer: Any) -> bool:
    """Notebook 05: what envelope sender (``MAIL FROM``) does a bounce (DSN) carry?
    ``"<>"`` and ``""`` are both accepted."""
    return _BOUNCE_SENDER(answer)


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
        return _right("The first digit is all a client program needs: 2 done, "
                      "3 send more, 4 keep it queued and retry, 5 give up and bounce.")
    return _wrong(f"{len(wrong)} of {len(CLASSIFY_CODES)} not right yet, e.g. {wrong[0]}. "
                  + where)


_CLIENT_ACTION = _Exercise(
    where=("run explain(452, '4.2.2') in 06 and look at the first digit; the "
           "'what a client does' cell shows both cases."),
    read=_word,
    unreadable='Answer "retry" or "bounce".',
    right=_one_of("retry", "retry later", "try again", "try again later", "queue", "defer",
                  "keep it queued", "keep queued", "wait", "requeue", "later"),
    praise=("Retry: 4xx is a transient failure. The message stays in the queue "
            "and is tried again on the retry schedule; it bounces only if the "
            "queue lifetime (5 days) runs out."),
    hints=(
        (_one_of("bounce", "bounce now", "give up", "fail", "reject", "drop", "dsn"),
         "Bouncing is what a 5xx asks for. Is 452 a 5xx?"),
    ),
    otherwise='Answer "retry" or "bounce".',
)


def check_client_action(answer: Any) -> bool:
    """Notebook 06: an MTA relaying a message gets ``452 4.2.2 Mailbox full`` for one
    recipient. Does it ``"retry"`` later or ``"bounce"`` the message now?"""
    return _CLIENT_ACTION(answer)
