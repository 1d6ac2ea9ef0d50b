"""``import smtpsim``: what a notebook needs, one step away, and nothing heavy loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import smtpsim


def _fresh(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (nothing imported before it)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return done.stdout


def test_import_smtpsim_loads_no_display_library_and_no_layer():
    loaded = json.loads(_fresh(
        "import sys, json, smtpsim; print(json.dumps(sorted(sys.modules)))"))
    for heavy in ("matplotlib", "ipywidgets", "networkx", "simpy", "smtpsim.sim",
                  "smtpsim.widgets", "smtpsim.viz", "email.message"):
        assert heavy not in loaded, f"import smtpsim imported {heavy}"


@pytest.mark.parametrize("name", smtpsim.__all__)
def test_every_public_name_resolves(name: str):
    assert getattr(smtpsim, name) is not None
    assert name in dir(smtpsim)


def test_names_are_the_layers_own_objects():
    from smtpsim.scenarios import load
    from smtpsim.sim import Network
    from smtpsim.trace import summarize

    assert smtpsim.load is load and smtpsim.Network is Network
    assert smtpsim.summarize is summarize


def test_an_unknown_name_is_an_attribute_error_that_names_it():
    with pytest.raises(AttributeError, match="no attribute 'Steper'"):
        _ = smtpsim.Steper  # type: ignore[attr-defined]


def test_the_facade_runs_a_scenario_end_to_end():
    net = smtpsim.load("classic").run()
    outcomes = smtpsim.summarize(net.trace)
    assert {o.outcome for o in outcomes} == {"delivered"}
    assert smtpsim.check_conservation(net.trace) == []
    assert smtpsim.transcript(net.trace).startswith("--- ")


def test_all_lists_exactly_the_lazy_names():
    lazy = set(smtpsim._NAMES) | set(smtpsim._PACKAGES) | {"__version__"}
    assert set(smtpsim.__all__) == lazy
