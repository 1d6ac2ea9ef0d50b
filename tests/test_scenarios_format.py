"""The scenario format: dict and TOML agree, files load by path, and every mistake is
reported with the path of the field to fix."""

from __future__ import annotations

import copy
import email
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from smtpsim.errors import ScenarioError
from smtpsim.scenarios import Scenario, load, load_toml, validate
from smtpsim.trace import Deferred, DialogLine, Injected, NodeState, check_conservation, summarize

BASE: dict[str, Any] = {
    "name": "tiny",
    "title": "Bob writes to Alice",
    "description": "The smallest cross-domain exchange.",
    "seed": 7,
    "start": "2030-01-02T03:04:05Z",
    "retry": {"queue_run_delay": 60, "minimal_backoff_time": 60},
    "nodes": [
        {"kind": "user_agent", "name": "bob-laptop", "user": "bob@example.org",
         "password": "pw", "submit_to": "smtp.example.org", "mailbox": "bob@example.org"},
        {"kind": "msa", "name": "smtp.example.org", "domain": "example.org",
         "users": {"bob@example.org": "pw"}, "local_domains": ["example.org"],
         "mda": "mda.example.org"},
        {"kind": "mta", "name": "mx.example.com", "domain": "example.com",
         "local_domains": ["example.com"], "mda": "mda.example.com"},
        {"kind": "mda", "name": "mda.example.com", "domain": "example.com",
         "mailboxes": ["alice@example.com", {"address": "full@example.com", "quota": 0,
                                             "full": "permanent"}]},
        {"kind": "mda", "name": "mda.example.org", "domain": "example.org",
         "mailboxes": ["bob@example.org"]},
    ],
    "dns": {"mx": {"example.com": [[10, "mx.example.com"]]},
            "a": {"mx.example.com": "192.0.2.10", "bob-laptop": "203.0.113.7"}},
    "links": [{"a": "bob-laptop", "b": "smtp.example.org", "latency": 0.01, "port": 587}],
    "messages": [{"at": 5, "from": "bob@example.org", "to": "alice@example.com",
                  "cc": ["full@example.com"], "subject": "Hi", "body": "Hello Alice"}],
}

BASE_TOML = '''
name = "tiny"
title = "Bob writes to Alice"
description = "The smallest cross-domain exchange."
seed = 7
start = 2030-01-02T03:04:05Z     # a native TOML datetime

[retry]
queue_run_delay = 60
minimal_backoff_time = 60

[[nodes]]
kind = "user_agent"
name = "bob-laptop"
user = "bob@example.org"
password = "pw"
submit_to = "smtp.example.org"
mailbox = "bob@example.org"

[[nodes]]
kind = "msa"
name = "smtp.example.org"
domain = "example.org"
users = { "bob@example.org" = "pw" }
local_domains = ["example.org"]
mda = "mda.example.org"

[[nodes]]
kind = "mta"
name = "mx.example.com"
domain = "example.com"
local_domains = ["example.com"]
mda = "mda.example.com"

[[nodes]]
kind = "mda"
name = "mda.example.com"
domain = "example.com"
mailboxes = ["alice@example.com", { address = "full@example.com", quota = 0, full = "permanent" }]

[[nodes]]
kind = "mda"
name = "mda.example.org"
domain = "example.org"
mailboxes = ["bob@example.org"]

[dns.mx]
"example.com" = [[10, "mx.example.com"]]

[dns.a]
"mx.example.com" = "192.0.2.10"
"bob-laptop" = "203.0.113.7"

[[links]]
a = "bob-laptop"
b = "smtp.example.org"
latency = 0.01
port = 587

[[messages]]
at = 5
from = "bob@example.org"
to = "alice@example.com"
cc = ["full@example.com"]
subject = "Hi"
body = "Hello Alice"
'''


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


# ---------------------------------------------------------------------------
# (c) dict and TOML, (e) files
# ---------------------------------------------------------------------------


def test_toml_and_dict_give_the_same_scenario() -> None:
    from_dict, from_toml = load(base()), load_toml(BASE_TOML)
    assert from_dict == from_toml
    assert from_dict.spec["start"] == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert from_dict.run().trace.to_jsonl() == from_toml.run().trace.to_jsonl()


def test_the_tiny_scenario_runs_and_teaches_a_full_mailbox() -> None:
    net = load(base()).run()
    assert check_conservation(net.trace) == []
    got = {o.recipient: o.outcome for o in summarize(net.trace)}
    assert got["alice@example.com"] == "delivered"
    assert got["full@example.com"] == "bounced"  # quota 0, full = "permanent": 552
    assert any(d.line.startswith("552 5.2.2") for d in net.trace.of(DialogLine))
    [first] = [e for e in net.trace.of(Injected) if e.node == "bob-laptop"]
    assert first.t == 5.0  # the message's `at`
    raw = net.nodes["mailbox:alice@example.com"].messages[0]  # type: ignore[attr-defined]
    assert email.message_from_bytes(raw)["Date"] == "Wed, 02 Jan 2030 03:04:10 +0000"


