"""Where each node of a network is drawn: the hand-computed layout every topology view shares.

Theory of operation
-------------------
Mail flows left to right: the person writing sits at the left, the mailbox it ends
in at the right. :func:`layout` computes that picture by hand, with no random seed:

1. **Columns** are hops. A breadth-first walk of the links starts from the senders
   (user agents and apps that do not just read a mailbox); a node's column is its
   number of hops from a sender. DNS servers are kept out of the walk and sit in
   a row above, since every MTA asks them.
2. **Domains** are shaded boxes. Each domain's nodes stack in rows inside its
   box; boxes that would overlap in the same columns are stacked one above the other.

Positions are in *layout units*: one column per hop, one row per node, ``y`` up.
This module needs networkx but not matplotlib, so the matplotlib figure
(:func:`smtpsim.viz.topology`) and the Stepper's SVG picture
(:func:`smtpsim.viz.topology_svg`) read the very same positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx

from ..trace.queries import network

if TYPE_CHECKING:
    from ..trace import NetworkDescribed, TraceEvent

__all__ = ["frame", "label_point", "layout", "link_label", "network_graph", "node_label",
           "place"]

_SENDER_KINDS = ("user_agent", "app")
_Box = tuple[float, float, float, float]  # x0, x1, y0, y1


def link_label(port: int, protocol: str) -> str:
    """The label on a link: ``"25 SMTP"``, ``"587 SMTP+AUTH"``; no port if it is 0."""
    return f"{port} {protocol}" if port else protocol


def network_graph(net: NetworkDescribed) -> nx.Graph:
    """The network as a :class:`networkx.Graph`: nodes carry ``kind`` and ``domain``,
    edges ``port``, ``protocol`` and ``latency``. Handy for your own analysis too."""
    g = nx.Graph(name=net.title or net.node)
    for name, kind, domain in net.nodes:
        g.add_node(name, kind=kind, domain=domain)
    for a, b, port, protocol, latency in net.links:
        g.add_edge(a, b, port=port, protocol=protocol, latency=latency)
    return g


def _ranks(net: NetworkDescribed) -> dict[str, int]:
    """Columns: hops from the nearest sender (breadth-first), DNS left out; a part of
    the network no sender reaches counts from its first node."""
    g = network_graph(net)
    g.remove_nodes_from([n for n, k in g.nodes(data="kind") if k == "dns"])
    order = {n: i for i, n in enumerate(g.nodes)}
    senders = [n for n, k in g.nodes(data="kind") if k in _SENDER_KINDS]
    writers = [n for n in senders if all(g.nodes[m]["kind"] != "mailbox" for m in g[n])]
    rank: dict[str, int] = {}
    starts = writers or senders
    if starts:
        rank.update(nx.multi_source_dijkstra_path_length(g, starts))
    for component in sorted(nx.connected_components(g), key=lambda c: min(map(order.get, c))):
        if not rank.keys() & component:
            first = min(component, key=order.__getitem__)
            rank.update(nx.single_source_shortest_path_length(g, first))
    return {n: int(rank[n]) for n in g.nodes}


def _overlaps(a: _Box, b: _Box) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _domain_boxes(
    net: NetworkDescribed, rank: dict[str, int]
) -> tuple[dict[str, tuple[float, float]], dict[str, _Box]]:
    """Place each domain's nodes; return positions and each domain's box (x0, x1, y0, y1)."""
    domains: dict[str, list[str]] = {}
    for name, kind, domain in net.nodes:
        if kind != "dns":
            domains.setdefault(domain, []).append(name)
    first = {d: i for i, d in enumerate(domains)}
    ordered = sorted(domains, key=lambda d: (min(rank[n] for n in domains[d]), first[d]))
    pos: dict[str, tuple[float, float]] = {}
    boxes: dict[str, _Box] = {}
    for d in ordered:
        columns: dict[int, list[str]] = {}
        for n in domains[d]:
            columns.setdefault(rank[n], []).append(n)
        height = max(len(c) for c in columns.values())
        x0, x1 = min(columns) - 0.45, max(columns) + 0.45
        # Try the top lane first, then just below every box already placed.
        # (A box reaches 0.85 above its top row, for the domain name, and 0.72 below
        # its bottom row, for the node names.)
        tops = sorted({0.0, *(b[2] - 0.3 - 0.85 for b in boxes.values())}, reverse=True)
        for top in tops:
            box = (x0, x1, top - (height - 1) - 0.72, top + 0.85)
            if not any(_overlaps(box, other) for other in boxes.values()):
                break
        boxes[d] = box
        for col, names in columns.items():
            offset = (height - len(names)) / 2
            for j, n in enumerate(names):
                pos[n] = (float(col), top - offset - j)
    return pos, boxes


def place(net: NetworkDescribed) -> tuple[dict[str, tuple[float, float]], dict[str, _Box]]:
    """Positions ``name -> (x, y)`` and domain boxes ``domain -> (x0, x1, y0, y1)``."""
    rank = _ranks(net)
    pos, boxes = _domain_boxes(net, rank)
    dns = [n for n, k, _ in net.nodes if k == "dns"]
    if dns:
        xs = [p[0] for p in pos.values()] or [0.0]
        mid = (min(xs) + max(xs)) / 2
        top = max((b[3] for b in boxes.values()), default=0.0) + 0.7
        for j, n in enumerate(dns):
            pos[n] = (mid + j - (len(dns) - 1) / 2, top)
    return pos, boxes


def layout(trace: Iterable[TraceEvent]) -> dict[str, tuple[float, float]]:
    """Where each node of the trace's network is drawn: ``name -> (x, y)``.

    ``x`` counts hops from the sender (columns), ``y`` goes down through each domain's
    rows; DNS servers sit in a row on top. Hand-computed, so always the same.

    Raises:
        ValueError: the trace has no :class:`~smtpsim.trace.NetworkDescribed` event.
    """
    return place(network(trace))[0]


def label_point(net: NetworkDescribed, a: tuple[float, float], b: tuple[float, float]
                 ) -> tuple[float, float]:
    """Where a link's port label goes: its middle, unless a domain's name is written
    there (a link between domains often crosses one); then a bit along the link."""
    titles = [(x0, x0 + 0.2 + 0.11 * len(domain or "(no domain)"), y1 - 0.4, y1)
              for domain, (x0, _x1, _y0, y1) in place(net)[1].items()]
    for f in (0.5, 0.35, 0.65, 0.25, 0.75):
        x, y = a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
        if not any(tx0 - 0.35 <= x <= tx1 + 0.35 and ty0 - 0.15 <= y <= ty1 + 0.15
                   for tx0, tx1, ty0, ty1 in titles):
            return x, y
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def node_label(name: str) -> str:
    """A node's name as drawn: long names (``mailbox:theodore@example.com``) break
    before the ``@`` so neighbouring columns' names do not run into each other."""
    if len(name) > 18 and "@" in name[1:]:
        user, _, domain = name.rpartition("@")
        return f"{user}\n@{domain}"
    return name




def frame(net: NetworkDescribed, pad: float = 0.15) -> _Box:
    """The rectangle ``(x0, x1, y0, y1)`` that holds every node, its name below it
    and every domain box, with ``pad`` to spare: what a picture of ``net`` shows."""
    pos, boxes = place(net)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    x0 = min([min(xs) - 0.5, *(b[0] for b in boxes.values())])
    x1 = max([max(xs) + 0.5, *(b[1] for b in boxes.values())])
    y0 = min([min(ys) - 0.75, *(b[2] for b in boxes.values())])
    y1 = max([max(ys) + 0.4, *(b[3] for b in boxes.values())])
    return x0 - pad, x1 + pad, y0 - pad, y1 + pad
