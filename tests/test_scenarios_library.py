"""The ready-made scenarios: each runs, is deterministic, loses nothing, and teaches
what its description promises (asserted from the trace alone)."""

from __future__ import annotations

import email
from email.message import Message

import pytest

from smtpsim.scenarios import Scenario, library_names, list_scenarios, load, validate
from smtpsim.sim import Network
from smtpsim.trace import (
    Bounced,
    Converted,
    Deferred,
    Delivered,
    DialogLine,
    DnsQuery,
    Fetched,
    Injected,
    MessageAccepted,
    NodeState,
    Pop3Line,
    Queued,
    Relayed,
    Removed,
    RetryScheduled,
    Trace,
    check_conservation,
    summarize,
)

REQUIRED = {"classic", "cross-domain", "smarthost", "mx-failover", "greylisting",
            "unknown-user", "relay-denied", "mail-loop", "bulk-relay", "api-gateway"}

_RUNS: dict[str, Network] = {}


def run(name: str) -> Network:
    """One run per scenario for the whole module (runs are deterministic)."""
    if name not in _RUNS:
        _RUNS[name] = load(name).run()
    return _RUNS[name]


def test_library_has_the_required_scenarios_in_teaching_order() -> None:
    names = library_names()
    assert set(names) >= REQUIRED
    assert len(names) >= 10
    assert names[0] == "classic"
    listed = list_scenarios()
    assert [n for n, _ in listed] == names
    assert all(title.strip() for _, title in listed)


@pytest.mark.parametrize("name", library_names())
def test_scenario_loads_validates_and_describes_itself(name: str) -> None:
    scenario = load(name)
    assert scenario.name == name  # file name and `name` key agree
    assert scenario.source == f"library:{name}"
    assert 20 < len(scenario.description) < 600
    assert scenario.description.count(". ") <= 3  # 1-3 sentences, for students
    assert validate(scenario.to_dict()) == scenario.spec  # the normal form is a fixed point
    assert scenario.entry in {n["name"] for n in scenario.spec["nodes"]
                              if n["kind"] in ("msa", "mta", "gateway")}


@pytest.mark.parametrize("name", library_names())
def test_scenario_runs_deterministically_and_conserves_mail(name: str) -> None:
    net = run(name)
    again = load(name).run()
    assert net.trace.to_jsonl() == again.trace.to_jsonl()
    assert check_conservation(net.trace) == []
    outcomes = summarize(net.trace)
    assert outcomes, "every library scenario sends something"
    assert all(o.outcome in ("delivered", "bounced") for o in outcomes)  # nothing stuck


@pytest.mark.parametrize("name", library_names())
def test_summary_trace_gives_the_same_outcomes(name: str) -> None:
    small = load(name).run(keep="summary")
    assert check_conservation(small.trace) == []
    assert [(o.msg, o.recipient, o.outcome) for o in summarize(small.trace)] == \
        [(o.msg, o.recipient, o.outcome) for o in summarize(run(name).trace)]


@pytest.mark.parametrize("name", library_names())
def test_a_smaller_trace_keeps_the_same_records_at_the_same_times(name: str) -> None:
    """Without the full trace the simulation skips waits nobody would see (the rest of
    a clean session after its 250), never a record's time: the summary trace holds the
    full trace's summary records, each at the same time, and every kind is counted the
    same (but the dialog lines and session ends, which only the full trace writes)."""
    from sim_worlds import by_time

    from smtpsim.trace import SUMMARY_KINDS

    full, small = run(name).trace, load(name).run(keep="summary").trace
    assert by_time(e for e in full if isinstance(e, SUMMARY_KINDS)) == by_time(small)
    only_full = {"smtp", "session-close"}  # SMTP dialog lines and session ends (and HTTP's)
    def counted(trace: Trace) -> dict[str, int]:
        return {k: n for k, n in trace.counts.items() if k not in only_full}
    assert counted(full) == counted(small)


# ---------------------------------------------------------------------------
# Helpers that read the trace
# ---------------------------------------------------------------------------


def commands(lines: list[DialogLine]) -> list[str]:
    """The client's command verbs in one session, skipping the message content."""
    verbs, in_content = [], False
    for line in lines:
        if line.dir == "S" and line.line.startswith("354"):
            in_content = True
        elif line.dir == "C" and in_content:
            if line.line == ".":
                in_content = False
                verbs.append(".")
        elif line.dir == "C":
            verbs.append(line.line.split()[0].upper())
    return verbs


