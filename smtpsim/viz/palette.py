"""One palette for every smtpsim picture (figures now, widgets later).

Colours carry meaning, so they are defined once, here, and every view imports them:

* **Reply classes** use the Okabe-Ito colour-blind-safe palette: ``2xx`` green (done),
  ``3xx`` blue (go on), ``4xx`` orange (not now, try later), ``5xx`` red (never).
  A student who learns "orange means the message waits in a queue" in the sequence
  diagram sees the same orange on the queue timeline.
* **Node kinds** use pale fills (Paul Tol's "light" scheme) *and* distinct marker
  shapes, so a node is told apart by shape even in greyscale or by a colour-blind
  viewer, and pale nodes never compete with the saturated reply colours.
* Fonts are large: these figures are projected in class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BOUNCE",
    "CLIENT",
    "DEFERRAL",
    "DELIVERY",
    "FONT",
    "HIGHLIGHT",
    "KIND_STYLES",
    "MONO",
    "MUTED",
    "READ",
    "REPLY_COLOURS",
    "REPLY_LABELS",
    "RETRY",
    "KindStyle",
    "kind_style",
    "reply_class",
    "reply_colour",
]

#: Reply class (first digit of the code) -> colour (Okabe-Ito).
REPLY_COLOURS: dict[int, str] = {
    2: "#009E73",  # bluish green: success
    3: "#0072B2",  # blue: intermediate, send more
    4: "#E69F00",  # orange: transient failure, try again later
    5: "#D55E00",  # vermillion: permanent failure
}
#: Legend text for each reply class.
REPLY_LABELS: dict[int, str] = {
    2: "2xx success",
    3: "3xx go on (send more)",
    4: "4xx try again later",
    5: "5xx permanent failure",
}

#: What a client sends (commands, message content): a neutral near-black.
CLIENT = "#222222"
#: Secondary text and guide lines.
MUTED = "#666666"
#: The highlighted node / link / state (Okabe-Ito reddish purple: unlike any reply class).
HIGHLIGHT = "#CC79A7"
#: Events on the message path, in the reply-class colours they stand for.
DELIVERY = REPLY_COLOURS[2]
DEFERRAL = REPLY_COLOURS[4]
BOUNCE = REPLY_COLOURS[5]
RETRY = REPLY_COLOURS[3]
#: The pull hop on a message's path, a user agent reading its mailbox with POP3 or IMAP:
#: the client's near-black, since a client does it, and unlike every reply class.
READ = CLIENT

#: Font sizes (points) that stay readable on a projector.
FONT = {"title": 20, "label": 15, "text": 14, "small": 12, "legend": 13}
#: The monospace family for wire text (SMTP lines, headers).
MONO = "DejaVu Sans Mono"


@dataclass(frozen=True, slots=True)
class KindStyle:
    """How a kind of node is drawn: matplotlib marker, fill colour, legend label."""

    marker: str
    colour: str
    label: str


#: Node kind (see :data:`smtpsim.trace.NODE_KINDS`) -> style. Shapes and fills both differ.
KIND_STYLES: dict[str, KindStyle] = {
    "user_agent": KindStyle("o", "#77AADD", "user agent (mail program)"),
    "app": KindStyle("P", "#FFAABB", "application (API client)"),
    "msa": KindStyle("D", "#99DDFF", "MSA (submission server)"),
    "mta": KindStyle("h", "#44BB99", "MTA (relay / MX)"),
    "gateway": KindStyle("p", "#EEDD88", "gateway (format converter)"),
    "mda": KindStyle("v", "#EE8866", "MDA (delivery agent)"),
    "mailbox": KindStyle("s", "#BBCC33", "mailbox"),
    "mailbox_server": KindStyle("^", "#AAAA00", "mailbox server (POP3/IMAP)"),
    "dns": KindStyle("*", "#DDDDDD", "DNS server"),
}
_UNKNOWN_KIND = KindStyle("o", "#FFFFFF", "other")


def kind_style(kind: str) -> KindStyle:
    """The style for a node kind (a white circle for kinds this module does not know)."""
    return KIND_STYLES.get(kind, _UNKNOWN_KIND)


_CODE = re.compile(r"^([2-5])\d\d(?:[ -]|$)")


def reply_class(text: str | int) -> int | None:
    """The reply class (2, 3, 4 or 5) of a reply code or reply line, else None.

    >>> reply_class("451 4.7.1 greylisted"), reply_class(250), reply_class("EHLO a")
    (4, 2, None)
    """
    if isinstance(text, int):
        return text // 100 if 200 <= text <= 599 else None
    m = _CODE.match(text.strip())
    return int(m.group(1)) if m else None


def reply_colour(text: str | int, default: str = CLIENT) -> str:
    """The colour of a reply code or reply line; ``default`` if it is not a reply."""
    cls = reply_class(text)
    return REPLY_COLOURS[cls] if cls is not None else default
