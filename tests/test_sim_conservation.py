"""Conservation: whatever the topology, DNS and faults, no message is ever lost.

Every (message, recipient) pair ends delivered to exactly one mailbox, bounced to its
sender, or still queued with a reason. Hypothesis draws random worlds to try to break
it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpsim.sim import (
    MDA,
    MTA,
    Mailbox,
    Network,
    RetryPolicy,
    SubmissionServer,
    UserAgent,
    check_conservation,
    summarize,
)
from smtpsim.trace import Duplicated

DOMAINS = ["a.example", "b.example", "c.example"]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Network, float]:
    seed = draw(st.integers(0, 1000))
    net = Network(seed=seed, retry=RetryPolicy(maximal_queue_lifetime=draw(
        st.sampled_from([1800.0, 7200.0, 86400.0]))))
    sender_box = Mailbox("bob@home.example")
    net.add(SubmissionServer("msa.home.example", "home.example", users={"bob@home.example": "pw"},
                             local_domains=["home.example"],
                             mda=MDA("mda.home.example", "home.example", [sender_box])))
    bob = UserAgent("bob-pc", "bob@home.example", password="pw", submit_to="msa.home.example",
                    mailbox=sender_box)
    net.add(bob)
    net.zone.mx["home.example"] = [(10, "msa.home.example")]
    hosts = ["msa.home.example"]
    addresses = []
    for d in DOMAINS:
        kind = draw(st.sampled_from(["normal", "normal", "null-mx", "missing", "implicit"]))
        users = [f"u{i}@{d}" for i in range(draw(st.integers(1, 2)))]
        addresses += users + [f"ghost@{d}"]
        if kind == "missing":
            continue
        if kind == "null-mx":
            net.zone.mx[d] = [(0, ".")]
            continue
        quota = draw(st.sampled_from([None, None, 0]))
        full = draw(st.sampled_from(["temporary", "permanent"]))
        boxes = [Mailbox(u, quota=quota, full=full) for u in users]
        primary = f"mx1.{d}" if kind == "normal" else d
        net.add(MTA(primary, d, local_domains=[d], mda=MDA(f"mda.{d}", d, boxes),
                    greylisting=draw(st.booleans()), rate_limit=draw(st.sampled_from([None, 1])),
                    crash_after_data=draw(st.sampled_from([0, 0, 1]))))
        hosts.append(primary)
        if kind == "implicit":
            net.zone.a[d] = "192.0.2.99"
            continue
        records = [(10, primary)]
        if draw(st.booleans()):
            backup = f"mx2.{d}"
            net.add(MTA(backup, d, relay_domains=[d], transport={d: primary}))
            hosts.append(backup)
            records.append((draw(st.sampled_from([10, 20])), backup))
        net.zone.mx[d] = records
    for _ in range(draw(st.integers(0, 3))):
        host = draw(st.sampled_from(hosts))
        start = draw(st.floats(0, 3000))
        length = draw(st.sampled_from([60.0, 900.0, 5000.0, float("inf")]))
        net.take_down(host, start, start + length)
    for i in range(draw(st.integers(1, 4))):
        to = draw(st.lists(st.sampled_from(addresses), min_size=1, max_size=3, unique=True))
        at = draw(st.floats(0, 600))
        net.at(at, lambda to=to, i=i: bob.send(to, subject=f"msg {i}", body="hi"))
    until = draw(st.sampled_from([None, 700.0, 3 * 3600.0]))
    return net, until


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
    from smtpsim.sim import LiveConservation

    net, until = world
    live = LiveConservation()
    net.trace.subscribe(live)
    net.run(until)
    net.finish()
    assert live.check() == check_conservation(net.trace) == []
    if not net.trace.of(Duplicated):
        assert live.injected == sum(live.outcomes.values())


def test_live_conservation_notices_a_lost_message() -> None:
    from smtpsim.sim import LiveConservation
    from smtpsim.trace import Injected

    live = LiveConservation()
    live(Injected(0.0, "ua", "m1", "a@b.example", ("c@d.example",)))
    assert live.check() == ["m1 to c@d.example: lost (no delivery, bounce or queue)"]
