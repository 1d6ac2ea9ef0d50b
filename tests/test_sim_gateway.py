"""The HTTP API side of a gateway: authentication, validation, conversion to SMTP."""

from __future__ import annotations

import json

import pytest
from sim_worlds import two_domains

from smtpsim.sim import App, Gateway
from smtpsim.trace import Converted, Delivered, DialogLine, check_conservation


def _world():
    net, _, boxes = two_domains()
    net.add(Gateway("api.mail.example", "mail.example",
                    api_tokens={"tok-123": "shop@example.org"}))
    app = App("shop-backend", "example.org", gateway="api.mail.example", token="tok-123")
    net.add(app)
    return net, app, boxes


def _post(payload, token: str = "tok-123"):
    net, app, boxes = _world()
    app.token = token
    app.post(payload)
    net.run()
    net.finish()
    assert check_conservation(net.trace) == []
    return net, app, boxes


def test_a_good_request_is_converted_and_delivered() -> None:
    net, app, boxes = _post({"from": "shop@example.org", "to": ["alice@example.com"],
                             "subject": "Your order", "text": "It shipped."})
    status, body = app.responses[0]
    assert status == 202
    assert json.loads(body)["status"] == "queued"
    conv = net.trace.of(Converted)[0]
    assert (conv.source, conv.target) == ("http-json", "smtp")
    assert net.trace.of(Delivered)
    assert boxes["alice@example.com"].parsed()[0]["Subject"] == "Your order"
    http = [e.line for e in net.trace.of(DialogLine) if e.state == "HTTP"]
    assert http[0] == "POST /v3/mail/send HTTP/1.1"
    assert "HTTP/1.1 202 Accepted" in http


@pytest.mark.parametrize(("payload", "token", "status", "fragment"), [
    ({"from": "shop@example.org", "to": ["a@example.com"]}, "wrong", 401, "invalid API token"),
    ({"to": ["a@example.com"]}, "tok-123", 400, "'from' and 'to' are required"),
    ({"from": "shop@example.org", "to": 5}, "tok-123", 400, "a list of addresses"),
    ({"from": "shop@example.org", "to": []}, "tok-123", 400, "a list of addresses"),
    ({"from": "shop@example.org", "to": ["not-an-address"]}, "tok-123", 400, "not-an-address"),
    ({"from": 'boss"@example.org', "to": ["a@example.com"]}, "tok-123", 403, "may not send"),
])
def test_bad_requests_get_the_right_status_and_valid_json(payload, token, status,
                                                          fragment) -> None:
    net, app, boxes = _post(payload, token)
    got, body = app.responses[0]
    assert got == status
    assert fragment in json.loads(body)["error"]  # valid JSON even with quotes inside
    assert not net.trace.of(Converted)


def test_a_single_address_string_is_one_recipient() -> None:
    net, app, boxes = _post({"from": "shop@example.org", "to": "alice@example.com"})
    assert app.responses[0][0] == 202
    assert len(boxes["alice@example.com"].messages) == 1
