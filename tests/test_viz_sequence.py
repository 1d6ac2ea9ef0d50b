"""sequence_diagram: one arrow per dialog line shown, replies in their class colour."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_hex
from viz_fixtures import (
    PICKUP_MESSAGE,
    PICKUP_OCTETS,
    bounce,
    by_gid,
    classic,
    pickup,
    png_bytes,
    relay4,
    save_artifact,
    texts,
)

from smtpsim.trace import DialogLine, Trace
from smtpsim.viz import palette, sequence_diagram
from smtpsim.viz._sequence import dialog_rows, retrieval_rows

matplotlib.use("Agg")


def _lines(trace: Trace, session: str) -> list[DialogLine]:
    return [e for e in trace.of(DialogLine) if e.session == session]


def test_one_arrow_per_line_shown_and_content_collapsed() -> None:
    lines = _lines(classic(), "s1")
    fig = sequence_diagram(classic(), "s1")
    arrows = by_gid(fig, "dialog:")
    start = next(i for i, ln in enumerate(lines) if ln.line.startswith("354")) + 1
    end = next(i for i, ln in enumerate(lines) if ln.line == ".")
    content = lines[start:end]
    assert len(content) == 9
    assert len(arrows) == len(lines) - len(content) + 1  # 9 content lines -> one block
    assert len(by_gid(fig, "content:")) == 1
    shown = texts(fig)
    assert any(t.startswith("message content (9 lines)") for t in shown)
    assert "." in shown  # the lone dot is always its own arrow
    assert "EHLO smtp.example.org" in shown and "250 2.0.0 Ok: queued as 4F2A1" in shown
    save_artifact(fig, "sequence_classic")


@pytest.mark.parametrize(("trace", "session"), [(classic(), "s1"), (relay4(), "s2"),
                                                (bounce(), "s1")])
def test_arrow_colours_follow_the_reply_class(trace: Trace, session: str) -> None:
    lines = _lines(trace, session)
    arrows = by_gid(sequence_diagram(trace, session), "dialog:")
    for row in dialog_rows(lines):
        colour = to_hex(arrows[f"dialog:{row.first}"].get_edgecolor())
        first = row.lines[0]
        want = palette.reply_colour(first.line) if first.dir == "S" else palette.CLIENT
        assert colour == to_hex(want), first.line


def test_greylist_and_bounce_show_orange_and_red() -> None:
    fig = sequence_diagram(relay4(), "s2")
    colours = {to_hex(a.get_edgecolor()) for a in by_gid(fig, "dialog:").values()}
    assert to_hex(palette.REPLY_COLOURS[4]) in colours
    for label in palette.REPLY_LABELS.values():
        assert label in texts(fig)  # legend
    save_artifact(fig, "sequence_greylist")
    fig = sequence_diagram(bounce(), "s1")
    colours = {to_hex(a.get_edgecolor()) for a in by_gid(fig, "dialog:").values()}
    assert to_hex(palette.REPLY_COLOURS[5]) in colours


def test_deterministic_and_errors() -> None:
    assert png_bytes(sequence_diagram(classic(), "s1")) == png_bytes(
        sequence_diagram(classic(), "s1"))
    with pytest.raises(ValueError, match=r"unknown session 'nope'.*s1"):
        sequence_diagram(classic(), "nope")


# ------------------------------------------------------------ POP3 and IMAP sessions


def _arrow_colours(fig: object) -> dict[int, str]:
    """Row position (the index of its first line in the session) -> its arrow's colour."""
    return {int(gid.split(":")[1]): to_hex(a.get_edgecolor())
            for gid, a in by_gid(fig, "dialog:").items()}


def test_a_pop3_session_shows_commands_and_answers_and_the_message_as_one_row() -> None:
    lines = _lines(pickup(), "s3")
    fig = sequence_diagram(pickup(), "s3")
    shown = texts(fig)
    assert fig.axes[0].get_title() == "POP3 session s3: alice-laptop \u2192 imap.example.com"
    for ln in lines[:14] + lines[-5:]:  # everything but the message's lines (long ones cut)
        assert ln.line in shown or any(t.startswith(ln.line[:50]) for t in shown), ln.line
    assert shown.count(f"(message, {PICKUP_OCTETS} octets)") == 1  # as "+OK 85 octets" says
    for text in PICKUP_MESSAGE[2:]:  # not a line of it, stuffed or not
        assert not any(text in t for t in shown), text
    assert len(by_gid(fig, "dialog:")) == len(lines) - len(PICKUP_MESSAGE) + 1
    assert shown.count(".") == 2  # the lone dots after LIST and after the message
    colours = _arrow_colours(fig)
    at = {ln.line: i for i, ln in enumerate(lines)}
    assert colours[at["-ERR [AUTH] invalid user name or password"]] == to_hex(palette.BOUNCE)
    assert colours[at["+OK send your password"]] == to_hex(palette.DELIVERY)
    assert colours[at["RETR 1"]] == colours[at[f"1 {PICKUP_OCTETS}"]] == to_hex(palette.CLIENT)
    assert any(t.startswith("No: the server refused PASS") for t in shown)  # explained
    assert {"+OK success", "-ERR failure"} <= set(shown)
    assert "2xx success" not in shown  # POP3 has no reply codes
    save_artifact(fig, "sequence_pop3")


