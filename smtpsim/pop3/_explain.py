"""What every POP3 line means, for people: one table per side of the dialog.

POP3 answers are simpler than SMTP replies: every answer starts with ``+OK`` (it
worked) or ``-ERR`` (it did not), and the rest of the line is for humans, except where
RFC 1939 fixes its form (``+OK 2 320`` after ``STAT``: two messages, 320 octets). A
``-ERR`` may carry a *response code* in brackets (RFC 2449 §8, RFC 3206) that a
program can act on, such as ``[AUTH]`` for bad credentials or ``[IN-USE]`` for a
mailbox another session holds.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "RESPONSE_CODES", "explain_command", "explain_response"]

#: What each command asks for (RFC 1939 §4-§7, RFC 2449 CAPA, RFC 5034 AUTH).
COMMANDS: dict[str, str] = {
    "CAPA": "Asks which optional features (capabilities) the server offers.",
    "USER": "Names the mailbox (the account) to log in to; the password follows with PASS.",
    "PASS": "Gives the password for the account named by USER.",
    "AUTH": "Logs in with a SASL mechanism; PLAIN sends the user name and password "
    "together, base64-encoded.",
    "STAT": "Asks how many messages the maildrop holds and their total size in octets.",
    "LIST": "Asks for the size of each message (or of one message, given its number).",
    "UIDL": "Asks for each message's unique id, which stays the same across sessions: "
    "that is how a client knows which messages it has already downloaded.",
    "RETR": "Downloads one whole message, headers and body.",
    "TOP": "Downloads a message's headers and only the first lines of its body.",
    "DELE": "Marks a message for deletion. It is removed only when the session ends "
    "with QUIT.",
    "RSET": "Unmarks every message marked for deletion in this session.",
    "NOOP": "Does nothing; keeps the connection alive.",
    "QUIT": "Ends the session. After login, this is when marked messages are deleted "
    "(the UPDATE state).",
}

#: Response codes in brackets after ``-ERR`` (or ``+OK``): RFC 2449 §8 and RFC 3206.
RESPONSE_CODES: dict[str, str] = {
    "AUTH": "the user name or password is wrong (not a server fault)",
    "IN-USE": "another session has this mailbox open; try again later",
    "LOGIN-DELAY": "you are logging in more often than the server allows",
    "SYS/TEMP": "a temporary problem at the server; try again later",
    "SYS/PERM": "a permanent problem at the server; retrying will not help",
}


def explain_command(line: str) -> str:
    """The meaning of a client's POP3 command line, e.g. ``"RETR 1"``; ``""`` for a
    line that is not a command (a SASL response, an empty line).

    >>> explain_command("DELE 2")[:26]
    'Marks a message for deleti'
    """
    keyword = line.split(" ", 1)[0].upper()
    return COMMANDS.get(keyword, "")


def explain_response(line: str, command: str = "") -> str:
    """The meaning of a server's POP3 status line, given the command it answers.

    Args:
        line: the server's line, e.g. ``"+OK 2 320"`` or ``"-ERR [AUTH] Invalid login"``.
        command: the keyword of the command it answers (``"STAT"``), or ``""`` for the
            greeting. Lines of a multi-line body (and its final ``.``) are not status
            lines; they get ``""`` unless ``line`` is the lone dot.

    >>> explain_response("+OK 2 320", "STAT")
    'Yes: the maildrop holds 2 messages, 320 octets in all.'
    """
    if line == ".":
        return "The lone dot ends a multi-line response."
    if line.startswith("+OK"):
        return "Yes: " + _what_ok_says(line[3:].strip(), command.upper())
    if line.startswith("-ERR"):
        text = line[4:].strip()
        meaning = "No: the server refused"
        meaning += f" {command.upper()}." if command else "."
        if text.startswith("[") and "]" in text:
            code = text[1:text.index("]")]
            detail = RESPONSE_CODES.get(code.upper())
            if detail:
                meaning += f" [{code}]: {detail}."
        return meaning
    if line.startswith("+ ") or line == "+":
        return "Go on: the server waits for the next step of the SASL exchange."
    return ""


def _what_ok_says(rest: str, command: str) -> str:
    words = rest.split()
    if command == "STAT" and len(words) >= 2 and words[0].isdigit() and words[1].isdigit():
        noun = "message" if words[0] == "1" else "messages"
        return f"the maildrop holds {words[0]} {noun}, {words[1]} octets in all."
    # ``LIST 2`` is answered ``+OK 2 410``: one message, two words. ``LIST`` alone is
    # answered ``+OK 2 messages (820 octets)`` and the listing follows.
    if command in ("LIST", "UIDL") and len(words) == 2 and words[0].isdigit():
        what = "size in octets" if command == "LIST" else "unique id"
        return f"message {words[0]} has {what} {words[1]}."
    return {
        "": "the server is ready and waits for you to log in.",
        "CAPA": "the list of capabilities follows, one per line.",
        "USER": "now send the password with PASS.",
        "PASS": "logged in; the maildrop is open (TRANSACTION state).",
        "AUTH": "logged in; the maildrop is open (TRANSACTION state).",
        "LIST": "one line per message follows: its number and size in octets.",
        "UIDL": "one line per message follows: its number and unique id.",
        "RETR": "the message follows, dot-stuffed, ended by a lone dot.",
        "TOP": "the headers and the first body lines follow, ended by a lone dot.",
        "DELE": "the message is marked; it will be removed at QUIT.",
        "RSET": "no message is marked for deletion any more.",
        "NOOP": "still here.",
        "QUIT": "goodbye; any marked messages have now been removed.",
    }.get(command, "done.")
