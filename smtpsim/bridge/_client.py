"""The client engine on a real socket: deliver messages to any SMTP server.

:class:`~smtpsim.protocol.MailSender` plays a whole client session (EHLO, MAIL,
RCPT, DATA, QUIT, with PIPELINING when offered) but never touches a socket. This
module is its I/O loop, the mirror of the bridge's server loop::

    connect → repeat { read the server's bytes → sender.receive_data(bytes)
                       → write sender.data_to_send() } until sender.done

Pointed at the bridge, at aiosmtpd or at a real MTA, it delivers the same bytes the
simulation delivers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from ..protocol import MailSender, Outgoing, RecipientResult

__all__ = ["send_over_socket"]


async def send_over_socket(host: str, port: int, helo: str, messages: Sequence[Outgoing],
                           auth: tuple[str, str] | None = None, *,
                           timeout: float = 30.0) -> list[RecipientResult]:
    """Connect to ``host:port`` and send ``messages`` in one SMTP session.

    Args:
        host, port: the server to talk to.
        helo: the name this client gives in EHLO.
        messages: what to send; each content must use CRLF line endings.
        auth: ``(user, password)`` for AUTH PLAIN (a submission server), or None.
        timeout: seconds to wait for each read from the server.

    Returns:
        One :class:`~smtpsim.protocol.RecipientResult` per recipient of every message:
        ``status`` is ``"sent"`` (2xx), ``"deferred"`` (4xx) or ``"failed"`` (5xx).
        A server that falls silent or drops the connection leaves the unfinished
        recipients ``deferred`` (421), as a real MTA would keep them queued.
    """
    sender = MailSender(helo, messages, auth=auth)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not sender.done:
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                data = b""  # treat silence like a dropped connection
            sender.receive_data(data)
            out = sender.data_to_send()
            if out:
                writer.write(out)
                await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return sender.results
