"""A simulated network behind a real socket: ``smtpsim serve --scenario NAME``.

Each TCP connection becomes a :class:`~smtpsim.sim.ConsoleSession` with the scenario's
entry server: the bytes a person types with telnet, or that ``smtplib`` sends, reach
that node's own protocol engine and policy. When it accepts a message, the simulation
runs (simulated time moves on instantly) and the message travels the rest of the
network: relays, MX lookups, queues, retries, the MDA. The whole network's trace can be
streamed to a file, and the delivery summary is printed when the server stops.

It keeps the same limits as the plain bridge (:class:`~smtpsim.bridge.Limits`): at
most ``max_connections`` clients (one more gets ``421 4.3.2``), the idle, per-command
and per-session time limits (``421 4.4.2``), and the engine's line and message size
limits (``max_size`` can lower the scenario server's own). Shutting down answers
``421 4.3.2`` to every client, including those whose connection arrived during the
shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..sim import ConsoleSession, Network
from ._server import TOO_MANY, Limits, refuse
from ._session import COMMAND_TIMEOUT_REPLY, IDLE_REPLY, SESSION_LIMIT_REPLY, SHUTDOWN_REPLY

__all__ = ["ScenarioServer"]


class ScenarioServer:
    """Serve ``network``'s server ``entry`` on ``host:port`` (loopback by default).

    Args:
        network: a built (not yet run) network.
        entry: the host name of the server to expose.
        limits: connection and time limits (:class:`~smtpsim.bridge.Limits`).
        max_size: if given, the entry server's message size limit becomes at most
            this many octets.
        on_message: called with each accepted message's trace id.
    """

    def __init__(self, network: Network, entry: str, *, host: str = "127.0.0.1", port: int = 0,
                 limits: Limits | None = None, max_size: int | None = None,
                 on_message: Callable[[str], None] | None = None) -> None:
        self.network = network
        self.entry = entry
        self.host = host
        self.port = port
        self.limits = limits or Limits()
        self.on_message = on_message
        node = network.nodes.get(entry)
        if max_size is not None and node is not None and hasattr(node, "max_message_size"):
            node.max_message_size = min(node.max_message_size, max_size)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sessions = 0
        self._closing = False
        self._stop = asyncio.Event()
        network.run(0.0)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def close(self, grace: float = 2.0) -> None:
        """Stop listening, say ``421 4.3.2`` to every client, and wait for them all."""
        self._closing = True
        self._stop.set()
        if self._server is not None:
            self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while True:
            await asyncio.sleep(0)  # let handlers of just-accepted sockets start
            if not self._tasks:
                break
            left = deadline - loop.time()
            _, late = await asyncio.wait(list(self._tasks), timeout=max(left, 0.0))
            if late and left <= 0:
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self._closing:
                await refuse(writer, SHUTDOWN_REPLY)
            elif self._sessions >= self.limits.max_connections:
                await refuse(writer, TOO_MANY)
            else:
                self._sessions += 1
                try:
                    await self._converse(reader, writer)
                finally:
                    self._sessions -= 1
        except asyncio.CancelledError:  # close() ran out of grace: end quietly
            writer.transport.abort()
        finally:
            self._tasks.discard(task)

    async def _converse(self, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        console = ConsoleSession(self.network, self.entry, client=f"{peer[0]}:{peer[1]}",
                                 client_ip=str(peer[0]))
        limits = self.limits
        loop = asyncio.get_running_loop()
        session_end = loop.time() + limits.session_timeout
        command_end = loop.time() + limits.command_timeout
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            writer.write(("\r\n".join(console.greeting) + "\r\n").encode())
            await writer.drain()
            while not console.closed:
                now = loop.time()
                wait = max(0.0, min(limits.idle_timeout, command_end - now, session_end - now))
                read = asyncio.ensure_future(reader.read(limits.read_size))
                done, _ = await asyncio.wait({read, stop}, timeout=wait,
                                             return_when=asyncio.FIRST_COMPLETED)
                if read not in done:
                    read.cancel()
                    now = loop.time()
                    if stop in done:
                        reply, why = SHUTDOWN_REPLY, "server shutdown"
                    elif now >= session_end:
                        reply, why = SESSION_LIMIT_REPLY, "session time limit"
                    elif now >= command_end:
                        reply, why = COMMAND_TIMEOUT_REPLY, "command timeout"
                    else:
                        reply, why = IDLE_REPLY, "idle timeout"
                    writer.write(reply.to_bytes())
                    console.close(why)
                    await writer.drain()
                    break
                data = read.result()
                before = len(console.accepted)
                out = console.feed(data)
                if out:  # replies: the clock for the next command starts now
                    command_end = loop.time() + limits.command_timeout
                writer.write(out)
                await writer.drain()
                for msg in console.accepted[before:]:
                    console.deliver()  # the message travels the simulated network
                    if self.on_message is not None:
                        self.on_message(msg)
                if not data:  # the client hung up (feed() recorded it)
                    break
        except (ConnectionError, OSError):
            console.close("client vanished")
        except asyncio.CancelledError:
            console.close("server shutdown")
            raise
        finally:
            stop.cancel()
            try:
                writer.close()
                await writer.wait_closed()
            except (ConnectionError, OSError, RuntimeError):
                pass
