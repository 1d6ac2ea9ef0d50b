"""Replies: formatting, parsing (whole, byte by byte, multi-line) and the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from helpers import byte_chunks, lines, run_server

import smtpsim.protocol as protocol
from smtpsim.errors import LocalProtocolError, RemoteProtocolError
from smtpsim.protocol import (
    ENHANCED_EXPLANATIONS,
    EXPLANATIONS,
    MailSender,
    Outgoing,
    Reply,
    ReplyReader,
    ServerConfig,
    converse,
    explain,
)

# ((code, lines, enhanced), enhanced on?, exact wire bytes)
FORMAT_CASES = [
    ((250, ("Ok",), None), True, b"250 Ok\r\n"),
    ((250, ("Ok",), "2.0.0"), True, b"250 2.0.0 Ok\r\n"),
    ((250, ("Ok",), "2.0.0"), False, b"250 Ok\r\n"),
    ((250, ("mx Hello", "SIZE 100", "HELP"), None), True,
     b"250-mx Hello\r\n250-SIZE 100\r\n250 HELP\r\n"),
    ((214, ("a", "b"), "2.0.0"), True, b"214-2.0.0 a\r\n214 2.0.0 b\r\n"),
    ((214, ("a", "b"), "2.0.0"), False, b"214-a\r\n214 b\r\n"),
    ((334, ("",), None), True, b"334 \r\n"),
    ((550, ("No such user",), "5.1.1"), True, b"550 5.1.1 No such user\r\n"),
]


@pytest.mark.parametrize(("args", "enhanced", "wire"), FORMAT_CASES)
def test_reply_to_bytes(args: tuple[int, tuple[str, ...], str | None], enhanced: bool,
                        wire: bytes) -> None:
    assert Reply(*args).to_bytes(enhanced=enhanced) == wire


@pytest.mark.parametrize(("args", "enhanced", "wire"), FORMAT_CASES)
def test_reply_lines_and_last_line(args: tuple[int, tuple[str, ...], str | None],
                                   enhanced: bool, wire: bytes) -> None:
    reply = Reply(*args)
    assert reply.to_lines(enhanced) == wire.decode().split("\r\n")[:-1]
    assert reply.last_line(enhanced) == reply.to_lines(enhanced)[-1]


@pytest.mark.parametrize(("args", "enhanced", "wire"), FORMAT_CASES)
def test_reply_reader_round_trip(args: tuple[int, tuple[str, ...], str | None],
                                 enhanced: bool, wire: bytes) -> None:
    want = Reply(*args) if enhanced else Reply(args[0], args[1])
    # all at once
    reader = ReplyReader(enhanced=enhanced)
    reader.feed(wire + b"999")  # trailing bytes of the next reply stay buffered
    assert reader.next_reply() == want
    assert reader.next_reply() is None
    # one byte at a time: nothing until the very last byte
    reader = ReplyReader(enhanced=enhanced)
    for i, byte in enumerate(byte_chunks(wire)):
        reader.feed(byte)
        got = reader.next_reply()
        assert (got is None) == (i < len(wire) - 1)
    assert got == want


def test_reply_of_splits_lines_and_kind() -> None:
    reply = Reply.of(250, "a\nb", "2.0.0")
    assert reply.lines == ("a", "b")
    assert reply.text == "a\nb"
    assert str(reply) == "250-2.0.0 a\n250 2.0.0 b"
    assert (reply.kind, reply.is_success) == (2, True)
    assert Reply.of(450).is_transient and Reply.of(550).is_permanent


@pytest.mark.parametrize("bad", [
    lambda: Reply(199), lambda: Reply(600), lambda: Reply(250, ()),
    lambda: Reply(250, "Ok"),  # type: ignore[arg-type]
    lambda: Reply.of(250, "a\rb"), lambda: Reply.of(250, "Ok", "5.0.0"),
    lambda: Reply.of(250, "Ok", "2.x.0"),
])
def test_reply_validates(bad: object) -> None:
    with pytest.raises(LocalProtocolError):
        bad()  # type: ignore[operator]


def test_reader_several_replies_and_bare_lf() -> None:
    reader = ReplyReader()
    reader.feed(b"220 hi\n250-a\r\n250 b\r\n")
    assert reader.next_reply() == Reply.of(220, "hi")
    assert reader.next_reply() == Reply(250, ("a", "b"))
    assert reader.next_reply() is None


@pytest.mark.parametrize("garbage", [
    b"hello\r\n", b"25 x\r\n", b"250x\r\n", "²²² x\r\n".encode(), b"099 x\r\n",
    b"250-a\r\n251 b\r\n", b"x" * 3000,
])
def test_reader_rejects_garbage(garbage: bytes) -> None:
    reader = ReplyReader()
    reader.feed(garbage)
    with pytest.raises(RemoteProtocolError):
        reader.next_reply()


def test_reader_enhanced_only_when_class_matches() -> None:
    reader = ReplyReader(enhanced=True)
    reader.feed(b"250 5.0.0 odd\r\n")
    assert reader.next_reply() == Reply.of(250, "5.0.0 odd")


def test_explain() -> None:
    assert explain(550, "5.1.1").startswith("Mailbox unavailable")
    assert "no such user" in explain(550, "5.1.1")
    assert explain(299) == "Success."
    assert explain(999) == "Not a valid SMTP reply code."


# ---------------------------------------------------------------------------
# The catalogue: every code the engine can emit has an explanation.
# ---------------------------------------------------------------------------
PROTOCOL_DIR = Path(protocol.__file__).parent
_REPLY_MAKERS = {"of", "Reply", "_err", "_bad"}
_ENHANCED = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def _codes_in_source() -> set[tuple[int, str | None]]:
    """Every (code, enhanced) literal passed to Reply(...), Reply.of(...), _err, _bad."""
    found: set[tuple[int, str | None]] = set()
    for path in PROTOCOL_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in _REPLY_MAKERS:
                continue
            # Constants anywhere in the arguments: ``501 if ... else 553`` counts both.
            consts = [c.value for a in node.args for c in ast.walk(a)
                      if isinstance(c, ast.Constant)]
            codes = [c for c in consts if isinstance(c, int) and 200 <= c <= 599]
            enhanced = [c for c in consts if isinstance(c, str) and _ENHANCED.match(c)]
            for code in codes:
                found.add((code, enhanced[0] if enhanced else None))
    return found


def _codes_from_sessions() -> set[tuple[int, str | None]]:
    """Drive many paths for real and collect the replies the server chose."""
    cfg = ServerConfig(auth_mechanisms=("PLAIN", "LOGIN"), max_message_size=100,
                       max_recipients=1)
    script = lines(
        "HELO", "EHLO a.example", "BOGUS", "EXPN x", "RCPT TO:<a@b.c>", "DATA", "HELP",
        "HELP NOPE", "VRFY bob", "NOOP", "AUTH PLAIN", "*", "AUTH LOGIN", "dXNlcg==", "cHc=",
        "AUTH PLAIN !!!", "MAIL FROM:<a@b.c> SIZE=1000", "MAIL FROM:<a@b.c> FOO=1",
        "MAIL FROM:<é@b.c>", "MAIL FROM:bad", "MAIL FROM:<a@@b>", "MAIL FROM:<a@b.c>",
        "MAIL FROM:<a@b.c>",
        "RCPT TO:<x@y.z>", "RCPT TO:<x@y.z>", "RCPT TO:<bad>", "DATA",
    ) + b"x" * 200 + b"\r\n.\r\n" + lines("RSET", "QUIT")
    run = run_server(script, cfg)
    return {(r.code, r.enhanced) for _, r in run.steps if r is not None}


def test_catalogue_source_scan_finds_the_engine_codes() -> None:
    # The scan itself must work, or the completeness test below proves nothing.
    codes = {c for c, _ in _codes_in_source()}
    assert {220, 221, 250, 252, 354, 452, 500, 501, 503, 504, 530, 552, 553} <= codes


@pytest.mark.parametrize("source", ["source", "sessions"])
def test_catalogue_complete(source: str) -> None:
    found = _codes_in_source() if source == "source" else _codes_from_sessions()
    missing = [(c, e) for c, e in sorted(found, key=str) if c not in EXPLANATIONS
               or (e is not None and e.split(".", 1)[1] not in ENHANCED_EXPLANATIONS)]
    assert missing == []


def test_catalogue_covers_sender_synthetic_replies() -> None:
    sender = MailSender("c.example", [Outgoing("a@b.c", ("ü@d.e",), b"x\r\n")])
    converse(sender, protocol.ServerConnection(ServerConfig(smtputf8=False)))
    for result in sender.results:
        assert result.reply.code in EXPLANATIONS


def test_catalogue_is_sane() -> None:
    # aiosmtpd's qa idea: the catalogue itself is checked.
    assert all(200 <= code <= 599 for code in EXPLANATIONS)
    assert all(text.strip() for text in EXPLANATIONS.values())
    assert all(re.fullmatch(r"\d{1,3}\.\d{1,3}", k) for k in ENHANCED_EXPLANATIONS)


# ---------------------------------------------------------------------------
# The reader gives the same replies (or the same error) however the bytes arrive.
# ---------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

reply_line = st.builds(
    lambda code, sep, text, end: code + sep + text + end,
    st.sampled_from([b"250", b"251", b"550", b"25", b"2x0", b"199"]),
    st.sampled_from([b" ", b"-", b""]),
    st.sampled_from([b"", b"Ok", b"2.1.0 Ok", b"5.1.1 no", b"PIPELINING", b"a\rb", "é".encode()]),
    st.sampled_from([b"\r\n", b"\n"]))


def _replies(data: bytes, enhanced: bool, step: int) -> list[object]:
    reader, got = ReplyReader(enhanced), []
    for i in range(0, len(data), step):
        reader.feed(data[i : i + step])
        try:
            while (reply := reader.next_reply()) is not None:
                got.append(reply)
        except RemoteProtocolError as exc:  # the error is part of the answer
            got.append((type(exc), str(exc)))
            break
    return got


@settings(max_examples=300, deadline=None)
@given(st.lists(reply_line, min_size=1, max_size=10).map(b"".join), st.booleans())
def test_the_reader_reads_the_same_whole_or_in_pieces(data: bytes, enhanced: bool) -> None:
    whole = _replies(data, enhanced, len(data))
    assert _replies(data, enhanced, 1) == whole
    assert _replies(data, enhanced, 3) == whole


def test_to_bytes_is_the_wire_lines_each_ended_by_crlf() -> None:
    reply = Reply(250, ("mx Hello c", "PIPELINING", "HELP"), "2.0.0")
    for enhanced in (False, True):
        wire = "".join(f"{ln}\r\n" for ln in reply.to_lines(enhanced)).encode()
        assert reply.to_bytes(enhanced) == wire == reply.to_bytes(enhanced, utf8=True)


def test_every_command_the_server_knows_is_explained():
    from smtpsim.protocol import COMMANDS, explain_command

    for line in ("EHLO me", "MAIL FROM:<a@b.c>", "rcpt to:<x@y.z>", "DATA", "QUIT",
                 "AUTH PLAIN AGFiAGM=", "RSET", "NOOP", "HELO me", "VRFY x", "HELP"):
        assert explain_command(line), line
    assert explain_command("Subject: hi") == "" and explain_command("") == ""
    assert set(COMMANDS) >= {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"}
