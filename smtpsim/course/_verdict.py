"""How every check reads an answer and prints its verdict, and an exercise declared as data.

The verdict is one printed line (``✓ Right.``, ``✗ Not yet.``, ``? No answer yet``) and a
bool. The marks are plain text characters (U+2713, U+2717) that every code font has,
DejaVu Sans Mono included, and the words after them carry the verdict alone: emoji such
as a green tick need an emoji font that many lab machines (Debian's Chromium) lack,
and there they show as empty boxes.

The readers (:func:`_as_int`, :func:`_word`, :func:`_host` ...) turn what a student
typed into a value to compare, or ``None`` when they cannot make sense of it; they
never raise. :class:`_Exercise` puts the two together for an exercise with one right
answer, so that such an exercise is only data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

# ---------------------------------------------------------------------------
# Printing the verdict
# ---------------------------------------------------------------------------


#: The marks that start a verdict line: text characters, not emoji (see above).
RIGHT, WRONG, UNANSWERED = "✓ Right.", "✗ Not yet.", "? No answer yet:"


def _right(text: str) -> bool:
    print(f"{RIGHT} {text}")
    return True


def _wrong(text: str) -> bool:
    print(f"{WRONG} {text}")
    return False


def _unanswered(where: str) -> bool:
    print(f"{UNANSWERED} replace `None` at the top of this cell with your answer, "
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


def _reply_code(answer: Any) -> int | None:
    """A reply code: a whole number from 200 to 599 (see :func:`_as_int`), else None."""
    code = _as_int(answer)
    return code if code is not None and 200 <= code <= 599 else None


def _header_name(answer: Any) -> str | None:
    """A header name, lower-case, without its colon: ``" Return-Path: "`` -> ``return-path``."""
    text = _word(answer)
    return text.rstrip(":").strip() if text is not None else None


# ---------------------------------------------------------------------------
# An exercise as data
# ---------------------------------------------------------------------------

T = TypeVar("T")


def _one_of(*values: T) -> Callable[[T], bool]:
    """A test for :class:`_Exercise`: is the (read) answer one of ``values``?"""
    return lambda value: value in values


def _near(*targets: float) -> Callable[[float], bool]:
    """A test for times: is the answer within half a second of one of ``targets``?"""
    return lambda t: any(abs(t - target) < 0.5 for target in targets)


def _reply_class_is(digit: int) -> Callable[[int], bool]:
    """A test for reply codes: is the code in class ``digit`` (2 -> 2xx, 4 -> 4xx ...)?"""
    return lambda code: code // 100 == digit


@dataclass(frozen=True)
class _Exercise(Generic[T]):
    """An exercise with one right answer, declared as data; calling it checks an answer.

    Every answer goes through the same steps, and the first that applies decides:

    1. ``None`` (the notebook as stored): "No answer yet", and :attr:`where`;
    2. :attr:`read` cannot make sense of it (returns ``None``): :attr:`unreadable`;
    3. :attr:`right` accepts the value read: ``✓ Right.`` and :attr:`praise`;
    4. the first of :attr:`hints` whose test accepts it: that hint;
    5. any other answer: :attr:`otherwise`.

    Every wrong-answer message ends with :attr:`where`, so a student always learns
    where to look. Hints are :meth:`str.format` templates: they may name the value read
    from the student's answer as ``{answer}`` (or ``{answer!r}``), never the right one
    (and a literal brace is written twice).
    """

    #: Where in the notebook the answer can be found (a hint, not the answer).
    where: str
    #: Reads an answer forgivingly (``"354 "`` -> 354), or returns None if it cannot.
    read: Callable[[Any], T | None]
    #: What to say when :attr:`read` returns None (usually: the expected form).
    unreadable: str
    #: Is the value read right?
    right: Callable[[T], bool]
    #: The confirmation printed after ``✓ Right.``: why the answer is right.
    praise: str
    #: ``(test, hint)`` for the typical wrong answers, tried in order.
    hints: tuple[tuple[Callable[[T], bool], str], ...] = ()
    #: The hint for any other wrong answer ("" -> :attr:`where` alone).
    otherwise: str = ""

    def __call__(self, answer: Any) -> bool:
        if answer is None:
            return _unanswered(self.where)
        value = self.read(answer)
        if value is None:
            return self._wrong(self.unreadable, None)
        if self.right(value):
            return _right(self.praise)
        hint = next((text for test, text in self.hints if test(value)), self.otherwise)
        return self._wrong(hint, value)

    def _wrong(self, hint: str, value: T | None) -> bool:
        hint = hint.format(answer=value)
        return _wrong(f"{hint} {self.where}" if hint else self.where)
