"""The Console: type SMTP at a simulated server, as with telnet, and see what each reply means.

Theory of operation
-------------------
A :class:`~smtpsim.sim.ConsoleSession` does the talking: each typed line goes to the
server node's own protocol engine and policy and is written to the network's trace.
The widget only keeps the rows it shows (``C:`` typed lines, ``S:`` replies) and
renders them, each reply followed by its plain-English meaning in grey. Once the
server has accepted a message (the 250 after the lone dot), "Open in Stepper" runs the
simulation so the message travels on, and a :class:`Stepper` following it appears below.

Enter sends the line: the text box has ``continuous_update=False``, so the browser
sends its value only on Enter (or when it loses focus); the widget sends that value
and empties the box. ipywidgets 8 deprecated ``Text.on_submit``, so it is not used.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w

from ..sim import ConsoleSession, Network
from . import _html
from ._stepper import Stepper

__all__ = ["Console"]


def _network_and_host(source: Any, host: str | None) -> tuple[Network, str | None]:
    if isinstance(source, Network):
        return source, host
    if isinstance(source, (str, dict)):
        from ..scenarios import load

        source = load(source)
    if hasattr(source, "build"):
        return source.build(), host or source.entry
    raise TypeError(f"Console needs a Network, a Scenario or a scenario name, not {source!r}")


class Console:
    """A telnet-like SMTP console in the notebook.

    Args:
        network_or_scenario: a built :class:`~smtpsim.sim.Network`, a scenario, or the
            name of a library scenario (it is built, not run).
        host: the server to talk to (default: the scenario's entry, else the first MTA).

    :meth:`send` types a line from code and returns the reply lines.
    """

    def __init__(self, network_or_scenario: Any, host: str | None = None) -> None:
        self.network, host = _network_and_host(network_or_scenario, host)
        self.session = ConsoleSession(self.network, host)
        self.host = self.session.node.name
        self.rows: list[tuple[str, str]] = [("S", line) for line in self.session.greeting]
        self.stepper: Stepper | None = None
        self._build()
        self._render()

    # ----------------------------------------------------------------- actions
    def send(self, line: str) -> list[str]:
        """Send ``line`` to the server (as if typed, then Enter); returns the reply lines."""
        if self.session.closed:
            return []
        self.rows.append(("C", line))
        replies = self.session.send_line(line)
        self.rows.extend(("S", r) for r in replies)
        self._render()
        return replies

    def open_stepper(self) -> Stepper | None:
        """Run the network so the accepted message travels, and show a Stepper following it."""
        if not self.session.accepted:
            return None
        self.session.deliver()
        self.stepper = Stepper(self.network.trace, msg=self.session.accepted[-1])
        self._below.children = [self.stepper.widget]
        return self.stepper

    # ----------------------------------------------------------------- widgets
    def _build(self) -> None:
        self._output = w.HTML(layout=w.Layout(width="100%", max_height="420px",
                                              overflow="auto"))
        self._output.add_class("smtpsim-console-output")
        self._input = w.Text(continuous_update=False, placeholder=(
            "type a command, e.g. HELO me, and press Enter"),
            layout=w.Layout(flex="1 1 auto"))
        self._input.add_class("smtpsim-console-input")
        self._input.observe(self._on_enter, "value")
        self._send = w.Button(description="Send", icon="paper-plane",
                              layout=w.Layout(width="90px"))
        self._send.add_class("smtpsim-console-send")
        self._send.on_click(lambda _: self._submit(self._input.value))
        self._blank = w.Button(description="blank line", tooltip=(
            "send an empty line (between the headers and the body in DATA)"),
            layout=w.Layout(width="110px"))
        self._blank.add_class("smtpsim-console-blank")
        self._blank.on_click(lambda _: self.send(""))
        self._open = w.Button(description="Open in Stepper", icon="play", disabled=True,
                              button_style="info", layout=w.Layout(width="170px"))
        self._open.add_class("smtpsim-console-open")
        self._open.on_click(lambda _: self.open_stepper())
        self._below = w.VBox([])
        self._below.add_class("smtpsim-console-stepper")
        entry = w.HBox([w.HTML('<span class="smtpsim-wire"><b>C:</b></span>'), self._input,
                        self._send, self._blank, self._open],
                       layout=w.Layout(align_items="center"))
        frame = w.Box([self._output], layout=w.Layout(
            border="1px solid #bbb", padding="4px 8px", width="100%"))
        self.widget = w.VBox([w.HTML(_html.CSS), frame, entry, self._below],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("smtpsim-console")

    def _on_enter(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._submit(change["new"])

    def _submit(self, line: str) -> None:
        if not line:
            return
        self._input.value = ""
        self.send(line)

    def _render(self) -> None:
        self._output.value = self._repr_html_(css=False)
        closed = self.session.closed
        self._input.disabled = self._send.disabled = self._blank.disabled = closed
        self._open.disabled = not self.session.accepted
        if self.session.accepted:
            self._open.description = f"Open {self.session.accepted[-1]} in Stepper"

    # ----------------------------------------------------------------- display
    def _repr_html_(self, css: bool = True) -> str:
        state = self.session.state.value if hasattr(self.session.state, "value") else ""
        title = f"telnet {self.host} {self.session.node.port}  (state: {state})"
        return (_html.CSS if css else "") + _html.dialog_html(self.rows, title=title)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = "\n".join(f"{d}: {line}" for d, line in self.rows)
        data["text/html"] = self._repr_html_()
        return data

    def __repr__(self) -> str:
        return f"<Console to {escape(self.host)}, {len(self.rows)} lines>"
