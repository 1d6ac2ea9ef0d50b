"""A person talking SMTP to a simulated server: the Console widget and telnet.

:class:`ConsoleSession` puts one of the network's servers in front of a human (or a
real socket, through :mod:`smtpsim.bridge`). Whatever is typed goes to the node's own
:class:`~smtpsim.protocol.ServerConnection` and policy, exactly as a simulated client's
bytes would, and every line is written to the network's trace. A message completed
with the lone dot is accepted by that node and then travels the rest of the network
when the simulation runs (:meth:`ConsoleSession.deliver`).
"""

from __future__ import annotations

from ..protocol import (
    NEED_DATA,
    ConnectionClosed,
    MailFrom,
    MessageReceived,
    ServerConnection,
    State,
    explain_line,
)
from ..trace import DialogLine, SessionClosed, SessionOpened
from .agents import MTA
from .network import Network
from .world import SessionContext

__all__ = ["ConsoleSession"]


class ConsoleSession:
    """An interactive SMTP session with the server ``host`` of ``network``.

    Args:
        network: a built network (e.g. ``load("classic").build()``).
        host: the server to talk to (default: the first submission server or MTA).
        client: the name the trace uses for the person's machine.
        client_ip: the address the server sees (it appears in Received headers).

    ``send_line("HELO me")`` returns the server's reply lines; :attr:`accepted` lists
    the trace ids of messages the server has taken.
    """

    def __init__(self, network: Network, host: str | None = None, *,
                 client: str = "student-pc", client_ip: str = "127.0.0.1") -> None:
        if host is None:
            host = next((n.name for n in network.nodes.values() if isinstance(n, MTA)), None)
        node = network.nodes.get(host or "")
        if not isinstance(node, MTA):
            raise ValueError(f"{host!r} is not an SMTP server of this network")
        self.network = network
        self.node = node
        self.client = client
        self.ctx = SessionContext(network.new_session_id(), client, client_ip, node.port)
        self.server = ServerConnection(node.server_config())
        self.accepted: list[str] = []
        self._partial = bytearray()  # the client's unfinished line (its head)
        self._partial_cut = 0  # octets of it not kept (past MAX_LINE)
        network.record(SessionOpened(network.now, node.name, client, self.ctx.id, node.port))
        self.greeting = self._record_replies(self.server.greet())

    @property
    def session(self) -> str:
        """The session id in the trace."""
        return self.ctx.id

    @property
    def state(self) -> State:
        """Where the dialog stands (GREETED, READY, MAIL, RCPT, DATA, CLOSED)."""
        return self.server.state

    @property
    def closed(self) -> bool:
        return self.server.state is State.CLOSED

    @property
    def continuing(self) -> bool:
        """True while the server takes message content (DATA, after its 354): only
        then is an empty line worth sending (it separates the headers from the body)."""
        return self.server.state is State.DATA

    def _record(self, direction: str, line: str) -> None:
        net = self.network
        net.record(DialogLine(net.now, self.node.name, self.client, self.ctx.id, direction,
                              line, self.server.state.value))

    def _record_replies(self, data: bytes) -> list[str]:
        lines = data.decode("utf-8", "replace").split("\r\n")[:-1]
        for line in lines:
            self._record("S", line)
        return lines

    #: The most octets of one client line kept for the trace.
    MAX_LINE = 2048

    def _take(self, chunk: bytes) -> None:
        room = self.MAX_LINE - len(self._partial)
        if room > 0:
            self._partial += chunk[:room]
        self._partial_cut += max(len(chunk) - max(room, 0), 0)

    def _record_client_line(self) -> None:
        line = bytes(self._partial).rstrip(b"\r").decode("utf-8", "replace")
        if self._partial_cut:
            line += f"[… {self._partial_cut} more octets]"
        self._partial.clear()
        self._partial_cut = 0
        self._record("C", line)

    def feed(self, data: bytes) -> bytes:
        """Bytes typed by the client (``b""`` when it hangs up); returns the replies."""
        if data == b"":
            self.server.receive_data(b"")
        else:
            # Record complete lines as the client sent them. The unfinished line grows
            # at its end only (no copy of what came before, so a long line costs linear
            # time), and past MAX_LINE octets only its head is kept for the trace: the
            # engine refuses such a line anyway.
            start = 0
            while (end := data.find(b"\n", start)) >= 0:
                self._take(data[start:end])
                self._record_client_line()
                start = end + 1
            self._take(data[start:])
            self.server.receive_data(data)
        out = b""
        while (event := self.server.next_event()) is not NEED_DATA:
            if isinstance(event, ConnectionClosed):
                net = self.network
                net.record(SessionClosed(net.now, self.node.name, self.client, self.ctx.id,
                                         "client hung up"))
                break
            if isinstance(event, MailFrom):
                self.ctx.mail_from = event.address
            reply = self.node.decide(self.ctx, event) or self.server.default_reply()
            helo, esmtp = self.server.helo or self.client, self.server.esmtp
            data_out = self.server.send(reply)
            self._record_replies(data_out)
            out += data_out
            if isinstance(event, MessageReceived) and reply.is_success:
                env = event.envelope
                qid = reply.text.rpartition(" ")[2]
                self.accepted.append(self.node.accept(
                    self.ctx, env.mail_from or "", env.rcpt_tos, event.content, qid,
                    helo, esmtp, smtputf8=env.smtputf8))
            if self.server.state is State.CLOSED:
                net = self.network
                net.record(SessionClosed(net.now, self.node.name, self.client, self.ctx.id))
                break
        return out

    def close(self, reason: str = "closed") -> None:
        """End the session from the server's side (an idle timeout, a shutdown): any
        transaction under way is abandoned, and the trace says why."""
        if self.closed:
            return
        self.server.receive_data(b"")
        self.server.next_event()  # ConnectionClosed: a half-sent message is discarded
        net = self.network
        net.record(SessionClosed(net.now, self.node.name, self.client, self.ctx.id, reason))

    def send_line(self, line: str) -> list[str]:
        """Send one line (CRLF is added) and return the reply lines it produced."""
        data = self.feed(line.encode("utf-8") + b"\r\n")
        return data.decode("utf-8", "replace").split("\r\n")[:-1]

    @staticmethod
    def explain(reply_line: str) -> str:
        """The plain-English meaning of a reply line such as ``"250 2.1.5 Ok"``
        (:func:`smtpsim.protocol.explain_line`, the explainer every view uses)."""
        return explain_line(reply_line)

    def deliver(self, until: float | None = None) -> None:
        """Let the simulation run, so accepted messages travel the network."""
        self.network.run(until)
