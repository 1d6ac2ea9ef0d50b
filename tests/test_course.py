"""The course's self-check functions: right answers pass, wrong ones get a hint.

Every ``check_*`` in :mod:`smtpsim.course` must return True (printing ``✓ Right.``) for the
right answer in each reasonable form, and False for a wrong answer and for ``None``
(the value a notebook is stored with), printing a hint without raising and without
giving the answer away.
"""

from __future__ import annotations

from typing import Any

import pytest

from smtpsim import course
from smtpsim.message import parse_received_chain
from smtpsim.sim import Zone, mail_route

RIGHT: dict[str, list[Any]] = {
    "check_protocols": [["SMTP", "SMTP", "IMAP"], ("smtp", "esmtp", "imap4")],
    "check_reply_after_data": [354, "354", " 354 ", 354.0],
    "check_command_order": [
        ["EHLO", "MAIL FROM", "RCPT TO", "DATA", ".", "QUIT"],
        ["helo", "mail", "rcpt", "data", "dot", "quit"],
        ["EHLO bob-laptop", "MAIL FROM:<bob@example.org>", "RCPT TO:<alice@example.com>",
         "DATA", ".", "QUIT"],
    ],
    "check_rcpt_count": [5, "5"],
    "check_envelope_header": ["Return-Path", "return-path:", " RETURN-PATH "],
    "check_first_mx": ["mx-c.example.net", "MX-C.example.net.", "mx-c.EXAMPLE.NET"],
    "check_null_mx_code": [556, "556", "5.1.10"],
    "check_hop_count": [4, "4"],
    "check_first_hop": ["smtp.example.org", "SMTP.Example.Org"],
    "check_next_retry": [2700, 2700.0, "2700", "2700 s", "t=2700"],
    "check_bounce_sender": ["<>", "", "null sender", "MAIL FROM:<>"],
    "check_classify_codes": [
        {221: "success", 354: "intermediate", 421: "transient", 452: "temporary",
         535: "permanent", 550: "permanent"},
        {"221": 2, "354": 3, "421": 4, "452": 4, "535": 5, "550": 5},
        {221: "2xx", 354: "3xx", 421: "4xx", 452: "4XX", 535: "5xx", 550: "Permanent"},
    ],
    "check_client_action": ["retry", "Retry later", "try again later"],
    "check_out_of_sequence_reply": [503, "503"],
    "check_exists_after_pop3": [0, "0", " 0 ", "* 0 EXISTS"],
    "check_refused_connections": [3, "3", " 3 "],
}

WRONG: dict[str, list[Any]] = {
    "check_protocols": [["SMTP", "SMTP", "POP"], ["IMAP", "SMTP", "IMAP"], ["SMTP"],
                        "SMTP", ["SMTP", "SMTP", "HTTP"], [1, 2, 3]],
    "check_reply_after_data": [250, 220, "250", 999, "three", 3.5, True, [354]],
    "check_command_order": [
        ["MAIL FROM", "EHLO", "RCPT TO", "DATA", ".", "QUIT"],
        ["EHLO", "RCPT TO", "MAIL FROM", "DATA", ".", "QUIT"],
        ["EHLO", "MAIL FROM", "RCPT TO", ".", "DATA", "QUIT"],
        ["EHLO", "MAIL FROM", "RCPT TO", "DATA", "QUIT", "."],
        ["EHLO", "MAIL FROM", "RCPT TO", "DATA", "QUIT"],
        ["EHLO", "EHLO", "MAIL FROM", "RCPT TO", "DATA", "."],
        ["EHLO", "MAIL FROM", "RCPT TO", "DATA", ".", "BYE"],
        "EHLO MAIL RCPT DATA . QUIT",
        [None, 1, 2, 3, 4, 5],
    ],
    "check_rcpt_count": [3, 1, "five", 2],
    "check_envelope_header": ["From", "Delivered-To", "Received", "X-Sender", 42],
    "check_first_mx": ["mx-b.example.net", "backup.example.org", "mx-a.example.net",
                       "mx.example.com", 5],
    "check_null_mx_code": [550, 450, "5.1.1", "nope", 221],
    "check_hop_count": [3, 5, 2, "four", -1],
    "check_first_hop": ["filter.example.net", "carol-pc", "mx.example.net", 1],
    "check_next_retry": [2500, 1600, 1500, 1000, 3000, "soon", [2700]],
    "check_bounce_sender": ["MAILER-DAEMON@mx.example.com", "postmaster@example.org",
                            "bob@example.org", "nobody", 0],
    "check_classify_codes": [
        {221: "success", 354: "success", 421: "transient", 452: "transient",
         535: "permanent", 550: "permanent"},
        {221: "success"},
        {221: "success", 354: "intermediate", 421: "transient", 452: "transient",
         535: "permanent", 550: "purple"},
        [221, 354],
        "success",
    ],
    "check_client_action": ["bounce", "give up", "maybe", 452],
    "check_out_of_sequence_reply": [500, 250, 550, "oops", 42],
    "check_exists_after_pop3": [2, 1, "* 2 EXISTS", "none", 7, True],
    "check_refused_connections": [1, 2, 6, "three", 0],
}


def test_every_check_is_covered() -> None:
    assert set(course.CHECKS) == set(RIGHT) == set(WRONG)
    assert set(course.CHECKS) <= set(course.__all__)
    for name, func in course.CHECKS.items():
        assert func.__doc__, f"{name} has no docstring"


