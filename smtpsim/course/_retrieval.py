"""The exercise on the pull half of email, POP3 and IMAP: notebook 08."""

from __future__ import annotations

import re
from typing import Any

from ._verdict import _as_int, _Exercise, _one_of


def _exists(answer: Any) -> int | None:
    """``0``, ``"0"`` or the response itself, ``"* 0 EXISTS"`` -> 0."""
    if isinstance(answer, str):
        found = re.fullmatch(r"\s*\*?\s*(\d+)\s*(?:exists)?\s*", answer.lower())
        return int(found.group(1)) if found else None
    return _as_int(answer)


_EXISTS_AFTER_POP3 = _Exercise(
    where=("the phone's third IMAP session in pop-vs-imap (at 70 s), after the laptop's POP3 "
           "session (at 55 s): print its lines as in 08, or step to it in the Stepper with "
           "only the 'POP3 & IMAP' filter on, and read the answer to SELECT INBOX."),
    read=_exists,
    unreadable="The answer is a whole number: the n of '* n EXISTS'.",
    right=_one_of(0),
    praise=("Zero. POP3 marked both messages with DELE and removed them at QUIT (the UPDATE "
            "state). The mailbox is one and the same for POP3 and IMAP, so the phone's "
            "SELECT finds it empty: the mail now lives only on the laptop."),
    hints=(
        (_one_of(2), "Two is what the phone saw before the laptop checked its mail. What did "
                     "the laptop's POP3 client send after each RETR, and what happens at QUIT?"),
        (_one_of(1), "Did the laptop delete only one of the two messages? Count its DELE "
                     "commands."),
    ),
    otherwise="Alice's mailbox only ever held two messages.",
)


def check_exists_after_pop3(answer: Any) -> bool:
    """Notebook 08: in *pop-vs-imap*, after the laptop's POP3 session ends with QUIT, how
    many messages does the phone's next ``SELECT INBOX`` report (``* n EXISTS``)?"""
    return _EXISTS_AFTER_POP3(answer)


# ---------------------------------------------------------------------------
# 09 - down the stack: the packets of a failover
# ---------------------------------------------------------------------------

_REFUSED = _Exercise(
    where=("the capture of mx-failover in 09: list the packets with the RST flag (tshark "
           "-Y 'tcp.flags.reset == 1', or the table of packets in the notebook)."),
    read=_as_int,
    unreadable="The answer is a whole number of connections.",
    right=_one_of(3),
    praise=("Three. smtp.example.org tried mx1 once, got RST and went on to the backup "
            "mx2; then mx2, holding the mail, kept trying the primary on its retry "
            "schedule, refused twice until mx1 came back and took the message."),
    hints=(
        (_one_of(1), "One is smtp.example.org's attempt. Who else connects to mx1.example.com "
                     "port 25 later on, and why?"),
        (_one_of(6), "Six is every SYN in the capture: some were answered with SYN-ACK, not "
                     "RST."),
        (_one_of(2), "Count smtp.example.org's attempt too, not only the backup's."),
    ),
)


def check_refused_connections(answer: Any) -> bool:
    """Notebook 09: in the capture of *mx-failover*, how many TCP connections were
    refused (answered with RST)?"""
    return _REFUSED(answer)
