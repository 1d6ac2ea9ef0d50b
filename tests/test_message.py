"""Tests for smtpsim.message: building, stamping, bouncing and reading email messages."""

from __future__ import annotations

import email.policy
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpsim.message import (
    RECEIVED_PROTOCOLS,
    DsnRecipient,
    _wire,
    compose,
    count_received,
    envelope_recipients,
    from_bytes,
    make_dsn,
    parse_received_chain,
    prepend_header,
    prepend_received,
    received_header,
    to_bytes,
    total_transit,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 28, 16, 0, 0, tzinfo=UTC)  # a Saturday


def _compose(**overrides):
    kwargs = {
        "sender": "alice@example.org",
        "to": ["bob@example.com"],
        "subject": "Lunch?",
        "body": "Shall we meet at noon?\n",
        "date": T0,
    }
    kwargs.update(overrides)
    return compose(kwargs.pop("sender"), kwargs.pop("to"), **kwargs)


def _header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def _received(**overrides):
    kwargs = {
        "helo": "relay.example.org",
        "peer_host": "relay.example.org",
        "peer_ip": "192.0.2.7",
        "by": "mx.example.com",
        "protocol": "ESMTP",
        "queue_id": "4F2A1",
        "recipients": ["alice@example.com"],
        "date": T0,
    }
    kwargs.update(overrides)
    return received_header(**kwargs)


# ------------------------------------------------------------------------- compose


def test_compose_writes_to_and_cc_but_never_bcc():
    msg = _compose(cc=["carol@example.net"], bcc=["dave@example.com"])
    data = to_bytes(msg)
    headers = _header_block(data)
    assert b"\r\nTo: bob@example.com\r\n" in headers
    assert b"\r\nCc: carol@example.net\r\n" in headers
    assert b"dave@example.com" not in data
    assert not re.search(rb"(?im)^bcc:", data)
    assert msg["Bcc"] is None
    rcpts = envelope_recipients(["bob@example.com"], ["carol@example.net"], ["dave@example.com"])
    assert rcpts == ["bob@example.com", "carol@example.net", "dave@example.com"]


def test_envelope_recipients_has_bcc_once_each_in_order():
    rcpts = envelope_recipients(
        ["bob@example.com"],
        ["carol@example.net", "bob@EXAMPLE.COM"],
        ["dave@example.com", "carol@example.net"],
    )
    assert rcpts == ["bob@example.com", "carol@example.net", "dave@example.com"]


def test_envelope_recipients_keeps_local_parts_that_differ_in_case():
    # RFC 5321 §2.4: only the receiving server may decide Alice == alice.
    assert envelope_recipients(["Alice@x.example", "alice@X.EXAMPLE"]) == [
        "Alice@x.example",
        "alice@X.EXAMPLE",
    ]


def test_compose_headers_and_display_name():
    msg = _compose(from_name="Alice Example", extra_headers={"X-Mailer": "smtpsim"})
    headers = _header_block(to_bytes(msg)).decode("ascii")
    assert "From: Alice Example <alice@example.org>\r\n" in headers
    assert "Date: Sat, 28 Nov 2026 16:00:00 +0000\r\n" in headers
    assert "X-Mailer: smtpsim\r\n" in headers
    assert headers.startswith("From: ")
    assert msg["Subject"] == "Lunch?"


def test_default_message_id_is_deterministic_and_content_dependent():
    first, again = _compose(), _compose()
    other = _compose(body="Or at one?\n")
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert re.fullmatch(r"<20261128160000\.[0-9A-F]{12}@example\.org>", first["Message-ID"])
    assert to_bytes(first) == to_bytes(again)


def test_explicit_message_id_gets_angle_brackets():
    assert _compose(message_id="abc.123@example.org")["Message-ID"] == "<abc.123@example.org>"


def test_bcc_only_message_says_undisclosed_recipients():
    data = to_bytes(_compose(to=[], bcc=["dave@example.com"]))
    assert b"\r\nTo: undisclosed-recipients:;\r\n" in data
    assert b"dave@" not in data


