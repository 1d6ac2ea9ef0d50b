"""Which engines a network runs: the plain ones, or others passed in (composition).

Theory of operation: every module of smtpsim is plain code, written to be read. A
faster variant of a part (say a message writer that remembers the headers it built)
does not patch the plain one: it is another object with the same functions, and a
network is *given* it, ``Network(engines=...)``. The plain path never imports the
faster one; the opt-in speed layer ``smtpsim._accel`` builds an :class:`Engines` of
its own. Nodes reach the engines through their world (``world.engines``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from typing import Protocol

from .. import message as _message

__all__ = ["PLAIN", "Engines", "MessageWriter"]


class MessageWriter(Protocol):
    """What a node uses to write a new message: :mod:`smtpsim.message` is one."""

    def compose(
        self, sender: str, to: Sequence[str], *, cc: Sequence[str] = (),
        bcc: Sequence[str] = (), subject: str, body: str, date: datetime,
        message_id: str | None = None, from_name: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> EmailMessage:
        """Write a message (see :func:`smtpsim.message.compose`)."""

    def to_bytes(self, msg: Message) -> bytes:
        """Serialise it for ``DATA`` (see :func:`smtpsim.message.to_bytes`)."""


@dataclass(frozen=True)
class Engines:
    """The parts a :class:`~smtpsim.sim.Network` runs with.

    Attributes:
        message: writes the messages user agents and gateways send.
        gc_batch: whether :meth:`~smtpsim.sim.Network.run` batches the garbage
            collector by default (see :func:`smtpsim.sim.clock.batched_gc`).
        name: how the engines are named in a benchmark's output.
    """

    message: MessageWriter
    gc_batch: bool = False
    name: str = "plain"


#: The plain engines, which every network runs unless it is given others.
PLAIN = Engines(message=_message)