def test_a_library_scenario_round_trips_through_its_dict() -> None:
    classic = load("classic")
    assert load(classic.to_dict()) == classic
    assert load(classic) is classic


def test_toml_file_loads_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(BASE_TOML, encoding="utf-8")
    by_str, by_path = load(str(path)), load(path)
    assert by_str == by_path == load(base())
    assert by_path.source == str(path)


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\ntitle = "unterminated\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert info.value.field == str(path)
    assert "line 2" in info.value.problem and "invalid TOML" in info.value.problem


def test_missing_file_and_unknown_library_name() -> None:
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load("/nonexistent/dir/x.toml")
    with pytest.raises(ScenarioError) as info:
        load("clasic")
    assert info.value.field == "name"
    assert "no scenario named 'clasic'" in info.value.problem and "classic" in info.value.problem


def test_invalid_toml_file_error_carries_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BASE_TOML.replace('kind = "mta"', 'kind = "mtaa"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert info.value.field == "nodes[2].kind"
    assert str(path) in "".join(getattr(info.value, "__notes__", [str(path)]))


# ---------------------------------------------------------------------------
# The API: entry, seeds, run limits, repeats, envelope senders, link faults
# ---------------------------------------------------------------------------


def test_entry_is_explicit_or_the_first_server() -> None:
    assert load(base()).entry == "smtp.example.org"
    data = base()
    data["entry"] = "mx.example.com"
    assert load(data).entry == "mx.example.com"


def test_build_gives_a_fresh_network_and_seed_override() -> None:
    scenario = load(base())
    a, b = scenario.build(), scenario.build(seed=99)
    assert a is not b and a.seed == 7 and b.seed == 99
    assert a.nodes.keys() == b.nodes.keys()
    assert "mailbox:alice@example.com" in a.nodes and "mda.example.org" in a.nodes


def test_run_until_stops_early_and_finish_records_the_queue() -> None:
    data = base()
    data["faults"] = [{"down": "mx.example.com", "from": 0, "to": 10_000}]
    net = load(data).run(until=1000)
    assert net.now == 1000
    assert check_conservation(net.trace) == []
    assert "queued" in {o.outcome for o in summarize(net.trace)}


def test_repeat_interval_numbering_and_envelope_sender() -> None:
    data = base()
    data["messages"] = [{"at": 1, "from": "bob-laptop", "to": "alice@example.com",
                         "subject": "Note {n}", "repeat": 3, "interval": 10,
                         "sender": "ceo@example.org"}]
    net = load(data).run()
    injected = net.trace.of(Injected)[:3]
    assert [(e.t, e.subject, e.sender) for e in injected] == [
        (1.0, "Note 1", "ceo@example.org"), (11.0, "Note 2", "ceo@example.org"),
        (21.0, "Note 3", "ceo@example.org")]
    assert any(d.line.startswith("MAIL FROM:<ceo@example.org>")
               for d in net.trace.of(DialogLine))


def test_a_link_fault_defers_until_the_link_is_back() -> None:
    data = base()
    data["faults"] = [{"down": "smtp.example.org--bob-laptop", "from": 0, "to": 30}]
    net = load(data).run()
    states = [(e.node, e.state) for e in net.trace.of(NodeState)]
    assert states == [("smtp.example.org--bob-laptop", "down"),
                      ("smtp.example.org--bob-laptop", "up")]
    assert any(e.node == "bob-laptop" for e in net.trace.of(Deferred))
    assert check_conservation(net.trace) == []


def test_app_messages_post_to_the_gateway_with_the_token_sender() -> None:
    net = load("api-gateway").run()
    [inj] = net.trace.of(Injected)
    assert inj.sender == "orders@shop.example"  # the gateway's api_tokens entry


# ---------------------------------------------------------------------------
# (d) bad scenarios: each names its field and says what is wrong
# ---------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], Any]


def setting(path: str, value: Any) -> Change:
    """A change that sets ``path`` (``nodes/2/kind``) to ``value`` (None deletes)."""
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        for p in parents:
            d = d[int(p)] if isinstance(d, list) else d[p]
        key: Any = int(last) if isinstance(d, list) else last
        if value is None:
            del d[key]
        else:
            d[key] = value
    return change


def adding_node(node: dict[str, Any]) -> Change:
    return lambda d: d["nodes"].append(node)


BAD: list[tuple[str, Change, str, str]] = [
    ("unknown kind", setting("nodes/2/kind", "mtaa"), "nodes[2].kind",
     "unknown kind 'mtaa' (expected one of user_agent, msa, mta"),
    ("missing kind", setting("nodes/2/kind", None), "nodes[2].kind", "missing required"),
    ("unknown sender", setting("messages/0/from", "eve@example.org"), "messages[0].from",
     "no user agent or app named 'eve@example.org'"),
    ("MX pref type", setting("dns/mx/example.com", [["10", "mx.example.com"]]),
     "dns.mx.example.com[0]", "preference must be an integer"),
    ("MX not a pair", setting("dns/mx/example.com", [[10]]), "dns.mx.example.com[0]",
     "[preference, host] pair"),
    ("MX unknown host", setting("dns/mx/example.com", [[10, "mx9.example.com"]]),
     "dns.mx.example.com[0]", "no node (or dns.a host) named 'mx9.example.com'"),
    ("null MX not alone", setting("dns/mx/example.com", [[0, "."], [10, "mx.example.com"]]),
     "dns.mx.example.com[0]", "null MX"),
    ("bad IP", setting("dns/a/bob-laptop", "203.0.113.300"), "dns.a.bob-laptop",
     "not an IP address"),
    ("unknown top-level key", setting("nodez", []), "nodez", "unknown top-level key"),
    ("missing title", setting("title", None), "title", "missing required top-level key"),
    ("missing nodes", setting("nodes", None), "nodes", "missing required"),
    ("seed type", setting("seed", "7"), "seed", "must be an integer, not a string"),
    ("seed bool", setting("seed", True), "seed", "not a boolean"),
    ("nodes type", setting("nodes", {"a": 1}), "nodes", "must be a list, not a table"),
    ("node type", setting("nodes/0", "bob"), "nodes[0]", "must be a table"),
    ("link to unknown", setting("links/0/b", "smtp.example.net"), "links[0].b",
     "no node named 'smtp.example.net'"),
    ("link to itself", setting("links/0/b", "bob-laptop"), "links[0].b", "two different"),
    ("duplicate link", lambda d: d["links"].append({"a": "smtp.example.org",
                                                    "b": "bob-laptop"}),
     "links[1]", "duplicate link"),
    ("negative latency", setting("links/0/latency", -1), "links[0].latency", "at least 0"),
    ("bad port", setting("links/0/port", 70000), "links[0].port", "at most 65535"),
    ("duplicate name", adding_node({"kind": "mta", "name": "mx.example.com",
                                    "domain": "example.com"}),
     "nodes[5].name", "duplicate node name 'mx.example.com' (already used by nodes[2])"),
    ("duplicate mailbox", adding_node({"kind": "mailbox", "owner": "alice@example.com",
                                       "mda": "mda.example.com"}),
     "nodes[5].owner", "mailbox 'alice@example.com' is declared twice (first at nodes[3]"),
    ("until zero", setting("until", 0), "until", "greater than 0"),
    ("until negative", setting("until", -5), "until", "greater than 0"),
    ("until type", setting("until", "soon"), "until", "must be a number"),
    ("message after until", setting("until", 5), "messages[0].at", "run limit"),
    ("unknown node field", setting("nodes/0/colour", "red"), "nodes[0].colour",
     "unknown field (expected one of name, user, password"),
    ("user address", setting("nodes/0/user", "bob"), "nodes[0].user",
     "'bob' is not an email address"),
    ("users values", setting("nodes/1/users", {"bob@example.org": 1}),
     "nodes[1].users.bob@example.org", "must be a string, not an integer"),
    ("quota negative", setting("nodes/3/mailboxes/1/quota", -1),
     "nodes[3].mailboxes[1].quota", "at least 0"),
    ("full value", setting("nodes/3/mailboxes/1/full", "soon"),
     "nodes[3].mailboxes[1].full", "'temporary' (452, retry) or 'permanent'"),
    ("mailbox address", setting("nodes/3/mailboxes/0", "alice"), "nodes[3].mailboxes[0]",
     "not an email address"),
    ("mda unknown", setting("nodes/2/mda", "mda.example.net"), "nodes[2].mda",
     "no node named 'mda.example.net'"),
    ("mda wrong kind", setting("nodes/2/mda", "smtp.example.org"), "nodes[2].mda",
     "'smtp.example.org' is a msa, but this must be a mda"),
    ("local domains need mda", setting("nodes/2/mda", None), "nodes[2].mda",
     "required with local_domains"),
    ("transport unknown", setting("nodes/1/transport", {"*": "relay.example.net"}),
     "nodes[1].transport.*", "no node (or dns.a host) named 'relay.example.net'"),
    ("relay_from unknown", setting("nodes/2/relay_from", ["nobody"]),
     "nodes[2].relay_from[0]", "no node named 'nobody'"),
    ("rate limit zero", setting("nodes/1/rate_limit", 0), "nodes[1].rate_limit",
     "at least 1"),
    ("greylisting type", setting("nodes/2/greylisting", "yes"), "nodes[2].greylisting",
     "true or false"),
    ("submit to an mta", setting("nodes/0/submit_to", "mx.example.com"), "nodes[0].submit_to",
     "'mx.example.com' is a mta, but this must be a msa (a user agent submits on port 587"),
    ("undeclared mailbox", setting("nodes/0/mailbox", "bob@example.net"), "nodes[0].mailbox",
     "no mailbox 'bob@example.net' is declared"),
    ("app without gateway", adding_node({"kind": "app", "name": "shop", "domain": "shop.example",
                                         "gateway": "mx.example.com", "token": "t"}),
     "nodes[5].gateway", "must be a gateway"),
    ("app missing token", adding_node({"kind": "app", "name": "shop", "domain": "shop.example",
                                       "gateway": "mx.example.com"}),
     "nodes[5].token", "missing required field"),
    ("sms phones without domain", adding_node({"kind": "gateway", "name": "gw.example.net",
                                               "domain": "example.net",
                                               "sms_phones": ["1@sms.example.net"]}),
     "nodes[5].sms_phones", "needs sms_domain"),
    ("sms phone outside domain", adding_node({"kind": "gateway", "name": "gw.example.net",
                                              "domain": "example.net",
                                              "sms_domain": "sms.example.net",
                                              "sms_phones": ["1@example.net"]}),
     "nodes[5].sms_phones[0]", "not in the sms_domain"),
    ("fault unknown node", setting("faults", [{"down": "mx2.example.com", "from": 0}]),
     "faults[0].down", "no node named 'mx2.example.com'"),
    ("fault unknown link", setting("faults", [{"down": "mx.example.com--bob-laptop"}]),
     "faults[0].down", "no link 'mx.example.com--bob-laptop' is declared"),
    ("fault ends before start", setting("faults", [{"down": "mx.example.com", "from": 50,
                                                    "to": 10}]),
     "faults[0].to", "later than 'from'"),
    ("fault field", setting("faults", [{"node": "mx.example.com"}]), "faults[0].node",
     "unknown field (expected one of down, from, to)"),
    ("no recipients", setting("messages/0", {"from": "bob@example.org"}), "messages[0].to",
     "at least one recipient"),
    ("bad recipient", setting("messages/0/to", ["alice@"]), "messages[0].to[0]",
     "not an email address"),
    ("message at negative", setting("messages/0/at", -1), "messages[0].at", "at least 0"),
    ("repeat zero", setting("messages/0/repeat", 0), "messages[0].repeat", "at least 1"),
    ("start", setting("start", "yesterday"), "start", "not an ISO 8601 date"),
    ("retry field", setting("retry", {"backoff": 5}), "retry.backoff", "unknown field"),
    ("retry order", setting("retry", {"minimal_backoff_time": 900,
                                      "maximal_backoff_time": 60}),
     "retry", "minimal_backoff_time > maximal_backoff_time"),
    ("retry zero", setting("retry", {"queue_run_delay": 0}), "retry.queue_run_delay",
     "greater than 0"),
    ("entry not a server", setting("entry", "bob-laptop"), "entry",
     "'bob-laptop' is a user_agent, but this must be a msa or mta or gateway"),
    ("name slug", setting("name", "My Scenario"), "name", "lower-case letters"),
    ("description empty", setting("description", "  "), "description", "must not be empty"),
]


@pytest.mark.parametrize(("change", "field", "fragment"),
                         [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_scenarios_name_the_field(change: Change, field: str, fragment: str) -> None:
    data = base()
    change(data)
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert info.value.field == field, str(info.value)
    assert fragment in info.value.problem
    assert str(info.value) == f"{field}: {info.value.problem}"
    with pytest.raises(ScenarioError):
        Scenario(data)


def test_app_message_with_cc_is_refused() -> None:
    data = load("api-gateway").to_dict()
    data["messages"][0]["cc"] = ["bob@example.org"]
    with pytest.raises(ScenarioError) as info:
        validate(data)
    assert info.value.field == "messages[0].cc"
    assert "only from, to, subject and text" in info.value.problem


def test_a_scenario_must_be_a_table() -> None:
    with pytest.raises(ScenarioError, match="must be a table"):
        validate(["not", "a", "dict"])


def test_none_means_left_out_and_the_input_is_not_changed() -> None:
    data = base()
    data["until"] = None
    before = copy.deepcopy(data)
    assert "until" not in load(data).spec
    assert data == before
