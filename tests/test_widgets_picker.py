"""apply_faults (pure) and the ScenarioPicker that uses it."""

from __future__ import annotations

import pytest
from sim_worlds import two_domains

from smtpsim.sim import MTA, SubmissionServer
from smtpsim.trace import Deferred, NodeState
from smtpsim.widgets import ScenarioPicker, apply_faults


def test_apply_faults_changes_only_what_is_asked() -> None:
    net, _, _ = two_domains()
    net.link("bob-laptop", "smtp.example.org", latency=0.1)
    assert apply_faults(net) is net
    apply_faults(net, down="mx.example.com", greylisting=True, latency_factor=3.0)
    assert net.down["mx.example.com"] == [(0.0, 1800.0)]
    grey = {n.name: n.greylisting for n in net.nodes.values() if isinstance(n, MTA)}
    assert grey == {"smtp.example.org": False, "mx.example.com": True}
    assert not isinstance(net.nodes["mx.example.com"], SubmissionServer)
    assert net.latency("bob-laptop", "smtp.example.org") == pytest.approx(0.3)
    assert net.default_latency == pytest.approx(0.15)


def test_apply_faults_at_one_node_and_errors() -> None:
    net, _, _ = two_domains()
    apply_faults(net, greylisting=True, greylist_at="smtp.example.org")
    assert net.nodes["smtp.example.org"].greylisting
    with pytest.raises(ValueError, match="not an MTA"):
        apply_faults(net, greylisting=True, greylist_at="bob-laptop")
    with pytest.raises(ValueError, match="positive"):
        apply_faults(net, latency_factor=0)
    with pytest.raises(ValueError, match="unknown node"):
        apply_faults(net, down="nowhere")


def test_a_node_down_defers_the_mail() -> None:
    net, bob, _ = two_domains()
    bob.send(["alice@example.com"], subject="Hi", body="x")
    apply_faults(net, down="mx.example.com")
    net.run(600)
    assert any(isinstance(e, NodeState) and e.state == "down" for e in net.trace)
    assert any(isinstance(e, Deferred) and e.to == "mx.example.com" for e in net.trace)


def test_picker_reruns_with_faults_and_refreshes_its_stepper() -> None:
    p = ScenarioPicker("classic")
    first = p.stepper.events
    assert p._below.children == (p.stepper.widget,)
    assert "smtp.example.com" in p._down_node.options
    p._down.value = True
    p._down_node.value = "smtp.example.com"
    p._run.click()
    assert p.stepper.events != first
    assert any(isinstance(e, NodeState) for e in p.stepper.events)
    assert p.stepper.index == 0 and p.stepper._slider.max == len(p.stepper.steps) - 1
    p._scenario.value = "cross-domain"
    p._down.value = False
    p._latency.value = 4.0
    p._run.click()
    assert p.stepper.events[0].title.startswith("Across the Internet")
    assert "Scenario picker" in p._repr_mimebundle_()["text/html"]


def test_a_node_fault_always_has_a_node() -> None:
    p = ScenarioPicker("cross-domain")
    # pre-selected: the first receiving MTA, never blank, never the submission server
    assert p._down_node.value == "mx.example.com" and not p._down.disabled
    p._down.value = True
    p._run.click()
    downs = [e for e in p.stepper.events if isinstance(e, NodeState) and e.state == "down"]
    assert [e.node for e in downs] == ["mx.example.com"]
    assert any(isinstance(e, Deferred) and e.to == "mx.example.com" for e in p.stepper.events)
    p._scenario.value = "classic"
    assert p._down_node.value in p._down_node.options and p._down_node.value
    p._down_node.options = []
    with pytest.raises(ValueError, match="choose the node"):
        p.build()


def test_panes_say_stale_until_run() -> None:
    p = ScenarioPicker("classic")
    assert not p.stale and p._stale.value == ""
    p._scenario.value = "greylisting"
    assert p.stale and "stale — press Run" in p._stale.value
    assert p._run.button_style == "warning"
    p._scenario.value = "classic"  # put back: the panes show it again
    assert not p.stale and p._stale.value == ""
    p._latency.value = 3.0
    assert "stale" in p._stale.value
    p._run.click()
    assert not p.stale and p._stale.value == "" and p._run.button_style == "success"


def test_greylisting_toggles_say_what_they_do() -> None:
    p = ScenarioPicker("greylisting")
    labels = list(p._grey._options_labels)
    assert labels == ["greylisting as in the scenario", "greylisting on", "greylisting off"]
    assert "True" not in " ".join(labels) and "False" not in " ".join(labels)
    p._grey.value = False
    p._run.click()
    assert not any(isinstance(e, Deferred) for e in p.stepper.events)
    p._grey.value = None
    p._run.click()
    assert any(isinstance(e, Deferred) for e in p.stepper.events)