def test_an_imap_session_shows_the_literal_as_one_row_between_its_two_halves() -> None:
    lines = _lines(pickup(), "s2")
    fig = sequence_diagram(pickup(), "s2")
    shown = texts(fig)
    assert fig.axes[0].get_title() == "IMAP session s2: alice-phone \u2192 imap.example.com"
    announce = next(i for i, ln in enumerate(lines) if ln.line.endswith(f"{{{PICKUP_OCTETS}}}"))
    rows = [r.text for r in retrieval_rows(lines, "IMAP")]
    k = rows.index(lines[announce].line)
    assert rows[k + 1:k + 3] == [f"(message, {PICKUP_OCTETS} octets)", " FLAGS (\\Seen))"]
    assert not any("minutes are attached" in t for t in shown)
    assert len(by_gid(fig, "dialog:")) == len(lines) - len(PICKUP_MESSAGE) + 1
    colours = _arrow_colours(fig)
    at = {ln.line: i for i, ln in enumerate(lines)}
    assert colours[at["a2 NO [NONEXISTENT] no mailbox called Archive"]] == to_hex(palette.BOUNCE)
    assert colours[at["a3 OK [READ-WRITE] SELECT completed"]] == to_hex(palette.DELIVERY)
    assert colours[at["* 1 EXISTS"]] == colours[at["a4 FETCH 1 (BODY[])"]] == to_hex(
        palette.CLIENT)
    assert any(t.startswith("Tagged NO for a2") for t in shown)
    assert any(t.startswith("Untagged: the mailbox holds 1 messag") for t in shown)
    save_artifact(fig, "sequence_imap")


def test_a_client_literal_is_counted_in_octets_across_the_servers_go_ahead() -> None:
    from smtpsim.trace import ImapLine

    script = [("C", "a1 LOGIN {5}"), ("S", "+ go ahead"), ("C", "alice {10}"),
              ("S", "+ go ahead"), ("C", "wonderland"), ("S", "a1 OK logged in")]
    lines = [ImapLine(i * 0.01, "imap", "ua", "s9", d, text) for i, (d, text) in
             enumerate(script)]
    assert [r.text for r in retrieval_rows(lines, "IMAP")] == [
        "a1 LOGIN {5}", "+ go ahead", "(literal, 5 octets)", "+ go ahead",
        "(literal, 10 octets)", "a1 OK logged in"]
    fig = sequence_diagram(lines, "s9")
    assert to_hex(by_gid(fig, "dialog:1")["dialog:1"].get_edgecolor()) == to_hex(
        palette.REPLY_COLOURS[3])  # a continuation: go on
    assert "+ go on (continuation)" in texts(fig)


@pytest.mark.parametrize("name", ["classic", "pop-vs-imap"])
def test_every_fetch_session_of_a_library_scenario_is_condensed(name: str) -> None:
    """Each POP3/IMAP session: the protocol in the title, every line outside a message
    shown, and each message it downloaded as one "(message, N octets)" row whose N is
    what the protocol announced ({542}, or +OK 542 octets)."""
    import re

    from smtpsim.scenarios import load
    from smtpsim.trace import Fetched, ImapLine, Pop3Line, SessionClosed, SessionOpened

    trace = load(name).run().trace
    sessions = [e for e in trace.of(SessionOpened) if e.port in (110, 143)]
    assert sessions
    for opened in sessions:
        protocol = "POP3" if opened.port == 110 else "IMAP"
        lines = [e for e in trace.of(Pop3Line if protocol == "POP3" else ImapLine)
                 if e.session == opened.session]
        closed = next(e.t for e in trace.of(SessionClosed) if e.session == opened.session)
        fetched = [e for e in trace.of(Fetched) if e.peer == opened.peer
                   and opened.t <= e.t <= closed]
        announced = [int(m.group(1)) for ln in lines if ln.dir == "S" and (m := re.search(
            r"\{(\d+)\}$" if protocol == "IMAP" else r"^\+OK (\d+) octets$", ln.line))]
        fig = sequence_diagram(trace, opened.session)
        shown = texts(fig)
        assert fig.axes[0].get_title().startswith(f"{protocol} session {opened.session}: ")
        carried = [t for t in shown if t.startswith("(message, ")]
        assert carried == [f"(message, {n} octets)" for n in announced]
        assert len(carried) == len(fetched)
        assert not any(t.startswith(("Received: ", "Subject: ", "Return-Path: "))
                       for t in shown)
        save_artifact(fig, f"sequence_{name}_{opened.session}")


def test_an_smtp_session_is_still_titled_smtp() -> None:
    assert sequence_diagram(classic(), "s1").axes[0].get_title().startswith("SMTP session s1:")
