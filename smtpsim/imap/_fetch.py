"""What ``FETCH`` asks for and what it sends back (RFC 9051 §6.4.5 and §7.5.2).

A client never has to download a whole message with IMAP. It names the *data items*
it wants, and the server sends just those, for each message asked for::

    C: a4 FETCH 1:2 (UID FLAGS RFC822.SIZE ENVELOPE)
    S: * 1 FETCH (UID 7 FLAGS (\\Seen) RFC822.SIZE 912 ENVELOPE ("Mon, 7 Dec ..." ...))
    S: * 2 FETCH (UID 8 FLAGS () RFC822.SIZE 455 ENVELOPE (...))
    S: a4 OK FETCH completed

That is how a mail client shows the list of messages (who, what, when, read or not)
without downloading them. ``BODY[]`` is the whole message, ``BODY[HEADER]`` only its
header, ``BODY[TEXT]`` only its body, ``BODY[HEADER.FIELDS (FROM SUBJECT)]`` some
header fields; any of them with ``<0.100>`` after it is only those octets. Opening a
message with ``BODY[...]`` marks it ``\\Seen``; ``BODY.PEEK[...]`` does not.

The octets of a section are cut from the message exactly as stored (IMAP is defined
on octets, and a client checks sizes against them). The ENVELOPE, which is about
meaning (addresses split into name, mailbox and host), is read with the standard
library's :mod:`email` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from ..mailstore import MaildropMessage
from ._syntax import Atom, ImapSyntaxError, Token, flag_list, internal_date, nstring, read

__all__ = ["FetchItem", "envelope", "parse_items", "section_octets"]

#: The items FETCH can name without brackets.
_SIMPLE = ("UID", "FLAGS", "RFC822.SIZE", "INTERNALDATE", "ENVELOPE",
           "RFC822", "RFC822.HEADER", "RFC822.TEXT")

#: Shorthands (RFC 9051 §6.4.5).
MACROS: dict[str, tuple[str, ...]] = {
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
}

#: The sections of ``BODY[...]`` this server cuts (a message's MIME parts, ``BODY[1]``,
#: are left out: it serves whole messages, their header and their text).
_SECTIONS = ("", "HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT")


@dataclass(frozen=True, slots=True)
class FetchItem:
    """One data item of a FETCH.

    Attributes:
        name: ``UID``, ``FLAGS`` ... or, for a section, ``BODY`` or ``BODY.PEEK``.
        section: for ``BODY[...]``, what is between the brackets (``""`` for the whole
            message), else None.
        fields: for ``HEADER.FIELDS (...)``, the field names, upper case.
        partial: for ``<start.count>``, the two numbers.
    """

    name: str
    section: str | None = None
    fields: tuple[str, ...] = ()
    partial: tuple[int, int] | None = None

    @property
    def sets_seen(self) -> bool:
        """Whether sending this item marks the message ``\\Seen`` (RFC 9051 §6.4.5)."""
        return self.name in ("BODY", "RFC822", "RFC822.TEXT")

    @property
    def carries_octets(self) -> bool:
        """Whether this item sends octets of the message (a section, or RFC822...)."""
        return self.section is not None or self.name in ("RFC822", "RFC822.HEADER",
                                                         "RFC822.TEXT")

    @property
    def whole_message(self) -> bool:
        """Whether this item carries the whole message (what "downloading" means)."""
        return (self.name in ("BODY", "BODY.PEEK") and self.section == ""
                and self.partial is None) or self.name == "RFC822"

    def label(self) -> str:
        """How the response names this item: ``BODY.PEEK[HEADER]`` is answered as
        ``BODY[HEADER]``, ``<0.100>`` as ``<0>``."""
        if self.section is None:
            return self.name
        section = self.section
        if self.fields:
            section = f"{section} ({' '.join(self.fields)})"
        start = f"<{self.partial[0]}>" if self.partial else ""
        return f"BODY[{section}]{start}"


def parse_items(tokens: list[Token]) -> list[FetchItem]:
    """The data items of a FETCH: one atom, a macro (``ALL``, ``FAST``) or a list.

    Raises:
        ImapSyntaxError: an item this server does not know, or a malformed one.
    """
    if len(tokens) != 1:
        raise ImapSyntaxError("FETCH takes a sequence set and then one item or a "
                              "parenthesised list of items")
    given = tokens[0]
    if isinstance(given, Atom) and given.upper() in MACROS:
        return [FetchItem(name) for name in MACROS[given.upper()]]
    if given == "FULL":
        raise ImapSyntaxError("FULL includes BODY (the MIME structure), which this "
                              "server does not send; ask for ALL")
    items = given if isinstance(given, list) else [given]
    if not items:
        raise ImapSyntaxError("FETCH () asks for nothing")
    return [_item(token) for token in items]


def _item(token: Token) -> FetchItem:
    if not isinstance(token, Atom):
        raise ImapSyntaxError(f"a FETCH item is a word such as FLAGS or BODY[], not {token!r}")
    text = str(token)
    name, bracket, rest = text.partition("[")
    name = name.upper()
    if not bracket:
        if name in _SIMPLE:
            return FetchItem(name)
        if name in ("BODY", "BODYSTRUCTURE"):
            raise ImapSyntaxError(f"{name} (the MIME structure) is not sent by this "
                                  "server; ask for BODY[] or BODY[HEADER]")
        raise ImapSyntaxError(f"unknown FETCH item {text!r}")
    if name not in ("BODY", "BODY.PEEK"):
        raise ImapSyntaxError(f"only BODY and BODY.PEEK take a [section], not {name}")
    inside, _, after = rest.partition("]")
    keyword, _, field_list = inside.partition(" ")
    keyword = keyword.upper()
    if keyword not in _SECTIONS:
        raise ImapSyntaxError(f"section [{inside}] is not one this server cuts: "
                              "[], [HEADER], [TEXT], [HEADER.FIELDS (...)]")
    fields: tuple[str, ...] = ()
    if keyword.startswith("HEADER.FIELDS"):
        names = read(field_list.encode()) if field_list else []
        if len(names) != 1 or not isinstance(names[0], list) or not names[0]:
            raise ImapSyntaxError(f"{keyword} takes a list of field names: "
                                  f"{keyword} (FROM SUBJECT)")
        fields = tuple(str(n).upper() for n in names[0] if isinstance(n, str))
    elif field_list:
        raise ImapSyntaxError(f"[{inside}]: only HEADER.FIELDS takes field names")
    return FetchItem(name, keyword, fields, _partial(after))


def _partial(after: str) -> tuple[int, int] | None:
    if not after:
        return None
    start, dot, count = after.removeprefix("<").removesuffix(">").partition(".")
    if (not after.startswith("<") or not after.endswith(">") or not dot
            or not start.isdigit() or not count.isdigit() or int(count) == 0):
        raise ImapSyntaxError(f"{after!r}: a partial fetch is <first octet.count>, e.g. <0.100>")
    return int(start), int(count)


# -- cutting sections -----------------------------------------------------------------


def _split(data: bytes) -> tuple[bytes, bytes]:
    """The header (with the blank line that ends it) and the text of a message."""
    head, blank, text = data.partition(b"\r\n\r\n")
    if not blank:
        return data, b""  # no body: the header is the whole message
    return head + b"\r\n\r\n", text


def _fields(header: bytes) -> list[tuple[str, bytes]]:
    """The header's fields: (name in upper case, the field's octets with their CRLF).

    A line starting with a space or tab continues the field before it (folding,
    RFC 5322 §2.2.3), so it is kept with it.
    """
    out: list[tuple[str, bytes]] = []
    for line in header.split(b"\r\n")[:-1]:
        if not line:
            break
        if line[:1] in (b" ", b"\t") and out:
            name, octets = out[-1]
            out[-1] = (name, octets + line + b"\r\n")
        else:
            out.append((line.partition(b":")[0].strip().decode("ascii", "replace").upper(),
                        line + b"\r\n"))
    return out


def section_octets(message: MaildropMessage, item: FetchItem) -> bytes:
    """The octets that ``item`` names in ``message``, exactly as stored."""
    header, text = _split(message.data)
    if item.name == "RFC822.HEADER" or item.section == "HEADER":
        octets = header
    elif item.name == "RFC822.TEXT" or item.section == "TEXT":
        octets = text
    elif item.section in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        keep = item.section == "HEADER.FIELDS"
        octets = b"".join(f for name, f in _fields(header) if (name in item.fields) == keep)
        octets += b"\r\n"
    else:
        octets = message.data
    if item.partial is not None:
        start, count = item.partial
        octets = octets[start:start + count]
    return octets


# -- ENVELOPE ---------------------------------------------------------------------------

_ENVELOPE_FIELDS = ("Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
                    "In-Reply-To", "Message-ID")
_ADDRESS_FIELDS = frozenset({"From", "Sender", "Reply-To", "To", "Cc", "Bcc"})


def envelope(message: MaildropMessage) -> str:
    """The ENVELOPE of a message: its main header fields, addresses taken apart.

    In order: date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
    message-id. Each address is ``(name route mailbox host)``; a missing field is
    NIL. Sender and Reply-To default to From (RFC 9051 §7.5.2).
    """
    header = BytesHeaderParser(policy=compat32).parsebytes(message.data)
    values: dict[str, str | None] = {}
    for name in _ENVELOPE_FIELDS:
        raw = header.get(name)
        values[name] = None if raw is None else "".join(str(raw).splitlines())
    for name in ("Sender", "Reply-To"):
        if not values[name]:
            values[name] = values["From"]
    parts = [_addresses(values[n]) if n in _ADDRESS_FIELDS else nstring(values[n])
             for n in _ENVELOPE_FIELDS]
    return "(" + " ".join(parts) + ")"


def _addresses(value: str | None) -> str:
    if not value:
        return "NIL"
    out = []
    for name, address in getaddresses([value]):
        if not address and not name:
            continue
        mailbox, at, host = address.rpartition("@")
        if not at:
            mailbox, host = address, ""
        out.append(f"({nstring(name or None)} NIL {nstring(mailbox)} {nstring(host or None)})")
    return "(" + "".join(out) + ")" if out else "NIL"


def data_item(message: MaildropMessage, item: FetchItem) -> bytes:
    """One item of a FETCH response, as it goes on the wire (a section as a literal)."""
    if item.name == "UID":
        return b"UID %d" % message.uid
    if item.name == "FLAGS":
        return b"FLAGS " + flag_list(message.flags).encode()
    if item.name == "RFC822.SIZE":
        return b"RFC822.SIZE %d" % message.size
    if item.name == "INTERNALDATE":
        return b"INTERNALDATE " + internal_date(message.arrived).encode()
    if item.name == "ENVELOPE":
        return b"ENVELOPE " + envelope(message).encode("utf-8")
    octets = section_octets(message, item)
    return item.label().encode() + b" {%d}\r\n" % len(octets) + octets
