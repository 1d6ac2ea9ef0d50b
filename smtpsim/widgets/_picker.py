"""The ScenarioPicker: choose a ready scenario, break something, run it, and step through.

Theory of operation
-------------------
The faults are applied to a freshly *built* network before it runs, by the pure
function :func:`apply_faults`; the picker only reads its toggles, builds, applies,
runs and hands the new trace to its embedded :class:`Stepper`. Each Run starts from
the scenario again, so toggles never pile up.

What is on screen is always the run of the choices on screen, or it says it is not: as
soon as a choice differs from the last run's, a "stale — press Run" banner appears over
the panes (and goes again if the choice is put back). The node to take down is always
one of the scenario's servers (the first receiving MTA is chosen for you), so
"take down" can never silently do nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from ..sim import MTA, Network, SubmissionServer
from . import _html
from ._stepper import Stepper

__all__ = ["ScenarioPicker", "apply_faults"]

#: How long a node taken down by the picker stays down (simulated seconds).
DOWN_FOR = 1800.0


def apply_faults(network: Network, *, down: str | None = None,
                 greylisting: bool | None = None, greylist_at: str | None = None,
                 latency_factor: float = 1.0) -> Network:
    """Break a built (not yet run) network the way a teacher would, and return it.

    Args:
        network: a network from ``Scenario.build()``.
        down: a node (or link ``"a--b"``) to take down for the first 30 minutes.
        greylisting: turn greylisting on (True) or off (False); None leaves it.
        greylist_at: the MTA whose greylisting changes; by default every receiving
            MTA (not the submission servers, which never greylist their own users).
        latency_factor: multiply every link latency (and the default) by this.

    Raises:
        ValueError: an unknown node, or a latency factor that is not positive.
    """
    if latency_factor <= 0:
        raise ValueError("latency_factor must be positive")
    if down:
        network.take_down(down, 0.0, DOWN_FOR)
    if greylisting is not None:
        if greylist_at is not None:
            node = network.nodes.get(greylist_at)
            if not isinstance(node, MTA):
                raise ValueError(f"{greylist_at!r} is not an MTA of this network")
            targets = [node]
        else:
            targets = [n for n in network.nodes.values()
                       if isinstance(n, MTA) and not isinstance(n, SubmissionServer)]
        for node in targets:
            node.greylisting = greylisting
    if latency_factor != 1.0:
        for link in network.links.values():
            link.latency *= latency_factor
        network.default_latency *= latency_factor
    return network


class ScenarioPicker:
    """A dropdown of the ready scenarios, fault toggles and a Run button over a Stepper.

    Args:
        name: the scenario to start with (default: the first of the library).
        seed: the seed every run uses (same seed and toggles, same trace).
    """

    def __init__(self, name: str | None = None, *, seed: int | None = None) -> None:
        from ..scenarios import list_scenarios

        self.seed = seed
        self.choices = list_scenarios()
        self._ran: tuple[Any, ...] | None = None
        self._build(name or self.choices[0][0])
        self._on_scenario({"new": self._scenario.value})
        self.network = self.run()

    @property
    def stale(self) -> bool:
        """True when the choices on screen differ from those of the run shown below."""
        return self._ran != self._choices()

    def _choices(self) -> tuple[Any, ...]:
        return (self._scenario.value, self._down.value, self._down_node.value,
                self._grey.value, self._latency.value)

    # ----------------------------------------------------------------- actions
    def build(self) -> Network:
        """The selected scenario, built, with the toggled faults applied (not yet run)."""
        from ..scenarios import load

        net = load(self._scenario.value).build(seed=self.seed)
        if self._down.value and not self._down_node.value:
            raise ValueError("choose the node to take down first")
        return apply_faults(
            net,
            down=self._down_node.value if self._down.value else None,
            greylisting=self._grey.value,
            latency_factor=self._latency.value,
        )

    def run(self) -> Network:
        """Build, apply the faults, run to the end and refresh the Stepper."""
        from ..scenarios import load

        net = self.build()
        net.run(load(self._scenario.value).until)
        net.finish()
        self.network = net
        self._ran = self._choices()
        if getattr(self, "stepper", None) is None:
            self.stepper = Stepper(net.trace)
            self._below.children = [self.stepper.widget]
        else:
            self.stepper.load(net.trace)
        self._status.value = self._summary()
        self._show_staleness()
        return net

    # ----------------------------------------------------------------- widgets
    def _build(self, name: str) -> None:
        self._scenario = w.Dropdown(options=[(f"{n}: {t}", n) for n, t in self.choices],
                                    value=name, description="scenario",
                                    layout=w.Layout(width="640px"))
        self._scenario.add_class("smtpsim-picker-scenario")
        self._scenario.observe(self._on_scenario, "value")
        self._about = w.HTML()
        self._down = w.Checkbox(value=False, indent=False,
                                description=f"take down for {DOWN_FOR / 60:.0f} min:",
                                layout=w.Layout(width="auto"))
        self._down.add_class("smtpsim-picker-down")
        self._down_node = w.Dropdown(options=[], layout=w.Layout(width="260px"))
        self._down_node.add_class("smtpsim-picker-down-node")
        self._grey = w.ToggleButtons(options=[("greylisting as in the scenario", None),
                                              ("greylisting on", True),
                                              ("greylisting off", False)],
                                     value=None, style={"button_width": "auto"})
        self._grey.add_class("smtpsim-picker-greylisting")
        self._latency = w.FloatSlider(value=1.0, min=0.5, max=20.0, step=0.5,
                                      description="latency ×", readout_format=".1f")
        self._latency.add_class("smtpsim-picker-latency")
        self._run = w.Button(description="Run", icon="play", button_style="success")
        self._run.add_class("smtpsim-picker-run")
        self._run.on_click(lambda _: self.run())
        self._status = w.HTML()
        self._stale = w.HTML()
        self._stale.add_class("smtpsim-picker-stale")
        for control in (self._scenario, self._down, self._down_node, self._grey,
                        self._latency):
            control.observe(lambda _: self._show_staleness(), "value")
        self._below = w.VBox([])
        faults = w.HBox([self._down, self._down_node, self._grey, self._latency, self._run],
                        layout=w.Layout(align_items="center", flex_flow="row wrap"))
        self.widget = w.VBox([w.HTML(_html.CSS), self._scenario, self._about, faults,
                              self._stale, self._status, self._below],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("smtpsim-picker")

    def _on_scenario(self, change: dict[str, Any]) -> None:
        from ..scenarios import load

        scenario = load(change["new"])
        servers = {n: node for n, node in scenario.build().nodes.items()
                   if isinstance(node, MTA)}
        self._down_node.options = list(servers)
        # Pre-select a node, so that "take down" always means something: the first
        # receiving MTA (the submission server is where every message starts).
        receiving = [n for n, node in servers.items() if not isinstance(node, SubmissionServer)]
        self._down_node.value = (receiving or list(servers) or [None])[0]
        self._down.disabled = not servers
        self._about.value = (f'<div class="smtpsim-pane"><b>{escape(scenario.title)}</b><br>'
                             f"{escape(scenario.description)}</div>")

    def _show_staleness(self) -> None:
        """Say over the panes when they no longer show what the controls say."""
        if self._ran is None or not self.stale:
            self._stale.value = ""
            self._run.button_style = "success"
            return
        self._run.button_style = "warning"
        self._stale.value = (
            '<div class="smtpsim-pane" style="background:#fff3cd;border:1px solid #E69F00;'
            'border-radius:4px;padding:4px 8px"><b>stale — press Run</b>: the panes below '
            f"still show the last run ({escape(self._ran[0])}), not the choices above.</div>")

    def _summary(self) -> str:
        from ..trace import summarize

        rows = [f"{o.msg} → {o.recipient}: {o.outcome} after {o.seconds:.1f}s"
                + (f" ({o.detail})" if o.detail else "")
                for o in summarize(self.network.trace)]
        return ('<div class="smtpsim-wire smtpsim-note">' + escape("\n".join(rows))
                + "</div>") if rows else ""

    # ----------------------------------------------------------------- display
    def _repr_html_(self) -> str:
        names = "".join(f"<li><b>{escape(n)}</b>: {escape(t)}</li>" for n, t in self.choices)
        return (f"<div><p>Scenario picker, showing <b>{escape(self._scenario.value)}</b>. "
                f"Ready scenarios:</p><ul>{names}</ul></div>"
                + (self.stepper._repr_html_() if self.stepper else ""))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = "Scenario picker: " + ", ".join(n for n, _ in self.choices)
        data["text/html"] = self._repr_html_()
        return data
