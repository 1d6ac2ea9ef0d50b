"""smtpsim: watch email travel.

A faithful, deterministic simulation of email delivery for teaching: user agents,
submission servers, MTAs, gateways and MDAs exchanging real RFC 5321 SMTP dialogs,
found through DNS MX records, storing and forwarding through queues. Everything that
happens is written to one :class:`~smtpsim.trace.Trace`, which every view reads.

``import smtpsim`` stays light: matplotlib and ipywidgets load only when you use
:mod:`smtpsim.viz` or :mod:`smtpsim.widgets`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
