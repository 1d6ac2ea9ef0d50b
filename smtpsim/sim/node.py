"""The base of everything on the network (:class:`Node`), and of every node that sends
mail through a queue of its own (:class:`Sender`).

A node knows its :class:`~smtpsim.sim.world.World` and nothing else of the network.
It says what it can do by answering a few questions, so the network assembles and
dispatches without testing types: does it serve SMTP (:meth:`Node.smtp_server`),
serve HTTP (:meth:`Node.http_server`), hold a mail queue (:meth:`Node.mail_queue`),
route mail by DNS MX (:meth:`Node.asks_dns`)? Which nodes come with it
(:meth:`Node.parts`: an MTA brings its MDA, an MDA its mailboxes)?
"""

from __future__ import annotations

from typing import ClassVar

from ..protocol import Reply
from .queue import LocalResult, MailQueue, NextHop, QueueEntry, RetryPolicy
from .world import HttpServer, MailboxService, SmtpServer, World

__all__ = ["Node", "Sender"]


class Node:
    """Something on the network with a name (its host name), a role and a domain."""

    kind: ClassVar[str] = "node"

    def __init__(self, name: str, domain: str, *, address: str | None = None) -> None:
        self.name = name
        self.domain = domain
        self.address = address
        self._world: World | None = None

    @property
    def world(self) -> World:
        """The world this node lives in (once added to a network)."""
        if self._world is None:
            raise RuntimeError(f"{self.name} is not part of a network yet")
        return self._world

    def join(self, world: World) -> None:
        """Become part of ``world`` (:meth:`Network.add <smtpsim.sim.Network.add>`
        calls this)."""
        self._world = world

    # -- what it is made of, and whom it talks to -----------------------------------
    def parts(self) -> list[Node]:
        """Nodes that come with this one (an MTA's MDA, an MDA's mailboxes)."""
        return []

    def peers(self) -> list[tuple[str, int, str]]:
        """Nodes this one talks to by its own configuration: ``(name, port, protocol)``."""
        return []

    # -- what it can do (None or False: it cannot) -----------------------------------
    def smtp_server(self) -> SmtpServer | None:
        """This node as an SMTP server, if it serves SMTP."""
        return None

    def http_server(self) -> HttpServer | None:
        """This node as an HTTP API server, if it serves one."""
        return None

    def mailbox_service(self) -> MailboxService | None:
        """This node as a POP3/IMAP mailbox server, if it is one."""
        return None

    def mail_queue(self) -> MailQueue | None:
        """This node's mail queue, if it sends mail through one."""
        return None

    def asks_dns(self) -> bool:
        """Whether it finds some next hops by asking DNS for MX records."""
        return False

    def routes_by_mx(self, domain: str) -> bool:
        """Whether mail for ``domain`` leaves it for the domain's MX hosts."""
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Sender(Node):
    """A node with a mail queue that delivers what it holds (see :mod:`smtpsim.sim.queue`).

    A subclass says where each recipient goes next (:meth:`route_for`), and may log in
    (:meth:`credentials`) or deliver on the host itself (:meth:`local_delivery`).
    """

    #: Whether it reports failures with a DSN (a user agent tells its user instead).
    sends_dsn: bool = True

    def __init__(self, name: str, domain: str, *, address: str | None = None,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(name, domain, address=address)
        self.queue = MailQueue(self, retry)

    def mail_queue(self) -> MailQueue:
        return self.queue

    def enqueue(self, msg: str, sender: str, rcpts: list[str], content: bytes) -> None:
        """Take responsibility for ``msg`` and start delivering it."""
        self.queue.enqueue(msg, sender, rcpts, content)

    def route_for(self, rcpt: str) -> NextHop:
        """The next hop for ``rcpt``."""
        raise NotImplementedError(f"{type(self).__name__} must say where mail goes")

    def credentials(self, host: str) -> tuple[str, str] | None:
        """``(user, password)`` for AUTH at ``host``, or None."""
        return None

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> LocalResult:
        """Deliver ``rcpt``'s copy on this host: ``("sent"|"deferred"|"failed", reply)``."""
        return "failed", Reply.of(550, "no local delivery here", "5.1.1")
