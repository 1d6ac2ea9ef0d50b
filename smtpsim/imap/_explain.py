"""What every IMAP line means, for people.

An IMAP line is one of four kinds, told apart by how it starts:

* a **command** from the client: a tag of its choosing, the command, its arguments
  (``a3 SELECT INBOX``);
* a **tagged** response: the same tag, then ``OK`` (done), ``NO`` (refused) or ``BAD``
  (the command was wrong): ``a3 OK [READ-WRITE] SELECT completed``;
* an **untagged** response, starting with ``*``: data or news (``* 3 EXISTS``), sent
  before the tagged response of the command it belongs to, or at any time;
* a **continuation request**, starting with ``+``: the server waits for more from the
  client (the octets of a literal, a SASL answer, or, during IDLE, ``DONE``).

A bracketed *response code* such as ``[UIDVALIDITY 3]`` carries a fact for programs.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "RESPONSE_CODES", "UNTAGGED", "explain_command", "explain_response"]

#: What each command asks for (RFC 9051 §6, RFC 2177 IDLE, RFC 3691 UNSELECT).
COMMANDS: dict[str, str] = {
    "CAPABILITY": "Asks which versions and extensions the server offers.",
    "NOOP": "Does nothing, but gives the server the chance to tell what changed "
    "(new mail, messages expunged elsewhere).",
    "LOGOUT": "Ends the session. Nothing is deleted by logging out.",
    "LOGIN": "Logs in with a user name and a password.",
    "AUTHENTICATE": "Logs in with a SASL mechanism; PLAIN sends the user name and "
    "password together, base64-encoded.",
    "ENABLE": "Turns on an extension for this session (ENABLE IMAP4rev2: the newer "
    "version's answers).",
    "LIST": "Asks which mailboxes (folders) exist that match a pattern (* is anything).",
    "STATUS": "Counts a mailbox's messages (MESSAGES, UNSEEN ...) without opening it.",
    "SELECT": "Opens a mailbox to read and change it; the server says how many "
    "messages it holds and their UIDVALIDITY.",
    "EXAMINE": "Opens a mailbox read-only: nothing is marked \\Seen, nothing changes.",
    "FETCH": "Asks for parts of messages by number: flags, size, envelope, header, "
    "or the whole message (BODY[] marks it \\Seen; BODY.PEEK[] does not).",
    "SEARCH": "Asks which messages match some keys (UNSEEN, FROM \"bob\" ...).",
    "STORE": "Changes messages' flags: +FLAGS adds, -FLAGS removes, FLAGS replaces. "
    "\\Deleted only marks a message; EXPUNGE removes it.",
    "UID": "Runs FETCH, SEARCH or STORE with UIDs (numbers that never change) "
    "instead of message numbers.",
    "EXPUNGE": "Removes, for good, every message flagged \\Deleted.",
    "CLOSE": "Leaves the mailbox, silently removing the messages flagged \\Deleted.",
    "UNSELECT": "Leaves the mailbox without removing anything.",
    "IDLE": "Waits, connection open, for the server to announce new mail as it "
    "arrives (push), until the client sends DONE.",
    "DONE": "Ends IDLE.",
}

#: What an untagged response carries, by its keyword.
UNTAGGED: dict[str, str] = {
    "OK": "information (often a response code in brackets)",
    "NO": "a warning",
    "BAD": "the server could not read something the client sent",
    "BYE": "the server is closing the connection",
    "PREAUTH": "the connection is logged in already",
    "CAPABILITY": "the versions and extensions the server offers",
    "ENABLED": "the extensions now turned on",
    "LIST": "one mailbox: its attributes, hierarchy delimiter and name",
    "STATUS": "the counts asked for, for one mailbox",
    "FLAGS": "the flags messages in this mailbox can have",
    "SEARCH": "the numbers of the matching messages",
    "ESEARCH": "the matching messages, as a compact set (IMAP4rev2)",
    "EXISTS": "how many messages the mailbox holds now (more than before: new mail)",
    "RECENT": "how many messages are new since the last session (IMAP4rev1 only)",
    "EXPUNGE": "this message number is gone; every message after it moves down by one",
    "FETCH": "data about one message (its flags, parts of its text ...)",
}

#: Response codes in brackets (RFC 9051 §7.1, RFC 5530).
RESPONSE_CODES: dict[str, str] = {
    "CAPABILITY": "the capabilities, given early to save a CAPABILITY command",
    "PERMANENTFLAGS": "the flags the client can change for good",
    "UIDVALIDITY": "if this number changed, the UIDs the client remembers mean other "
    "messages now and must be forgotten",
    "UIDNEXT": "the UID the next message to arrive will get",
    "UNSEEN": "the number of the first message not yet seen (IMAP4rev1)",
    "READ-WRITE": "the mailbox is open for changes",
    "READ-ONLY": "the mailbox is open for reading only",
    "AUTHENTICATIONFAILED": "the user name or password is wrong (the server does not "
    "say which)",
    "AUTHORIZATIONFAILED": "the credentials are right, but not for that identity",
    "NONEXISTENT": "no mailbox of that name",
    "EXPUNGEISSUED": "another session expunged some of the messages asked for",
    "BADCHARSET": "the search named a character set the server cannot search in",
    "ALERT": "a message the user must see",
    "CANNOT": "the server cannot do this at all",
    "LIMIT": "a limit of the server was reached",
}

_STATUS = {
    "OK": "done: the command {name}worked",
    "NO": "refused: the command {name}was understood but could not be carried out",
    "BAD": "error: the command {name}was wrong (unknown, malformed, or not allowed now)",
}


def explain_command(line: str) -> str:
    """What a client line asks for (``a3 SELECT INBOX``, or ``DONE``).

    >>> explain_command("a3 SELECT INBOX")[:21]
    'Tag a3: opens a mailb'
    """
    words = line.split(" ")
    if len(words) == 1:
        word = words[0].upper()
        if word == "DONE":
            return COMMANDS["DONE"]
        if word == "*":
            return "Cancels an AUTHENTICATE exchange."
        return "An answer the server asked for (e.g. base64 credentials for AUTHENTICATE)."
    tag, name = words[0], words[1].upper()
    if name == "UID" and len(words) > 2:
        what = COMMANDS.get(words[2].upper(), "")
        return f"Tag {tag}: {words[2].upper()} by UID. {what}".rstrip()
    if name in COMMANDS:
        text = COMMANDS[name]
        return f"Tag {tag}: {text[0].lower()}{text[1:]}"
    return f"Tag {tag}: {name}, a command this server does not know."


def explain_response(line: str, command: str = "") -> str:
    """What a server line says. ``command`` is the client's command it answers, if
    known (``SELECT``), to name it in the explanation.

    >>> explain_response("* 3 EXISTS")
    'Untagged: the mailbox holds 3 messages now (a higher count than before: new mail).'
    """
    if line.startswith("+"):
        return ("Continuation: the server waits for more from the client (a literal's "
                "octets, a SASL answer, or DONE to end IDLE).")
    words = line.split(" ")
    if words[0] == "*" and len(words) > 1:
        return _untagged(words)
    if len(words) > 1 and words[1] in _STATUS:
        name = f"{command} " if command else ""
        text = f"Tagged {words[1]} for {words[0]}: " + _STATUS[words[1]].format(name=name)
        code = _code(words[2:])
        return text + (f"; {code}" if code else "") + "."
    # The octets of a literal are content, not the server's words: callers leave them
    # out (see smtpsim.sim.retrieval_console.outside_literals). What else is left is
    # the rest of the line that announced the literal, after its octets:
    # `` FLAGS (\\Seen))``.
    return "The rest of the response, after the octets of the literal it carried."


#: What an untagged response about a number says, with the number put in.
_NUMBERED = {
    "EXISTS": "the mailbox holds {n} messages now (a higher count than before: new mail)",
    "RECENT": "{n} messages are new since the last session (IMAP4rev1 only)",
    "EXPUNGE": "message {n} is gone; every message after it moves down by one",
    "FETCH": "data about message {n} (its flags, parts of its text ...)",
}


def _untagged(words: list[str]) -> str:
    keyword = words[1].upper()
    if keyword.isdigit() and len(words) > 2:  # * 3 EXISTS, * 2 FETCH (...)
        template = _NUMBERED.get(words[2].upper(), "data about message {n}")
        return f"Untagged: {template.format(n=words[1])}."
    code = _code(words[2:])
    if code and keyword in ("OK", "NO", "BAD"):  # * OK [UIDVALIDITY 3] ...
        return f"Untagged {keyword} {code}."
    meaning = UNTAGGED.get(keyword, "data the server sends")
    return f"Untagged: {meaning}" + (f"; {code}" if code else "") + "."


def _code(rest: list[str]) -> str:
    """``[NAME]: meaning`` for a response code at the start of ``rest``, or ``""``."""
    if not rest or not rest[0].startswith("["):
        return ""
    name = rest[0].strip("[]").upper()
    meaning = RESPONSE_CODES.get(name)
    return f"[{name}]: {meaning}" if meaning else ""
