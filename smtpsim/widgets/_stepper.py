"""The Stepper: watch one message travel, one trace event at a time.

Theory of operation
-------------------
The model is a :class:`~smtpsim.trace.Cursor` over the *steps*: the trace events that
pass the kind and node filters. Widgets only move the cursor (Play, Prev/Next, the
slider, the event list); the cursor tells every pane to redraw. Each pane is a pure
function of ``(events, position)`` (see :mod:`._moment` and :mod:`._html`), so going
back is the same as going forward and needs no undo logic.

The topology picture is SVG markup (:func:`smtpsim.viz.topology_svg`),
a pure function of the moment like every other pane: the network at its own shape
(an explicit ``viewBox``, ``width: 100%; height: auto``), real text for every name,
the active link and the message's place highlighted and the line on the wire
travelling along the link. It is redrawn at every step (well under a millisecond),
so there is no picture cache to go stale.

The layout is made for a projector: the control row and the panes wrap (CSS flex
with minimum widths) instead of squeezing, so at 1024 px with JupyterLab's file
browser open the panes stack and every button keeps its label;
``presentation=True`` makes text and picture larger for the back of the room.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import ipywidgets as w

from ..packets import Packet, packet_at, packets
from ..trace import Cursor, Deferred, DialogLine, Relayed, Trace, TraceEvent, transcript
from ..trace.queries import followed_message, message_position, network_of, session_at
from ..viz import Travelling, topology_svg
from . import _html
from ._moment import CATEGORIES, category, describe, focus_at, involves

__all__ = ["Stepper", "events_of", "picture_at"]

#: Play speeds: label -> milliseconds per step.
SPEEDS = {"0.5×": 1600, "1×": 800, "2×": 400, "4×": 200, "8×": 100}


def events_of(source: Any) -> list[TraceEvent]:
    """The events of a :class:`~smtpsim.trace.Trace`, a network (its ``.trace``) or a list."""
    trace = getattr(source, "trace", source)
    if isinstance(trace, Trace):
        return list(trace)
    if isinstance(trace, Iterable):
        return list(trace)
    raise TypeError(f"Stepper needs a Trace, a Network or a list of events, not {source!r}")


class Stepper:
    """Step through a trace: transcript, topology, envelope, headers and queues move together.

    Args:
        trace_or_network: a finished :class:`~smtpsim.trace.Trace`, a network that has
            run (its ``.trace`` is used) or a list of events.
        msg: the trace id of the message to follow (default: the first one written).
        presentation: start with larger text and picture (for a projector); the
            "presentation" toggle in the widget switches it too.
        packets: start with the layers pane open (the packet of each step, layer by
            layer); the "packets" toggle switches it too.

    ``Stepper(...)`` as the last line of a cell shows the widget; :meth:`step` and
    :attr:`index` drive it from code. Without a widget frontend it shows as text.
    """

    def __init__(self, trace_or_network: Any, *, msg: str | None = None,
                 presentation: bool = False, packets: bool = False) -> None:
        self._build()
        self._present.value = presentation
        self._show_layers.value = packets
        self.load(trace_or_network, msg=msg)

    # ----------------------------------------------------------------- the model
    def load(self, trace_or_network: Any, *, msg: str | None = None) -> None:
        """Show another trace (e.g. after a rerun) and go back to the first step."""
        self.events: list[TraceEvent] = events_of(trace_or_network)
        self._packets: list[Packet] | None = None  # made when the layers pane first shows
        self.msg = msg or followed_message(self.events)
        net = network_of(self.events)
        nodes = [n for n, _, _ in net.nodes] if net else sorted({e.node for e in self.events})
        self._node.options = [("all nodes", ""), *((n, n) for n in nodes)]
        self._node.value = ""
        self._positions: list[int] = []
        self.cursor = Cursor([])
        self.cursor.on_change(self._on_cursor)
        self._refilter(keep=None)

    @property
    def steps(self) -> Sequence[TraceEvent]:
        """The events stepped over (after the filters)."""
        return self.cursor.steps

    @property
    def index(self) -> int:
        """The current step number (0-based, among the filtered steps)."""
        return self.cursor.index

    @index.setter
    def index(self, i: int) -> None:
        self.cursor.index = i

    @property
    def position(self) -> int:
        """Where the current step is in the whole trace (``events[position]``)."""
        return self._positions[self.cursor.index] if self._positions else 0

    @property
    def current(self) -> TraceEvent | None:
        """The event at the cursor."""
        return self.cursor.current

    def step(self, n: int = 1) -> int:
        """Move ``n`` steps (back if negative); returns the new index."""
        self.cursor.index = self.cursor.index + n
        return self.cursor.index

    def _passes(self, e: TraceEvent) -> bool:
        kind = category(e)
        if kind is None or not self._kinds[kind].value:
            return False
        return not self._node.value or involves(e, self._node.value)

    def _refilter(self, keep: int | None) -> None:
        self._positions = [i for i, e in enumerate(self.events) if self._passes(e)]
        self.cursor.steps = [self.events[i] for i in self._positions]
        target = 0
        if keep is not None:
            target = max((k for k, p in enumerate(self._positions) if p <= keep), default=0)
        n = max(1, len(self._positions))
        self._slider.max = self._play.max = n - 1
        self._list.options = [(f"{k + 1:4d} {describe(e)}", k)
                              for k, e in enumerate(self.cursor.steps)]
        before = self.cursor.index
        self.cursor.index = target
        if self.cursor.index == before:  # the cursor only reports changes; redraw anyway
            self._on_cursor(before)

    # ----------------------------------------------------------------- widgets
    @property
    def presentation(self) -> bool:
        """True when text and picture are drawn large (for a projector)."""
        return bool(self._present.value)

    @presentation.setter
    def presentation(self, on: bool) -> None:
        self._present.value = on

    def _build(self) -> None:
        def button(desc: str, icon: str, cls: str, tip: str) -> w.Button:
            b = w.Button(description=desc, icon=icon, tooltip=tip,
                         layout=w.Layout(width="auto", min_width="84px", flex="0 0 auto"))
            b.add_class(cls)
            return b

        # The Play widget animates in the browser (jslinked to the slider, so it keeps
        # stepping while the kernel is busy); it is hidden, and labelled buttons drive it.
        self._play = w.Play(interval=SPEEDS["1×"], step=1, show_repeat=False,
                            layout=w.Layout(display="none"))
        self._play.add_class("smtpsim-stepper-player")
        self._start = button("Play", "play", "smtpsim-stepper-play", "step automatically")
        self._stop = button("Stop", "stop", "smtpsim-stepper-stop", "stop at this step")
        self._speed = w.Dropdown(description="speed", options=SPEEDS, value=SPEEDS["1×"],
                                 style={"description_width": "auto"},
                                 layout=w.Layout(width="auto", flex="0 0 auto"))
        self._speed.add_class("smtpsim-stepper-speed")
        self._prev = button("Prev", "step-backward", "smtpsim-stepper-prev", "one step back")
        self._next = button("Next", "step-forward", "smtpsim-stepper-next", "one step on")
        self._slider = w.IntSlider(min=0, max=0, readout=False, description="step",
                                   style={"description_width": "auto"},
                                   layout=w.Layout(flex="1 1 220px", min_width="180px"))
        self._slider.add_class("smtpsim-stepper-slider")
        self._present = w.ToggleButton(value=False, description="presentation",
                                       icon="desktop", tooltip="larger text and picture",
                                       layout=w.Layout(width="auto", flex="0 0 auto"))
        self._present.add_class("smtpsim-stepper-presentation")
        self._show_layers = w.ToggleButton(value=False, description="packets",
                                           icon="bars",
                                           tooltip="the packet of this step, layer by layer",
                                           layout=w.Layout(width="auto", flex="0 0 auto"))
        self._show_layers.add_class("smtpsim-stepper-layers-toggle")
        self._status = w.HTML(layout=w.Layout(width="100%"))
        self._status.add_class("smtpsim-stepper-status")
        w.jslink((self._play, "value"), (self._slider, "value"))
        self._speed.observe(lambda ch: setattr(self._play, "interval", ch["new"]), "value")
        self._start.on_click(lambda _: self.play())
        self._stop.on_click(lambda _: self.stop())
        self._prev.on_click(lambda _: self.step(-1))
        self._next.on_click(lambda _: self.step(1))
        self._slider.observe(lambda ch: setattr(self.cursor, "index", ch["new"]), "value")
        self._present.observe(self._on_presentation, "value")
        self._show_layers.observe(self._on_layers, "value")

        self._kinds = {k: w.ToggleButton(value=True, description=label, icon="check",
                                         layout=w.Layout(width="auto", flex="0 0 auto"))
                       for k, label in CATEGORIES.items()}
        for k, b in self._kinds.items():
            b.add_class(f"smtpsim-stepper-filter-{k}")
            b.observe(self._on_filter, "value")
        self._node = w.Dropdown(description="node", options=[("all nodes", "")], value="",
                                style={"description_width": "auto"},
                                layout=w.Layout(width="auto", max_width="100%",
                                                flex="0 1 auto"))
        self._node.add_class("smtpsim-stepper-node")
        self._node.observe(self._on_filter, "value")
        self._list = w.Select(options=[], rows=6,
                              layout=w.Layout(width="100%", margin="6px 0 4px 0"))
        self._list.add_class("smtpsim-stepper-events")
        self._list.observe(self._on_list, "value")

        self._picture = w.HTML(layout=w.Layout(width="100%"))
        self._picture.add_class("smtpsim-stepper-topology")
        self._transcript = w.HTML(layout=w.Layout(width="100%"))
        self._transcript.add_class("smtpsim-stepper-transcript")
        self._envelope = w.HTML(layout=w.Layout(width="100%"))
        self._envelope.add_class("smtpsim-stepper-envelope")
        self._headers = w.HTML(layout=w.Layout(width="100%"))
        self._headers.add_class("smtpsim-stepper-headers")
        self._queues = w.HTML(layout=w.Layout(width="100%"))
        self._queues.add_class("smtpsim-stepper-queues")
        self._layers = w.HTML(layout=w.Layout(width="100%"))
        self._layers.add_class("smtpsim-stepper-layers")

        def pane(children: list[w.Widget], flex: str, cls: str) -> w.VBox:
            # flex-basis is the width below which panes wrap to the next row (stack);
            # min_width 0 lets a stacked pane shrink with the notebook, never overflow.
            box = w.VBox(children, layout=w.Layout(
                flex=flex, min_width="0", border="1px solid #ccc", padding="6px",
                margin="4px", overflow="hidden"))
            box.add_class("smtpsim-stepper-pane")
            box.add_class(cls)
            return box

        wrap = {"flex_flow": "row wrap", "align_items": "center", "width": "100%"}
        controls = w.HBox([self._play, self._start, self._stop, self._speed, self._prev,
                           self._next, self._slider, self._show_layers, self._present],
                          layout=w.Layout(**wrap))
        controls.add_class("smtpsim-stepper-controls")
        filters = w.HBox([w.HTML("<b>show:</b>"), *self._kinds.values(), self._node],
                         layout=w.Layout(**wrap))
        filters.add_class("smtpsim-stepper-filters")
        top = w.HBox([pane([self._picture], "3 1 460px", "smtpsim-stepper-picture-pane"),
                      pane([self._transcript], "2 1 340px", "smtpsim-stepper-dialog-pane")],
                     layout=w.Layout(flex_flow="row wrap", align_items="stretch",
                                     width="100%"))
        self._layers_pane = pane([self._layers], "1 1 320px", "smtpsim-stepper-layers-pane")
        self._layers_pane.layout.display = "none"  # until "packets" is pressed
        bottom = w.HBox([pane([self._envelope, self._queues], "1 1 320px",
                              "smtpsim-stepper-envelope-pane"),
                         pane([self._headers], "1 1 380px", "smtpsim-stepper-headers-pane"),
                         self._layers_pane],
                        layout=w.Layout(flex_flow="row wrap", align_items="stretch",
                                        width="100%"))
        self.widget = w.VBox([w.HTML(_html.CSS), controls, self._status, filters, self._list,
                              top, bottom], layout=w.Layout(width="100%"))
        self.widget.add_class("smtpsim-stepper")

    def play(self) -> None:
        """Step automatically at the chosen speed (from the start if at the end)."""
        if self.cursor.steps and self.index >= len(self.cursor.steps) - 1:
            self.index = 0
        self._play.playing = True

    def stop(self) -> None:
        """Stop playing and stay at the current step."""
        self._play.playing = False

    def _on_presentation(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.widget.add_class("smtpsim-presentation")
        else:
            self.widget.remove_class("smtpsim-presentation")
        if hasattr(self, "events"):
            self._render()

    def _on_layers(self, change: dict[str, Any]) -> None:
        self._layers_pane.layout.display = "flex" if change["new"] else "none"
        if hasattr(self, "events"):
            self._render()

    @property
    def packet(self) -> Packet | None:
        """The packet that carries the current step (see :mod:`smtpsim.packets`)."""
        if self._packets is None:
            self._packets = packets(self.events)
        return packet_at(self._packets, self.events, self.position)

    def _on_filter(self, _change: dict[str, Any]) -> None:
        for b in self._kinds.values():
            b.icon = "check" if b.value else ""
        self._refilter(keep=self.position)

    def _on_list(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            self.cursor.index = change["new"]

    def _on_cursor(self, index: int) -> None:
        self._slider.value = index
        if self.cursor.steps:
            self._list.value = index
        self._render()

    # ----------------------------------------------------------------- panes
    def _render(self) -> None:
        events, p = self.events, self.position
        total = len(self._positions)
        session = session_at(events, p)
        now = events[p] if events else None
        t = f"t = {now.t:.3f} s" if now else ""
        self._status.value = (f'<span class="smtpsim-status"><b>step {self.index + 1} of '
                              f"{total}</b> &nbsp; {t} &nbsp; following "
                              f"<b>{escape(self.msg or '-')}</b></span>")
        self._transcript.value = _html.transcript_html(events, p, session)
        self._envelope.value = _html.envelope_html(events, p, session)
        self._headers.value = _html.headers_html(events, p, self.msg)
        self._queues.value = _html.queues_html(events, p, self.msg)
        self._picture.value = self.topology_svg(p)
        if self._show_layers.value:
            self._layers.value = _html.layers_html(self.packet)

    def topology_svg(self, position: int | None = None) -> str:
        """The topology picture at ``position`` in the trace (default: now), as SVG
        markup wrapped in a sideways-scrolling box; empty without a network."""
        p = self.position if position is None else position
        svg = picture_at(self.events, p, self.msg, presentation=self.presentation)
        return f'<div class="smtpsim-picture">{svg}</div>' if svg else ""

    # ----------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = self._text()
        data["text/html"] = self._repr_html_()
        return data

    def _text(self) -> str:
        p = self.position
        now = self.events[p] if self.events else None
        head = f"Stepper: step {self.index + 1} of {len(self._positions)}"
        head += f": {describe(now).strip()}" if now else ""
        return head + "\n" + transcript(self.events[: p + 1])

    def _repr_html_(self) -> str:
        p, events = self.position, self.events
        session = session_at(events, p)
        now = events[p] if events else None
        head = escape(describe(now).strip()) if now else ""
        return (f'{_html.CSS}<div class="smtpsim-stepper-static"><p><b>Stepper, step '
                f"{self.index + 1} of {len(self._positions)}</b>: {head}</p>"
                f"{_html.transcript_html(events, p, session, window=10_000)}"
                f"{_html.layers_html(self.packet) if self._show_layers.value else ''}"
                f"{_html.queues_html(events, p, self.msg)}</div>")

    def __repr__(self) -> str:
        return (f"<Stepper {len(self._positions)} steps, at {self.index}, "
                f"following {self.msg}>")


def picture_at(events: Sequence[TraceEvent], index: int, msg: str | None, *,
               presentation: bool = False) -> str:
    """The SVG topology at ``events[index]``: the nodes and link :func:`focus_at` lights,
    the message's envelope badge where it is stored, the line on the wire travelling
    along its link (client lines as an envelope, server replies as their code) and a
    ✗ beside a link a delivery attempt failed on. Empty without a network."""
    net = network_of(events)
    if net is None or not 0 <= index < len(events):
        return ""
    known = {n for n, _, _ in net.nodes}
    nodes, link = focus_at(events, index)
    e = events[index]
    travelling = failed = None
    if isinstance(e, DialogLine) and {e.node, e.peer} <= known:
        travelling = Travelling(e.peer, e.node) if e.dir == "C" else \
            Travelling(e.node, e.peer, reply=e.line[:3])
    elif isinstance(e, Relayed) and {e.node, e.to} <= known:
        travelling = Travelling(e.node, e.to)
    elif isinstance(e, Deferred) and {e.node, e.to} <= known:
        failed = (e.node, e.to)
    return topology_svg(events, highlight_nodes=nodes, highlight_link=link,
                        position=message_position(events, index, msg),
                        travelling=travelling, failed=failed, presentation=presentation)
