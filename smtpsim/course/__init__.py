"""Self-check exercises for the smtpsim course notebooks (``notebooks/``).

Every notebook ends with an exercise: the student writes an answer into a variable
and passes it to one of the ``check_*`` functions here. Each function prints
``✓ Right.`` and a short confirmation when the answer is right, or a hint that says *where
to look* (never the answer itself) when it is wrong or still ``None``, and returns
``True`` or ``False``. None of them raises, whatever it is given: a notebook stored
with ``answer = None`` must run top to bottom.

Answers are read forgivingly: ``354``, ``"354"`` and ``"354 "`` are the same reply
code; host names and command names are case-insensitive; a trailing dot on a host
name (``mx1.example.net.``) is fine.

Most exercises have one right answer and are declared as data (an ``_Exercise``, see
:mod:`smtpsim.course._verdict`): how to read the answer, which value is right, what to
say for the typical wrong answers, and where in the notebook to look. The three whose
answer is a list or a dict (notebooks 00, 01 and 06) keep a few lines of logic of their
own. The exercises live by theme: :mod:`~smtpsim.course._dialog` (notebooks 00, 01, 07),
:mod:`~smtpsim.course._routing` (02, 03, 04), :mod:`~smtpsim.course._replies` (05, 06)
and :mod:`~smtpsim.course._retrieval` (08, 09).

This package is plain standard library (no matplotlib, no widgets), so it imports
fast and can be tested alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._dialog import (
    check_command_order,
    check_out_of_sequence_reply,
    check_protocols,
    check_reply_after_data,
)
from ._replies import (
    CLASSIFY_CODES,
    RETRY_EXERCISE,
    check_bounce_sender,
    check_classify_codes,
    check_client_action,
    check_next_retry,
)
from ._retrieval import check_exists_after_pop3, check_refused_connections
from ._routing import (
    EXERCISE_RECEIVED,
    MX_EXERCISE,
    check_envelope_header,
    check_first_hop,
    check_first_mx,
    check_hop_count,
    check_null_mx_code,
    check_rcpt_count,
)

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
    "check_exists_after_pop3",
    "check_first_hop",
    "check_first_mx",
    "check_hop_count",
    "check_next_retry",
    "check_null_mx_code",
    "check_out_of_sequence_reply",
    "check_protocols",
    "check_rcpt_count",
    "check_refused_connections",
    "check_reply_after_data",
]

#: Every check function, by name (for the tests and for a teacher's overview).
CHECKS: dict[str, Callable[[Any], bool]] = {
    name: obj for name, obj in globals().items() if name.startswith("check_")
}
