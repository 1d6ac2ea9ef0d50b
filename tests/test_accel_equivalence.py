"""The accelerated path runs the same simulation as the plain one, byte for byte.

``smtpsim._accel`` enters by composition (``Network(engines=ENGINES)``): every scenario
of the library, and random worlds, run both ways must give the same trace (its JSON
Lines, every dialog line and message byte in it) and the same mailboxes.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_worlds import BODY, two_domains

import smtpsim._accel as accel
from smtpsim.scenarios import library_names, load
from smtpsim.sim import PLAIN, Mailbox, Network


def mailboxes(net: Network) -> dict[str, list[bytes]]:
    return {name: list(node.messages) for name, node in net.nodes.items()
            if isinstance(node, Mailbox)}


def test_a_network_runs_the_plain_engines_unless_given_others() -> None:
    assert Network().engines is PLAIN
    net = accel.accelerate(Network())
    assert net.engines is accel.ENGINES
    assert accel.ENGINES.message is accel.message


@pytest.mark.parametrize("seed", [None, 7])
@pytest.mark.parametrize("name", library_names())
def test_every_scenario_runs_the_same_both_ways(name: str, seed: int | None) -> None:
    scenario = load(name)
    plain = scenario.build(seed=seed)
    fast = accel.accelerate(scenario.build(seed=seed))
    for net in (plain, fast):
        net.run(scenario.until)
        net.finish()
    assert fast.trace.to_jsonl() == plain.trace.to_jsonl()
    assert mailboxes(fast) == mailboxes(plain)


# (str.splitlines breaks a line at more than CR and LF: the email package refuses those
# in a header, the same way on both paths)
_WORDS = st.text(st.characters(blacklist_categories=("Cs",),
                               blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                 max_size=40)


@settings(max_examples=25, deadline=None)
@given(
    mails=st.lists(
        st.tuples(
            st.lists(st.sampled_from(["alice@example.com", "theodore@example.com",
                                      "nobody@example.com", "bob@example.org"]),
                     min_size=1, max_size=3),
            _WORDS,
            st.one_of(st.just(BODY), st.text(max_size=200)),
            st.floats(0, 30),
        ),
        min_size=1, max_size=4,
    ),
    keep=st.sampled_from(["all", "summary", "counts"]),
)
def test_random_worlds_run_the_same_both_ways(
    mails: list[tuple[list[str], str, str, float]], keep: str
) -> None:
    traces, boxes = [], []
    for engines in (PLAIN, accel.ENGINES):
        net, bob, _ = two_domains(keep=keep, engines=engines)
        for to, subject, body, at in mails:
            net.at(at, lambda to=to, subject=subject, body=body, ua=bob: ua.send(
                to, subject=subject, body=body))
        net.run(3600)
        net.finish()
        traces.append(net.trace.to_jsonl())
        boxes.append(mailboxes(net))
    assert traces[1] == traces[0]
    assert boxes[1] == boxes[0]