@pytest.mark.parametrize(("name", "answer"),
                         [(n, a) for n, answers in RIGHT.items() for a in answers])
def test_right_answer_passes(name: str, answer: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert course.CHECKS[name](answer) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ Right."), out


@pytest.mark.parametrize(("name", "answer"),
                         [(n, a) for n, answers in WRONG.items() for a in answers])
def test_wrong_answer_gets_a_hint(name: str, answer: Any,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert course.CHECKS[name](answer) is False
    out = capsys.readouterr().out
    assert "Right." not in out and out.startswith("✗ Not yet.")
    assert len(out.strip()) > 20, f"no helpful hint printed: {out!r}"


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_none_gets_a_hint_not_an_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert course.CHECKS[name](None) is False
    out = capsys.readouterr().out
    assert "No answer yet" in out
    assert "Where to look" in out


def _answer_words(answer: Any) -> list[str]:
    if isinstance(answer, dict):
        return [str(v).lower() for v in answer.values()]
    if isinstance(answer, (list, tuple)):
        return [str(a).lower() for a in answer]
    return [str(answer).lower()]


@pytest.mark.parametrize("name", ["check_reply_after_data", "check_first_mx",
                                  "check_next_retry", "check_first_hop",
                                  "check_out_of_sequence_reply", "check_null_mx_code",
                                  "check_hop_count", "check_rcpt_count"])
def test_hints_do_not_reveal_the_answer(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    right = str(RIGHT[name][0]).lower()
    for answer in [None, *WRONG[name]]:
        course.CHECKS[name](answer)
        out = capsys.readouterr().out.lower()
        assert right not in out, f"{name}({answer!r}) gives the answer away: {out}"


# The fixed exercise data must agree with the package the answers come from.


def test_mx_exercise_agrees_with_mail_route() -> None:
    import random

    zone = Zone(mx=dict(course.MX_EXERCISE))
    route = mail_route(zone, "example.net", random.Random(0))
    assert route.hosts[0] == RIGHT["check_first_mx"][0]


def test_null_mx_code_agrees_with_mail_route() -> None:
    import random

    route = mail_route(Zone(mx={"example.invalid": [(0, ".")]}), "example.invalid",
                       random.Random(0))
    assert route.code == 556 and route.status == "5.1.10"


def test_received_exercise_agrees_with_the_parser() -> None:
    hops = parse_received_chain(course.EXERCISE_RECEIVED)
    assert len(hops) == RIGHT["check_hop_count"][0]
    assert hops[0].by_host == RIGHT["check_first_hop"][0]
    # an unbroken chain: each server got the message from the one that stamped before it
    for older, newer in zip(hops, hops[1:], strict=False):
        assert newer.from_host == older.by_host, (older, newer)


# Verdicts must read right without an emoji font (Debian's Chromium shows emoji as boxes).
_EMOJI_RANGES = [(0x1F000, 0x1FAFF), (0x2600, 0x26FF), (0xFE0F, 0xFE0F), (0x2705, 0x2705),
                 (0x274C, 0x274C), (0x270F, 0x270F)]


def _has_emoji(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _EMOJI_RANGES)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_verdicts_need_no_emoji_font(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    for answer in [None, RIGHT[name][0], *WRONG[name]]:
        course.CHECKS[name](answer)
        out = capsys.readouterr().out
        assert not _has_emoji(out), f"{name}({answer!r}) prints an emoji: {out!r}"
        assert out.split(" ", 1)[0] in ("✓", "✗", "?")


def test_no_answer_points_to_this_cell(capsys: pytest.CaptureFixture[str]) -> None:
    """The answer variables sit in the same cell as the check, in every notebook."""
    course.check_rcpt_count(None)
    out = capsys.readouterr().out
    assert "this cell" in out and "cell above" not in out


def test_hints_name_the_places_that_hold_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    course.check_reply_after_data(250)
    out = capsys.readouterr().out
    # not "the server's next line", which with PIPELINING is the 250 to MAIL FROM
    assert "Command by command" in out and "PIPELINING" in out
    course.check_protocols(None)
    assert "'Three protocols, three jobs'" in capsys.readouterr().out


def test_retry_exercise_agrees_with_retry_policy() -> None:
    from smtpsim.sim import RetryPolicy

    ex = course.RETRY_EXERCISE
    assert RetryPolicy().next_attempt(ex["arrived"], ex["failed_at"]) == 2700


def test_classified_codes_are_explained() -> None:
    from smtpsim.protocol import EXPLANATIONS

    assert all(code in EXPLANATIONS for code in course.CLASSIFY_CODES)


def test_out_of_sequence_reply_agrees_with_the_engine() -> None:
    from smtpsim.protocol import NEED_DATA, ServerConfig, ServerConnection

    server = ServerConnection(ServerConfig(hostname="mx.example.com"))
    server.greet()
    replies = []
    for line in (b"EHLO me\r\n", b"RCPT TO:<alice@example.com>\r\n"):
        server.receive_data(line)
        assert server.next_event() is not NEED_DATA
        replies.append(server.send(server.default_reply()))
    assert replies[-1].startswith(b"503")


def test_the_refused_connections_answer_is_the_capture_s() -> None:
    from smtpsim.packets import packets
    from smtpsim.scenarios import load

    found = packets(load("mx-failover").run().trace)
    refused = [p for p in found if "R" in p.flags]
    assert course.check_refused_connections(len(refused)) is True
