"""The pull half in the simulation: a user agent fetches from a mailbox server
(smtpsim.sim.retrieval, MailboxServer, UserAgent.fetch_from)."""

from __future__ import annotations

import pytest

from smtpsim.sim import MDA, MTA, Mailbox, MailboxServer, Network, SubmissionServer, UserAgent
from smtpsim.trace import (
    Fetched,
    Flagged,
    ImapLine,
    Pop3Line,
    Removed,
    SessionOpened,
    check_conservation,
    check_retrieval,
)


def world(*, pop_password: str = "secret", keep: str = "all"):
    net = Network(seed=1, keep=keep)  # type: ignore[arg-type]
    box = Mailbox("alice@example.com")
    net.add(SubmissionServer("smtp.example.org", "example.org",
                             users={"bob@example.org": "pw"},
                             transport={"*": "mx.example.com"}))
    net.add(MTA("mx.example.com", "example.com", local_domains=["example.com"],
                mda=MDA("mda.example.com", "example.com", [box])))
    net.add(MailboxServer("pop.example.com", "example.com", {"alice": (pop_password, box)}))
    bob = UserAgent("bob-pc", "bob@example.org", password="pw", submit_to="smtp.example.org")
    alice = UserAgent("alice-pc", "alice@example.com", password="secret",
                      submit_to="smtp.example.org", mailbox=box)
    net.add(bob)
    net.add(alice)
    return net, box, bob, alice


def test_alice_downloads_exactly_what_the_mda_stored_and_it_leaves_the_mailbox():
    net, box, bob, alice = world()
    bob.send(["alice@example.com"], subject="Hi", body="Hello Alice.\n.a dot line\nBob")
    stored = []
    net.at(4.9, lambda: stored.extend(box.messages))
    alice.fetch_from("pop.example.com", "POP3", at=5)
    net.run()
    net.finish()
    assert len(stored) == 1
    assert [(p, data) for p, _, data in alice.read] == [("POP3", stored[0])]
    assert box.messages == [] and box.ids == []
    fetched = net.trace.of(Fetched)
    removed = net.trace.of(Removed)
    assert [(e.msg, e.peer, e.protocol, e.user) for e in fetched] == [
        ("m1", "alice-pc", "POP3", "alice")]
    assert [e.msg for e in removed] == ["m1"] and removed[0].t > fetched[0].t
    assert check_conservation(net.trace) == []


def test_the_pop3_dialog_is_in_the_trace_on_port_110_in_time():
    net, _, bob, alice = world()
    alice.fetch_from("pop.example.com", at=5)  # before anything is recorded: in the picture
    bob.send(["alice@example.com"], subject="Hi", body="Hello")
    net.run()
    (opened,) = [e for e in net.trace.of(SessionOpened) if e.node == "pop.example.com"]
    assert opened.port == 110 and opened.peer == "alice-pc"
    lines = [e for e in net.trace.of(Pop3Line) if e.session == opened.session]
    assert lines[0].dir == "S" and lines[0].line.startswith("+OK pop.example.com")
    commands = [e.line for e in lines if e.dir == "C"]
    assert commands == ["CAPA", "USER alice", "PASS secret", "UIDL", "RETR 1", "DELE 1", "QUIT"]
    times = [e.t for e in lines]
    assert times == sorted(times) and times[0] >= 5
    assert lines[-1].state == "UPDATE"
    # The network's picture has the pull hop.
    (described,) = [e for e in net.trace if e.kind == "network"]
    assert ("alice-pc", "pop.example.com", 110, "POP3") in [link[:4] for link in described.links]
    assert ("pop.example.com", "mailbox_server", "example.com") in described.nodes


def test_keeping_mail_on_the_server_and_polling_fetches_each_message_once():
    net, box, bob, alice = world()
    bob.send(["alice@example.com"], subject="one", body="1")
    net.at(20, lambda: bob.send(["alice@example.com"], subject="two", body="2"))
    alice.fetch_from("pop.example.com", "POP3", at=5, every=10, times=4, delete=False)
    net.run()
    assert [uid for _, uid, _ in alice.read] == ["1.1", "1.2"]
    assert len(box.messages) == 2 and net.trace.of(Removed) == []
    assert len(net.trace.of(Fetched)) == 2
    opened = [e for e in net.trace.of(SessionOpened) if e.port == 110]
    assert [round(e.t) for e in opened] == [5, 15, 25, 35]


def test_a_wrong_password_fetches_nothing_and_deletes_nothing():
    net, box, bob, alice = world(pop_password="other")
    bob.send(["alice@example.com"], subject="Hi", body="Hello")
    alice.fetch_from("pop.example.com", at=5)
    net.run()
    assert alice.read == [] and len(box.messages) == 1
    assert "-ERR [AUTH] invalid user name or password" in [
        e.line for e in net.trace.of(Pop3Line)]


def test_a_mailbox_server_that_is_down_is_a_refused_connection():
    net, box, bob, alice = world()
    bob.send(["alice@example.com"], subject="Hi", body="Hello")
    net.take_down("pop.example.com", 0, 100)
    alice.fetch_from("pop.example.com", at=5)
    net.run()
    assert alice.read == [] and len(box.messages) == 1
    assert [e for e in net.trace.of(SessionOpened) if e.port == 110] == []


