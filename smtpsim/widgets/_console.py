"""The Console: type SMTP at a simulated server, as with telnet, and see what each reply means.

Theory of operation
-------------------
A :class:`~smtpsim.sim.ConsoleSession` does the talking: each typed line goes to the
server node's own protocol engine and policy and is written to the network's trace.
The widget only keeps the rows it shows (``C:`` typed lines, ``S:`` replies) and
renders them like a terminal: the meaning of each reply once, after its last line,
and for an EHLO reply one short note per extension, all from
:func:`smtpsim.protocol.explain_lines`. Once the server has accepted a message (the 250
after the lone dot), "Open in Stepper" runs the simulation so the message travels on,
and a :class:`Stepper` following it appears below.

Enter sends the line. The text box syncs every keystroke (``continuous_update=True``)
and the browser sends a ``submit`` message on Enter, so the widget always knows what
the box holds when Enter comes, even when it is empty: an empty line matters in DATA
(between the headers and the body). ``Text.on_submit`` is deprecated in ipywidgets 8,
so the widget listens with the general :meth:`~ipywidgets.Widget.on_msg`.

Like a terminal, the dialog is always scrolled to its newest line. ipywidgets has no
"scroll to" call and its HTML widget puts its value in the page as ``innerHTML``, so
each update ends with an invisible one-pixel image whose ``onload`` scrolls the dialog
box to its end: the one hook that runs in the browser after every update.

When the server closes the connection (after QUIT, or 421), the input is disabled and
a banner says so; **New session** connects again to the same server, as a second
``telnet`` would, and the dialog goes on below a separator line.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import ipywidgets as w

from ..protocol import State, explain_lines
from ..sim import ConsoleSession, Network
from . import _html
from ._stepper import Stepper

__all__ = ["Console", "console_html"]

#: The console's own styles, on top of :data:`_html.CSS`: the separator between
#: sessions, the closed banner, and lines that wrap between words, never inside one.
_CSS = """<style>
.smtpsim-console-sep { color: #6b6b6b; font-family: sans-serif; font-size: 13px;
  border-top: 1px dashed #bbb; margin: 6px 0 2px 0; padding: 2px 6px; }
.smtpsim-console-closed { color: #fff; background: #6b6b6b; font-family: sans-serif;
  font-size: 14px; padding: 4px 8px; margin-top: 4px; border-radius: 4px; }
.smtpsim-console-output { scroll-behavior: auto; }
.smtpsim-console .smtpsim-wire { word-break: normal; overflow-wrap: break-word; }
</style>"""

#: A transparent one-pixel GIF whose onload scrolls the dialog box to its newest line
#: (see the module docstring: ipywidgets has no scroll call, and scripts in innerHTML
#: never run, but an image's onload does).
_SCROLL_TO_END = (
    '<img class="smtpsim-scroll-to-end" alt="" width="1" height="1" '
    'style="display:block;opacity:0" '
    'src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" '
    'onload="var b=this.closest(\'.smtpsim-console-output\');'
    'if(b){b.scrollTop=b.scrollHeight;}">')


def console_html(rows: Sequence[tuple[str, str]], *, title: str = "",
                 closed: bool = False) -> str:
    """A console's dialog as HTML: ``(dir, line)`` rows like a terminal's.

    ``dir`` is ``"C"`` (typed), ``"S"`` (the server) or ``"-"`` (a note between
    sessions). Each reply's meaning is said once, after its last line; the lines of
    an EHLO reply each get a short note on the extension they offer.
    """
    out: list[str] = []
    i = 0
    while i < len(rows):
        direction, text = rows[i]
        if direction != "S":
            if direction == "-":
                out.append(f'<div class="smtpsim-console-sep">{escape(text)}</div>')
            else:
                out.append(_html.line_html(direction, text))
            i += 1
            continue
        # One reply: every line with a hyphen after the code, then the last one.
        end = i
        while end < len(rows) - 1 and rows[end][0] == "S" and rows[end][1][3:4] == "-" \
                and rows[end + 1][0] == "S":
            end += 1
        lines = [line for _, line in rows[i:end + 1]]
        notes, meaning = explain_lines(lines)
        for line, note in zip(lines, notes, strict=True):
            out.append(_html.line_html("S", line))
            if note:
                out.append(f'<div class="smtpsim-explain smtpsim-ext">{escape(note)}</div>')
        if meaning:
            out.append(f'<div class="smtpsim-explain">{escape(meaning)}</div>')
        i = end + 1
    if closed:
        out.append('<div class="smtpsim-console-closed">Connection closed. '
                   "Press <b>New session</b> to connect again.</div>")
    head = f"<h4>{escape(title)}</h4>" if title else ""
    return (f'<div class="smtpsim-pane smtpsim-dialog">{head}<div class="smtpsim-wire">'
            f'{"".join(out)}</div></div>')


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

    :meth:`send` types a line from code and returns the reply lines;
    :meth:`new_session` connects again (after QUIT, say).
    """

    def __init__(self, network_or_scenario: Any, host: str | None = None) -> None:
        self.network, host = _network_and_host(network_or_scenario, host)
        self.session = ConsoleSession(self.network, host)
        self.host = self.session.node.name
        self.rows: list[tuple[str, str]] = [("S", line) for line in self.session.greeting]
        #: Trace ids of the messages the server accepted, in every session so far.
        self.accepted: list[str] = []
        self.stepper: Stepper | None = None
        self._build()
        self._render()

    @property
    def closed(self) -> bool:
        """True once the server has closed the current session (after QUIT, say)."""
        return self.session.closed

    # ----------------------------------------------------------------- actions
    def send(self, line: str) -> list[str]:
        """Send ``line`` to the server (as if typed, then Enter); returns the reply lines.

        Nothing is sent once the session is closed (call :meth:`new_session`)."""
        if self.session.closed:
            return []
        self.rows.append(("C", line))
        before = len(self.session.accepted)
        replies = self.session.send_line(line)
        self.rows.extend(("S", r) for r in replies)
        self.accepted.extend(self.session.accepted[before:])
        if self.session.closed:
            self.rows.append(("-", f"connection closed by {self.host}"))
        self._render()
        return replies

    def new_session(self) -> list[str]:
        """Connect to the server again, as a second ``telnet`` would; returns the greeting.

        A session still open is ended first (a half-sent message is discarded)."""
        if not self.session.closed:
            self.session.close("the student started a new session")
            self.rows.append(("-", "connection closed (new session)"))
        self.session = ConsoleSession(self.network, self.host)
        self.rows.append(("-", f"new session {self.session.session}: telnet {self.host} "
                               f"{self.session.node.port}"))
        self.rows.extend(("S", line) for line in self.session.greeting)
        self._render()
        return list(self.session.greeting)

    def open_stepper(self) -> Stepper | None:
        """Run the network so the accepted message travels, and show a Stepper following it."""
        if not self.accepted:
            return None
        self.session.deliver()
        self.stepper = Stepper(self.network.trace, msg=self.accepted[-1])
        self._below.children = [self.stepper.widget]
        return self.stepper

    # ----------------------------------------------------------------- widgets
    def _build(self) -> None:
        self._output = w.HTML(layout=w.Layout(width="100%", max_height="420px",
                                              overflow="auto"))
        self._output.add_class("smtpsim-console-output")
        self._input = w.Text(continuous_update=True, placeholder=(
            "type a command, e.g. EHLO me"),
            layout=w.Layout(flex="1 1 12em", min_width="12em"))
        self._input.add_class("smtpsim-console-input")
        self._input.on_msg(self._on_input_msg)
        self._send = w.Button(description="Send", icon="paper-plane",
                              layout=w.Layout(width="auto"))
        self._send.add_class("smtpsim-console-send")
        self._send.on_click(lambda _: self._submit(self._input.value))
        self._blank = w.Button(description="blank line", tooltip=(
            "send an empty line (between the headers and the body in DATA)"),
            layout=w.Layout(width="auto"))
        self._blank.add_class("smtpsim-console-blank")
        self._blank.on_click(lambda _: self.send(""))
        self._reconnect = w.Button(description="New session", icon="refresh", tooltip=(
            "connect to the server again, as a new telnet would"),
            layout=w.Layout(width="auto"))
        self._reconnect.add_class("smtpsim-console-new")
        self._reconnect.on_click(lambda _: self.new_session())
        self._open = w.Button(description="Open in Stepper", icon="play", disabled=True,
                              button_style="info", layout=w.Layout(width="auto"))
        self._open.add_class("smtpsim-console-open")
        self._open.on_click(lambda _: self.open_stepper())
        self._below = w.VBox([])
        self._below.add_class("smtpsim-console-stepper")
        entry = w.HBox([w.HTML('<span class="smtpsim-wire"><b>C:</b></span>'), self._input,
                        self._send, self._blank, self._reconnect, self._open],
                       layout=w.Layout(align_items="center", flex_flow="row wrap",
                                       width="100%"))
        frame = w.Box([self._output], layout=w.Layout(
            border="1px solid #bbb", padding="4px 8px", width="100%"))
        self.widget = w.VBox([w.HTML(_html.CSS + _CSS), frame, entry, self._below],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("smtpsim-console")

    def _on_input_msg(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        """The browser says Enter was pressed in the box (its value is already synced)."""
        if content.get("event") == "submit":
            self._submit(self._input.value)

    def _submit(self, line: str) -> None:
        """Send what the box holds. An empty box sends an empty line only inside DATA
        (where it separates headers and body); elsewhere it would be a syntax error."""
        if not line and self.session.state is not State.DATA:
            return
        self._input.value = ""
        self.send(line)

    def _render(self) -> None:
        self._output.value = self._dialog_html() + _SCROLL_TO_END
        closed = self.session.closed
        self._input.disabled = self._send.disabled = self._blank.disabled = closed
        self._input.placeholder = ("connection closed: press New session" if closed else
                                   "type a command, e.g. EHLO me")
        self._reconnect.button_style = "warning" if closed else ""
        self._open.disabled = not self.accepted
        if self.accepted:
            self._open.description = f"Open {self.accepted[-1]} in Stepper"

    # ----------------------------------------------------------------- display
    def _dialog_html(self) -> str:
        state = self.session.state.value
        title = f"telnet {self.host} {self.session.node.port}  (state: {state})"
        return console_html(self.rows, title=title, closed=self.session.closed)

    def _repr_html_(self) -> str:
        return _html.CSS + _CSS + self._dialog_html()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = "\n".join(
            f"--- {line}" if d == "-" else f"{d}: {line}" for d, line in self.rows)
        data["text/html"] = self._repr_html_()
        return data

    def __repr__(self) -> str:
        return f"<Console to {escape(self.host)}, {len(self.rows)} lines>"