def test_to_bytes_uses_crlf_everywhere():
    body = "line one\nline two\r\nline three\n\nlast\n"
    data = to_bytes(_compose(body=body, cc=["carol@example.net"]))
    assert not re.search(rb"(?<!\r)\n", data), "bare LF"
    assert not re.search(rb"\r(?!\n)", data), "bare CR"
    assert data.endswith(b"\r\nlast\r\n")
    assert b"line one\r\nline two\r\nline three\r\n\r\nlast\r\n" in data


def test_utf8_body_and_non_ascii_subject_round_trip():
    msg = _compose(subject="Grüße aus Köln", body="Hällo Bob, ça va? 😀\n", from_name="Jörg")
    data = to_bytes(msg)
    headers = _header_block(data)
    assert headers.isascii()  # RFC 2047 encoded-words in the header...
    assert b"Subject: =?utf-8?" in headers
    assert "Hällo Bob, ça va? 😀\r\n".encode() in data  # ...and 8-bit UTF-8 in the body
    assert b"Content-Transfer-Encoding: 8bit" in headers
    parsed = from_bytes(data)
    assert parsed["Subject"] == "Grüße aus Köln"
    assert parsed["From"].addresses[0].display_name == "Jörg"
    assert parsed.get_content() == "Hällo Bob, ça va? 😀\r\n"  # as it came off the wire


def test_non_ascii_address_switches_to_smtputf8():
    data = to_bytes(_compose(sender="jörg@bücher.example", subject="Grüße"))
    assert "From: jörg@bücher.example\r\n".encode() in data
    assert "Subject: Grüße\r\n".encode() in data  # raw UTF-8 (RFC 6532), no encoded-word
    parsed = from_bytes(data)
    assert parsed["From"].addresses[0].username == "jörg"
    assert parsed["Subject"] == "Grüße"
    assert to_bytes(parsed) == data


def test_from_bytes_then_to_bytes_is_byte_exact():
    data = to_bytes(_compose(cc=["carol@example.net"], subject="Grüße", body="Hällo\n"))
    assert to_bytes(from_bytes(data)) == data


def test_parsed_headers_are_never_refolded():
    # A long, oddly folded header as it came off the wire (DKIM signs these bytes).
    raw = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel;"
        b" h=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
        b"\t b=abc\r\n"
        b"Subject: hi\r\n\r\nbody\r\n"
    )
    assert to_bytes(from_bytes(raw)) == raw


# ----------------------------------------------------------------- trace headers


def test_received_header_single_recipient_exact():
    assert _received() == (
        "from relay.example.org (relay.example.org [192.0.2.7])\r\n"
        "\tby mx.example.com (smtpsim) with ESMTP id 4F2A1\r\n"
        "\tfor <alice@example.com>; Sat, 28 Nov 2026 16:00:00 +0000"
    )


def test_received_header_several_recipients_has_no_for():
    value = _received(recipients=["alice@example.com", "bob@example.com"], protocol="esmtps")
    assert value == (
        "from relay.example.org (relay.example.org [192.0.2.7])\r\n"
        "\tby mx.example.com (smtpsim) with ESMTPS id 4F2A1; Sat, 28 Nov 2026 16:00:00 +0000"
    )


def test_received_header_unknown_peer_and_ipv6_literal():
    value = _received(
        helo="[10.0.0.5]",
        peer_host=None,
        peer_ip="2001:DB8:0::25",
        date=T0.astimezone(timezone(timedelta(hours=1))),
    )
    assert value.startswith("from [10.0.0.5] (unknown [IPv6:2001:db8::25])\r\n")
    assert value.endswith("; Sat, 28 Nov 2026 17:00:00 +0100")


def test_protocol_keywords_are_the_iana_registry():
    # RFC 5321, RFC 3848 (A = authenticated, S = TLS, LMTP) and RFC 6531 (UTF8*).
    registry = {"SMTP", "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA", "LMTP", "LMTPA", "LMTPS"}
    registry |= {"LMTPSA", "UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA"}
    registry |= {"UTF8LMTP", "UTF8LMTPA", "UTF8LMTPS", "UTF8LMTPSA"}
    assert registry == RECEIVED_PROTOCOLS
    for keyword in RECEIVED_PROTOCOLS:
        assert f" with {keyword} id " in _received(protocol=keyword)


