"""The exceptions smtpsim raises, and what each one means.

There are two kinds of "wrong" in smtpsim, and they are kept apart on purpose:

* A *peer* that breaks the SMTP rules (an out-of-order command, a line that is too
  long) is normal life on the Internet. SMTP answers it with a reply code (500, 501,
  503 ...) and carries on, so the protocol engine reports it as an ordinary event
  carrying the right reply, never as an exception.
* *You*, the caller, misusing the API (sending a reply when none is owed, asking a
  client to send ``DATA`` before ``MAIL``) is a bug in the calling code. That raises
  :class:`LocalProtocolError`, which names the problem.

Failures inside the simulated world (a host that is down, an unknown domain) are not
exceptions either: they are trace events with consequences (retries, bounces).
"""

from __future__ import annotations

__all__ = [
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "SMTPSimError",
    "ScenarioError",
]


class SMTPSimError(Exception):
    """Base class of every exception smtpsim raises on purpose."""


class ProtocolError(SMTPSimError):
    """Something broke the SMTP rules. Abstract: raise a subclass.

    Attributes:
        reply_hint: the SMTP reply a server would send in answer, as
            ``(code, enhanced, text)``, for example ``(503, "5.5.1", "Bad sequence of commands")``.
    """

    def __init__(self, msg: str, reply_hint: tuple[int, str | None, str] | None = None) -> None:
        if type(self) is ProtocolError:
            raise TypeError("tried to directly instantiate ProtocolError; use a subclass")
        super().__init__(msg)
        self.reply_hint = reply_hint


class LocalProtocolError(ProtocolError):
    """The calling code asked this side to do something SMTP does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that cannot be understood as SMTP at all."""


class ScenarioError(SMTPSimError, ValueError):
    """A scenario (dict or TOML file) is invalid.

    Attributes:
        field: the dotted path of the offending field, e.g. ``"nodes[2].kind"``.
        problem: what is wrong with it, in plain words.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
