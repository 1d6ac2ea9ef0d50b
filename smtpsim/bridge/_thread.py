"""Run a bridge in a background thread, for scripts and tests.

asyncio code wants an event loop; a plain script (or a test using :mod:`smtplib`)
wants to make blocking calls. :class:`BridgeThread` runs an :class:`SMTPBridge` on
its own loop in a daemon thread, so blocking code can talk to it (the same idea as
aiosmtpd's ``Controller``)::

    with BridgeThread(SMTPBridge(port=0)) as bridge:
        host, port = bridge.address
        with smtplib.SMTP(host, port) as client:
            client.sendmail("bob@example.org", ["alice@example.com"], b"...")
        print(bridge.mailbox)

In a notebook, where a loop is already running, ``await bridge.start()`` directly.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ._server import SMTPBridge

__all__ = ["BridgeThread"]


class BridgeThread:
    """Start ``bridge`` on a private event loop in a thread; stop it on exit."""

    def __init__(self, bridge: SMTPBridge, timeout: float = 5.0) -> None:
        self.bridge = bridge
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="smtpsim-bridge")

    def start(self) -> SMTPBridge:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.bridge.start(), self.loop).result(self.timeout)
        return self.bridge

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        fut = asyncio.run_coroutine_threadsafe(self.bridge.close(), self.loop)
        fut.result(self.timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(self.timeout)
        self.loop.close()

    def __enter__(self) -> SMTPBridge:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
