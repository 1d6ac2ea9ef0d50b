"""Small simulated worlds built by hand, shared by the simulation tests."""

from __future__ import annotations

import json
from collections.abc import Iterable

from smtpsim.sim import MDA, MTA, Mailbox, Network, SubmissionServer, UserAgent
from smtpsim.trace import TraceEvent

BODY = "Hello Alice.\nThis is a test message.\nYour friend,\nBob"


def two_domains(**net_kwargs: object) -> tuple[Network, UserAgent, dict[str, Mailbox]]:
    """Bob at example.org submits to his MSA, which relays by MX to example.com."""
    net = Network(**net_kwargs)  # type: ignore[arg-type]
    boxes = {a: Mailbox(a) for a in ("alice@example.com", "theodore@example.com")}
    boxes["bob@example.org"] = Mailbox("bob@example.org")
    net.add(SubmissionServer("smtp.example.org", "example.org",
                             users={"bob@example.org": "secret"},
                             local_domains=["example.org"],
                             mda=MDA("mda.example.org", "example.org", [boxes["bob@example.org"]])))
    net.add(MTA("mx.example.com", "example.com", local_domains=["example.com"],
                mda=MDA("mda.example.com", "example.com",
                        [boxes["alice@example.com"], boxes["theodore@example.com"]])))
    bob = UserAgent("bob-laptop", "bob@example.org", password="secret",
                    submit_to="smtp.example.org", mailbox=boxes["bob@example.org"])
    net.add(bob)
    net.zone.mx["example.com"] = [(10, "mx.example.com")]
    net.zone.mx["example.org"] = [(10, "smtp.example.org")]
    net.zone.a.update({"mx.example.com": "192.0.2.10", "smtp.example.org": "198.51.100.5",
                       "bob-laptop": "203.0.113.7"})
    return net, bob, boxes


def by_time(events: Iterable[TraceEvent]) -> list[tuple[float, str]]:
    """The records in time order; records of one instant in a fixed order (the clock
    runs simultaneous events first come, first served, and a run that waits less
    may line them up differently: they are still simultaneous)."""
    return sorted((e.t, json.dumps(e.to_dict(), sort_keys=True)) for e in events)