def test_the_trace_kept_is_only_a_filter():
    outcomes = []
    for keep in ("all", "counts"):
        net, _, bob, alice = world(keep=keep)
        bob.send(["alice@example.com"], subject="Hi", body="Hello")
        alice.fetch_from("pop.example.com", at=5)
        net.run()
        outcomes.append((net.now, alice.read, net.trace.counts.get("pop3")))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"protocol": "SMTP"}, "POP3 or IMAP"),
    ({"at": -1}, "before time 0"),
    ({"every": 0, "times": 2}, "above 0"),
    ({"every": 5}, "needs times="),
    ({"every": 5, "times": 0}, "at least 1"),
])
def test_bad_fetch_plans_are_refused(kwargs, message):
    _, _, _, alice = world()
    with pytest.raises(ValueError, match=message):
        alice.fetch_from("pop.example.com", **kwargs)


@pytest.mark.parametrize("protocols", [("SMTP",), ("POP3", "X400"), ()])
def test_a_mailbox_server_serves_pop3_and_or_imap(protocols):
    with pytest.raises(ValueError, match="serves POP3 and/or IMAP"):
        MailboxServer("pop", "example.com", {}, protocols=protocols)


def test_check_retrieval_finds_a_second_download_after_removal():
    from smtpsim.trace import Delivered

    events = [Delivered(1.0, "mda", "m1", "alice@example.com", "mailbox:alice@example.com"),
              Fetched(2.0, "pop", "m1", "ua", "POP3", "alice"),
              Removed(3.0, "pop", "m1", "ua", "POP3", "alice"),
              Fetched(4.0, "pop", "m1", "phone", "IMAP", "alice"),
              Removed(5.0, "pop", "m9", "ua", "POP3", "alice")]
    assert check_retrieval(events) == [
        "m1 for alice at pop: fetched after it was removed",
        "m9 for alice at pop: removed but never delivered"]


# -- IMAP ------------------------------------------------------------------------------


def test_imap_reads_and_keeps_and_a_second_device_sees_seen():
    net, box, bob, alice = world()
    phone = UserAgent("alice-phone", "alice@example.com", password="secret",
                      submit_to="smtp.example.org")
    net.add(phone)
    bob.send(["alice@example.com"], subject="Hi", body="Hello Alice.\n.a dot line\nBob")
    alice.fetch_from("pop.example.com", "IMAP", at=5)  # reads: \Seen, kept on the server
    phone.fetch_from("pop.example.com", "IMAP", at=8)
    net.run()
    net.finish()
    assert [(p, i) for p, i, _ in alice.read] == [("IMAP", "1.1")]
    assert alice.read[0][2] == box.messages[0]  # byte for byte what the MDA stored
    assert len(box.messages) == 1  # IMAP keeps it
    # The phone downloads it too (it has not seen it) and learns it is read already.
    assert [i for _, i, _ in phone.read] == ["1.1"]
    assert phone.flags("pop.example.com") == {"1.1": frozenset({"\\Seen"})}
    flagged = net.trace.of(Flagged)
    assert [(e.msg, e.peer, e.flags) for e in flagged] == [("m1", "alice-pc", ("\\Seen",))]
    assert {e.peer for e in net.trace.of(Fetched)} == {"alice-pc", "alice-phone"}
    lines = [e for e in net.trace.of(ImapLine) if e.peer == "alice-pc"]
    assert lines[0].line.startswith("* OK [CAPABILITY IMAP4rev2") and lines[0].dir == "S"
    assert any(e.line == "a4 UID FETCH 1 (BODY[])" for e in lines)
    (opened,) = [e for e in net.trace.of(SessionOpened) if e.peer == "alice-pc"]
    assert opened.port == 143
    assert check_conservation(net.trace) == []


def test_pop3_deletes_and_then_imap_finds_the_mailbox_empty():
    net, box, bob, alice = world()
    phone = UserAgent("alice-phone", "alice@example.com", password="secret",
                      submit_to="smtp.example.org")
    net.add(phone)
    bob.send(["alice@example.com"], subject="Hi", body="Hello")
    alice.fetch_from("pop.example.com", "POP3", at=5)
    phone.fetch_from("pop.example.com", "IMAP", at=10)
    net.run()
    assert [i for _, i, _ in alice.read] == ["1.1"] and phone.read == []
    selected = [e.line for e in net.trace.of(ImapLine) if e.line.endswith(" EXISTS")]
    assert selected == ["* 0 EXISTS"]
    assert check_conservation(net.trace) == []


def test_imap_with_delete_expunges():
    net, box, bob, alice = world()
    bob.send(["alice@example.com"], subject="Hi", body="Hello")
    alice.fetch_from("pop.example.com", "IMAP", at=5, delete=True)
    net.run()
    assert box.messages == []
    removed = net.trace.of(Removed)
    assert [(e.msg, e.protocol) for e in removed] == [("m1", "IMAP")]
    assert check_conservation(net.trace) == []


def test_a_server_that_serves_only_pop3_refuses_imap():
    net = Network(seed=1)
    box = Mailbox("alice@example.com")
    net.add(MailboxServer("pop.example.com", "example.com", {"alice": ("pw", box)},
                          protocols=("POP3",)))
    alice = UserAgent("alice-pc", "alice@example.com", password="pw", submit_to="x")
    net.add(alice)
    alice.fetch_from("pop.example.com", "IMAP", at=1)
    net.run()
    assert alice.read == [] and not net.trace.of(ImapLine)


def test_check_retrieval_finds_flags_set_after_removal():
    from smtpsim.trace import Delivered

    events = [Delivered(1.0, "mda", "m1", "alice@example.com", "mailbox:alice@example.com"),
              Removed(3.0, "imap", "m1", "ua", "IMAP", "alice"),
              Flagged(4.0, "imap", "m1", "phone", "IMAP", "alice", ("\\Seen",))]
    assert check_retrieval(events) == ["m1 for alice at imap: flagged after it was removed"]
