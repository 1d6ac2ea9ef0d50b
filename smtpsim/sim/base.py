"""The base of every simulated node: a name, a role and a domain."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .network import Network

__all__ = ["MESSAGE_ID", "Node"]

#: Finds a message's Message-ID header (the id that follows a message across hops).
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:[ \t]*(<[^>\r\n]*>)")


class Node:
    """Something on the network with a name (its host name), a role and a domain."""

    kind: ClassVar[str] = "node"

    def __init__(self, name: str, domain: str, *, address: str | None = None) -> None:
        self.name = name
        self.domain = domain
        self.address = address
        self._network: Network | None = None

    @property
    def network(self) -> Network:
        if self._network is None:
            raise RuntimeError(f"{self.name} is not part of a network yet")
        return self._network

    def peers(self) -> list[tuple[str, int, str]]:
        """Nodes this one talks to by its own configuration: ``(name, port, protocol)``."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
