"""Scenarios: a whole email world written down as data, and a library of ready ones.

A scenario says who is on the network, what DNS says, what breaks and when, and who
sends what. It is a Python dict, or the same thing as a TOML file::

    name = "cross-domain"
    title = "Bob writes to Alice at another company"
    description = "Bob's provider looks up example.com's MX record and relays to it."
    seed = 1

    [[nodes]]
    kind = "msa"                      # Bob's provider's submission server (port 587)
    name = "smtp.example.org"
    domain = "example.org"
    users = { "bob@example.org" = "secret" }

    [[nodes]]
    kind = "mta"                      # example.com's mail exchanger (port 25)
    name = "mx.example.com"
    domain = "example.com"
    local_domains = ["example.com"]
    mda = "mda.example.com"

    [[nodes]]
    kind = "mda"
    name = "mda.example.com"
    domain = "example.com"
    mailboxes = ["alice@example.com", { address = "theo@example.com", quota = 0 }]

    [[nodes]]
    kind = "user_agent"
    name = "bob-laptop"
    user = "bob@example.org"
    password = "secret"
    submit_to = "smtp.example.org"

    [dns.mx]
    "example.com" = [[10, "mx.example.com"]]

    [[messages]]
    at = 0
    from = "bob@example.org"
    to = ["alice@example.com"]
    subject = "Hello"
    body = "Hi Alice!"

Other top-level keys: ``until`` (run limit, seconds), ``start`` (ISO date of time 0),
``retry`` (:class:`~smtpsim.sim.RetryPolicy` fields), ``default_latency``, ``entry``
(the server a console talks to), ``[dns.a]``, ``[[links]]`` (``a``, ``b``, ``latency``,
``port``, ``protocol``) and ``[[faults]]`` (``down = "node"`` or ``"a--b"``, ``from``,
``to``). A message may also have ``cc``, ``bcc``, ``sender`` (the envelope sender,
to show spoofing), and ``repeat``/``interval`` to send many copies (``{n}`` in the
subject becomes the copy's number).

>>> from smtpsim.scenarios import load
>>> from smtpsim.trace import summarize
>>> net = load("classic").run()
>>> [(o.recipient, o.outcome) for o in summarize(net.trace)]
[('alice@example.com', 'delivered'), ('theodore@example.com', 'delivered')]
"""

from __future__ import annotations

from ..errors import ScenarioError
from ._scenario import LIBRARY_ORDER, Scenario, library_names, list_scenarios, load, load_toml
from ._validate import KINDS, validate

__all__ = [
    "KINDS",
    "LIBRARY_ORDER",
    "Scenario",
    "ScenarioError",
    "library_names",
    "list_scenarios",
    "load",
    "load_toml",
    "validate",
]