def test_prepend_received_keeps_every_original_byte():
    original = to_bytes(_compose())
    new = prepend_received(original, _received())
    assert new.endswith(original)
    assert new.startswith(b"Received: from relay.example.org (relay.example.org [192.0.2.7])\r\n")
    assert new[: len(new) - len(original)].endswith(b"+0000\r\n")
    assert count_received(new) == count_received(original) + 1


def test_prepend_header_follows_bare_lf_data():
    original = b"Subject: hi\n\nbody\n"
    assert prepend_header(original, "Delivered-To", "bob@example.com") == (
        b"Delivered-To: bob@example.com\n" + original
    )


def test_return_path_and_delivered_to_at_final_delivery():
    original = to_bytes(_compose())
    bounce_sender = ""
    data = prepend_header(original, "Return-Path", f"<{bounce_sender}>")
    assert data.startswith(b"Return-Path: <>\r\n")
    data = prepend_header(data, "Delivered-To", "bob@example.com")
    assert data.startswith(b"Delivered-To: bob@example.com\r\nReturn-Path: <>\r\n")
    assert data.endswith(original)
    assert from_bytes(data)["Return-Path"] == "<>"


def test_three_hop_chain_parses_oldest_first_with_delays_and_shares():
    data = to_bytes(_compose())
    hops_written = [
        # (helo, peer_host, ip, by, protocol, queue id, seconds after T0)
        ("laptop", None, "198.51.100.23", "smtp.example.org", "ESMTPSA", "A1", 1),
        ("smtp.example.org", "smtp.example.org", "192.0.2.7", "mx.example.com", "ESMTPS", "B2", 4),
        ("mx.example.com", "localhost", "127.0.0.1", "mda.example.com", "LMTP", "C3", 10),
    ]
    for helo, host, ip, by, proto, qid, seconds in hops_written:
        value = received_header(
            helo=helo,
            peer_host=host,
            peer_ip=ip,
            by=by,
            protocol=proto,
            queue_id=qid,
            recipients=["bob@example.com"],
            date=T0 + timedelta(seconds=seconds),
        )
        data = prepend_received(data, value)

    hops = parse_received_chain(data)
    assert [h.index for h in hops] == [1, 2, 3]
    assert [h.by_host for h in hops] == ["smtp.example.org", "mx.example.com", "mda.example.com"]
    assert [h.from_host for h in hops] == ["laptop", "smtp.example.org", "mx.example.com"]
    assert [h.from_ip for h in hops] == ["198.51.100.23", "192.0.2.7", "127.0.0.1"]
    assert [h.protocol for h in hops] == ["ESMTPSA", "ESMTPS", "LMTP"]
    assert [h.queue_id for h in hops] == ["A1", "B2", "C3"]
    assert {h.for_addr for h in hops} == {"bob@example.com"}
    assert [h.date for h in hops] == [T0 + timedelta(seconds=s) for s in (1, 4, 10)]
    assert [h.delay for h in hops] == [None, 3.0, 6.0]
    assert total_transit(hops) == 9.0
    assert hops[0].share is None
    assert hops[1].share == pytest.approx(1 / 3)
    assert hops[2].share == pytest.approx(2 / 3)
    assert parse_received_chain(from_bytes(data)) == hops


