"""Properties (hypothesis): transparency, robustness against any input, chunking."""

from __future__ import annotations

import re

from helpers import lines, run_server
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smtpsim.protocol import (
    BadCommand,
    Data,
    Ehlo,
    Helo,
    MailFrom,
    MailSender,
    MessageReceived,
    Outgoing,
    RcptTo,
    Rset,
    ServerConfig,
    ServerConnection,
    converse,
    normalize_line_endings,
)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# A text line: any bytes but CR and LF, at most 998 octets (1000 with CRLF).
text_line = st.binary(max_size=998).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
dotty_line = st.sampled_from([b".", b"..", b".x", b"", b" .", b"\x00."])
body = st.lists(st.one_of(text_line, dotty_line), max_size=12).map(
    lambda ls: b"".join(line + b"\r\n" for line in ls))


def _deliver(content: bytes, config: ServerConfig | None = None) -> list[bytes]:
    got: list[bytes] = []

    def policy(event: object) -> None:
        if isinstance(event, MessageReceived):
            got.append(event.content)

    sender = MailSender("c.example", [Outgoing("a@b.c", ("x@y.z", "w@y.z"), content)])
    converse(sender, ServerConnection(config), policy)  # type: ignore[arg-type]
    assert all(r.status == "sent" for r in sender.results)
    return got


@SETTINGS
@given(body)
def test_transparency_round_trip(content: bytes) -> None:
    assert _deliver(content) == [content]


def _with_final_crlf(raw: bytes) -> bytes:
    return raw if not raw or raw.endswith(b"\r\n") else raw + b"\r\n"


def _stuff_every_line(raw: bytes) -> bytes:
    """A sloppy sender: CR, LF and CRLF all end a line, and a dot is doubled after each."""
    return re.sub(rb"(^|\r\n|\r|\n)\.", rb"\1..", _with_final_crlf(raw)) + b".\r\n"


@SETTINGS
@given(st.binary(max_size=400), st.integers(1, 50))
def test_normalize_policy_round_trip(raw: bytes, chunk: int) -> None:
    wire = lines("EHLO c.example", "MAIL FROM:<a@b.c>", "RCPT TO:<x@y.z>", "DATA") + \
        _stuff_every_line(raw)
    expected = normalize_line_endings(_with_final_crlf(raw))
    pieces = [wire[i:i + chunk] for i in range(0, len(wire), chunk)]
    run = run_server(pieces, ServerConfig(bare_line_endings="normalize"))
    got = [e.content for e in run.of_type(MessageReceived)]  # type: ignore[attr-defined]
    assert got == [expected]


VERBS = ["HELO c.example", "EHLO c.example", "MAIL FROM:<a@b.c>", "MAIL FROM:<>",
         "RCPT TO:<x@y.z>", "RCPT TO:<bad>", "DATA", "RSET", "NOOP", "VRFY x", "HELP",
         "QUIT", "AUTH PLAIN", "AUTH LOGIN", "*", "AGJvYgBwdw==", ".", "..x", "hello",
         "MAIL FROM:<a@b.c> SIZE=99999999999", "EXPN x", "BDAT 1"]
plausible = st.lists(
    st.one_of(st.sampled_from(VERBS).map(lambda v: v.encode() + b"\r\n"),
              st.sampled_from([b"\r\n", b"\n", b"\r", b".\r\n", b"\r\n.\r\n", b"\x00"]),
              st.binary(max_size=30)),
    max_size=40).map(b"".join)
any_stream = st.one_of(st.binary(max_size=2000), plausible)
cuts = st.lists(st.integers(0, 2000), max_size=20)

CONFIGS = [ServerConfig(), ServerConfig(auth_mechanisms=("PLAIN", "LOGIN"), max_recipients=2,
                                        max_message_size=200, bare_line_endings="normalize")]


def _chunk(data: bytes, at: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(p for p in at if p < len(data))})
    return [data[a:b] for a, b in zip(points, points[1:])]


