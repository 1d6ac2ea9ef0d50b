"""Bounces: when a queue gives up on a recipient, and the report it sends back.

A queue gives up on a recipient, and *bounces* it, in three cases:

* the next hop refused it for good: a ``5xx`` reply (RFC 5321 §4.2.1), at once;
* routing failed for good (the domain does not exist, a null MX, a loop), at once;
* it kept failing temporarily (``4xx``, nobody answering) for longer than the
  queue lifetime: "delivery time expired", ``4.4.7`` (:func:`expired`).

Bouncing (:func:`bounce`) takes the recipients off the queue entry and sends the
envelope sender *one* delivery status notification naming them all: an RFC 3464
report (:func:`smtpsim.message.make_dsn` writes it) from ``MAILER-DAEMON`` with the
null sender ``<>``, queued like any other message. A bounce is never bounced: a
message whose sender is ``<>`` gets no DSN. A user agent reports a failure to its
own user instead of mailing itself (``sends_dsn`` is False).

While a message waits, the sender may be warned once that it is delayed
(:func:`warn_delayed`, Postfix's ``delay_warning_time``, off by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .. import message as _message
from ..protocol import Reply
from ..trace import Bounced, Injected
from .world import World

__all__ = ["Failure", "Reporter", "Undelivered", "bounce", "expired", "warn_delayed"]


@dataclass(frozen=True, slots=True)
class Failure:
    """One recipient given up on: the reply that decided it, and the remote host that
    sent that reply (None when the decision was taken here)."""

    recipient: str
    reply: Reply
    remote_host: str | None = None


class Undelivered(Protocol):
    """What a bounce needs to know of the queued message (a queue entry)."""

    msg: str
    sender: str
    content: bytes
    arrived: float
    pending: list[str]
    last_error: str


class Reporter(Protocol):
    """The node that gives up: it signs the report and queues it for delivery."""

    name: str
    domain: str
    sends_dsn: bool

    def enqueue(self, msg: str, sender: str, rcpts: list[str], content: bytes) -> None:
        """Queue a message made here (the DSN) for delivery."""


def expired(entry: Undelivered) -> list[Failure]:
    """Every recipient still pending, failed because the queue lifetime is over."""
    reply = Reply.of(450, f"delivery time expired: {entry.last_error}", "4.4.7")
    return [Failure(r, reply) for r in entry.pending]


def bounce(world: World, reporter: Reporter, entry: Undelivered,
           failures: list[Failure]) -> None:
    """Give up on ``failures``' recipients and tell the envelope sender in one DSN."""
    for failure in failures:
        if failure.recipient in entry.pending:
            entry.pending.remove(failure.recipient)
    dsn_id = ""
    if entry.sender and reporter.sends_dsn:  # never a DSN for a DSN (sender <>)
        dsn_id = _send_dsn(world, reporter, entry, failures, warning=False)
    for failure in failures:
        why = failure.reply
        world.record(Bounced(world.now, reporter.name, entry.msg, failure.recipient,
                             _status(why), why.last_line(), dsn_id))


def warn_delayed(world: World, reporter: Reporter, entry: Undelivered) -> None:
    """Tell the envelope sender the message is still waiting (a "delayed" DSN)."""
    if not entry.sender or not reporter.sends_dsn:
        return
    why = Reply.of(450, entry.last_error or "still trying", "4.4.7")
    _send_dsn(world, reporter, entry, [Failure(r, why) for r in entry.pending], warning=True)


def _status(reply: Reply) -> str:
    """The RFC 3463 status of a reply (``5.0.0`` when it carried none)."""
    return reply.enhanced or f"{reply.kind}.0.0"


def _send_dsn(world: World, reporter: Reporter, entry: Undelivered,
              failures: list[Failure], warning: bool) -> str:
    """Write the RFC 3464 report, queue it, and return its trace id."""
    recipients = [
        _message.DsnRecipient(
            final_recipient=f.recipient, action="delayed" if warning else "failed",
            status=_status(f.reply),
            diagnostic_code=" ".join(f.reply.to_lines()) if f.remote_host else None,
            remote_mta=f.remote_host)
        for f in failures
    ]
    dsn = _message.make_dsn(
        original=entry.content, reporting_mta=reporter.name, envelope_sender=entry.sender,
        recipients=recipients, arrival_date=world.date(entry.arrived), date=world.date(),
        postmaster_domain=reporter.domain, message_id=world.new_message_id(reporter.name),
        warning=warning)
    dsn_id = world.new_trace_id()
    world.record(Injected(world.now, reporter.name, dsn_id, "", (entry.sender,),
                          str(dsn["Subject"])))
    reporter.enqueue(dsn_id, "", [entry.sender], _message.to_bytes(dsn))
    return dsn_id