def session_lines(net: Network, server: str, client: str) -> list[DialogLine]:
    lines = [d for d in net.trace.of(DialogLine) if d.node == server and d.peer == client]
    assert lines, f"no session {client} -> {server}"
    first = lines[0].session
    return [d for d in lines if d.session == first]


def replies_to(lines: list[DialogLine], prefix: str) -> list[str]:
    """The server's answers to client lines starting with ``prefix`` (pipelining aside,
    the answer to a RCPT names its recipient)."""
    return [d.line for d in lines if d.dir == "S" and prefix in d.line]


def only_msg(net: Network, subject_part: str) -> str:
    [msg] = [e.msg for e in net.trace.of(Injected) if subject_part in e.subject]
    return msg


def dsn_parts(raw: bytes) -> dict[str, Message]:
    report = email.message_from_bytes(raw)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    return {part.get_content_type(): part for part in report.get_payload()}


# ---------------------------------------------------------------------------
# The teaching point of each scenario
# ---------------------------------------------------------------------------


def test_classic_is_the_textbook_dialog() -> None:
    net = run("classic")
    lines = session_lines(net, "smtp.example.com", "bob-laptop")
    assert commands(lines) == ["EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", ".", "QUIT"]
    assert lines[0].line.startswith("220 smtp.example.com")
    rcpts = [d.line for d in lines if d.dir == "C" and d.line.startswith("RCPT")]
    assert rcpts == ["RCPT TO:<alice@example.com>", "RCPT TO:<theodore@example.com>"]
    # Same organisation: one SMTP session only, then the MSA's own MDA delivers.
    assert {d.session for d in net.trace.of(DialogLine) if d.kind == "smtp"} == \
        {lines[0].session}
    delivered = {(e.recipient, e.node) for e in net.trace.of(Delivered)}
    assert delivered == {("alice@example.com", "mda.example.com"),
                         ("theodore@example.com", "mda.example.com")}


def test_classic_ends_with_alice_fetching_her_copy_by_pop3() -> None:
    net = run("classic")
    lines = session_lines(net, "pop.example.com", "alice-laptop")
    assert all(isinstance(d, Pop3Line) for d in lines)
    assert commands(lines) == ["CAPA", "USER", "PASS", "UIDL", "RETR", "DELE", "QUIT"]
    # She checks once, after the MDA has delivered: the pull starts where the push ended.
    (delivered,) = [e for e in net.trace.of(Delivered) if e.recipient == "alice@example.com"]
    assert lines[0].t > delivered.t
    (fetched,) = net.trace.of(Fetched)
    (removed,) = net.trace.of(Removed)
    assert (fetched.msg, fetched.peer, fetched.user, fetched.protocol) == \
        ("m1", "alice-laptop", "alice", "POP3")
    assert removed.msg == "m1" and removed.t > fetched.t  # deleted at QUIT, not at DELE
    # Download and delete: her laptop holds the message, the server no longer does;
    # Theodore has not checked yet, so his copy waits in his mailbox.
    [(protocol, _, raw)] = net.nodes["alice-laptop"].read  # type: ignore[attr-defined]
    assert protocol == "POP3" and b"Subject: Test message" in raw
    assert net.nodes["mailbox:alice@example.com"].messages == []  # type: ignore[attr-defined]
    assert len(net.nodes["mailbox:theodore@example.com"].messages) == 1  # type: ignore[attr-defined]


def test_cross_domain_relays_by_mx() -> None:
    net = run("cross-domain")
    queries = [(q.node, q.qname, q.qtype) for q in net.trace.of(DnsQuery)]
    assert ("smtp.example.org", "example.com", "MX") in queries
    [o] = summarize(net.trace)
    assert o.outcome == "delivered"
    assert o.path[:3] == ("bob-laptop", "smtp.example.org", "mx.example.com")
    raw = net.nodes["mailbox:alice@example.com"].messages[0]  # type: ignore[attr-defined]
    assert email.message_from_bytes(raw).get_all("Received") is not None
    assert len(email.message_from_bytes(raw).get_all("Received")) == 2


