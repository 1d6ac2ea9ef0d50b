"""Small value checkers for scenario validation.

Each checker takes ``(value, path)`` and returns the value in its normal form, or
raises :class:`~smtpsim.errors.ScenarioError` naming ``path`` (for example
``nodes[2].rate_limit``), so that an error in a 200-line TOML file points at the one
field to fix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from typing import Any, NoReturn

from ..errors import ScenarioError

__all__ = [
    "Check",
    "address",
    "addresses",
    "boolean",
    "fail",
    "hostname",
    "integer",
    "ip_address",
    "list_of",
    "number",
    "string",
    "table",
    "table_of",
    "text",
    "timestamp",
    "type_name",
]

#: A checker: ``check(value, path) -> normalised value``.
Check = Callable[[Any, str], Any]

_HOST = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_])?")
_ADDRESS = re.compile(r"[^\s@<>,;()\"]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


def fail(path: str, problem: str) -> NoReturn:
    """Raise the :class:`ScenarioError` for ``path``."""
    raise ScenarioError(path, problem)


def type_name(value: Any) -> str:
    """The TOML-ish name of ``value``'s type, for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        fail(path, f"must be a string, not {type_name(value)}")
    return value


def text(value: Any, path: str) -> str:
    """A non-empty string."""
    out = string(value, path)
    if not out.strip():
        fail(path, "must not be empty")
    return out


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, f"must be true or false, not {type_name(value)}")
    return value


def integer(minimum: int | None = None, maximum: int | None = None,
            what: str = "must be an integer") -> Check:
    """An int (a bool is not one) within ``[minimum, maximum]``."""
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(path, f"{what}, not {type_name(value)}")
        if minimum is not None and value < minimum:
            fail(path, f"must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            fail(path, f"must be at most {maximum}, not {value}")
        return value
    return check


def number(minimum: float | None = None, *, positive: bool = False) -> Check:
    """A number of seconds (int or float); ``positive`` means strictly above 0."""
    def check(value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(path, f"must be a number, not {type_name(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            fail(path, "must be a finite number")
        if positive and value <= 0:
            fail(path, f"must be greater than 0, not {value}")
        if minimum is not None and value < minimum:
            fail(path, f"must be at least {minimum}, not {value}")
        return float(value)
    return check


def hostname(value: Any, path: str) -> str:
    """A host or domain name (case kept; DNS compares without case)."""
    out = string(value, path)
    if not _HOST.fullmatch(out):
        fail(path, f"{out!r} is not a host or domain name")
    return out


def address(value: Any, path: str) -> str:
    """An email address of the form ``local-part@domain``."""
    out = string(value, path)
    if not _ADDRESS.fullmatch(out):
        fail(path, f"{out!r} is not an email address (local-part@domain)")
    return out


def addresses(value: Any, path: str) -> list[str]:
    """One address or a list of them (``to = "a@x"`` is ``to = ["a@x"]``)."""
    if isinstance(value, str):
        return [address(value, path)]
    return [address(v, f"{path}[{i}]") for i, v in enumerate(_sequence(value, path))]


def ip_address(value: Any, path: str) -> str:
    out = string(value, path)
    try:
        ipaddress.ip_address(out)
    except ValueError:
        fail(path, f"{out!r} is not an IP address")
    return out


def _sequence(value: Any, path: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        fail(path, f"must be a list, not {type_name(value)}")
    return value


def list_of(item: Check) -> Check:
    def check(value: Any, path: str) -> list[Any]:
        return [item(v, f"{path}[{i}]") for i, v in enumerate(_sequence(value, path))]
    return check


def table(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(path, f"must be a table, not {type_name(value)}")
    for key in value:
        if not isinstance(key, str):
            fail(path, f"keys must be strings, not {type_name(key)}")
    return value


def table_of(key: Check, item: Check) -> Check:
    """A table whose keys pass ``key`` and values pass ``item`` (path ``path.key``)."""
    def check(value: Any, path: str) -> dict[str, Any]:
        value = table(value, path)
        return {key(k, f"{path}.{k}"): item(v, f"{path}.{k}") for k, v in value.items()}
    return check


def timestamp(value: Any, path: str) -> datetime:
    """An ISO 8601 date and time (a TOML datetime works too); naive means UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            fail(path, f"{value!r} is not an ISO 8601 date such as 2026-11-28T09:00:00Z")
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        fail(path, f"must be an ISO 8601 date, not {type_name(value)}")
    moment: datetime = value
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment
