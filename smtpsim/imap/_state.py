"""The IMAP state machine, as data (RFC 9051 §3).

Theory of operation
-------------------
An IMAP session is in one of four states:

* **NOT AUTHENTICATED**: the server has greeted with ``* OK``; the client must log in
  (``LOGIN`` or ``AUTHENTICATE``) before it may see any mail.
* **AUTHENTICATED**: logged in, no mailbox open yet. The client may ``LIST`` the
  mailboxes, ask a mailbox's ``STATUS``, and open one with ``SELECT`` (to read and
  change it) or ``EXAMINE`` (to read it only).
* **SELECTED**: a mailbox is open. Its messages are numbered 1, 2, 3 ... (*message
  sequence numbers*, which shift down when a message before them is expunged) and
  each also has a *UID* that never changes. The client ``FETCH``-es parts of
  messages, ``SEARCH``-es them, sets flags with ``STORE`` and removes the messages
  flagged ``\\Deleted`` with ``EXPUNGE``. ``CLOSE`` (expunge, then leave) and
  ``UNSELECT`` (just leave) go back to AUTHENTICATED.
* **LOGOUT**: the client said ``LOGOUT`` (or the server gave up); the connection
  closes.

Unlike POP3, nothing here downloads-and-deletes by itself: the mail stays on the
server, with its flags, until a client expunges it. That is why IMAP suits reading
the same mailbox from a laptop and a phone.

Every command carries a *tag* chosen by the client (``a1``, ``a2`` ...) and ends with
a *tagged* status response with the same tag: ``OK`` (done), ``NO`` (refused: the
command was fine but could not be carried out) or ``BAD`` (the command itself was
wrong: unknown, malformed, or not allowed in this state). Before it, the server may
send any number of *untagged* responses, starting with ``*``, with the data asked for
and news about the mailbox (``* 3 EXISTS``).

Rules this file keeps:

* Where each command is allowed, and where its ``OK`` leads, lives in
  :data:`TRANSITIONS`. The server engine runs on it, and the state diagram students
  see is drawn from it.
* ``NO`` and ``BAD`` change nothing, with one exception: ``SELECT`` or ``EXAMINE``
  that fails in SELECTED closes the mailbox that was open (RFC 9051 §6.3.2), so the
  session is AUTHENTICATED.
* ``IDLE`` (RFC 2177) keeps the state: while idle, the server announces changes to
  the mailbox as they happen, until the client says ``DONE``.
"""

from __future__ import annotations

import enum

__all__ = ["TRANSITIONS", "State", "allowed", "next_state", "where_allowed"]


class State(enum.Enum):
    """Where an IMAP session stands, as the server sees it."""

    #: Greeted; waiting for the client to log in.
    NOT_AUTHENTICATED = "NOT AUTHENTICATED"
    #: Logged in; no mailbox open.
    AUTHENTICATED = "AUTHENTICATED"
    #: A mailbox is open (by SELECT, or read-only by EXAMINE).
    SELECTED = "SELECTED"
    #: The session is over (LOGOUT, a drop, or the server gave up).
    LOGOUT = "LOGOUT"


S = State

#: The commands allowed in every state (RFC 9051 §6.1).
_ANY_STATE = ("CAPABILITY", "NOOP", "LOGOUT")
#: The commands of the authenticated state, also allowed when a mailbox is selected.
_LOGGED_IN = ("ENABLE", "LIST", "STATUS", "IDLE")

#: ``(state, command) -> state after OK``. A command missing for a state is not
#: allowed there (``BAD``). ``AUTHENTICATE`` stands for a whole SASL exchange.
TRANSITIONS: dict[tuple[State, str], State] = {
    **{(s, c): (S.LOGOUT if c == "LOGOUT" else s)
       for s in (S.NOT_AUTHENTICATED, S.AUTHENTICATED, S.SELECTED) for c in _ANY_STATE},
    (S.NOT_AUTHENTICATED, "LOGIN"): S.AUTHENTICATED,
    (S.NOT_AUTHENTICATED, "AUTHENTICATE"): S.AUTHENTICATED,
    **{(s, c): s for s in (S.AUTHENTICATED, S.SELECTED) for c in _LOGGED_IN},
    (S.AUTHENTICATED, "SELECT"): S.SELECTED,
    (S.AUTHENTICATED, "EXAMINE"): S.SELECTED,
    (S.SELECTED, "SELECT"): S.SELECTED,
    (S.SELECTED, "EXAMINE"): S.SELECTED,
    (S.SELECTED, "FETCH"): S.SELECTED,
    (S.SELECTED, "SEARCH"): S.SELECTED,
    (S.SELECTED, "STORE"): S.SELECTED,
    (S.SELECTED, "UID"): S.SELECTED,
    (S.SELECTED, "EXPUNGE"): S.SELECTED,
    (S.SELECTED, "CLOSE"): S.AUTHENTICATED,
    (S.SELECTED, "UNSELECT"): S.AUTHENTICATED,
}


def allowed(state: State, command: str) -> bool:
    """Whether ``command`` may be sent in ``state``."""
    return (state, command) in TRANSITIONS


def next_state(state: State, command: str) -> State:
    """Where ``command`` answered ``OK`` leads from ``state``.

    Raises:
        KeyError: the command is not allowed in that state.
    """
    return TRANSITIONS[(state, command)]


def where_allowed(command: str) -> list[State]:
    """The states in which ``command`` is allowed, in the order of a session."""
    return [state for state in State if (state, command) in TRANSITIONS]