def test_smarthost_takes_at_least_four_hops_via_transport_then_mx() -> None:
    net = run("smarthost")
    [o] = summarize(net.trace)
    assert o.outcome == "delivered"
    assert o.path[:5] == ("bob-desktop", "smtp.corp.example", "hub.corp.example",
                          "smarthost.isp.example", "mx.example.com")
    assert len(o.path) - 2 >= 4  # hops between nodes, not counting the mailbox
    # Only the smarthost asks DNS; the inner servers route by their transport tables.
    askers = {e.node for e in net.trace.of(DnsQuery)}
    assert askers == {"smarthost.isp.example"}
    raw = net.nodes["mailbox:alice@example.com"].messages[0]  # type: ignore[attr-defined]
    assert len(email.message_from_bytes(raw).get_all("Received")) == 4


def test_mx_failover_secondary_queues_until_primary_returns() -> None:
    net = run("mx-failover")
    msg = only_msg(net, "Are you there")
    first = next(e for e in net.trace.of(Deferred) if e.msg == msg)
    assert (first.node, first.to) == ("smtp.example.org", "mx1.example.com")
    assert "Connection refused" in first.reply
    queued = [e for e in net.trace.of(Queued) if e.node == "mx2.example.com" and e.msg == msg]
    assert queued and queued[0].t < 60
    up = next(e for e in net.trace.of(NodeState)
              if e.node == "mx1.example.com" and e.state == "up")
    [delivered] = [e for e in net.trace.of(Delivered) if e.msg == msg]
    assert delivered.t > up.t
    assert [e.to for e in net.trace.of(Relayed) if e.msg == msg][-2:] == [
        "mx1.example.com", "mda.example.com"]
    assert any(e.node == "mx2.example.com" for e in net.trace.of(RetryScheduled))


def test_greylisting_defers_with_450_then_accepts_the_retry() -> None:
    net = run("greylisting")
    lines = [d for d in net.trace.of(DialogLine) if d.node == "mx.example.com"]
    grey = [d for d in lines if d.dir == "S" and d.line.startswith("450 4.7.1")]
    assert grey and "alice@example.com" in grey[0].line
    later_ok = [d for d in lines if d.t > grey[0].t and d.dir == "S"
                and d.line.startswith("250 2.1.5")]
    assert later_ok, "the retried RCPT TO:<alice@example.com> is accepted"
    retries = [e for e in net.trace.of(RetryScheduled) if e.node == "smtp.example.org"]
    assert retries and grey[0].t <= retries[0].t < later_ok[0].t
    assert later_ok[0].t - grey[0].t >= 60  # not before the greylist delay
    assert [o.outcome for o in summarize(net.trace)] == ["delivered"]


def test_unknown_user_bounces_with_a_dsn_to_bob() -> None:
    net = run("unknown-user")
    assert any(d.line.startswith("550 5.1.1") and "alice.smith@example.com" in d.line
               for d in net.trace.of(DialogLine))
    [bounce] = net.trace.of(Bounced)
    assert (bounce.recipient, bounce.status) == ("alice.smith@example.com", "5.1.1")
    assert bounce.dsn
    assert ("theodore@example.com", "delivered") in \
        {(o.recipient, o.outcome) for o in summarize(net.trace)}
    [dsn_sent] = [e for e in net.trace.of(Injected) if e.msg == bounce.dsn]
    assert dsn_sent.sender == ""  # bounces travel with the null sender <>
    bob = net.nodes["mailbox:bob@example.org"]
    [raw] = bob.messages  # type: ignore[attr-defined]
    status = dsn_parts(raw)["message/delivery-status"].as_string()
    assert "Final-Recipient: rfc822; alice.smith@example.com" in status
    assert "Status: 5.1.1" in status
    assert "theodore" not in status


def test_relay_denied_gets_554_at_rcpt_and_reaches_nobody() -> None:
    net = run("relay-denied")
    lines = [d for d in net.trace.of(DialogLine) if d.node == "mx.example.com"]
    verbs = commands(lines)
    assert "RCPT" in verbs and "." not in verbs  # refused before any content was sent
    # With PIPELINING the client sent DATA before it read the refusal; DATA fails too.
    assert any(d.line.startswith("503") for d in lines)
    assert any(d.line.startswith("554 5.7.1") and "Relay access denied" in d.line
               for d in lines)
    spam = only_msg(net, "You have won")
    assert [e for e in net.trace.of(Delivered) if e.msg == spam] == []
    assert net.nodes["mailbox:victim@example.net"].messages == []  # type: ignore[attr-defined]
    [bounce] = net.trace.of(Bounced)
    assert (bounce.msg, bounce.status) == (spam, "5.7.1")


