"""The HTML of each stepper and console pane, as pure functions of (events, index).

These functions are shared by the live widgets and by the plain ``_repr_html_``
fallbacks (nbconvert exports, GitHub previews), so an exported notebook shows the
same transcript a student saw. Colours come from :mod:`smtpsim.viz.palette`'s reply
classes: green 2xx, blue 3xx, orange 4xx, red 5xx.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..packets import Packet, layers
from ..pop3 import explain_response
from ..sim.retrieval_console import retrieval_protocol
from ..trace import DialogLine, TraceEvent
from ..trace.queries import envelope_at, headers_at, queues_at, session_lines
from ._moment import explain_reply

__all__ = [
    "CSS",
    "dialog_html",
    "envelope_html",
    "fold_header",
    "headers_html",
    "line_html",
    "queues_html",
    "transcript_html",
]

# Reply-class colours (Okabe-Ito), the same as smtpsim.viz.palette.REPLY_COLOURS;
# repeated here so this module needs no matplotlib.
_REPLY = {"2": "#009E73", "3": "#0072B2", "4": "#E69F00", "5": "#D55E00"}
_CLIENT = "#222222"
_MUTED = "#6b6b6b"
_HIGHLIGHT = "#CC79A7"

_FAIL = _REPLY["5"]

#: One stylesheet for every smtpsim widget; class names are stable for tests and CSS.
#: Text wraps only where a reader would break it (spaces): never ``word-break:
#: break-all``, which cut "smtpsim" into "smtps im"; a token longer than its pane
#: (a base64 AUTH line) scrolls sideways instead of being cut.
CSS = f"""<style>
.smtpsim-pane {{ font-size: 15px; line-height: 1.35; overflow-wrap: normal;
  word-break: normal; }}
