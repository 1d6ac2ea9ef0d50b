"""Commands: parsing lines (table-driven), addresses, and exact wire bytes."""

from __future__ import annotations

import pytest

from smtpsim.errors import LocalProtocolError
from smtpsim.protocol import (
    Auth,
    AuthLine,
    BadCommand,
    Command,
    Data,
    Ehlo,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    Vrfy,
    parse_address,
    parse_command,
)

MECHS = ("PLAIN", "LOGIN")

# line -> the command, or the reply code of the BadCommand
PARSE_CASES: list[tuple[str, Command | int]] = [
    ("HELO client.example.org", Helo("client.example.org")),
    ("helo client.example.org", Helo("client.example.org")),
    ("EHLO [192.0.2.1]", Ehlo("[192.0.2.1]")),
    ("EHLO", 501),
    ("EHLO bad_host!", 501),
    ("MAIL FROM:<bob@example.org>", MailFrom("bob@example.org")),
    ("mail from:<bob@example.org>", MailFrom("bob@example.org")),
    ("MAIL FROM: <bob@example.org>", MailFrom("bob@example.org")),
    ("MAIL FROM:<>", MailFrom("")),
    ("MAIL FROM:<bob@example.org> SIZE=1024 BODY=8BITMIME",
     MailFrom("bob@example.org", (("SIZE", "1024"), ("BODY", "8BITMIME")))),
    ("MAIL FROM:<bob@example.org> smtputf8", MailFrom("bob@example.org", (("SMTPUTF8", None),))),
    ("MAIL FROM:<bob@example.org> SIZE=", 501),
    ("MAIL FROM:<bob@example.org> =x", 501),
    ("MAIL TO:<bob@example.org>", 501),
    ("MAIL FROM:bob@example.org", 501),
    ("MAIL FROM:<bob@>", 553),
    ("RCPT TO:<alice@example.com>", RcptTo("alice@example.com")),
    ("RCPT TO:<>", 553),
    ("RCPT TO:<Postmaster>", RcptTo("Postmaster")),
    ("RCPT TO:<@relay.example:alice@example.com>", RcptTo("alice@example.com")),
    ("RCPT TO:<\"john doe\"@example.com>", RcptTo('"john doe"@example.com')),
    ("RCPT FROM:<alice@example.com>", 501),
    ("DATA", Data()),
    ("DATA now", 501),
    ("RSET", Rset()),
    ("QUIT", Quit()),
    ("QUIT please", 501),
    ("NOOP", Noop()),
    ("NOOP hello", Noop("hello")),
    ("HELP", Help()),
    ("HELP MAIL", Help("MAIL")),
    ("VRFY bob", Vrfy("bob")),
    ("VRFY", 501),
    ("AUTH PLAIN", Auth("PLAIN")),
    ("AUTH plain AGJvYgBzZWNyZXQ=", Auth("PLAIN", "AGJvYgBzZWNyZXQ=")),
    ("AUTH CRAM-MD5", 504),
    ("AUTH", 501),
    ("AUTH PLAIN a b", 501),
    ("EXPN staff", 502),
    ("STARTTLS", 502),
    ("BDAT 100 LAST", 502),
    ("FOO bar", 500),
    ("", 500),
    ("maıl FROM:<bob@example.org>", 500),  # "ı".upper() == "I": verbs are ASCII only
]


@pytest.mark.parametrize(("line", "expected"), PARSE_CASES)
def test_parse_command(line: str, expected: Command | int) -> None:
    got = parse_command(line, auth_mechanisms=MECHS)
    if isinstance(expected, int):
        assert isinstance(got, BadCommand)
        assert got.reply.code == expected
        assert got.line == line
    else:
        assert got == expected


def test_auth_unknown_without_mechanisms() -> None:
    # A server that offers no AUTH does not know the verb.
    got = parse_command("AUTH PLAIN")
    assert isinstance(got, BadCommand)
    assert got.reply.code == 500