GMAIL_LIKE = (
    b"Delivered-To: bob@example.com\r\n"
    b"Received: by 2002:a05:7300:5a0b:b0:f3:8e2a:1c4d with SMTP id bz11csp1234567dyb;\r\n"
    b"        Tue, 28 Nov 2023 08:00:03 -0800 (PST)\r\n"
    b"X-Received: by 2002:a17:906:7a07:b0:9ff:1b2:e9a2 with SMTP id"
    b" l7-20020a1709067a0700b009ff01b2e9a2mr1234567ejo.12.1701187203123;\r\n"
    b"        Tue, 28 Nov 2023 08:00:03 -0800 (PST)\r\n"
    b"ARC-Seal: i=1; a=rsa-sha256; t=1701187203; cv=none;\r\n"
    b"        d=google.com; s=arc-20160816;\r\n"
    b"        b=Xk2cQ0lQ8Vb3yq1W\r\n"
    b"Return-Path: <alice@sender.example>\r\n"
    b"Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n"
    b"        by mx.google.com with SMTPS id"
    b" a1-20020a170906b0c100b009e5e1b5c0c4sor1234567ejb.12.2023.11.28.08.00.02\r\n"
    b"        for <bob@example.com>\r\n"
    b"        (Google Transport Security);\r\n"
    b"        Tue, 28 Nov 2023 08:00:02 -0800 (PST)\r\n"
    b"Received-SPF: pass (google.com: domain of alice@sender.example designates"
    b" 209.85.220.41 as permitted sender) client-ip=209.85.220.41;\r\n"
    b"Received: from [192.168.1.20] (host-203-0-113-9.example.net. [203.0.113.9])\r\n"
    b"        by smtp.gmail.com with ESMTPSA id"
    b" x12-20020a05600c21cc00b0040b2c195523sm1234567wmj.1.2023.11.28.08.00.00\r\n"
    b"        for <bob@example.com>\r\n"
    b"        (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128);\r\n"
    b"        Tue, 28 Nov 2023 08:00:00 -0800 (PST)\r\n"
    b"From: Alice <alice@sender.example>\r\n"
    b"To: bob@example.com\r\n"
    b"Subject: Lunch\r\n"
    b"Date: Tue, 28 Nov 2023 07:59:58 -0800\r\n"
    b"Message-ID: <CAF=abc123@mail.gmail.com>\r\n"
    b"\r\n"
    b"Received: from the body, which must not count\r\n"
)

POSTFIX_LIKE = (
    b"Return-Path: <alice@example.org>\n"
    b"Delivered-To: bob@example.com\n"
    b"Received: from mx.example.com (localhost [127.0.0.1])\n"
    b"\tby mail.example.com (Postfix) with LMTP id 7C1F23F7A2\n"
    b"\tfor <bob@example.com>; Tue, 28 Nov 2023 17:00:07 +0100 (CET)\n"
    b"Received: from relay.example.org (relay.example.org [IPv6:2001:db8::25])\n"
    b"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
    b"\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n"
    b"\t(No client certificate requested)\n"
    b"\tby mx.example.com (Postfix) with ESMTPS id 4SfZ2M1xYz9\n"
    b"\tfor <bob@example.com>; Tue, 28 Nov 2023 16:00:05 +0000 (UTC)\n"
    b"Received: from [10.0.0.5] (unknown [198.51.100.23])\n"
    b"\t(Authenticated sender: alice)\n"
    b"\tby relay.example.org (Postfix) with ESMTPSA id 4SfZ2L0abc\n"
    b"\tfor <bob@example.com>; Tue, 28 Nov 2023 10:59:58 -0500 (EST)\n"
    b"Received: by laptop.local (Postfix, from userid 1000)\n"
    b"\tid 1A2B3C; Tue, 28 Nov 2023 16:59:50 +0100 (CET)\n"
    b"From: Alice <alice@example.org>\n"
    b"To: bob@example.com\n"
    b"Subject: Lunch\n"
    b"\n"
    b"See you.\n"
)


def _utc(hour: int, minute: int, second: int) -> datetime:
    return datetime(2023, 11, 28, hour, minute, second, tzinfo=UTC)