.smtpsim-pane h4 {{ margin: 0 0 4px 0; font-size: 15px; color: #444; }}
.smtpsim-wire {{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 14px;
  white-space: pre-wrap; word-break: normal; overflow-wrap: normal; overflow-x: auto;
  margin: 0; }}
.smtpsim-line {{ padding: 1px 6px; border-left: 4px solid transparent; }}
.smtpsim-line.smtpsim-current {{ background: #f7e3ef; border-left-color: {_HIGHLIGHT};
  font-weight: bold; }}
.smtpsim-explain {{ color: {_MUTED}; font-style: italic; padding: 0 6px 2px 26px;
  font-family: sans-serif; font-size: 13px; }}
.smtpsim-note {{ color: {_MUTED}; font-size: 13px; }}
.smtpsim-received {{ background: #e8f4ef; }}
.smtpsim-headers .smtpsim-field {{ padding-left: 2ch; text-indent: -2ch; }}
.smtpsim-rcpt-refused .smtpsim-address {{ text-decoration: line-through;
  text-decoration-thickness: 2px; color: {_FAIL}; }}
.smtpsim-outcome {{ font-family: sans-serif; font-size: 13px; font-weight: bold;
  white-space: nowrap; }}
.smtpsim-queues {{ font-size: 14px; border-collapse: collapse; }}
.smtpsim-queues td, .smtpsim-queues th {{ padding: 2px 6px; text-align: left; vertical-align: top;
  border-bottom: 1px solid #ddd; }}
.smtpsim-queues th {{ white-space: nowrap; }}
.smtpsim-box {{ border: 1px solid #ccc; border-radius: 6px; padding: 6px 8px; background: #fff; }}
.smtpsim-status {{ font-size: 15px; }}
.smtpsim-picture {{ width: 100%; overflow-x: auto; }}
.smtpsim-stepper .widget-html-content {{ line-height: normal; }}
.smtpsim-presentation .smtpsim-pane, .smtpsim-presentation .smtpsim-status {{
  font-size: 20px; }}
.smtpsim-presentation .smtpsim-pane h4 {{ font-size: 20px; }}
.smtpsim-presentation .smtpsim-wire, .smtpsim-presentation .smtpsim-queues {{
  font-size: 19px; }}
.smtpsim-presentation .smtpsim-explain, .smtpsim-presentation .smtpsim-note,
.smtpsim-presentation .smtpsim-outcome {{ font-size: 17px; }}
.smtpsim-presentation .smtpsim-stepper-events select {{ font-size: 17px; }}
</style>"""


#: POP3 answers: ``+OK`` coloured as a 2xx, ``-ERR`` as a 5xx.
_POP3 = {"+OK": _REPLY["2"], "-ERR": _REPLY["5"]}
#: IMAP status responses (``a3 OK ...``, ``* NO ...``): OK as a 2xx, NO and BAD as a 5xx.
_IMAP = {"OK": _REPLY["2"], "NO": _REPLY["5"], "BAD": _REPLY["5"]}


def _colour(direction: str, text: str) -> str:
    # An SMTP reply is three digits, then a space, a hyphen or nothing: a POP3 listing
    # line such as "2 410" (message 2, 410 octets) is no 2xx reply.
    if direction == "S" and text[:1] in _REPLY and text[:3].isdigit() \
            and text[3:4] in ("", " ", "-"):
        return _REPLY[text[:1]]
    words = text.split(" ", 2)
    if direction == "S" and words[0] in _POP3:
        return _POP3[words[0]]
    if direction == "S" and len(words) > 1 and words[1] in _IMAP:
        return _IMAP[words[1]]
    return _CLIENT


def _retrieval_meaning(lines: Sequence[tuple[int, DialogLine]], index: int,
                       protocol: str) -> str:
    """The explanation of a POP3 or IMAP dialog's latest answer line that has one,
    with the command it answers. The protocol's own table (the one the Console uses)
    says which lines are the server's words: a message's lines, a RETR's or those of an
    IMAP literal, are content and are never explained."""
    rows = [(line.dir, line.line) for _, line in lines]
    notes = retrieval_protocol(protocol).explain_rows(rows)
    latest = max((k for k, (d, _) in enumerate(rows) if d == "S" and notes[k]), default=None)
    if latest is None:
        return ""
    label = "this answer" if lines[latest][0] == index else "last answer"
    words = rows[latest][1].split(" ")
    # The words that say what kind of answer it is: "+OK", "a3 OK", "* 3 EXISTS".
    if protocol == "POP3" or words[0] == "+":
        word = words[0]
    else:
        word = " ".join(words[:3] if len(words) > 2 and words[1].isdigit() else words[:2])
    return (f'<div class="smtpsim-explain" style="padding-left:6px">'
            f"{label} <b>{escape(word)}</b>: {escape(notes[latest])}</div>")


def line_html(direction: str, text: str, *, current: bool = False, explain: bool = False) -> str:
    """One ``S:``/``C:`` line; ``explain`` adds the reply code's meaning in grey."""
    cls = "smtpsim-line smtpsim-current" if current else "smtpsim-line"
    colour = _colour(direction, text)
    out = (f'<div class="{cls}" style="color:{colour}">'
           f"{escape(direction)}: {escape(text) or '&nbsp;'}</div>")
    if explain and direction == "S":
        meaning = explain_reply(text) or (explain_response(text) if text[:1] in "+-" else "")
        if meaning:
            out += f'<div class="smtpsim-explain">{escape(meaning)}</div>'
    return out


def transcript_html(events: Sequence[TraceEvent], index: int, session: str | None, *,
                    window: int = 16) -> str:
    """The dialog of ``session`` so far, the line at ``index`` highlighted.

    Only the last ``window`` lines are shown (the current one is always the last), so the
    line that matters stays on screen; the explanation of the current (or latest) reply
    follows.
    """
    lines = session_lines(events, index, session)
    if not lines:
        return ('<div class="smtpsim-pane smtpsim-transcript"><h4>SMTP dialog</h4>'
                '<div class="smtpsim-note">no SMTP session yet</div></div>')
    first = lines[-1][1]
    protocol = {"pop3": "POP3", "imap": "IMAP"}.get(first.kind, "SMTP")
    head = (f"{protocol} dialog: {escape(first.peer)} → {escape(first.node)} "
            f"({escape(session or '')})")
    hidden = max(0, len(lines) - window)
    rows = []
    if hidden:
        rows.append(f'<div class="smtpsim-note">… {hidden} earlier line(s)</div>')
    for pos, line in lines[hidden:]:
        rows.append(line_html(line.dir, line.line, current=pos == index))
    replies = [ln for _, ln in lines if ln.dir == "S"]
    meaning = ""
    if protocol != "SMTP":
        meaning = _retrieval_meaning(lines, index, protocol)
    elif replies:
        last = replies[-1]
        label = "this reply" if lines[-1][0] == index and last is lines[-1][1] else "last reply"
        text = explain_reply(last.line)
        if text:
            meaning = (f'<div class="smtpsim-explain" style="padding-left:6px">'
                       f"{label} <b>{escape(last.line[:3])}</b>: {escape(text)}</div>")
    state = f' <span class="smtpsim-note">state: {escape(first.state)}</span>' \
        if first.state else ""
    return (f'<div class="smtpsim-pane smtpsim-transcript"><h4>{head}{state}</h4>'
            f'<div class="smtpsim-wire">{"".join(rows)}</div>{meaning}</div>')


def envelope_html(events: Sequence[TraceEvent], index: int, session: str | None) -> str:
    """The envelope (MAIL FROM, RCPT TO) the current session's client has given so far,
    each recipient with the server's answer: accepted, refused (struck through, with
    its code) or still waiting for its reply."""
    mail_from, rcpts = envelope_at(events, index, session)
    rows = [f"MAIL FROM: &lt;{escape(mail_from)}&gt;" if mail_from is not None
            else '<span class="smtpsim-note">MAIL FROM: (not yet)</span>']
    for r in rcpts:
        if r.refused:
            cls, outcome = "smtpsim-rcpt-refused", \
                f'<span style="color:{_FAIL}">refused {escape(_code(r.reply))}</span>'
        elif r.accepted:
            cls, outcome = "smtpsim-rcpt-accepted", \
                f'<span style="color:{_REPLY["2"]}">accepted {escape(_code(r.reply))}</span>'
        else:
            cls, outcome = "smtpsim-rcpt-waiting", \
                f'<span style="color:{_MUTED}">waiting for the reply</span>'
        rows.append(f'<div class="smtpsim-rcpt {cls}">RCPT TO: <span class="smtpsim-address">'
                    f"&lt;{escape(r.address)}&gt;</span> "
                    f'<span class="smtpsim-outcome">{outcome}</span></div>')
    if not rcpts:
        rows.append('<span class="smtpsim-note">RCPT TO: (not yet)</span>')
    return ('<div class="smtpsim-pane smtpsim-envelope"><h4>Envelope (this session)</h4>'
            f'<div class="smtpsim-wire">{"<br>".join(rows[:1])}{"".join(rows[1:])}</div>'
            '<div class="smtpsim-note">Every recipient the client names, Bcc ones too: '
            "the envelope, not the To: header, says where the message goes.</div></div>")


def _code(reply: str | None) -> str:
    """``"550 5.1.1"`` from a reply line: the code and its enhanced status, if any."""
    parts = (reply or "").split(" ", 2)
    if len(parts) > 1 and parts[1].count(".") == 2 and parts[1][:1].isdigit():
        return " ".join(parts[:2])
    return parts[0]


def fold_header(line: str, width: int = 78) -> list[str]:
    """One header line folded as RFC 5322 §2.2.3 folds it: at whitespace, so each
    piece is at most ``width`` characters where possible; the continuation lines
    start with the whitespace they were folded at. A word longer than ``width`` is
    never cut; it just makes its line longer."""
    out: list[str] = []
    rest = line
    while len(rest) > width:
        cut = max(rest.rfind(" ", 1, width + 1), rest.rfind("\t", 1, width + 1))
        if cut <= 0:
            cut = min((k for k in (rest.find(" ", width), rest.find("\t", width)) if k > 0),
                      default=-1)
            if cut <= 0:
                break
        out.append(rest[:cut])
        rest = rest[cut:]
    out.append(rest)
    return out


def headers_html(events: Sequence[TraceEvent], index: int, msg: str | None) -> str:
    """The followed message's header block as the last node to accept it stored it;
    Received headers are tinted, so students see one more appear at each hop. Lines
    longer than 78 characters are shown folded at whitespace (RFC 5322 §2.2.3), the
    continuation indented, as a mail program would write them."""
    hop = headers_at(events, index, msg)
    if hop is None:
        body = '<div class="smtpsim-note">not accepted by any server yet</div>'
        title = f"Headers of {escape(msg or '-')}"
    else:
        title = f"Headers of {escape(hop.msg)} as stored by {escape(hop.node)}"
        fields: list[list[str]] = []  # each header field: its line and continuations
        for raw in hop.headers.replace("\r\n", "\n").split("\n"):
            if raw[:1] in (" ", "\t") and fields:
                fields[-1].append(raw)
            else:
                fields.append([raw])
        rows = []
        for field in fields:
            received = field[0].lower().startswith("received:")
            cls = "smtpsim-field smtpsim-received" if received else "smtpsim-field"
            text = "\n".join(piece for line in field for piece in fold_header(line))
            rows.append(f'<div class="{cls}">{escape(text) or "&nbsp;"}</div>')
        body = f'<div class="smtpsim-wire smtpsim-headers">{"".join(rows)}</div>'
    return f'<div class="smtpsim-pane"><h4>{title}</h4>{body}</div>'


#: The colour of each layer's bar in the layers pane (the palette's, lower to upper); the
#: text stays dark, since orange text on white is hard to read on a projector.
_LAYER_COLOURS = {"link": "#666666", "network": "#0072B2", "transport": "#E69F00",
                  "application": "#009E73"}


def layers_html(packet: Packet | None) -> str:
    """The packet that carries the current step, layer by layer: Ethernet, IPv4, TCP or
    UDP, then the application's lines (Wireshark's "packet details"), and what they
    mean (the comment the capture file gives the packet)."""
    if packet is None:
        body = '<div class="smtpsim-note">nothing on the wire at this step</div>'
        return f'<div class="smtpsim-pane"><h4>Packet</h4>{body}</div>'
    rows = []
    for layer, name, fields in layers(packet):
        colour = _LAYER_COLOURS[layer]
        cells = "".join(f"<div>{escape(k)}{': ' if k else ''}{escape(v)}</div>"
                        for k, v in fields)
        rows.append(f'<div class="smtpsim-layer" style="border-left:4px solid {colour};'
                    f'padding-left:6px;margin-bottom:4px"><b>'
                    f"{escape(layer)}: {escape(name)}</b>{cells}</div>")
    meaning = (f'<div class="smtpsim-explain">{escape(packet.comment)}</div>'
               if packet.comment else "")
    head = (f"Packet: {escape(packet.src)} → {escape(packet.dst)} at t = {packet.t:.3f} s")
    return (f'<div class="smtpsim-pane"><h4>{head}</h4><div class="smtpsim-wire">'
            f'{"".join(rows)}</div>{meaning}</div>')


def queues_html(events: Sequence[TraceEvent], index: int, msg: str | None = None) -> str:
    """Every queue at this moment: node, message, waiting recipients, since when."""
    queues = queues_at(events, index)
    if not queues:
        return ('<div class="smtpsim-pane"><h4>Queues</h4>'
                '<div class="smtpsim-note">every queue is empty</div></div>')
    rows = []
    for node, entries in queues.items():
        for m, rcpts, since in entries:
            style = f' style="color:{_HIGHLIGHT};font-weight:bold"' if m == msg else ""
            who = "<br>".join(escape(r) for r in rcpts)
            rows.append(f"<tr{style}><td>{escape(node)}</td><td>{escape(m)}</td>"
                        f"<td>{who}</td><td>{since:.2f}s</td></tr>")
    return ('<div class="smtpsim-pane"><h4>Queues</h4><table class="smtpsim-queues">'
            "<tr><th>node</th><th>message</th><th>waiting for</th><th>since</th></tr>"
            f'{"".join(rows)}</table></div>')


def dialog_html(rows: Sequence[tuple[str, str]], *, title: str = "") -> str:
    """A console's dialog: ``(dir, line)`` rows, each reply followed by its meaning."""
    body = "".join(line_html(d, text, explain=True) for d, text in rows)
    head = f"<h4>{escape(title)}</h4>" if title else ""
    return f'<div class="smtpsim-pane smtpsim-dialog">{head}<div class="smtpsim-wire">' \
           f"{body}</div></div>"
