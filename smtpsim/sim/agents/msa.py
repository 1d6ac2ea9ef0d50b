"""The message submission agent (MSA, RFC 6409): where a mail program hands in mail.

A user's mail program does not deliver mail itself: it *submits* it, on port 587,
to its provider's submission server, after logging in with AUTH. Only logged-in users
may send (``530 5.7.0`` otherwise); once logged in, they may send to anyone, and the
MSA relays the message on like any MTA. Like Postfix's cleanup(8), it gives a
submitted message a Message-ID when the header block has none.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from ... import message as _message
from ...protocol import AuthCredentials, Reply, ServerConfig
from ..world import SessionContext
from .mta import MTA

__all__ = ["SubmissionServer"]

#: Finds a message's Message-ID header.
_MESSAGE_ID = re.compile(rb"(?im)^Message-ID:[ \t]*(<[^>\r\n]*>)")


class SubmissionServer(MTA):
    """The message submission agent (MSA), port 587: an MTA that requires AUTH.

    Args:
        users: address -> password of the accounts allowed to log in.
        **kwargs: everything an :class:`~smtpsim.sim.MTA` takes.
    """

    kind: ClassVar[str] = "msa"
    port: ClassVar[int] = 587
    auth_mechanisms: ClassVar[tuple[str, ...]] = ("PLAIN", "LOGIN")

    def __init__(self, name: str, domain: str, *, users: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name, domain, **kwargs)
        self.users = dict(users or {})

    def server_config(self) -> ServerConfig:
        """An MTA's configuration, with AUTH required before MAIL FROM."""
        return dataclasses.replace(super().server_config(), require_auth=True)

    def check_credentials(self, ctx: SessionContext, event: AuthCredentials) -> Reply:
        """A login attempt, checked against :attr:`users`."""
        if self.users.get(event.username) == event.password:
            ctx.authenticated = event.username
            return Reply.of(235, "Authentication successful", "2.7.0")
        return Reply.of(535, "Authentication credentials invalid", "5.7.8")

    def accept(self, ctx: SessionContext, sender: str, rcpts: Sequence[str], content: bytes,
               queue_id: str, helo: str, esmtp: bool, *, smtputf8: bool = False,
               msg: str | None = None) -> str:
        end = content.find(b"\r\n\r\n")  # the header block: a body line never counts
        if not _MESSAGE_ID.search(content, 0, end if end >= 0 else len(content)):
            mid = f"<{queue_id}.{int(self.world.now)}@{self.name}>"
            content = _message.prepend_header(content, "Message-ID", mid)
        return super().accept(ctx, sender, rcpts, content, queue_id, helo, esmtp,
                              smtputf8=smtputf8, msg=msg)