def test_parse_gmail_like_headers():
    hops = parse_received_chain(GMAIL_LIKE)
    assert len(hops) == 3  # X-Received and Received-SPF are other fields
    submission, outbound, internal = hops
    assert submission.from_host == "[192.168.1.20]"
    assert submission.from_ip == "203.0.113.9"  # what the server saw, not the EHLO claim
    assert (submission.by_host, submission.protocol) == ("smtp.gmail.com", "ESMTPSA")
    assert submission.queue_id.startswith("x12-20020a05600c")
    assert submission.for_addr == "bob@example.com"
    assert submission.date == _utc(16, 0, 0)
    assert (outbound.from_host, outbound.from_ip) == ("mail-sor-f41.google.com", "209.85.220.41")
    assert (outbound.by_host, outbound.protocol) == ("mx.google.com", "SMTPS")
    assert (outbound.delay, internal.delay) == (2.0, 1.0)
    assert (internal.from_host, internal.from_ip, internal.for_addr) == (None, None, None)
    assert internal.by_host == "2002:a05:7300:5a0b:b0:f3:8e2a:1c4d"
    assert internal.queue_id == "bz11csp1234567dyb"
    assert internal.date == _utc(16, 0, 3)
    assert [h.share for h in hops] == [None, pytest.approx(2 / 3), pytest.approx(1 / 3)]
    assert count_received(GMAIL_LIKE) == 3


def test_parse_postfix_like_headers_across_time_zones():
    hops = parse_received_chain(from_bytes(POSTFIX_LIKE))
    assert [h.by_host for h in hops] == [
        "laptop.local",
        "relay.example.org",
        "mx.example.com",
        "mail.example.com",
    ]
    assert [h.from_host for h in hops] == [
        None,
        "[10.0.0.5]",
        "relay.example.org",
        "mx.example.com",
    ]
    assert [h.from_ip for h in hops] == [None, "198.51.100.23", "2001:db8::25", "127.0.0.1"]
    assert [h.protocol for h in hops] == [None, "ESMTPSA", "ESMTPS", "LMTP"]
    assert [h.queue_id for h in hops] == ["1A2B3C", "4SfZ2L0abc", "4SfZ2M1xYz9", "7C1F23F7A2"]
    assert [h.date for h in hops] == [
        _utc(15, 59, 50),
        _utc(15, 59, 58),
        _utc(16, 0, 5),
        _utc(16, 0, 7),
    ]
    assert [h.delay for h in hops] == [None, 8.0, 7.0, 2.0]
    assert total_transit(hops) == 17.0
    assert sum(h.share for h in hops[1:]) == pytest.approx(1.0)
    assert hops[3].raw.startswith("from mx.example.com (localhost [127.0.0.1]) by mail.example.com")
    assert parse_received_chain(POSTFIX_LIKE) == hops


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "from [198.51.100.23] (helo=laptop)\r\n\tby relay.example.org with esmtpsa"
            "  (TLS1.3) tls TLS_AES_256_GCM_SHA384\r\n\t(Exim 4.96)\r\n"
            "\t(envelope-from <alice@example.org>)\r\n\tid 1r7xYz-0001AB-2C\r\n"
            "\tfor bob@example.com; Tue, 28 Nov 2023 15:59:58 +0000",
            {
                "from_host": "[198.51.100.23]",
                "from_ip": "198.51.100.23",
                "by_host": "relay.example.org",
                "protocol": "esmtpsa",
                "queue_id": "1r7xYz-0001AB-2C",
                "for_addr": "bob@example.com",
                "date": _utc(15, 59, 58),
            },
            id="exim",
        ),
        pytest.param(
            "(qmail 12345 invoked by uid 89); 28 Nov 2023 16:00:00 -0000",
            {"from_host": None, "by_host": None, "protocol": None, "date": _utc(16, 0, 0)},
            id="qmail-and-minus-zero-zone",
        ),
        pytest.param(
            "from AM6PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:20b:1::15) by"
            " AM6PR01MB5678.eurprd01.prod.exchangelabs.com (2603:10a6:20b:2::16) with"
            " Microsoft SMTP Server (version=TLS1_2,"
            " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7025.22; Tue, 28 Nov"
            " 2023 16:00:01 +0000",
            {
                "from_ip": "2603:10a6:20b:1::15",
                "by_host": "AM6PR01MB5678.eurprd01.prod.exchangelabs.com",
                "protocol": "Microsoft",
                "queue_id": "15.20.7025.22",
                "date": _utc(16, 0, 1),
            },
            id="exchange-bare-ip",
        ),
        pytest.param(
            "from a.example by b.example with SMTP id X1",
            {"from_host": "a.example", "by_host": "b.example", "date": None},
            id="no-date",
        ),
        pytest.param(
            "from a.example (a.example [192.0.2.1]) by b.example; yesterday-ish",
            {"from_ip": "192.0.2.1", "by_host": "b.example", "date": None},
            id="unreadable-date",
        ),
        pytest.param(
            "from a.example (comment; with (nested) semicolon) by b.example;"
            " Tue, 28 Nov 2023 16:00:00 +0000 (UTC)",
            {"from_host": "a.example", "by_host": "b.example", "date": _utc(16, 0, 0)},
            id="semicolon-in-comment",
        ),
    ],
)
def test_parse_received_variants(value, expected):
    data = prepend_received(b"Subject: x\r\n\r\n", value)
    (hop,) = parse_received_chain(data)
    assert {name: getattr(hop, name) for name in expected} == expected
    assert (hop.index, hop.delay, hop.share) == (1, None, None)


