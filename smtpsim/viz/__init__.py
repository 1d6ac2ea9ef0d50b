"""Pictures of a trace: topology, message path, SMTP sequence diagram, queue timeline,
Received chain and the SMTP state machine, as :class:`matplotlib.figure.Figure` objects.

Every function here *reads* a :class:`~smtpsim.trace.Trace` (or, for the Received
chain, a message's headers) and draws it; none re-runs the simulation. Figures are
built on :class:`matplotlib.figure.Figure` directly, never through ``pyplot``, so
nothing leaks between calls and they render headless (Agg). They are deterministic:
the same trace always gives the same image, byte for byte.

=====================  =====================================================
:func:`topology`       the network: nodes by kind, domains, ports and protocols
:func:`layout`         the node positions it uses (for widgets)
:func:`network_graph`  the network as a networkx graph (for your own analysis)
:func:`message_path`   one message's numbered hops, waits, failures, bounces
:func:`sequence_diagram`  one SMTP, POP3 or IMAP session, line by line
:func:`queue_timeline` how long every message waited in every queue
:func:`received_chain` the path read back from the Received headers
:func:`topology_svg`   the network as SVG markup, for the Stepper (no matplotlib)
:func:`state_diagram`  the SMTP state machine, from ``protocol.TRANSITIONS``
=====================  =====================================================

``import smtpsim`` never loads this package. Here, :mod:`~smtpsim.viz.palette` and
:mod:`~smtpsim.viz.text` (plain-text twins of the figures) load without matplotlib;
the figure functions import it on first use and say how to install it if missing.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import palette, text

__all__ = [
    "Travelling",
    "layout",
    "message_path",
    "network_graph",
    "palette",
    "queue_timeline",
    "received_chain",
    "received_table",
    "sequence_diagram",
    "state_diagram",
    "state_edges",
    "text",
    "topology",
    "topology_svg",
]

#: Public name -> the private module that defines it (loaded on first access).
_LAZY = {
    "layout": "_topology",
    "network_graph": "_topology",
    "topology": "_topology",
    "topology_svg": "_topology_svg",
    "Travelling": "_topology_svg",
    "message_path": "_path",
    "sequence_diagram": "_sequence",
    "queue_timeline": "_queues",
    "received_chain": "_received",
    "received_table": "_received",
    "state_diagram": "_states",
    "state_edges": "_states",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'smtpsim.viz' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] == "matplotlib":
            raise ImportError(
                f"smtpsim.viz.{name} draws with matplotlib: pip install 'smtpsim[lab]'"
            ) from exc
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
