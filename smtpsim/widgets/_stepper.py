"""The Stepper: watch one message travel, one trace event at a time.

Theory of operation
-------------------
The model is a :class:`~smtpsim.trace.Cursor` over the *steps*: the trace events that
pass the kind and node filters. Widgets only move the cursor (Play, Prev/Next, the
slider, the event list); the cursor tells every pane to redraw. Each pane is a pure
function of ``(events, position)`` (see :mod:`._moment` and :mod:`._html`), so going
back is the same as going forward and needs no undo logic.

The topology picture is the slow part (a matplotlib figure rendered to PNG). A
:class:`~smtpsim.viz._topology.TopologyRenderer` draws the network once per trace and
then only redraws the rectangle the highlights touch (blitting), pixel for pixel the
same picture as :func:`~smtpsim.viz.topology`. The picture depends only on the
highlighted nodes, link and message position, so PNGs are also cached by that tuple:
stepping through a long DATA section costs no redraw at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import ipywidgets as w

from ..trace import Cursor, Trace, TraceEvent, transcript
from ..trace.queries import followed_message, message_position, network_of, session_at
from . import _html
from ._moment import CATEGORIES, category, describe, focus_at, involves

__all__ = ["Stepper", "events_of"]

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
        dpi: resolution of the topology picture.

    ``Stepper(...)`` as the last line of a cell shows the widget; :meth:`step` and
    :attr:`index` drive it from code. Without a widget frontend it shows as text.
    """

    def __init__(self, trace_or_network: Any, *, msg: str | None = None,
                 dpi: int = 64) -> None:
        self.dpi = dpi
        self._png: dict[tuple[Any, ...], bytes] = {}
        self._build()
        self.load(trace_or_network, msg=msg)

    # ----------------------------------------------------------------- the model
    def load(self, trace_or_network: Any, *, msg: str | None = None) -> None:
        """Show another trace (e.g. after a rerun) and go back to the first step."""
        self.events: list[TraceEvent] = events_of(trace_or_network)
        self.msg = msg or followed_message(self.events)
        self._png.clear()
        self._renderer: Any = None  # built on the first picture of this trace
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
    def _build(self) -> None:
        def button(desc: str, icon: str, cls: str) -> w.Button:
            b = w.Button(description=desc, icon=icon, layout=w.Layout(width="92px"))
            b.add_class(cls)
            return b

        self._play = w.Play(interval=SPEEDS["1×"], step=1, show_repeat=False)
        self._play.add_class("smtpsim-stepper-play")
        self._speed = w.Dropdown(options=SPEEDS, value=SPEEDS["1×"],
                                 layout=w.Layout(width="72px"))
        self._speed.add_class("smtpsim-stepper-speed")
        self._prev = button("Prev", "step-backward", "smtpsim-stepper-prev")
        self._next = button("Next", "step-forward", "smtpsim-stepper-next")
        self._slider = w.IntSlider(min=0, max=0, readout=False,
                                   layout=w.Layout(flex="1 1 auto", min_width="200px"))
        self._slider.add_class("smtpsim-stepper-slider")
        self._status = w.HTML(layout=w.Layout(min_width="340px"))
        self._status.add_class("smtpsim-stepper-status")
        w.jslink((self._play, "value"), (self._slider, "value"))
        self._speed.observe(lambda ch: setattr(self._play, "interval", ch["new"]), "value")
        self._prev.on_click(lambda _: self.step(-1))
        self._next.on_click(lambda _: self.step(1))
        self._slider.observe(lambda ch: setattr(self.cursor, "index", ch["new"]), "value")

        self._kinds = {k: w.ToggleButton(value=True, description=label, icon="check",
                                         layout=w.Layout(width="auto"))
                       for k, label in CATEGORIES.items()}
        for k, b in self._kinds.items():
            b.add_class(f"smtpsim-stepper-filter-{k}")
            b.observe(self._on_filter, "value")
        self._node = w.Dropdown(description="node", options=[("all nodes", "")], value="",
                                layout=w.Layout(width="320px"))
        self._node.add_class("smtpsim-stepper-node")
        self._node.observe(self._on_filter, "value")
        self._list = w.Select(options=[], rows=6,
                              layout=w.Layout(width="100%", margin="6px 0 4px 0"))
        self._list.add_class("smtpsim-stepper-events")
        self._list.observe(self._on_list, "value")

        self._image = w.Image(format="png", layout=w.Layout(width="100%", height="auto"))
        self._image.add_class("smtpsim-stepper-topology")
        self._transcript = w.HTML(layout=w.Layout(width="100%"))
        self._transcript.add_class("smtpsim-stepper-transcript")
        self._envelope = w.HTML()
        self._envelope.add_class("smtpsim-stepper-envelope")
        self._headers = w.HTML(layout=w.Layout(width="100%"))
        self._headers.add_class("smtpsim-stepper-headers")
        self._queues = w.HTML()
        self._queues.add_class("smtpsim-stepper-queues")

        box = w.Layout(border="1px solid #ccc", padding="6px", margin="4px")
        controls = w.HBox([self._play, self._speed, self._prev, self._next, self._slider,
                           self._status], layout=w.Layout(align_items="center"))
        filters = w.HBox([w.HTML("<b>show:</b>"), *self._kinds.values(), self._node],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))
        top = w.HBox([
            w.Box([self._image], layout=w.Layout(flex="3 1 0", **_pad(box))),
            w.Box([self._transcript], layout=w.Layout(flex="2 1 0", overflow="hidden",
                                                       **_pad(box))),
        ])
        bottom = w.HBox([
            w.VBox([self._envelope, self._queues], layout=w.Layout(flex="1 1 0", **_pad(box))),
            w.Box([self._headers], layout=w.Layout(flex="1 1 0", overflow="hidden",
                                                    **_pad(box))),
        ])
        self.widget = w.VBox([w.HTML(_html.CSS), controls, filters, self._list, top, bottom],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("smtpsim-stepper")

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
        self._status.value = (f'<span style="font-size:15px"><b>step {self.index + 1} of '
                              f"{total}</b> &nbsp; {t} &nbsp; following "
                              f"<b>{escape(self.msg or '-')}</b></span>")
        self._transcript.value = _html.transcript_html(events, p, session)
        self._envelope.value = _html.envelope_html(events, p, session)
        self._headers.value = _html.headers_html(events, p, self.msg)
        self._queues.value = _html.queues_html(events, p, self.msg)
        self._image.value = self.topology_png(p)

    def topology_png(self, position: int | None = None) -> bytes:
        """The topology picture at ``position`` (default: now) as PNG bytes (cached)."""
        p = self.position if position is None else position
        if network_of(self.events) is None:
            return b""
        nodes, link = focus_at(self.events, p)
        where = message_position(self.events, p, self.msg)
        key = (nodes, link, where)
        png = self._png.get(key)
        if png is None:
            if self._renderer is None:
                from ..viz._topology import TopologyRenderer

                self._renderer = TopologyRenderer(self.events, dpi=self.dpi)
            png = self._png[key] = self._renderer.png(nodes, link, where)
        return png

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
                f"{_html.queues_html(events, p, self.msg)}</div>")

    def __repr__(self) -> str:
        return (f"<Stepper {len(self._positions)} steps, at {self.index}, "
                f"following {self.msg}>")


def _pad(layout: w.Layout) -> dict[str, Any]:
    return {"border": layout.border, "padding": layout.padding, "margin": layout.margin}
