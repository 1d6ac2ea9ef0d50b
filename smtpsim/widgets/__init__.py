"""Widgets for JupyterLab: watch email travel, talk SMTP yourself, break a scenario.

* :class:`Stepper` steps through a finished trace: transcript, topology, envelope,
  headers and queues move together, each a pure function of ``(trace, index)``.
* :class:`Console` is telnet in a notebook: type SMTP to a simulated server and see
  what each reply means; then open the accepted message in a Stepper. On a mailbox
  server (``protocol="POP3"``) the student picks the mail up again by hand.
* :class:`ScenarioPicker` runs a ready scenario with faults switched on
  (:func:`apply_faults`) and steps through the result.

This package imports ipywidgets (the topology is SVG; matplotlib is not needed), so it is
never imported by ``import smtpsim``. Each widget also has a text and HTML form, so a
terminal or an nbconvert export is not blank.
"""

from __future__ import annotations

try:
    import ipywidgets  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "smtpsim.widgets needs ipywidgets and matplotlib: pip install 'smtpsim[lab]'"
    ) from exc

from ._console import Console
from ._moment import focus_at
from ._picker import ScenarioPicker, apply_faults
from ._stepper import Stepper

__all__ = [
    "Console",
    "ScenarioPicker",
    "Stepper",
    "apply_faults",
    "focus_at",
]
