"""Hand-built traces for the viz tests: small, realistic, and fully known.

Each builder returns a :class:`Trace` written the way the simulation writes one:
a ``NetworkDescribed`` first, then sessions with real RFC 5321 dialog lines, then
the queue and delivery events. Because every time and id is chosen here, the
tests can check a figure against exact numbers.

* :func:`classic` - one message to two recipients at one MX (RFC 5321 D.1 style).
* :func:`relay4` - four SMTP hops; the MX greylists the first try (451), a retry
  five minutes later succeeds, the MDA delivers.
* :func:`bounce` - the MX answers 550 5.1.1 to the only recipient; the MSA bounces.
* :func:`pickup` - the pull hop: m4 is delivered to Alice's mailbox, her phone reads it
  with IMAP (after a NO) and keeps it, her laptop downloads it with POP3 (after an
  -ERR) and deletes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from smtpsim.protocol import State, next_state
from smtpsim.trace import (
    Bounced,
    Deferred,
    Delivered,
    DialogLine,
    DnsAnswer,
    DnsQuery,
    Fetched,
    Flagged,
    ImapLine,
    Injected,
    MessageAccepted,
    NetworkDescribed,
    Pop3Line,
    Queued,
    Relayed,
    Removed,
    RetryScheduled,
    SessionClosed,
    SessionOpened,
    Trace,
    TraceEvent,
)

START = datetime(2026, 11, 28, 16, 0, 0, tzinfo=timezone.utc)
STEP = 0.01  # seconds between two dialog lines (one-way latency)


def dialog(t0: float, server: str, client: str, session: str, script: str) -> list[DialogLine]:
    """DialogLines from ``S: ...`` / ``C: ...`` lines, 10 ms apart, with server states."""
    out: list[DialogLine] = []
    state, event, in_data = State.CONNECTED, "greeting", False
    for i, raw in enumerate(script.strip("\n").splitlines()):
        who, line = raw.strip()[0], raw.strip()[3:]
        if who == "C":
            if in_data:
                if line == ".":
                    event, in_data = "end of data", False
            else:
                event = line.split(" ", 1)[0].split(":", 1)[0].upper()
        elif len(line) < 4 or line[3] == " ":
            state = next_state(state, event, int(line[:3]))
            in_data = line.startswith("354")
        out.append(DialogLine(t0 + i * STEP, server, client, session, who, line, state.value))
    return out


def session(t0: float, server: str, client: str, sid: str, port: int, msgs: tuple[str, ...],
            script: str) -> list[TraceEvent]:
    lines = dialog(t0, server, client, sid, script)
    return [SessionOpened(t0, server, client, sid, port, msgs), *lines,
            SessionClosed(lines[-1].t, server, client, sid)]


def build(events: list[TraceEvent]) -> Trace:
    trace = Trace()
    for e in sorted(events, key=lambda e: e.t):  # stable: same-time events keep order
        trace.append(e)
    return trace


# ----------------------------------------------------------------------- classic

CLASSIC_NET = NetworkDescribed(
    0.0, "classic", title="Two recipients, one MX",
    nodes=(("alice-pc", "user_agent", "example.org"), ("smtp.example.org", "msa", "example.org"),
           ("mx.example.com", "mta", "example.com"), ("mda.example.com", "mda", "example.com"),
           ("bob", "mailbox", "example.com"), ("carol", "mailbox", "example.com")),
    links=(("alice-pc", "smtp.example.org", 587, "SMTP+AUTH", 0.01),
           ("smtp.example.org", "mx.example.com", 25, "SMTP", 0.02),
           ("mx.example.com", "mda.example.com", 24, "LMTP", 0.001),
           ("mda.example.com", "bob", 0, "local", 0.0),
           ("mda.example.com", "carol", 0, "local", 0.0)),
)

CLASSIC_SESSION = """
S: 220 mx.example.com ESMTP smtpsim
C: EHLO smtp.example.org
S: 250-mx.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-ENHANCEDSTATUSCODES
S: 250 8BITMIME
C: MAIL FROM:<alice@example.org>
S: 250 2.1.0 Ok
C: RCPT TO:<bob@example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<carol@example.com>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: From: Alice <alice@example.org>
C: To: bob@example.com, carol@example.com
C: Subject: Lunch on Friday?
C: Date: Sat, 28 Nov 2026 16:00:00 +0000
C: Message-ID: <20261128160000.A1B2@example.org>
C:
C: Hi both, lunch on Friday at noon?
C: ..and bring the slides.
C: Alice
C: .
S: 250 2.0.0 Ok: queued as 4F2A1
C: QUIT
S: 221 2.0.0 Bye
"""


def classic() -> Trace:
    """m1 from alice@example.org to bob and carol @example.com, delivered to both."""
    ev: list[TraceEvent] = [
        CLASSIC_NET,
        Injected(1.0, "alice-pc", "m1", "alice@example.org",
                 ("bob@example.com", "carol@example.com"), "Lunch on Friday?"),
        MessageAccepted(1.1, "smtp.example.org", "m1", "alice-pc", "s0", "alice@example.org",
                        ("bob@example.com", "carol@example.com"), "A11"),
        Queued(1.1, "smtp.example.org", "m1", ("bob@example.com", "carol@example.com")),
        Relayed(1.1, "alice-pc", "m1", ("bob@example.com", "carol@example.com"),
                "smtp.example.org", "250 2.0.0 Ok: queued as A11"),
        *session(2.0, "mx.example.com", "smtp.example.org", "s1", 25, ("m1",), CLASSIC_SESSION),
    ]
    t = ev[-1].t
    ev += [
        MessageAccepted(t, "mx.example.com", "m1", "smtp.example.org", "s1", "alice@example.org",
                        ("bob@example.com", "carol@example.com"), "4F2A1"),
        Queued(t, "mx.example.com", "m1", ("bob@example.com", "carol@example.com")),
        Relayed(t, "smtp.example.org", "m1", ("bob@example.com", "carol@example.com"),
                "mx.example.com", "250 2.0.0 Ok: queued as 4F2A1"),
        Relayed(t + 0.5, "mx.example.com", "m1", ("bob@example.com", "carol@example.com"),
                "mda.example.com", "250 2.0.0 Ok"),
        Delivered(t + 0.6, "mda.example.com", "m1", "bob@example.com", "bob"),
        Delivered(t + 0.6, "mda.example.com", "m1", "carol@example.com", "carol"),
    ]
    return build(ev)


# ------------------------------------------------------------------------ relay4

RELAY_NET = NetworkDescribed(
    0.0, "relay4", title="Four hops and a greylist",
    nodes=(("alice-pc", "user_agent", "example.org"), ("msa.example.org", "msa", "example.org"),
           ("out.example.org", "mta", "example.org"), ("mx.example.net", "mta", "example.net"),
           ("mda.example.net", "mda", "example.net"), ("dave", "mailbox", "example.net"),
           ("ns", "dns", "")),
    links=(("alice-pc", "msa.example.org", 587, "SMTP+AUTH", 0.01),
           ("msa.example.org", "out.example.org", 25, "SMTP", 0.001),
           ("out.example.org", "mx.example.net", 25, "SMTP", 0.05),
           ("mx.example.net", "mda.example.net", 24, "LMTP", 0.001),
           ("mda.example.net", "dave", 0, "local", 0.0),
           ("out.example.org", "ns", 53, "DNS", 0.005)),
)

GREYLIST_SESSION = """
S: 220 mx.example.net ESMTP smtpsim
C: EHLO out.example.org
S: 250-mx.example.net
S: 250 ENHANCEDSTATUSCODES
C: MAIL FROM:<alice@example.org>
S: 250 2.1.0 Ok
C: RCPT TO:<dave@example.net>
S: 451 4.7.1 <dave@example.net>: greylisted, try again later
C: QUIT
S: 221 2.0.0 Bye
"""

RETRY_SESSION = """
S: 220 mx.example.net ESMTP smtpsim
C: EHLO out.example.org
S: 250-mx.example.net
S: 250 ENHANCEDSTATUSCODES
C: MAIL FROM:<alice@example.org>
S: 250 2.1.0 Ok
C: RCPT TO:<dave@example.net>
S: 250 2.1.5 Ok
C: DATA
S: 354 End data with <CR><LF>.<CR><LF>
C: Subject: Report
C:
C: The report is attached.
C: .
S: 250 2.0.0 Ok: queued as 7C3D9
C: QUIT
S: 221 2.0.0 Bye
"""

RCPT = ("dave@example.net",)
#: Seconds m2 waited in each queue: arrival and departure, as the fixture writes them.
RELAY_STAYS = {"msa.example.org": (0.5, 1.0), "out.example.org": (1.0, 302.2),
               "mx.example.net": (302.2, 302.7), "mda.example.net": (302.7, 302.8)}


def relay4() -> Trace:
    """m2 alice@example.org -> dave@example.net over 4 hops; greylisted once."""
    ev: list[TraceEvent] = [
        RELAY_NET,
        Injected(0.2, "alice-pc", "m2", "alice@example.org", RCPT, "Report"),
        MessageAccepted(0.5, "msa.example.org", "m2", "alice-pc", "s0", "alice@example.org",
                        RCPT, "B01"),
        Queued(0.5, "msa.example.org", "m2", RCPT),
        Relayed(0.5, "alice-pc", "m2", RCPT, "msa.example.org"),
        MessageAccepted(1.0, "out.example.org", "m2", "msa.example.org", "s1",
                        "alice@example.org", RCPT, "C02"),
        Queued(1.0, "out.example.org", "m2", RCPT),
        Relayed(1.0, "msa.example.org", "m2", RCPT, "out.example.org"),
        DnsQuery(1.1, "out.example.org", "example.net", "MX"),
        DnsAnswer(1.11, "out.example.org", "example.net", "MX", "NOERROR",
                  ("10 mx.example.net.",)),
        *session(2.0, "mx.example.net", "out.example.org", "s2", 25, ("m2",), GREYLIST_SESSION),
        Deferred(2.1, "out.example.org", "m2", RCPT, "mx.example.net",
                 "451 4.7.1 <dave@example.net>: greylisted, try again later"),
        RetryScheduled(2.1, "out.example.org", "m2", 302.0),
        *session(302.0, "mx.example.net", "out.example.org", "s3", 25, ("m2",), RETRY_SESSION),
        MessageAccepted(302.2, "mx.example.net", "m2", "out.example.org", "s3",
                        "alice@example.org", RCPT, "7C3D9"),
        Queued(302.2, "mx.example.net", "m2", RCPT),
        Relayed(302.2, "out.example.org", "m2", RCPT, "mx.example.net"),
        MessageAccepted(302.7, "mda.example.net", "m2", "mx.example.net", "s4",
                        "alice@example.org", RCPT, "D04"),
        Queued(302.7, "mda.example.net", "m2", RCPT),
        Relayed(302.7, "mx.example.net", "m2", RCPT, "mda.example.net"),
        Delivered(302.8, "mda.example.net", "m2", "dave@example.net", "dave"),
    ]
    return build(ev)


# ------------------------------------------------------------------------ bounce

BOUNCE_NET = NetworkDescribed(
    0.0, "bounce", title="No such user",
    nodes=(("alice-pc", "user_agent", "example.org"), ("msa.example.org", "msa", "example.org"),
           ("mx.example.com", "mta", "example.com")),
    links=(("alice-pc", "msa.example.org", 587, "SMTP+AUTH", 0.01),
           ("msa.example.org", "mx.example.com", 25, "SMTP", 0.02)),
)

BOUNCE_SESSION = """
S: 220 mx.example.com ESMTP smtpsim
C: EHLO msa.example.org
S: 250 mx.example.com
C: MAIL FROM:<alice@example.org>
S: 250 2.1.0 Ok
C: RCPT TO:<nobody@example.com>
S: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown
C: QUIT
S: 221 2.0.0 Bye
"""


def bounce() -> Trace:
    """m3 to nobody@example.com: 550 5.1.1 at the MX, bounced by the MSA."""
    rcpt = ("nobody@example.com",)
    ev: list[TraceEvent] = [
        BOUNCE_NET,
        Injected(0.0, "alice-pc", "m3", "alice@example.org", rcpt, "Hello?"),
        MessageAccepted(0.1, "msa.example.org", "m3", "alice-pc", "s0", "alice@example.org",
                        rcpt, "E05"),
        Queued(0.1, "msa.example.org", "m3", rcpt),
        Relayed(0.1, "alice-pc", "m3", rcpt, "msa.example.org"),
        *session(1.0, "mx.example.com", "msa.example.org", "s1", 25, ("m3",), BOUNCE_SESSION),
        Bounced(1.1, "msa.example.org", "m3", "nobody@example.com", "5.1.1",
                "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown",
                "m3-dsn"),
    ]
    return build(ev)


# ------------------------------------------------------------------------ pickup

PICKUP_NET = NetworkDescribed(
    0.0, "pickup", title="Alice picks her mail up",
    nodes=(("bob-pc", "user_agent", "example.com"), ("msa.example.com", "msa", "example.com"),
           ("mda.example.com", "mda", "example.com"), ("alice", "mailbox", "example.com"),
           ("imap.example.com", "mailbox_server", "example.com"),
           ("alice-phone", "user_agent", "example.com"),
           ("alice-laptop", "user_agent", "example.com")),
    links=(("bob-pc", "msa.example.com", 587, "SMTP+AUTH", 0.01),
           ("msa.example.com", "mda.example.com", 24, "LMTP", 0.001),
           ("mda.example.com", "alice", 0, "local", 0.0),
           ("imap.example.com", "alice", 0, "local", 0.0),
           ("alice-phone", "imap.example.com", 143, "IMAP", 0.01),
           ("alice-laptop", "imap.example.com", 110, "POP3", 0.01)),
)

#: m4 as the mailbox holds it: 5 lines, one starting with a dot (POP3 stuffs it).
PICKUP_MESSAGE = ("Subject: Minutes", "", "The minutes are attached.",
                  ". is where the last line starts", "Bob")
#: Its size in octets, every line with its CRLF: what {N} and "+OK N octets" say.
PICKUP_OCTETS = sum(len(line) + 2 for line in PICKUP_MESSAGE)

PICKUP_IMAP = f"""
S: * OK [CAPABILITY IMAP4rev2] imap.example.com IMAP4rev2 server ready
C: a1 LOGIN alice wonderland
S: a1 OK logged in as alice
C: a2 SELECT Archive
S: a2 NO [NONEXISTENT] no mailbox called Archive
C: a3 SELECT INBOX
S: * 1 EXISTS
S: a3 OK [READ-WRITE] SELECT completed
C: a4 FETCH 1 (BODY[])
S: * 1 FETCH (BODY[] {{{PICKUP_OCTETS}}}
{chr(10).join("S: " + line for line in PICKUP_MESSAGE)}
S:  FLAGS (\\Seen))
S: a4 OK FETCH completed
C: a5 LOGOUT
S: * BYE imap.example.com IMAP server logging out
S: a5 OK LOGOUT completed
"""

PICKUP_POP3 = f"""
S: +OK imap.example.com POP3 server ready
C: USER alice
S: +OK send your password
C: PASS sesame
S: -ERR [AUTH] invalid user name or password
C: USER alice
S: +OK send your password
C: PASS wonderland
S: +OK logged in as alice, 1 message ({PICKUP_OCTETS} octets)
C: LIST
S: +OK 1 message ({PICKUP_OCTETS} octets)
S: 1 {PICKUP_OCTETS}
S: .
C: RETR 1
S: +OK {PICKUP_OCTETS} octets
{chr(10).join("S: " + ("." + line if line.startswith(".") else line) for line in PICKUP_MESSAGE)}
S: .
C: DELE 1
S: +OK message 1 marked for deletion
C: QUIT
S: +OK imap.example.com POP3 server signing off (1 deleted, 0 left)
"""


def pickup_session(t0: float, kind: type[DialogLine], client: str, sid: str, port: int,
                   script: str) -> list[TraceEvent]:
    """A POP3 or IMAP session between ``client`` and imap.example.com, 10 ms a line."""
    lines = [kind(t0 + i * STEP, "imap.example.com", client, sid, raw[0], raw[3:])
             for i, raw in enumerate(script.strip("\n").splitlines())]
    return [SessionOpened(t0, "imap.example.com", client, sid, port), *lines,
            SessionClosed(lines[-1].t, "imap.example.com", client, sid)]


def pickup() -> Trace:
    """m4 from bob@example.com to alice@example.com, delivered at t=0.6; read at t=30 by
    alice-phone (IMAP, s2: kept, flagged \\Seen) and at t=60 by alice-laptop (POP3, s3:
    downloaded, then deleted at QUIT)."""
    rcpt = ("alice@example.com",)
    imap = pickup_session(30.0, ImapLine, "alice-phone", "s2", 143, PICKUP_IMAP)
    pop = pickup_session(60.0, Pop3Line, "alice-laptop", "s3", 110, PICKUP_POP3)
    fetch_imap = next(e.t for e in imap if isinstance(e, DialogLine) and "a4 OK" in e.line)
    retr = [e.t for e in pop if isinstance(e, DialogLine) and e.line == "."][-1]
    ev: list[TraceEvent] = [
        PICKUP_NET,
        Injected(0.0, "bob-pc", "m4", "bob@example.com", rcpt, "Minutes"),
        MessageAccepted(0.1, "msa.example.com", "m4", "bob-pc", "s0", "bob@example.com",
                        rcpt, "F06"),
        Queued(0.1, "msa.example.com", "m4", rcpt),
        Relayed(0.1, "bob-pc", "m4", rcpt, "msa.example.com"),
        MessageAccepted(0.5, "mda.example.com", "m4", "msa.example.com", "s1",
                        "bob@example.com", rcpt, "G07"),
        Relayed(0.5, "msa.example.com", "m4", rcpt, "mda.example.com"),
        Delivered(0.6, "mda.example.com", "m4", "alice@example.com", "alice"),
        *imap,
        Flagged(fetch_imap, "imap.example.com", "m4", "alice-phone", "IMAP", "alice",
                ("\\Seen",)),
        Fetched(fetch_imap, "imap.example.com", "m4", "alice-phone", "IMAP", "alice", "alice"),
        *pop,
        Fetched(retr, "imap.example.com", "m4", "alice-laptop", "POP3", "alice", "alice"),
        Removed(pop[-1].t, "imap.example.com", "m4", "alice-laptop", "POP3", "alice"),
    ]
    return build(ev)


def received_message() -> bytes:
    """A delivered message whose Received lines show 4 hops and a 5-minute greylist wait."""
    from smtpsim.message import compose, prepend_received, received_header, to_bytes

    msg = compose("alice@example.org", ["dave@example.net"], subject="Report",
                  body="The report is attached.\n", date=START)
    data = to_bytes(msg)
    hops = [("alice-pc", "192.0.2.10", "msa.example.org", "ESMTPSA", "B01", 0.5),
            ("msa.example.org", "192.0.2.20", "out.example.org", "ESMTP", "C02", 1.0),
            ("out.example.org", "192.0.2.30", "mx.example.net", "ESMTP", "7C3D9", 302.2),
            ("mx.example.net", "198.51.100.5", "mda.example.net", "LMTP", "D04", 302.7)]
    for helo, ip, by, proto, qid, t in hops:
        data = prepend_received(data, received_header(
            helo=helo, peer_host=helo, peer_ip=ip, by=by, protocol=proto, queue_id=qid,
            recipients=["dave@example.net"], date=START + timedelta(seconds=t)))
    return data


# ---------------------------------------------------------------- figure helpers

def png_bytes(fig: object) -> bytes:
    """The figure as PNG bytes, without the (version-bearing) Software metadata."""
    from io import BytesIO

    buf = BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})  # type: ignore[attr-defined]
    return buf.getvalue()


def save_artifact(fig: object, name: str) -> None:
    """Keep a PNG in artifacts/viz/ (git-ignored) for people to look at."""
    from pathlib import Path

    out = Path(__file__).resolve().parent.parent / "artifacts" / "viz"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.png").write_bytes(png_bytes(fig))


def artists(fig: object) -> list:  # type: ignore[type-arg]
    """Every artist in the figure (texts, patches, lines, collections), depth first."""
    return list(fig.findobj())  # type: ignore[attr-defined]


def by_gid(fig: object, prefix: str) -> dict:  # type: ignore[type-arg]
    """gid -> artist for the artists whose gid starts with ``prefix``."""
    return {a.get_gid(): a for a in artists(fig) if (a.get_gid() or "").startswith(prefix)}


def texts(fig: object) -> list[str]:
    """The strings of every Text artist in the figure (titles, labels, legends)."""
    from matplotlib.text import Text

    return [a.get_text() for a in artists(fig) if isinstance(a, Text)]
