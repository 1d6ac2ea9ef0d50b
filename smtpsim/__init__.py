"""smtpsim: watch email travel.

A faithful, deterministic simulation of email delivery for teaching: user agents,
submission servers, MTAs, gateways and MDAs exchanging real RFC 5321 SMTP dialogs,
found through DNS MX records, storing and forwarding through queues. Everything that
happens is written to one :class:`~smtpsim.trace.Trace`, which every view reads.

What a notebook needs is one step away::

    import smtpsim

    net = smtpsim.load("mx-failover").run()     # a ready scenario, built and run
    print(smtpsim.transcript(net.trace))        # every hop's dialog, S:/C:
    smtpsim.Stepper(net)                        # step through it (JupyterLab)
    smtpsim.explain(550)                        # what a reply code means

The layers below hold the rest, each named for what it teaches:
:mod:`smtpsim.protocol` (the SMTP engine), :mod:`smtpsim.message` (RFC 5322
messages), :mod:`smtpsim.trace` (the record of a run and the questions asked of it),
:mod:`smtpsim.sim` (the network), :mod:`smtpsim.scenarios`, :mod:`smtpsim.viz`
(figures), :mod:`smtpsim.widgets`, :mod:`smtpsim.bridge` (a real socket) and
:mod:`smtpsim.course` (the exercises' checks).

``import smtpsim`` stays light: every name here is imported when it is first used,
so matplotlib and ipywidgets load only for a figure or a widget.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the package that defines it (imported on first use).
_NAMES: dict[str, str] = {
    # Scenarios: the ready-made worlds of the course.
    "load": "smtpsim.scenarios",
    "list_scenarios": "smtpsim.scenarios",
    "Scenario": "smtpsim.scenarios",
    # The network and its agents, as a textbook names them.
    "Network": "smtpsim.sim",
    "UserAgent": "smtpsim.sim",
    "SubmissionServer": "smtpsim.sim",
    "MTA": "smtpsim.sim",
    "Gateway": "smtpsim.sim",
    "MDA": "smtpsim.sim",
    "Mailbox": "smtpsim.sim",
    "App": "smtpsim.sim",
    "Zone": "smtpsim.sim",
    "RetryPolicy": "smtpsim.sim",
    "ConsoleSession": "smtpsim.sim",
    # The protocol engine.
    "ServerConnection": "smtpsim.protocol",
    "ClientConnection": "smtpsim.protocol",
    "MailSender": "smtpsim.protocol",
    "Reply": "smtpsim.protocol",
    "State": "smtpsim.protocol",
    "TRANSITIONS": "smtpsim.protocol",
    "explain": "smtpsim.protocol",
    # The trace and what is asked of it.
    "Trace": "smtpsim.trace",
    "transcript": "smtpsim.trace",
    "summarize": "smtpsim.trace",
    "format_summary": "smtpsim.trace",
    "check_conservation": "smtpsim.trace",
    # Messages.
    "compose": "smtpsim.message",
    "parse_received_chain": "smtpsim.message",
    # Widgets (ipywidgets, matplotlib).
    "Stepper": "smtpsim.widgets",
    "Console": "smtpsim.widgets",
    "ScenarioPicker": "smtpsim.widgets",
}

#: The layers, importable as attributes (``smtpsim.viz.topology(...)``).
_PACKAGES = ("bridge", "course", "message", "protocol", "scenarios", "sim", "trace", "viz",
             "widgets")

__all__ = [
    "MDA",
    "MTA",
    "TRANSITIONS",
    "App",
    "ClientConnection",
    "Console",
    "ConsoleSession",
    "Gateway",
    "MailSender",
    "Mailbox",
    "Network",
    "Reply",
    "RetryPolicy",
    "Scenario",
    "ScenarioPicker",
    "ServerConnection",
    "State",
    "Stepper",
    "SubmissionServer",
    "Trace",
    "UserAgent",
    "Zone",
    "__version__",
    "bridge",
    "check_conservation",
    "compose",
    "course",
    "explain",
    "format_summary",
    "list_scenarios",
    "load",
    "message",
    "parse_received_chain",
    "protocol",
    "scenarios",
    "sim",
    "summarize",
    "trace",
    "transcript",
    "viz",
    "widgets",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from . import bridge, course, message, protocol, scenarios, sim, trace, viz, widgets
    from .message import compose, parse_received_chain
    from .protocol import (
        TRANSITIONS,
        ClientConnection,
        MailSender,
        Reply,
        ServerConnection,
        State,
        explain,
    )
    from .scenarios import Scenario, list_scenarios, load
    from .sim import (
        MDA,
        MTA,
        App,
        ConsoleSession,
        Gateway,
        Mailbox,
        Network,
        RetryPolicy,
        SubmissionServer,
        UserAgent,
        Zone,
    )
    from .trace import Trace, check_conservation, format_summary, summarize, transcript
    from .widgets import Console, ScenarioPicker, Stepper


def __getattr__(name: str) -> Any:
    """Import ``smtpsim.NAME`` on first use (PEP 562), then keep it."""
    if name in _PACKAGES:
        value: Any = importlib.import_module(f"smtpsim.{name}")
    elif name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    else:
        raise AttributeError(f"module 'smtpsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
