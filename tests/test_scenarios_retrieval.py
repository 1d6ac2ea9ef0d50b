"""Scenario format keys for the pull half: a ``mailbox_server`` node with accounts, and
a user agent's ``fetch`` schedule, validated with errors that name the field."""

from __future__ import annotations

import copy
import sys
from typing import Any

import pytest

from smtpsim.errors import ScenarioError
from smtpsim.scenarios import load_toml, validate
from smtpsim.trace import Fetched, Pop3Line, Removed, check_conservation

TOML = """
name = "pickup"
title = "Bob writes; Alice picks her mail up with POP3"
description = "SMTP pushes the message to Alice's mailbox; her laptop pulls it with POP3."
seed = 1
until = 120

[[nodes]]
kind = "msa"
name = "smtp.example.com"
domain = "example.com"
users = { "bob@example.com" = "secret" }
local_domains = ["example.com"]
mda = "mda.example.com"

[[nodes]]
kind = "mda"
name = "mda.example.com"
domain = "example.com"
mailboxes = ["alice@example.com"]

[[nodes]]
kind = "mailbox_server"
name = "pop.example.com"
domain = "example.com"
accounts = [{ user = "alice", password = "wonderland", mailbox = "alice@example.com" }]

[[nodes]]
kind = "user_agent"
name = "bob-laptop"
user = "bob@example.com"
password = "secret"
submit_to = "smtp.example.com"

[[nodes]]
kind = "user_agent"
name = "alice-laptop"
user = "alice@example.com"
password = "wonderland"
submit_to = "smtp.example.com"
fetch = [{ server = "pop.example.com", at = 10, every = 30, times = 3 }]

[[messages]]
at = 0
from = "bob@example.com"
to = ["alice@example.com"]
subject = "Test message"
body = "Hello Alice."
"""


def test_a_scenario_fetches_by_pop3_and_conserves_mail():
    net = load_toml(TOML).run()
    (fetched,) = net.trace.of(Fetched)
    (removed,) = net.trace.of(Removed)
    assert (fetched.peer, fetched.user, fetched.protocol) == ("alice-laptop", "alice", "POP3")
    assert removed.t > fetched.t > 10
    assert {e.session for e in net.trace.of(Pop3Line)} and check_conservation(net.trace) == []
    alice = net.nodes["alice-laptop"]
    assert len(alice.read) == 1 and alice.read[0][2].startswith(b"Return-Path: <bob@example.com>")
    assert net.nodes["mailbox:alice@example.com"].messages == []


def spec() -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same parser, before it joined the standard library
        import tomli as tomllib

    return tomllib.loads(TOML)


def edited(change) -> dict[str, Any]:
    data = copy.deepcopy(spec())
    change(data)
    return data


@pytest.mark.parametrize(("change", "field", "message"), [
    (lambda d: d["nodes"][4]["fetch"][0].update(server="smtp.example.com"),
     "nodes[4].fetch[0].server", "must be a mailbox_server"),
    (lambda d: d["nodes"][4]["fetch"][0].update(server="nowhere"),
     "nodes[4].fetch[0].server", "no node named 'nowhere'"),
    (lambda d: d["nodes"][4]["fetch"][0].pop("times"),
     "nodes[4].fetch[0].times", "required with every"),
    (lambda d: d["nodes"][4]["fetch"][0].update(every=0),
     "nodes[4].fetch[0].every", "greater than 0"),
    (lambda d: d["nodes"][4]["fetch"][0].update(protocol="JMAP"),
     "nodes[4].fetch[0].protocol", "must be 'POP3' or 'IMAP'"),
    (lambda d: (d["nodes"][2].update(protocols=["POP3"]),
                d["nodes"][4]["fetch"][0].update(protocol="IMAP")),
     "nodes[4].fetch[0].protocol", "serves only POP3"),
    (lambda d: d["nodes"][4]["fetch"][0].update(account="carol"),
     "nodes[4].fetch[0].account", "has no account 'carol'"),
    (lambda d: d["nodes"][4]["fetch"][0].update(colour="red"),
     "nodes[4].fetch[0].colour", "unknown"),
    (lambda d: d["nodes"][2]["accounts"][0].update(mailbox="zoe@example.com"),
     "nodes[2].accounts[0].mailbox", "no mailbox 'zoe@example.com'"),
    (lambda d: d["nodes"][2]["accounts"].append(dict(d["nodes"][2]["accounts"][0])),
     "nodes[2].accounts[1].user", "given twice"),
    (lambda d: d["nodes"][2]["accounts"][0].update(user="al ice"),
     "nodes[2].accounts[0].user", "no spaces"),
    (lambda d: d["nodes"][2].pop("accounts"), "nodes[2].accounts", "missing"),
])
def test_bad_retrieval_keys_name_the_field(change, field, message):
    with pytest.raises(ScenarioError, match=message) as info:
        validate(edited(change))
    assert info.value.field == field
