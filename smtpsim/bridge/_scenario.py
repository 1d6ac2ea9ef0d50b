"""A simulated network behind a real socket: ``smtpsim serve --scenario NAME``.

Each TCP connection becomes a :class:`~smtpsim.sim.ConsoleSession` with the scenario's
entry server: the bytes a person types with telnet, or that ``smtplib`` sends, reach
that node's own protocol engine and policy. When it accepts a message, the simulation
runs (simulated time moves on instantly) and the message travels the rest of the
network: relays, MX lookups, queues, retries, the MDA. The whole network's trace can be
streamed to a file, and the delivery summary is printed when the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ..sim import ConsoleSession, Network

__all__ = ["ScenarioServer"]


class ScenarioServer:
    """Serve ``network``'s server ``entry`` on ``host:port`` (loopback by default).

    Args:
        network: a built (not yet run) network.
        entry: the host name of the server to expose.
        idle_timeout: seconds of silence before ``421`` and close.
        on_message: called with each accepted message's trace id.
    """

    def __init__(self, network: Network, entry: str, *, host: str = "127.0.0.1", port: int = 0,
                 idle_timeout: float = 300.0,
                 on_message: Callable[[str], None] | None = None) -> None:
        self.network = network
        self.entry = entry
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self.on_message = on_message
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        network.run(0.0)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        console = ConsoleSession(self.network, self.entry, client=f"{peer[0]}:{peer[1]}",
                                 client_ip=str(peer[0]))
        try:
            writer.write(("\r\n".join(console.greeting) + "\r\n").encode())
            await writer.drain()
            while not console.closed:
                try:
                    data = await asyncio.wait_for(reader.read(65536), self.idle_timeout)
                except asyncio.TimeoutError:
                    writer.write(b"421 4.4.2 Idle timeout, closing connection\r\n")
                    console.close("idle timeout")
                    break
                before = len(console.accepted)
                writer.write(console.feed(data))
                await writer.drain()
                for msg in console.accepted[before:]:
                    console.deliver()  # the message travels the simulated network
                    if self.on_message is not None:
                        self.on_message(msg)
                if not data:  # the client hung up (feed() recorded it)
                    break
        except ConnectionError:
            console.close("client vanished")
        except asyncio.CancelledError:
            console.close("server shutdown")
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.close()
