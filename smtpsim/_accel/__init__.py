"""The opt-in speed layer: every speed device of smtpsim, and nothing else.

Theory of operation: the plain modules (``protocol``, ``message``, ``trace``, ``sim``)
are written to be read, and none of them imports this package. A device lives here
only while it earns at least 10 % on ``benchmarks/bench_sim.py`` or
``bench_protocol.py`` (each is measured in docs/DECISIONS.md), and it enters by
composition: a network is given :data:`ENGINES` in place of the plain ones::

    import smtpsim._accel
    net = smtpsim.Network(engines=smtpsim._accel.ENGINES)   # or accelerate(net)

What it holds:

* :mod:`smtpsim._accel.message` - a message writer that builds each repeating
  header once and shares it (compose and to_bytes give the plain module's bytes).

Batching the garbage collector stays an option of ``Network.run(gc_batch=True)``, off
here too: measured, it earned less than 10 %.

The SMTP engines themselves (:data:`server_connection`) are the plain ones: no
protocol device measured worth its place (see docs/DECISIONS.md).
``tests/test_accel_equivalence.py`` runs the scenario library and random worlds both
ways and compares the traces byte for byte.
"""

from __future__ import annotations

from ..protocol import ServerConnection
from ..sim import Engines, Network
from . import message

__all__ = ["ENGINES", "accelerate", "message", "server_connection"]

#: The accelerated engines: the memoising message writer.
ENGINES = Engines(message=message, name="accelerated")

#: The server engine of the accelerated path (the plain one: see the module's text).
server_connection = ServerConnection


def accelerate(network: Network) -> Network:
    """Switch ``network`` to the accelerated engines (before it runs); returns it."""
    network.engines = ENGINES
    return network