def test_clock_skew_gives_a_negative_delay_kept_as_is():
    data = b"Subject: x\r\n\r\n"
    for by, seconds in (("a.example", 0), ("b.example", 30), ("c.example", 20)):
        data = prepend_received(
            data, f"by {by} with SMTP; {_utc(16, 0, seconds):%a, %d %b %Y %H:%M:%S +0000}"
        )
    hops = parse_received_chain(data)
    assert [h.delay for h in hops] == [None, 30.0, -10.0]
    assert total_transit(hops) == 20.0
    assert hops[2].share == pytest.approx(-0.5)


def test_count_received_reads_the_header_block_only():
    data = (
        b"Received: from a by b; Tue, 28 Nov 2023 16:00:00 +0000\r\n"
        b"X-Received: by c\r\n"
        b"RECEIVED: from d\r\n\tby e; Tue, 28 Nov 2023 16:00:01 +0000\r\n"
        b"Subject: forwarded\r\n"
        b"\r\n"
        b"Received: from the body\r\n"
        b"Received: from the body again\r\n"
    )
    assert count_received(data) == 2
    assert count_received(b"Subject: none\r\n\r\nReceived: body\r\n") == 0
    assert len(parse_received_chain(data)) == 2


_NAMES = st.sampled_from(["Received", "X-Received", "Received-SPF", "Subject", "DKIM-Signature"])
_VALUES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30)


@given(
    headers=st.lists(st.tuples(_NAMES, _VALUES, st.booleans()), max_size=12),
    body_received=st.integers(min_value=0, max_value=3),
    hops=st.lists(st.integers(min_value=0, max_value=3600), max_size=6),
)
def test_prepend_and_count_received_agree(headers, body_received, hops):
    lines = [f"{name}: {value}" + ("\r\n\tfolded" if fold else "") for name, value, fold in headers]
    body = "".join("Received: in the body\r\n" for _ in range(body_received))
    data = "\r\n".join([*lines, "", body]).encode("ascii")
    before = count_received(data)
    assert before == sum(1 for name, _, _ in headers if name == "Received")
    new = data
    for i, seconds in enumerate(hops):
        value = _received(queue_id=f"Q{i}", date=T0 + timedelta(seconds=seconds))
        new = prepend_received(new, value)
        assert new.endswith(data)
    assert count_received(new) == before + len(hops)
    chain = parse_received_chain(new)
    assert len(chain) == before + len(hops)
    assert [h.queue_id for h in chain[before:]] == [f"Q{i}" for i in range(len(hops))]


# --------------------------------------------------------------------------- bounces


def _original():
    return _compose(to=["bob@example.com", "eve@example.com"])


def _bounce(**overrides):
    kwargs = {
        "original": prepend_received(to_bytes(_original()), _received()),
        "reporting_mta": "mx.example.org",
        "envelope_sender": "alice@example.org",
        "recipients": [
            DsnRecipient(
                "bob@example.com",
                "failed",
                "5.1.1",
                "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
                remote_mta="mx.example.com",
                original_recipient="Bob@example.com",
            ),
            DsnRecipient("eve@example.com", "failed", "5.4.4", None),
        ],
        "arrival_date": T0,
        "date": T0 + timedelta(seconds=90),
        "postmaster_domain": "example.org",
    }
    kwargs.update(overrides)
    return make_dsn(**kwargs)


