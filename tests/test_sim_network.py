"""The network: assembly, the topology it describes, determinism, progress."""

from __future__ import annotations

from sim_worlds import BODY, two_domains

from smtpsim.sim import MTA
from smtpsim.trace import (
    DialogLine,
    summarize,
)


def _send(net, bob, to, at=0.0, **kw):
    net.at(at, lambda: bob.send(to, subject="Test", body=BODY, **kw))


def test_same_seed_same_trace_bytes() -> None:
    def once(seed: int) -> str:
        net, bob, _ = two_domains(seed=seed)
        net.zone.mx["example.com"] = [(10, "mx.example.com"), (10, "mx.example.com")]
        _send(net, bob, ["alice@example.com", "theodore@example.com"])
        net.run()
        net.finish()
        return net.trace.to_jsonl()

    assert once(7) == once(7)


def test_summary_mode_keeps_outcomes_but_no_dialog() -> None:
    net, bob, _ = two_domains(keep="summary")
    _send(net, bob, ["alice@example.com"])
    net.run()
    net.finish()
    assert not net.trace.of(DialogLine)
    assert net.trace.counts["smtp"] > 0  # every line was recorded, and counted, not kept
    assert [o.outcome for o in summarize(net.trace)] == ["delivered"]


def test_progress_bar_appears_on_long_runs(capsys) -> None:
    from smtpsim.sim.progress import run_with_progress

    net, bob, boxes = two_domains()
    for i in range(5):
        net.at(i, lambda: bob.send(["alice@example.com"], subject="x", body="y"))
    run_with_progress(net, after=0.0, slice_events=5)
    assert "delivering" in capsys.readouterr().err
    assert len(boxes["alice@example.com"].messages) == 5


def test_the_topology_includes_the_dns_that_relays_ask() -> None:
    net, bob, _ = two_domains()
    described = net.describe()
    assert ("dns", "dns", "") in described.nodes
    dns_links = {(a, port, proto) for a, b, port, proto, _ in described.links if b == "dns"}
    assert dns_links == {("smtp.example.org", 53, "DNS"), ("mx.example.com", 53, "DNS")}
    assert not any(a == "bob-laptop" for a, *_ in dns_links)  # a user agent asks nobody


def test_a_host_named_dns_does_not_collide_with_the_dns() -> None:
    net, bob, _ = two_domains()
    net.add(MTA("dns", "example.net", relay_from=["smtp.example.org"]))
    described = net.describe()
    names = [n for n, _, _ in described.nodes]
    assert len(names) == len(set(names))
    assert ("(dns)", "dns", "") in described.nodes
    assert ("dns", "mta", "example.net") in described.nodes