@SETTINGS
@given(any_stream, cuts, st.sampled_from(CONFIGS), st.booleans())
def test_any_input_never_raises_and_never_half_delivers(data: bytes, at: list[int],
                                                        config: ServerConfig,
                                                        eof: bool) -> None:
    run = run_server(_chunk(data, at), config, eof=eof)  # raises on any engine bug
    mail = rcpt = data_ok = False
    for event, reply in run.steps:
        if isinstance(event, BadCommand):
            assert reply is not None and reply.code >= 400
        if isinstance(event, MessageReceived):
            # only after an accepted MAIL, at least one accepted RCPT and DATA 354
            assert mail and rcpt and data_ok
            assert event.envelope.rcpt_tos
            mail = rcpt = data_ok = False
        elif reply is not None:
            mail = mail or (isinstance(event, MailFrom) and reply.code == 250)
            rcpt = rcpt or (mail and isinstance(event, RcptTo) and reply.code == 250)
            data_ok = data_ok or (rcpt and isinstance(event, Data) and reply.code == 354)
            if reply.code == 250 and isinstance(event, (Rset, Ehlo, Helo)):
                mail = rcpt = data_ok = False  # the transaction was abandoned


@SETTINGS
@given(any_stream, cuts, cuts, st.sampled_from(CONFIGS))
def test_chunking_invariance(data: bytes, at1: list[int], at2: list[int],
                             config: ServerConfig) -> None:
    one = run_server(_chunk(data, at1), config, eof=True)
    two = run_server(_chunk(data, at2), config, eof=True)
    assert one.steps == two.steps
    assert one.output == two.output


@SETTINGS
@given(body, st.lists(st.integers(0, 20000), max_size=10))
def test_chunking_invariance_real_session(content: bytes, at: list[int]) -> None:
    sender = MailSender("c.example", [Outgoing("a@b.c", ("x@y.z",), content)],
                        pipelining=False)
    wire = b"".join(w.line.encode("utf-8", "surrogateescape") + b"\r\n"
                    for w in converse(sender, ServerConnection()) if w.dir == "C")
    if b"\xef\xbf\xbd" in wire:  # a line that was not UTF-8 was shown with U+FFFD
        return
    assert run_server(_chunk(wire, at)).steps == run_server(wire).steps


_REPLY_CODES = st.sampled_from([220, 221, 235, 250, 251, 334, 354, 421, 450, 451, 452, 500,
                                501, 503, 530, 535, 550, 552, 553, 554])


@SETTINGS
@given(st.lists(_REPLY_CODES, max_size=30), st.booleans(), st.booleans())
# Found by CI: MAIL refused (450), both RCPTs "accepted" (220) and DATA answered 354
# anyway; the client must end the DATA the server opened with the lone dot.
@example(codes=[220, 220, 450, 220, 220, 354], pipelining=True, auth=False)
def test_the_sender_survives_any_server_and_settles_every_recipient_once(
    codes: list[int], pipelining: bool, auth: bool
) -> None:
    # Whatever a (broken) server answers, in whatever order, the client engine never
    # raises, and every (message, recipient) ends with exactly one result.
    messages = [Outgoing("a@b.c", ("x@y.z", "w@y.z"), b"one\r\n"),
                Outgoing("a@b.c", ("v@y.z",), b"two\r\n")]
    sender = MailSender("c.example", messages, pipelining=pipelining,
                        auth=("bob", "pw") if auth else None)
    sender.data_to_send()
    for code in codes:
        if sender.done:
            break
        sender.receive_data(b"%d-first line\r\n%d PIPELINING AUTH PLAIN\r\n" % (code, code))
        sender.data_to_send()
    if not sender.done:
        sender.receive_data(b"")  # the server hangs up
    assert sender.done
    settled = sorted((r.message, r.recipient) for r in sender.results)
    assert settled == [(0, "w@y.z"), (0, "x@y.z"), (1, "v@y.z")]