# text -> address, or None for "ValueError"
ADDRESS_CASES: list[tuple[str, dict[str, bool], str | None]] = [
    ("<bob@example.org>", {}, "bob@example.org"),
    ("<first.last+tag@sub.example.org>", {}, "first.last+tag@sub.example.org"),
    ('<"odd..local"@example.org>', {}, '"odd..local"@example.org'),
    ('<"with \\" quote"@example.org>', {}, '"with \\" quote"@example.org'),
    ("<bob@[192.0.2.1]>", {}, "bob@[192.0.2.1]"),
    ("<bob@[IPv6:2001:db8::1]>", {}, "bob@[IPv6:2001:db8::1]"),
    ("<@a.example,@b.example:bob@example.org>", {}, "bob@example.org"),
    ("<@a.example>", {}, None),
    ("<postmaster>", {}, "postmaster"),
    ("<PostMaster>", {}, "PostMaster"),
    ("<>", {"null_ok": True}, ""),
    ("<>", {}, None),
    ("bob@example.org", {}, None),
    ("<bob@example.org", {}, None),
    ("<bob>", {}, None),
    ("<.bob@example.org>", {}, None),
    ("<bob.@example.org>", {}, None),
    ("<bob..x@example.org>", {}, None),
    ("<bob@-example.org>", {}, None),
    ("<bob@exa mple.org>", {}, None),
    ("<" + "a" * 64 + "@example.org>", {}, "a" * 64 + "@example.org"),
    ("<" + "a" * 65 + "@example.org>", {}, None),
    ("<a@" + ".".join(["b" * 63] * 4) + ">", {}, "a@" + ".".join(["b" * 63] * 4)),
    ("<a@" + ".".join(["b" * 63] * 4) + ".cc>", {}, None),  # 258-octet domain
    ("<jörg@example.org>", {}, None),
    ("<jörg@example.org>", {"utf8": True}, "jörg@example.org"),
    ("<用户@例子.广告>", {"utf8": True}, "用户@例子.广告"),
    ("<" + "é" * 33 + "@example.org>", {"utf8": True}, None),  # 66 octets of UTF-8
]


@pytest.mark.parametrize(("text", "kwargs", "expected"), ADDRESS_CASES)
def test_parse_address(text: str, kwargs: dict[str, bool], expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):  # noqa: PT011 - the message varies by case
            parse_address(text, **kwargs)
    else:
        assert parse_address(text, **kwargs) == expected


def test_non_ascii_address_error_names_smtputf8() -> None:
    with pytest.raises(ValueError, match="SMTPUTF8"):
        parse_address("<jörg@example.org>")
    got = parse_command("MAIL FROM:<jörg@example.org>")
    assert isinstance(got, BadCommand)
    assert (got.reply.code, got.reply.enhanced) == (553, "5.6.7")
    assert parse_command("MAIL FROM:<jörg@example.org> SMTPUTF8", utf8_ok=True) == \
        MailFrom("jörg@example.org", (("SMTPUTF8", None),))


TO_BYTES_CASES: list[tuple[Command, bytes]] = [
    (Helo("c.example"), b"HELO c.example\r\n"),
    (Ehlo("c.example"), b"EHLO c.example\r\n"),
    (MailFrom("bob@example.org"), b"MAIL FROM:<bob@example.org>\r\n"),
    (MailFrom(""), b"MAIL FROM:<>\r\n"),
    (MailFrom("b@x.y", (("SIZE", "12"), ("BODY", "8BITMIME"), ("SMTPUTF8", None))),
     b"MAIL FROM:<b@x.y> SIZE=12 BODY=8BITMIME SMTPUTF8\r\n"),
    (MailFrom("jörg@x.y", (("SMTPUTF8", None),)), "MAIL FROM:<jörg@x.y> SMTPUTF8\r\n".encode()),
    (RcptTo("alice@example.com"), b"RCPT TO:<alice@example.com>\r\n"),
    (Data(), b"DATA\r\n"),
    (Rset(), b"RSET\r\n"),
    (Noop(), b"NOOP\r\n"),
    (Noop("x"), b"NOOP x\r\n"),
    (Vrfy("bob"), b"VRFY bob\r\n"),
    (Help(), b"HELP\r\n"),
    (Help("DATA"), b"HELP DATA\r\n"),
    (Quit(), b"QUIT\r\n"),
    (Auth("PLAIN"), b"AUTH PLAIN\r\n"),
    (Auth("PLAIN", "AGJvYgB4"), b"AUTH PLAIN AGJvYgB4\r\n"),
    (Auth("PLAIN", ""), b"AUTH PLAIN =\r\n"),
    (AuthLine("*"), b"*\r\n"),
]


@pytest.mark.parametrize(("command", "wire"), TO_BYTES_CASES)
def test_to_bytes(command: Command, wire: bytes) -> None:
    assert command.to_bytes() == wire


@pytest.mark.parametrize(("command", "wire"),
                         [c for c in TO_BYTES_CASES if not isinstance(c[0], AuthLine)])
def test_to_bytes_parses_back(command: Command, wire: bytes) -> None:
    line = wire[:-2].decode()
    assert parse_command(line, utf8_ok=True, auth_mechanisms=MECHS) == command


@pytest.mark.parametrize("command", [
    Helo("x\r\nMAIL FROM:<evil@example.org>"), MailFrom("a@b.c\nRCPT TO:<x@y.z>"),
    Noop("\r"), AuthLine("abc\r\nQUIT"),
])
def test_to_bytes_refuses_command_injection(command: Command) -> None:
    with pytest.raises(LocalProtocolError):
        command.to_bytes()


def test_mail_param_lookup() -> None:
    cmd = MailFrom("a@b.c", (("SIZE", "5"), ("SMTPUTF8", None)))
    assert (cmd.param("size"), cmd.param("smtputf8"), cmd.param("BODY")) == ("5", "", None)
