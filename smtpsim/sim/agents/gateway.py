"""Gateways: where email meets something that is not SMTP.

A :class:`Gateway` converts between SMTP and another world, and the trace records
each conversion (``Converted``):

* its HTTP front end is a transactional mail service's JSON send API
  (``POST /v3/mail/send`` with ``Authorization: Bearer <token>``): each accepted
  request becomes an RFC 5322 message, which goes on by SMTP;
* mail for its ``sms_domain`` (``15551234567@sms.example.net``) becomes a text
  message of at most 160 characters, handed to the phone network.

An :class:`App` is the program on the other side of the API: a web shop that sends
order confirmations by posting JSON, never speaking SMTP itself.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from typing import Any, ClassVar

from ... import message as _message
from ...protocol import Reply
from ...trace import Converted, Injected, Relayed
from ..node import Node
from ..queue import LocalResult, QueueEntry
from ..session import http_request
from .mda import MDA, Mailbox
from .mta import MTA

__all__ = ["App", "Gateway"]


def _json_error(text: str) -> str:
    return json.dumps({"error": text})


class Gateway(MTA):
    """A protocol converter at the edge of the SMTP world (see the module docstring).

    Args:
        api_tokens: token -> the sender address the token may use.
        sms_domain: the mail domain it turns into SMS, or None.
        sms_phones: the phones (mailboxes) its SMS side delivers to.
        **kwargs: everything an :class:`~smtpsim.sim.MTA` takes.
    """

    kind: ClassVar[str] = "gateway"

    def __init__(self, name: str, domain: str, *, api_tokens: dict[str, str] | None = None,
                 sms_domain: str | None = None, sms_phones: Sequence[Mailbox] = (),
                 **kwargs: Any) -> None:
        if sms_domain:
            kwargs.setdefault("local_domains", [sms_domain])
            kwargs.setdefault("mda", MDA(f"sms-out.{domain}", domain, sms_phones))
        super().__init__(name, domain, **kwargs)
        self.api_tokens = dict(api_tokens or {})
        self.sms_domain = sms_domain.lower() if sms_domain else None

    def http_server(self) -> Gateway:
        return self

    def local_delivery(self, entry: QueueEntry, rcpt: str) -> LocalResult:
        """Mail for the SMS domain becomes a text message; the rest is an MTA's."""
        if self.sms_domain is None or not rcpt.lower().endswith("@" + self.sms_domain):
            return super().local_delivery(entry, rcpt)
        assert self.mda is not None
        box = self.mda.mailbox(rcpt)
        if box is None:
            return "failed", Reply.of(550, f"<{rcpt}>: no such phone number", "5.1.1")
        msg = _message.from_bytes(entry.content)
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        subject = str(msg.get("Subject", ""))
        sms = f"{subject}: {' '.join(text.split())}"
        sms = sms[:157] + "..." if len(sms) > 160 else sms
        world = self.world
        world.record(Converted(world.now, self.name, entry.msg, "smtp", "sms",
                               f"{len(entry.content)} bytes of email -> {len(sms)} "
                               f"characters of SMS to {rcpt.partition('@')[0]}"))
        # An empty header block, then the text: the SMS is a body, never a header.
        self.handoff(entry.msg, rcpt)
        self.mda.deliver(entry.msg, entry.sender, rcpt, b"\r\n" + sms.encode("utf-8"))
        return "sent", Reply.of(250, "handed to the SMS network", "2.0.0")

    def http_send(self, client: str, token: str, payload: dict[str, Any]
                  ) -> Generator[Any, Any, tuple[int, str]]:
        """Handle one JSON API request (a process step); returns (status, body).

        The request is checked like an API would (401 bad token, 400 bad JSON fields,
        403 sender not allowed), then converted into an RFC 5322 message with the
        standard ``email`` package and queued for SMTP delivery.
        """
        world = self.world
        allowed = self.api_tokens.get(token)
        if allowed is None:
            return 401, _json_error("invalid API token")
        if not isinstance(payload, dict) or "from" not in payload or "to" not in payload:
            return 400, _json_error("the fields 'from' and 'to' are required")
        sender, to = payload["from"], payload["to"]
        if isinstance(to, str):
            to = [to]
        if not isinstance(sender, str) or not isinstance(to, list) or \
                not all(isinstance(a, str) for a in to) or not to:
            return 400, _json_error("'from' must be an address and 'to' a list of addresses")
        if sender.lower() != allowed.lower():
            return 403, _json_error(f"this token may not send as {sender}")
        subject = str(payload.get("subject", ""))
        text = str(payload.get("text", ""))
        try:
            msg = world.engines.message.compose(
                sender, to, subject=subject, body=text, date=world.date(),
                message_id=world.new_message_id(self.domain))
        except (ValueError, TypeError) as exc:
            return 400, _json_error(str(exc))
        content = world.engines.message.to_bytes(msg)
        trace_id = world.new_trace_id()
        world.record(Injected(world.now, client, trace_id, sender, tuple(to), subject))
        world.record(Converted(world.now, self.name, trace_id, "http-json", "smtp",
                               f"JSON fields from/to/subject/text -> RFC 5322 message "
                               f"({len(content)} bytes)"))
        yield world.timeout(0)
        self.enqueue(trace_id, sender, to, content)
        # The hop from the app to the gateway, for paths and summaries.
        world.record(Relayed(world.now, client, trace_id, tuple(to), self.name,
                             "HTTP/1.1 202 Accepted"))
        return 202, json.dumps({"id": trace_id, "status": "queued"})


class App(Node):
    """A program that sends mail through a mail service's HTTP API (not SMTP).

    Args:
        gateway: the host name of the :class:`Gateway` with the API.
        token: its API token.
    """

    kind: ClassVar[str] = "app"

    def __init__(self, name: str, domain: str, *, gateway: str, token: str) -> None:
        super().__init__(name, domain)
        self.gateway = gateway
        self.token = token
        #: ``(status, body)`` of every answered request, in order (status 0: no answer).
        self.responses: list[tuple[int, str]] = []

    def peers(self) -> list[tuple[str, int, str]]:
        return [(self.gateway, 443, "HTTPS/JSON")]

    def post(self, payload: dict[str, Any]) -> None:
        """Send ``payload`` to the gateway's API (as a simulated process)."""
        self.world.process(self._post(payload))

    def _post(self, payload: dict[str, Any]) -> Generator[Any, Any, None]:
        response = yield from http_request(self.world, self.name, self.gateway, self.token,
                                           payload)
        self.responses.append(response)
