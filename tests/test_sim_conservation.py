"""Conservation: whatever the topology, DNS and faults, no message is ever lost.

Every (message, recipient) pair ends delivered to exactly one mailbox, bounced to its
sender, or still queued with a reason. Hypothesis draws random worlds to try to break
it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpsim.sim import MDA, MTA, Mailbox, Network, RetryPolicy, SubmissionServer, UserAgent
from smtpsim.trace import Duplicated, Trace, check_conservation, summarize

DOMAINS = ["a.example", "b.example", "c.example"]


@st.composite
def world_plans(draw: st.DrawFn) -> Callable[[str], tuple[Network, float | None]]:
    """A random world, drawn once, that can be built as often as needed: ``build(keep)``
    makes a fresh network keeping that much of the trace."""
    seed = draw(st.integers(0, 1000))
    lifetime = draw(st.sampled_from([1800.0, 7200.0, 86400.0]))
    domains = []
    addresses = []
    for d in DOMAINS:
        kind = draw(st.sampled_from(["normal", "normal", "null-mx", "missing", "implicit"]))
        users = [f"u{i}@{d}" for i in range(draw(st.integers(1, 2)))]
        addresses += users + [f"ghost@{d}"]
        plan: dict[str, Any] = {"domain": d, "kind": kind, "users": users}
        if kind in ("normal", "implicit"):
            plan.update(quota=draw(st.sampled_from([None, None, 0])),
                        full=draw(st.sampled_from(["temporary", "permanent"])),
                        greylisting=draw(st.booleans()),
                        rate_limit=draw(st.sampled_from([None, 1])),
                        crash_after_data=draw(st.sampled_from([0, 0, 1])))
        if kind == "normal" and draw(st.booleans()):
            plan["backup"] = draw(st.sampled_from([10, 20]))
        domains.append(plan)
    hosts = ["msa.home.example"] + [
        p["domain"] if p["kind"] == "implicit" else f"mx1.{p['domain']}"
        for p in domains if p["kind"] in ("normal", "implicit")
    ] + [f"mx2.{p['domain']}" for p in domains if "backup" in p]
    downs = [(draw(st.sampled_from(hosts)), start, start + length)
             for start, length in draw(st.lists(st.tuples(
                 st.floats(0, 3000), st.sampled_from([60.0, 900.0, 5000.0, float("inf")])),
                 max_size=3))]
    sends = [(draw(st.floats(0, 600)),
              draw(st.lists(st.sampled_from(addresses), min_size=1, max_size=3, unique=True)))
             for _ in range(draw(st.integers(1, 4)))]
    until = draw(st.sampled_from([None, 700.0, 3 * 3600.0]))

    def build(keep: str) -> tuple[Network, float | None]:
        net = Network(seed=seed, keep=keep,  # type: ignore[arg-type]
                      retry=RetryPolicy(maximal_queue_lifetime=lifetime))
        sender_box = Mailbox("bob@home.example")
        net.add(SubmissionServer("msa.home.example", "home.example",
                                 users={"bob@home.example": "pw"},
                                 local_domains=["home.example"],
                                 mda=MDA("mda.home.example", "home.example", [sender_box])))
        bob = UserAgent("bob-pc", "bob@home.example", password="pw",
                        submit_to="msa.home.example", mailbox=sender_box)
        net.add(bob)
        net.zone.mx["home.example"] = [(10, "msa.home.example")]
        for plan in domains:
            d, kind = plan["domain"], plan["kind"]
            if kind == "missing":
                continue
            if kind == "null-mx":
                net.zone.mx[d] = [(0, ".")]
                continue
            boxes = [Mailbox(u, quota=plan["quota"], full=plan["full"]) for u in plan["users"]]
            primary = f"mx1.{d}" if kind == "normal" else d
            net.add(MTA(primary, d, local_domains=[d], mda=MDA(f"mda.{d}", d, boxes),
                        greylisting=plan["greylisting"], rate_limit=plan["rate_limit"],
                        crash_after_data=plan["crash_after_data"]))
            if kind == "implicit":
                net.zone.a[d] = "192.0.2.99"
                continue
            records = [(10, primary)]
            if "backup" in plan:
                backup = f"mx2.{d}"
                net.add(MTA(backup, d, relay_domains=[d], transport={d: primary}))
                records.append((plan["backup"], backup))
            net.zone.mx[d] = records
        for host, start, stop in downs:
            net.take_down(host, start, stop)
        for i, (at, to) in enumerate(sends):
            net.at(at, lambda to=to, i=i: bob.send(to, subject=f"msg {i}", body="hi"))
        return net, until

    return build


def worlds() -> st.SearchStrategy[tuple[Network, float | None]]:
    """Random worlds with the full trace."""
    return world_plans().map(lambda build: build("all"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_message_is_delivered_bounced_or_still_queued(world: tuple[Network, float]) -> None:
    net, until = world
    net.run(until)
    net.finish()
    assert check_conservation(net.trace) == []
    for outcome in summarize(net.trace):
        assert outcome.outcome in ("delivered", "bounced", "queued")
        if outcome.outcome == "queued":
            assert until is not None  # a finished run leaves nothing behind


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_live_conservation_agrees_with_the_full_check(world: tuple[Network, float]) -> None:
    from smtpsim.trace import LiveConservation

    net, until = world
    live = LiveConservation()
    net.trace.subscribe(live)
    net.run(until)
    net.finish()
    assert live.check() == check_conservation(net.trace) == []
    if not net.trace.of(Duplicated):
        assert live.injected == sum(live.outcomes.values())


def test_live_conservation_notices_a_lost_message() -> None:
    from smtpsim.trace import Injected, LiveConservation

    live = LiveConservation()
    live(Injected(0.0, "ua", "m1", "a@b.example", ("c@d.example",)))
    assert live.check() == ["m1 to c@d.example: lost (no delivery, bounce or queue)"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world_plans())
def test_a_smaller_trace_keeps_the_same_records_at_the_same_times(
    build: Callable[[str], tuple[Network, float | None]],
) -> None:
    """keep= only filters what the trace stores: whatever the world, a smaller trace
    holds exactly the records of its kinds that the full trace holds, in the same
    order and at the same times, and counts every record the full trace has."""
    traces = {}
    for keep in ("all", "summary", "counts"):
        net, until = build(keep)
        net.run(until)
        net.finish()
        traces[keep] = net.trace
    full = traces["all"]
    filtered = Trace(keep="summary")  # what a summary trace keeps of the full one
    for event in full:
        filtered.append(event)
    assert [e.to_dict() for e in traces["summary"]] == [e.to_dict() for e in filtered]
    assert traces["summary"].counts == traces["counts"].counts == full.counts
    assert len(traces["counts"]) == 0