def test_mail_loop_is_stopped_by_the_hop_count() -> None:
    net = run("mail-loop")
    msg = only_msg(net, "Round and round")
    [bounce] = net.trace.of(Bounced)
    assert (bounce.msg, bounce.status) == (msg, "5.4.6")
    hops = [e for e in net.trace.of(MessageAccepted) if e.msg == msg]
    assert 45 <= len(hops) <= 52
    assert any(d.line.startswith("554 5.4.6") for d in net.trace.of(DialogLine))
    [raw] = net.nodes["mailbox:bob@example.org"].messages  # type: ignore[attr-defined]
    headers = dsn_parts(raw)["text/rfc822-headers"].get_payload()
    assert 48 <= headers.count("Received: from") <= 51  # ~50: Postfix's hop limit


def test_bulk_relay_rate_limit_defers_then_delivers_everything() -> None:
    net = run("bulk-relay")
    deferred = [e for e in net.trace.of(Deferred) if e.reply.startswith("451 4.7.1")]
    assert deferred and {e.node for e in deferred} == {"shop-server"}
    assert any(d.line.startswith("451 4.7.1") for d in net.trace.of(DialogLine))
    outcomes = summarize(net.trace)
    assert len(outcomes) == 12
    assert all(o.outcome == "delivered" for o in outcomes)
    assert max(o.seconds for o in outcomes) > 60  # delivery spread out over time
    # AUTH on 587 at the relay service, every time.
    assert all(e.port == 587 for e in net.trace if e.kind == "session-open"
               and e.node == "relay.mailservice.example")


def test_api_gateway_converts_json_to_smtp() -> None:
    net = run("api-gateway")
    [conv] = net.trace.of(Converted)
    assert (conv.node, conv.source, conv.target) == ("api.mailservice.example",
                                                     "http-json", "smtp")
    http = [d.line for d in net.trace.of(DialogLine) if d.state == "HTTP"]
    assert http[0].startswith("POST /v3/mail/send") and "HTTP/1.1 202 Accepted" in http
    [delivered] = net.trace.of(Delivered)
    assert delivered.msg == conv.msg and delivered.t > conv.t
    assert any(e.node == "api.mailservice.example" and e.to == "mx.example.com"
               for e in net.trace.of(Relayed))


def test_null_mx_bounces_at_once_with_556() -> None:
    net = run("null-mx")
    [bounce] = net.trace.of(Bounced)
    assert bounce.status == "5.1.10" and bounce.reply.startswith("556")
    assert not [e for e in net.trace if e.kind == "session-open"
                and e.peer == "smtp.example.org" and e.node != "mx.example.org"]
    [raw] = net.nodes["mailbox:bob@example.org"].messages  # type: ignore[attr-defined]
    assert "Status: 5.1.10" in dsn_parts(raw)["message/delivery-status"].as_string()


def test_sms_gateway_squeezes_mail_into_160_characters() -> None:
    net = run("sms-gateway")
    [conv] = net.trace.of(Converted)
    assert (conv.source, conv.target) == ("smtp", "sms")
    [sms] = net.nodes["mailbox:15551234567@sms.example.net"].messages  # type: ignore[attr-defined]
    text = sms.rsplit(b"\r\n", 1)[-1]  # one line of text after the MDA's headers
    assert text.startswith(b"Running late: Hi!")
    assert len(text.decode()) <= 160


def test_api_gateway_path_includes_the_gateway() -> None:
    [o] = summarize(run("api-gateway").trace)
    assert o.path[:3] == ("shop-backend", "api.mailservice.example", "mx.example.com")


def test_sms_in_the_phone_mailbox_is_a_well_formed_message() -> None:
    net = run("sms-gateway")
    [raw] = net.nodes["mailbox:15551234567@sms.example.net"].messages  # type: ignore[attr-defined]
    assert b"\r\n\r\n" in raw
    parsed = email.message_from_bytes(raw)
    assert parsed.defects == []
    assert parsed.get_payload().startswith("Running late: Hi!")


def test_scenario_objects_build_fresh_networks() -> None:
    scenario: Scenario = load("classic")
    a, b = scenario.build(), scenario.build()
    assert a is not b and a.nodes["smtp.example.com"] is not b.nodes["smtp.example.com"]