def test_dsn_structure_and_headers():
    dsn = _bounce()
    assert dsn["From"] == "Mail Delivery System <MAILER-DAEMON@example.org>"
    assert dsn["To"] == "alice@example.org"
    assert dsn["Subject"] == "Undelivered Mail Returned to Sender"
    assert dsn["Auto-Submitted"] == "auto-replied"
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert [p.get_content_type() for p in dsn.iter_parts()] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]


def test_dsn_parses_back_with_the_stdlib():
    data = to_bytes(_bounce())
    assert not re.search(rb"(?<!\r)\n", data)
    parsed = from_bytes(data)
    assert parsed.get_content_type() == "multipart/report"
    human, status, headers = parsed.get_payload()

    text = " ".join(human.get_content().split())
    assert "<bob@example.com>: your message could not be delivered" in text
    assert "Status 5.1.1: bad destination mailbox address (no such user)" in text
    assert "mx.example.com said: 550 5.1.1 <bob@example.com>: Recipient address" in text
    assert "<eve@example.com>: your message could not be delivered" in text
    assert "Status 5.4.4: unable to route" in text

    assert status.get_content_type() == "message/delivery-status"
    per_message, bob, eve = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; mx.example.org"
    assert per_message["Arrival-Date"] == "Sat, 28 Nov 2026 16:00:00 +0000"
    assert bob["Final-Recipient"] == "rfc822; bob@example.com"
    assert bob["Original-Recipient"] == "rfc822; Bob@example.com"
    assert (bob["Action"], bob["Status"]) == ("failed", "5.1.1")
    assert bob["Remote-MTA"] == "dns; mx.example.com"
    assert bob["Diagnostic-Code"] == (
        "smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
    )
    assert bob["Last-Attempt-Date"] == "Sat, 28 Nov 2026 16:01:30 +0000"
    assert eve["Status"] == "5.4.4"
    assert eve["Diagnostic-Code"] is None
    assert eve["Remote-MTA"] is None

    assert headers.get_content_type() == "text/rfc822-headers"
    returned = from_bytes(headers.get_content().encode())
    assert returned["Subject"] == "Lunch?"
    assert returned["Message-ID"] == _original()["Message-ID"]
    assert returned["Received"].startswith("from relay.example.org")


def test_dsn_attaches_the_original_headers_only():
    original = to_bytes(_compose(body="secret body\n"))
    dsn = _bounce(original=original)
    attached = dsn.get_payload()[2].get_content().encode().replace(b"\n", b"\r\n")
    assert attached == _header_block(original) + b"\r\n"
    assert b"secret body" not in to_bytes(dsn)


def test_dsn_is_deterministic():
    assert to_bytes(_bounce()) == to_bytes(_bounce())
    assert re.fullmatch(r"<20261128160130\.[0-9A-F]{12}@mx\.example\.org>", _bounce()["Message-ID"])


def test_delay_warning_dsn():
    rcpt = DsnRecipient(
        "bob@example.com", "delayed", "4.4.1", "connect to mx.example.com: timed out"
    )
    dsn = _bounce(recipients=[rcpt], warning=True)
    assert dsn["Subject"] == "Delayed Mail (still being retried)"
    block = from_bytes(to_bytes(dsn)).get_payload()[1].get_payload()[1]
    assert (block["Action"], block["Status"]) == ("delayed", "4.4.1")
    assert block["Diagnostic-Code"] == "smtp; connect to mx.example.com: timed out"
    text = " ".join(dsn.get_payload()[0].get_content().split())
    assert "This is a warning only" in text
    assert "The remote server said: connect to mx.example.com: timed out" in text


