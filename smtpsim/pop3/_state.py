"""The POP3 state machine, as data (RFC 1939 §3).

Theory of operation
-------------------
A POP3 session goes through three states, always in this order:

* **AUTHORIZATION**: the server has greeted with ``+OK``; the client says who it is
  (``USER`` and ``PASS``, or ``AUTH PLAIN``). Nothing about the mailbox is shown yet.
* **TRANSACTION**: logged in. The server has taken a snapshot of the maildrop and
  numbered its messages 1, 2, 3 ...; the client lists (``STAT``, ``LIST``, ``UIDL``),
  reads (``RETR``, ``TOP``) and *marks* messages for deletion (``DELE``; ``RSET``
  unmarks them all).
* **UPDATE**: the client said ``QUIT``. Only now are the marked messages removed, and
  the connection closes. A connection that drops before ``QUIT`` never reaches UPDATE,
  so it deletes nothing (RFC 1939 §6): that is how POP3 keeps mail safe.

Every command is answered by one status line, ``+OK`` or ``-ERR``; some answers then
carry more lines, ended by a line holding only ``.`` (a *multi-line* response).

Rules this file keeps:

* Where each command is allowed, and where its ``+OK`` leads, lives in
  :data:`TRANSITIONS`. The server engine runs on it, and the state diagram students
  see is drawn from it.
* A ``-ERR`` changes nothing, with one exception: a refused ``PASS`` undoes the
  ``USER`` before it, so the client starts again with ``USER`` (RFC 1939 §7).
* :data:`MULTILINE` says which ``+OK`` answers go on to more lines; the client engine
  reads by it.
"""

from __future__ import annotations

import enum

__all__ = ["MULTILINE", "TRANSITIONS", "State", "allowed", "next_state", "where_allowed"]


class State(enum.Enum):
    """Where a POP3 session stands, as the server sees it."""

    #: Greeted; waiting for the client to say who it is.
    AUTHORIZATION = "AUTHORIZATION"
    #: ``USER`` accepted; waiting for ``PASS``.
    USER = "USER"
    #: Logged in: the maildrop is open and its messages numbered.
    TRANSACTION = "TRANSACTION"
    #: ``QUIT`` in TRANSACTION: marked messages removed; the connection closes.
    UPDATE = "UPDATE"
    #: The connection is closed (``QUIT`` in AUTHORIZATION, a drop, too many failures).
    CLOSED = "CLOSED"


S = State

#: ``(state, command) -> state after +OK``. A command missing for a state is not
#: allowed there (``-ERR``). ``AUTH`` stands for a whole SASL exchange (RFC 5034).
TRANSITIONS: dict[tuple[State, str], State] = {
    (S.AUTHORIZATION, "CAPA"): S.AUTHORIZATION,
    (S.AUTHORIZATION, "USER"): S.USER,
    (S.AUTHORIZATION, "AUTH"): S.TRANSACTION,
    (S.AUTHORIZATION, "QUIT"): S.CLOSED,
    (S.USER, "CAPA"): S.USER,
    (S.USER, "PASS"): S.TRANSACTION,
    (S.USER, "USER"): S.USER,
    (S.USER, "QUIT"): S.CLOSED,
    (S.TRANSACTION, "CAPA"): S.TRANSACTION,
    (S.TRANSACTION, "STAT"): S.TRANSACTION,
    (S.TRANSACTION, "LIST"): S.TRANSACTION,
    (S.TRANSACTION, "UIDL"): S.TRANSACTION,
    (S.TRANSACTION, "RETR"): S.TRANSACTION,
    (S.TRANSACTION, "TOP"): S.TRANSACTION,
    (S.TRANSACTION, "DELE"): S.TRANSACTION,
    (S.TRANSACTION, "RSET"): S.TRANSACTION,
    (S.TRANSACTION, "NOOP"): S.TRANSACTION,
    (S.TRANSACTION, "QUIT"): S.UPDATE,
}

#: The commands whose ``+OK`` is followed by more lines and a lone ``.``: CAPA, RETR
#: and TOP always; LIST and UIDL when given no message number.
MULTILINE = frozenset({"CAPA", "RETR", "TOP", "LIST", "UIDL"})


def allowed(state: State, command: str) -> bool:
    """Whether ``command`` may be sent in ``state``."""
    return (state, command) in TRANSITIONS


def next_state(state: State, command: str) -> State:
    """Where ``command`` answered ``+OK`` leads from ``state``.

    Raises:
        KeyError: the command is not allowed in that state.
    """
    return TRANSITIONS[(state, command)]


def where_allowed(command: str) -> list[State]:
    """The states in which ``command`` is allowed, in the order of a session."""
    return [state for state in State if (state, command) in TRANSITIONS]
