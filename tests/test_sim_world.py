"""The world a node sees: the clock, the trace, ids, zone, rng and date, and the
capabilities a node declares instead of being type-tested."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sim_worlds import two_domains

from smtpsim.sim import (
    MDA,
    MTA,
    App,
    Gateway,
    Mailbox,
    Network,
    SubmissionServer,
    UserAgent,
    World,
)
from smtpsim.trace import NetworkDescribed, NodeState


def test_a_node_sees_its_world_only_once_it_is_added() -> None:
    bob = UserAgent("pc", "bob@example.org", password="pw", submit_to="msa")
    with pytest.raises(RuntimeError, match="not part of a network yet"):
        bob.send(["a@example.com"], subject="x", body="y")
    net = Network()
    net.add(bob)
    world: World = net  # the network is the world its nodes live in
    assert bob.world is world


def test_ids_are_fresh_and_deterministic_and_the_date_follows_the_clock() -> None:
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    net = Network(seed=9, start=start)
    assert [net.new_trace_id() for _ in range(2)] == ["m1", "m2"]
    assert [net.new_session_id() for _ in range(2)] == ["s1", "s2"]
    net.at(90.0, lambda: None)
    net.run()
    assert net.now == 90.0 and net.date() == start + timedelta(seconds=90)
    assert net.date(0.0) == start
    assert net.new_message_id("example.org") == "<20300102030535.1.9@example.org>"
    assert net.new_message_id("example.org") == "<20300102030535.2.9@example.org>"


def test_the_first_record_is_always_the_description_of_the_network() -> None:
    net = Network(title="tiny")
    net.record(NodeState(0.0, "x", "down"))
    assert isinstance(net.trace[0], NetworkDescribed) and net.trace[0].title == "tiny"
    assert isinstance(net.trace[1], NodeState) and len(net.trace) == 2
    net.run()  # does not describe twice
    assert len(net.trace.of(NetworkDescribed)) == 1


def test_every_node_says_what_it_can_do() -> None:
    box = Mailbox("a@example.com")
    mda = MDA("mda", "example.com", [box])
    mta = MTA("mx", "example.com", local_domains=["example.com"], mda=mda)
    msa = SubmissionServer("msa", "example.org", transport={"*": "mx"})
    gateway = Gateway("api", "example.net")
    ua = UserAgent("pc", "bob@example.org", password="pw", submit_to="msa")
    app = App("shop", "example.org", gateway="api", token="t")
    serves_smtp = {n.name for n in (box, mda, mta, msa, gateway, ua, app) if n.smtp_server()}
    serves_http = {n.name for n in (box, mda, mta, msa, gateway, ua, app) if n.http_server()}
    queues = {n.name for n in (box, mda, mta, msa, gateway, ua, app) if n.mail_queue() is not None}
    assert serves_smtp == {"mx", "msa", "api"}
    assert serves_http == {"api"}
    assert queues == {"mx", "msa", "api", "pc"}
    assert mta.parts() == [mda] and mda.parts() == [box] and ua.parts() == []
    # Routing by MX: an MTA without a smarthost, for the domains it does not serve.
    assert mta.asks_dns() and not msa.asks_dns() and not ua.asks_dns()
    assert mta.routes_by_mx("example.net") and not mta.routes_by_mx("example.com")


def test_adding_a_node_brings_its_parts_and_the_default_retry_schedule() -> None:
    from smtpsim.sim import RetryPolicy

    mine = RetryPolicy(queue_run_delay=60.0)
    net, _, _ = two_domains(retry=RetryPolicy(maximal_queue_lifetime=600.0))
    assert {"mda.example.com", "mailbox:alice@example.com"} <= set(net.nodes)
    net.add(MTA("relay", "example.net", retry=mine))
    assert net.nodes["relay"].mail_queue().retry is mine
    assert net.nodes["mx.example.com"].mail_queue().retry == net.retry


def test_the_wires_say_who_is_reachable() -> None:
    net, _, _ = two_domains()
    net.link("smtp.example.org", "mx.example.com", latency=0.2)
    net.take_down("smtp.example.org--mx.example.com", 10.0, 20.0)
    assert net.latency("mx.example.com", "smtp.example.org") == 0.2
    assert net.latency("bob-laptop", "mx.example.com") == net.default_latency
    assert net.smtp_server("mx.example.com") is net.nodes["mx.example.com"]
    assert net.smtp_server("bob-laptop") is None and net.smtp_server("nowhere") is None
    assert net.has_node("bob-laptop") and not net.has_node("nowhere")
    seen = []
    for t in (5.0, 15.0, 25.0):
        net.at(t, lambda: seen.append(net.reachable("smtp.example.org", "mx.example.com")))
    net.run()
    assert seen == [True, False, True]
