"""The Console: type SMTP (or POP3) at a simulated server, as with telnet, and see what
each answer means.

Theory of operation
-------------------
A session object does the talking: each typed line goes to the server's own protocol
engine and is written to the trace. For SMTP that is a
:class:`~smtpsim.sim.ConsoleSession` (the node's engine and policy); for a retrieval
protocol, a :class:`~smtpsim.sim.RetrievalConsoleSession` (the mailbox server's POP3
engine, over a run network's mailboxes or bare :class:`~smtpsim.mailstore.Accounts`).
The widget only keeps the rows it shows (``C:`` typed lines, ``S:`` answers) and
renders them like a terminal.

* SMTP: the meaning of each reply once, after its last line, and for an EHLO reply one
  short note per extension, all from :func:`smtpsim.protocol.explain_lines`. Once the
  server has accepted a message (the 250 after the lone dot), "Open in Stepper" runs
  the simulation so the message travels on, and a :class:`Stepper` following it
  appears below.
* POP3 (and any protocol in :data:`~smtpsim.sim.RETRIEVAL_PROTOCOLS`): the meaning of
  each status line, with the command it answers, from the protocol's own
  ``explain_response`` (the Stepper's explanations); a message's own lines are shown
  as they came, unexplained. Hovering over a typed command shows what it asks for.
  The console knows no protocol by name: the table's entry says it all.

Enter sends the line. The text box syncs every keystroke (``continuous_update=True``)
and the browser sends a ``submit`` message on Enter, so the widget always knows what
the box holds when Enter comes, even when it is empty: an empty line matters in DATA
(between the headers and the body). ``Text.on_submit`` is deprecated in ipywidgets 8,
so the widget listens with the general :meth:`~ipywidgets.Widget.on_msg`.

Like a terminal, the dialog is always scrolled to its newest line. ipywidgets has no
"scroll to" call and its HTML widget puts its value in the page as ``innerHTML``, so
each update ends with an invisible one-pixel image whose ``onload`` scrolls the dialog
box to its end: the one hook that runs in the browser after every update.

When the server closes the connection (after QUIT, a 421, too many failed logins), the
input is disabled and
a banner says so; **New session** connects again to the same server, as a second
``telnet`` would, and the dialog goes on below a separator line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import ipywidgets as w

from ..mailstore import Accounts
from ..protocol import explain_lines
from ..sim import (
    RETRIEVAL_PROTOCOLS,
    ConsoleSession,
    MailboxServer,
    Network,
    RetrievalConsoleSession,
    retrieval_protocol,
)
from ..trace import Trace
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
                 closed: bool = False, protocol: str = "SMTP") -> str:
    """A console's dialog as HTML: ``(dir, line)`` rows like a terminal's.

    ``dir`` is ``"C"`` (typed), ``"S"`` (the server) or ``"-"`` (a note between
    sessions). In SMTP (the default ``protocol``) each reply's meaning is said once,
    after its last line, and the lines of an EHLO reply each get a short note on the
    extension they offer. In a retrieval protocol (``"POP3"``) each status line's
    meaning follows it, and a typed command's meaning is its tooltip.
    """
    if protocol.upper() == "SMTP":
        out = _smtp_rows_html(rows)
    else:
        out = _retrieval_rows_html(rows, protocol)
    if closed:
        out.append('<div class="smtpsim-console-closed">Connection closed. '
                   "Press <b>New session</b> to connect again.</div>")
    head = f"<h4>{escape(title)}</h4>" if title else ""
    return (f'<div class="smtpsim-pane smtpsim-dialog">{head}<div class="smtpsim-wire">'
            f'{"".join(out)}</div></div>')


def _separator(text: str) -> str:
    return f'<div class="smtpsim-console-sep">{escape(text)}</div>'


def _smtp_rows_html(rows: Sequence[tuple[str, str]]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(rows):
        direction, text = rows[i]
        if direction != "S":
            out.append(_separator(text) if direction == "-" else _html.line_html(direction, text))
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
    return out


def _retrieval_rows_html(rows: Sequence[tuple[str, str]], protocol: str) -> list[str]:
    notes = retrieval_protocol(protocol).explain_rows(rows)
    out: list[str] = []
    for (direction, text), note in zip(rows, notes, strict=True):
        if direction == "-":
            out.append(_separator(text))
        elif direction == "C":
            line = _html.line_html("C", text)
            out.append(f'<div class="smtpsim-command" title="{escape(note)}">{line}</div>'
                       if note else line)
        else:
            out.append(_html.line_html("S", text))
            if note:
                out.append(f'<div class="smtpsim-explain">{escape(note)}</div>')
    return out


#: What a console is connected through: an SMTP session, or a POP3 (IMAP ...) one.
Session = ConsoleSession | RetrievalConsoleSession


def _opener(source: Any, host: str | None, protocol: str | None
            ) -> tuple[str, Network | None, Callable[[], Session]]:
    """The protocol a console speaks, its network (None over bare accounts), and how it
    opens a session to its server (again, for **New session**)."""
    if isinstance(source, Accounts):
        name = (protocol or next(iter(RETRIEVAL_PROTOCOLS))).upper()
        if name == "SMTP":
            raise TypeError("an SMTP console needs a network or a scenario, not accounts")
        trace = Trace()  # one trace for every session of this console
        return name, None, lambda: RetrievalConsoleSession(source, host, protocol=name,
                                                           trace=trace)
    scenario = None
    if isinstance(source, (str, dict)):
        from ..scenarios import load

        source = load(source)
    if not isinstance(source, Network) and hasattr(source, "build"):
        scenario, source = source, source.build()
    if not isinstance(source, Network):
        raise TypeError("Console needs a Network, a Scenario, a scenario name or "
                        f"mail Accounts, not {source!r}")
    name = (protocol or _protocol_at(source, host)).upper()
    network = source
    if name == "SMTP":
        host = host or (scenario.entry if scenario is not None else None)
        return name, network, lambda: ConsoleSession(network, host)
    if scenario is not None:
        network = scenario.run()  # built and run: the mail has arrived, ready to fetch
    return name, network, lambda: RetrievalConsoleSession(network, host, protocol=name)


def _protocol_at(network: Network, host: str | None) -> str:
    """What a console to ``host`` speaks when not told: a mailbox server's first
    protocol, else SMTP."""
    node = network.nodes.get(host or "")
    if isinstance(node, MailboxServer):
        return next((p for p in node.protocols if p in RETRIEVAL_PROTOCOLS), node.protocols[0])
    return "SMTP"


class Console:
    """A telnet-like console in the notebook: SMTP to a mail server, or POP3 to a
    mailbox server.

    Args:
        network_or_scenario: a built :class:`~smtpsim.sim.Network`, a scenario, the
            name of a library scenario, or (for POP3) mail
            :class:`~smtpsim.mailstore.Accounts` with messages in their maildrops. A
            scenario is built, not run, for SMTP (your messages are the ones that
            travel); for POP3 it is built and run, so its mail has arrived. A network
            is used as it is.
        host: the server to talk to (default: the scenario's entry, else the first MTA;
            for POP3 the first mailbox server; over accounts, the name the server
            gives, ``pop.example.com``).
        protocol: ``"SMTP"`` or ``"POP3"`` (any name in
            :data:`~smtpsim.sim.RETRIEVAL_PROTOCOLS`). By default what ``host``
            serves: POP3 for a mailbox server or accounts, else SMTP.

    :meth:`send` types a line from code and returns the answer lines;
    :meth:`new_session` connects again (after QUIT, say).

    Raises:
        ValueError: an unknown protocol, or ``host`` is no server of it.
        TypeError: ``network_or_scenario`` is none of the above.
    """

    def __init__(self, network_or_scenario: Any, host: str | None = None, *,
                 protocol: str | None = None) -> None:
        self.protocol, self.network, self._connect = _opener(network_or_scenario, host,
                                                             protocol)
        self.session: Session = self._connect()
        if isinstance(self.session, ConsoleSession):
            self.host, self.port = self.session.node.name, self.session.node.port
        else:
            self.host, self.port = self.session.host, self.session.port
        self.rows: list[tuple[str, str]] = [("S", line) for line in self.session.greeting]
        #: Trace ids of the messages the server accepted, in every session so far (SMTP).
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
        """Send ``line`` to the server (as if typed, then Enter); returns the answer lines.

        Nothing is sent once the session is closed (call :meth:`new_session`)."""
        if self.session.closed:
            return []
        self.rows.append(("C", line))
        if isinstance(self.session, ConsoleSession):
            before = len(self.session.accepted)
            replies = self.session.send_line(line)
            self.accepted.extend(self.session.accepted[before:])
        else:
            replies = self.session.send_line(line)
        self.rows.extend(("S", r) for r in replies)
        if self.session.closed:
            self.rows.append(("-", f"connection closed by {self.host}"))
        self._render()
        return replies

    def new_session(self) -> list[str]:
        """Connect to the server again, as a second ``telnet`` would; returns the greeting.

        A session still open is ended first (a half-sent message is discarded; in POP3,
        nothing marked for deletion is removed)."""
        if not self.session.closed:
            self.session.close("the student started a new session")
            self.rows.append(("-", "connection closed (new session)"))
        self.session = self._connect()
        self.rows.append(("-", f"new session {self.session.session}: telnet {self.host} "
                               f"{self.port}"))
        self.rows.extend(("S", line) for line in self.session.greeting)
        self._render()
        return list(self.session.greeting)

    def open_stepper(self) -> Stepper | None:
        """Run the network so the accepted message travels, and show a Stepper following it."""
        if not self.accepted or not isinstance(self.session, ConsoleSession):
            return None
        self.session.deliver()
        self.stepper = Stepper(self.session.network.trace, msg=self.accepted[-1])
        self._below.children = [self.stepper.widget]
        return self.stepper

    # ----------------------------------------------------------------- widgets
    def _build(self) -> None:
        self._output = w.HTML(layout=w.Layout(width="100%", max_height="420px",
                                              overflow="auto"))
        self._output.add_class("smtpsim-console-output")
        self._input = w.Text(continuous_update=True, placeholder=self._prompt(),
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
        if not isinstance(self.session, ConsoleSession):
            # Only SMTP has a message body typed line by line (the blank line between
            # headers and body) and an accepted message to follow in a Stepper.
            self._blank.layout.display = self._open.layout.display = "none"
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
        """Send what the box holds. An empty box sends an empty line only while the
        server waits for the rest of a command (SMTP's DATA, where it separates headers
        and body; a POP3 ``+`` continuation); elsewhere it would be a syntax error."""
        if not line and not self.session.continuing:
            return
        self._input.value = ""
        self.send(line)

    def _render(self) -> None:
        self._output.value = self._dialog_html() + _SCROLL_TO_END
        closed = self.session.closed
        self._input.disabled = self._send.disabled = self._blank.disabled = closed
        self._input.placeholder = ("connection closed: press New session" if closed else
                                   self._prompt())
        self._reconnect.button_style = "warning" if closed else ""
        self._open.disabled = not self.accepted
        if self.accepted:
            self._open.description = f"Open {self.accepted[-1]} in Stepper"

    def _prompt(self) -> str:
        """The input box's hint: an example of the protocol's first command."""
        if isinstance(self.session, ConsoleSession):
            return "type a command, e.g. EHLO me"
        users = self.session.accounts.users()
        example = self.session.protocol.example.format(user=users[0] if users else "alice")
        return f"type a command, e.g. {example}"

    # ----------------------------------------------------------------- display
    def _dialog_html(self) -> str:
        state = self.session.state.value
        title = f"telnet {self.host} {self.port}  (state: {state})"
        return console_html(self.rows, title=title, closed=self.session.closed,
                            protocol=self.protocol)

    def _repr_html_(self) -> str:
        return _html.CSS + _CSS + self._dialog_html()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = "\n".join(
            f"--- {line}" if d == "-" else f"{d}: {line}" for d, line in self.rows)
        data["text/html"] = self._repr_html_()
        return data

    def __repr__(self) -> str:
        speaks = "" if self.protocol == "SMTP" else f" ({self.protocol})"
        return f"<Console to {escape(self.host)}{speaks}, {len(self.rows)} lines>"
