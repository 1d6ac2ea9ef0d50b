"""Simulated time for people: pick a unit from the span, format durations."""

from __future__ import annotations

__all__ = ["fmt_duration", "fmt_time", "time_unit"]


def time_unit(span: float) -> tuple[float, str]:
    """``(seconds per unit, unit name)`` that keeps an axis of ``span`` seconds readable.

    >>> time_unit(42.0), time_unit(900.0), time_unit(4 * 3600.0)
    ((1.0, 's'), (60.0, 'min'), (3600.0, 'h'))
    """
    if span < 180:
        return 1.0, "s"
    if span < 3 * 3600:
        return 60.0, "min"
    if span < 3 * 86400:
        return 3600.0, "h"
    return 86400.0, "days"


def fmt_duration(seconds: float) -> str:
    """A duration as a teacher would say it: ``0.25 s``, ``4 min 10 s``, ``2 h 05 min``.

    >>> fmt_duration(0.25), fmt_duration(250), fmt_duration(7500)
    ('0.25 s', '4 min 10 s', '2 h 05 min')
    """
    if seconds < 0:
        return "-" + fmt_duration(-seconds)
    if seconds < 10:
        return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s" if seconds else "0 s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        m, s = divmod(round(seconds), 60)
        return f"{m} min {s} s" if s else f"{m} min"
    h, rest = divmod(round(seconds), 3600)
    return f"{h} h {rest // 60:02d} min"


def fmt_time(t: float) -> str:
    """A point in simulated time, ``t=`` plus a duration since the start."""
    return f"t={fmt_duration(t)}"