def test_expired_bounce_explains_the_temporary_error():
    rcpt = DsnRecipient("bob@example.com", "failed", "4.4.7", None)
    text = _bounce(recipients=[rcpt]).get_payload()[0].get_content()
    assert "expired in the queue" in " ".join(text.split())


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: _compose(sender=""), "sender address is empty"),
        (
            lambda: _compose(to=["bob.example.com"]),
            r"to address 'bob\.example\.com' is not of the form",
        ),
        (lambda: _compose(cc=["carol@"]), "cc address 'carol@' is not of the form"),
        (lambda: _compose(bcc=["dave @example.com"]), "bcc address .* contains whitespace"),
        (lambda: _compose(to=[]), "no recipients"),
        (lambda: _compose(date=datetime(2026, 11, 28, 16, 0)), "date must be timezone-aware"),
        (lambda: _compose(subject="hi\r\nBcc: x@example.com"), "subject contains a line break"),
        (lambda: _compose(extra_headers={"Bcc": "x@example.com"}), "extra header 'Bcc'"),
        (lambda: _compose(message_id="no-at-sign"), "message_id"),
        (lambda: _received(protocol="HTTP"), "unknown Received protocol 'HTTP'"),
        (lambda: _received(peer_ip="192.0.2.300"), "peer_ip '192.0.2.300'"),
        (lambda: _received(queue_id=""), "queue_id"),
        (lambda: _received(helo="two words"), "helo 'two words'"),
        (lambda: _bounce(recipients=[]), "at least one DsnRecipient"),
        (lambda: _bounce(envelope_sender=""), r"envelope_sender is null \(<>\)"),
        (lambda: _bounce(warning=True), "action must be 'delayed'"),
        (lambda: DsnRecipient("bob@example.com", "bounced", "5.1.1", None), "action 'bounced'"),
        (lambda: DsnRecipient("bob@example.com", "failed", "5.1", None), "status '5.1'"),
        (lambda: DsnRecipient("bob@example.com", "failed", "2.0.0", None), "status '2.0.0'"),
        (lambda: DsnRecipient("bob@example.com", "delayed", "5.1.1", None), "4.x.x"),
        (lambda: prepend_header(b"", "Bad Name", "x"), "header name 'Bad Name'"),
        (lambda: prepend_header(b"", "X-Note", "a\r\nBcc: evil@example.com"), "line break"),
        (lambda: prepend_header(b"", "X-Note", "a" * 1000), "998 octets"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_single_string_is_not_a_recipient_list():
    with pytest.raises(TypeError, match="to must be a sequence"):
        envelope_recipients("bob@example.com")


@given(
    st.sampled_from(["From", "to", "CC", "Subject", "Date", "Message-ID", "Content-Type",
                     "MIME-Version", "Content-Transfer-Encoding", "X-Mailer", "Received"]),
    st.one_of(
        st.sampled_from(["Bob <bob@example.org>", "alice@example.com, t@example.com",
                         "Sat, 28 Nov 2026 16:00:00 +0000", 'text/plain; charset="utf-8"',
                         "1.0", "7bit", "<1@example.org>", "=?utf-8?q?caf=C3=A9?="]),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                max_size=90),
    ),
)
def test_the_header_kinds_are_the_stdlib_registrys(name: str, value: str) -> None:
    # _HeaderKinds makes each header class once; the headers it makes must be the
    # ones the stock registry makes: same kind, same text, same defects, same bytes.
    ours = _wire._WIRE.header_factory(name, value)
    stock = email.policy.SMTP.header_factory(name, value)
    assert type(ours).__bases__ == type(stock).__bases__
    assert str(ours) == str(stock)
    assert [type(d) for d in ours.defects] == [type(d) for d in stock.defects]
    assert _folded(_wire._WIRE, name, ours) == _folded(
        email.policy.SMTP.clone(refold_source="none"), name, stock)


def _folded(policy: email.policy.EmailPolicy, name: str, header: object) -> object:
    """The bytes ``header`` folds to, or the error folding it raises (the stdlib
    cannot fold some odd values, e.g. a non-ASCII Message-ID: both must fail alike)."""
    try:
        return policy.fold_binary(name, header)  # type: ignore[arg-type]
    except Exception as exc:
        return type(exc)
