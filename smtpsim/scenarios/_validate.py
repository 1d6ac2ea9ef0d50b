"""Checking a scenario, field by field, and putting it in its normal form.

:func:`validate` is the one gate every scenario passes (dict or TOML). It rejects
what the simulation would trip over later (an unknown node in a link, a mailbox
nobody holds, a message from nobody) with a :class:`~smtpsim.errors.ScenarioError`
whose ``field`` is the path to fix, e.g. ``nodes[2].kind`` or
``dns.mx.example.com[0]``. What it returns is the *normal form*: the same data with
every optional field that was given checked and converted (one address becomes a
list, a date string becomes a :class:`~datetime.datetime`, a message's ``from``
becomes the sending node's name). Fields left out stay out, so the simulation's own
defaults (Postfix's) remain the single source of truth.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import timedelta
from typing import Any

from ..sim import RetryPolicy
from ._checks import (
    Check,
    address,
    addresses,
    boolean,
    fail,
    hostname,
    integer,
    ip_address,
    list_of,
    number,
    string,
    table,
    table_of,
    text,
    timestamp,
    type_name,
)

__all__ = ["KINDS", "MAX_REPEAT", "MAX_SIMULATED_SECONDS", "SERVER_KINDS", "seconds", "validate"]

#: The latest simulated time a scenario may name, in seconds (about 31 years): far
#: beyond any lesson, and far from where float seconds lose precision or a date
#: passes the year 9999 (``at = 3e11`` was "date value out of range").
MAX_SIMULATED_SECONDS = 1e9
#: The most copies one ``[[messages]]`` entry may ask for with ``repeat``.
MAX_REPEAT = 1_000_000
#: The largest count or size a scenario may give (quota, size limit, rate ...).
_MAX_COUNT = 2**31 - 1


def seconds(minimum: float = 0.0, *, positive: bool = False) -> Check:
    """A finite number of simulated seconds, at least ``minimum`` (above 0 if
    ``positive``) and at most :data:`MAX_SIMULATED_SECONDS`; the message says "s"."""
    base = number(minimum, positive=positive)

    def check(value: Any, path: str) -> float:
        out: float = base(value, path)
        if out > MAX_SIMULATED_SECONDS:
            fail(path, f"must be at most {MAX_SIMULATED_SECONDS:g} s (about 31 years), "
                       f"not {value:g} s")
        return out
    return check

#: The node kinds a scenario may declare.
KINDS = ("user_agent", "msa", "mta", "gateway", "mda", "mailbox", "mailbox_server", "app")
#: Kinds that run an SMTP server (a student's console can talk to these).
SERVER_KINDS = ("msa", "mta", "gateway")

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_FULL = ("temporary", "permanent")


def _slug(value: Any, path: str) -> str:
    out = string(value, path)
    if not _SLUG.fullmatch(out):
        fail(path, f"{out!r} must be lower-case letters, digits, '-' or '_'")
    return out


def _full(value: Any, path: str) -> str:
    out = string(value, path)
    if out not in _FULL:
        fail(path, f"must be 'temporary' (452, retry) or 'permanent' (552), not {out!r}")
    return out


def _retry(value: Any, path: str) -> dict[str, float]:
    names = [f.name for f in fields(RetryPolicy)]
    out = _fields(table(value, path), path, {n: (seconds(positive=True), False) for n in names})
    try:
        RetryPolicy(**out)
    except ValueError as exc:
        fail(path, str(exc).removeprefix("retry policy: "))
    return out


def _mailbox_entry(value: Any, path: str) -> dict[str, Any]:
    """``"alice@example.com"`` or ``{address = "...", quota = 1, full = "permanent"}``."""
    if isinstance(value, str):
        return {"address": address(value, path)}
    return _fields(table(value, path), path, _MAILBOX_ENTRY)


_MAILBOX_ENTRY: dict[str, tuple[Check, bool]] = {
    "address": (address, True), "quota": (integer(0, _MAX_COUNT), False), "full": (_full, False)}

_MTA: dict[str, tuple[Check, bool]] = {
    "domain": (hostname, True),
    "local_domains": (list_of(hostname), False),
    "mda": (string, False),
    "transport": (table_of(string, hostname), False),
    "relay_from": (list_of(string), False),
    "relay_domains": (list_of(hostname), False),
    "greylisting": (boolean, False),
    "greylist_delay": (seconds(0), False),
    "rate_limit": (integer(1, _MAX_COUNT), False),
    "max_message_size": (integer(1, _MAX_COUNT), False),
    "max_hops": (integer(1, 10_000), False),
    "crash_after_data": (integer(0, _MAX_COUNT), False),
    "busy": (boolean, False),
    "retry": (_retry, False),
}

def _protocol(value: Any, path: str) -> str:
    out = string(value, path)
    if out not in ("POP3", "IMAP"):
        fail(path, f"must be 'POP3' or 'IMAP', not {out!r}")
    return out


def _account_name(value: Any, path: str) -> str:
    out = string(value, path)
    if not out or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in out):
        fail(path, f"an account name has no spaces or control characters: {out!r}")
    return out


_ACCOUNT: dict[str, tuple[Check, bool]] = {
    "user": (_account_name, True), "password": (string, True), "mailbox": (address, True)}
_FETCH: dict[str, tuple[Check, bool]] = {
    "server": (string, True), "protocol": (_protocol, False), "account": (_account_name, False),
    "password": (string, False), "at": (seconds(0), False),
    "every": (seconds(positive=True), False), "times": (integer(1, MAX_REPEAT), False),
    "delete": (boolean, False)}


def _table_with(spec: dict[str, tuple[Check, bool]]) -> Check:
    def check(value: Any, path: str) -> dict[str, Any]:
        return _fields(table(value, path), path, spec)
    return check


#: The fields of each kind of node: name -> (checker, required).
NODE_FIELDS: dict[str, dict[str, tuple[Check, bool]]] = {
    "user_agent": {"name": (hostname, True), "user": (address, True),
                   "password": (string, True), "submit_to": (string, True),
                   "mailbox": (address, False), "retry": (_retry, False),
                   "fetch": (list_of(_table_with(_FETCH)), False)},
    "msa": {"name": (hostname, True), "users": (table_of(address, string), False), **_MTA},
    "mta": {"name": (hostname, True), **_MTA},
    "gateway": {"name": (hostname, True), "api_tokens": (table_of(string, address), False),
                "sms_domain": (hostname, False),
                "sms_phones": (list_of(_mailbox_entry), False), **_MTA},
    "mda": {"name": (hostname, True), "domain": (hostname, True),
            "mailboxes": (list_of(_mailbox_entry), False), "quota": (integer(0, _MAX_COUNT), False),
            "full": (_full, False)},
    "mailbox": {"owner": (address, True), "mda": (string, True),
                "quota": (integer(0, _MAX_COUNT), False), "full": (_full, False)},
    "mailbox_server": {"name": (hostname, True), "domain": (hostname, True),
                       "accounts": (list_of(_table_with(_ACCOUNT)), True),
                       "protocols": (list_of(_protocol), False)},
    "app": {"name": (hostname, True), "domain": (hostname, True),
            "gateway": (string, True), "token": (string, True)},
}

_LINK: dict[str, tuple[Check, bool]] = {
    "a": (string, True), "b": (string, True), "latency": (seconds(0), False),
    "port": (integer(1, 65535), False), "protocol": (text, False)}
_FAULT: dict[str, tuple[Check, bool]] = {
    "down": (text, True), "from": (seconds(0), False), "to": (seconds(0), False)}
_MESSAGE: dict[str, tuple[Check, bool]] = {
    "at": (seconds(0), False), "from": (text, True), "to": (addresses, False),
    "cc": (addresses, False), "bcc": (addresses, False), "subject": (string, False),
    "body": (string, False), "sender": (address, False), "repeat": (integer(1, MAX_REPEAT), False),
    "interval": (seconds(0), False)}


def _pair(value: Any, path: str) -> tuple[int, str]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        fail(path, f"must be a [preference, host] pair, not {type_name(value)}")
    pref, host = value
    if isinstance(pref, bool) or not isinstance(pref, int):
        fail(path, f"preference must be an integer, not {type_name(pref)}")
    if not 0 <= pref <= 65535:
        fail(path, f"preference must be 0..65535, not {pref}")
    if host != ".":
        hostname(host, path)
    return (pref, host)


_DNS: dict[str, tuple[Check, bool]] = {
    "mx": (table_of(hostname, list_of(_pair)), False),
    "a": (table_of(hostname, ip_address), False)}

TOP_LEVEL: dict[str, tuple[Check, bool]] = {
    "name": (_slug, True), "title": (text, True), "description": (text, True),
    "seed": (integer(0, 2**63 - 1), False), "until": (seconds(positive=True), False),
    "start": (timestamp, False), "retry": (_retry, False),
    "default_latency": (seconds(0), False), "entry": (string, False),
    "nodes": (list_of(lambda v, p: _node(v, p)), True),
    "dns": (lambda v, p: _fields(table(v, p), p, _DNS), False),
    "links": (list_of(lambda v, p: _fields(table(v, p), p, _LINK)), False),
    "faults": (list_of(lambda v, p: _fields(table(v, p), p, _FAULT)), False),
    "messages": (list_of(lambda v, p: _fields(table(v, p), p, _MESSAGE)), False),
}


def _fields(data: dict[str, Any], path: str, spec: dict[str, tuple[Check, bool]],
            what: str = "field") -> dict[str, Any]:
    """Check ``data`` against ``spec``: no unknown keys, required ones present.

    A ``None`` value (possible in a dict, never in TOML) counts as left out.
    """
    prefix = f"{path}." if path else ""
    for key in data:
        if key not in spec:
            fail(f"{prefix}{key}", f"unknown {what} (expected one of {', '.join(spec)})")
    out: dict[str, Any] = {}
    for key, (check, required) in spec.items():
        if data.get(key) is None:
            if required:
                fail(f"{prefix}{key}", f"missing required {what}")
            continue
        out[key] = check(data[key], f"{prefix}{key}")
    return out


def _node(value: Any, path: str) -> dict[str, Any]:
    value = table(value, path)
    kind = value.get("kind")
    if kind is None:
        fail(f"{path}.kind", f"missing required field (one of {', '.join(KINDS)})")
    if kind not in KINDS:
        fail(f"{path}.kind", f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    rest = {k: v for k, v in value.items() if k != "kind"}
    return {"kind": kind, **_fields(rest, path, NODE_FIELDS[kind])}


def node_name(node: dict[str, Any]) -> str:
    """The network name of a normalised node (a mailbox is ``mailbox:<owner>``)."""
    return f"mailbox:{node['owner']}" if node["kind"] == "mailbox" else node["name"]


def validate(data: Any) -> dict[str, Any]:
    """Check a scenario dict and return its normal form (see the module docstring).

    Raises:
        ScenarioError: naming the first field that is wrong, and what is wrong with it.
    """
    if not isinstance(data, dict):
        fail("scenario", f"must be a table (a dict), not {type_name(data)}")
    spec = _fields(data, "", TOP_LEVEL, what="top-level key")
    _cross_check(spec)
    return spec


def _cross_check(spec: dict[str, Any]) -> None:
    """The checks that need more than one field: names, references, times."""
    nodes: list[dict[str, Any]] = spec["nodes"]
    index: dict[str, int] = {}
    boxes: dict[str, str] = {}  # lower-cased address -> path where it was declared

    def declare(name: str, path: str, i: int) -> None:
        if name in index:
            fail(path, f"duplicate node name {name!r} (already used by nodes[{index[name]}])")
        index[name] = i

    def declare_box(addr: str, path: str) -> None:
        if addr.lower() in boxes:
            fail(path, f"mailbox {addr!r} is declared twice (first at {boxes[addr.lower()]})")
        boxes[addr.lower()] = path

    for i, node in enumerate(nodes):
        p = f"nodes[{i}]"
        declare(node_name(node), f"{p}.{'owner' if node['kind'] == 'mailbox' else 'name'}", i)
        for j, box in enumerate(node.get("mailboxes", [])):
            declare_box(box["address"], f"{p}.mailboxes[{j}]")
        if node["kind"] == "mailbox":
            declare_box(node["owner"], f"{p}.owner")
        for j, box in enumerate(node.get("sms_phones", [])):
            declare_box(box["address"], f"{p}.sms_phones[{j}]")
        if node["kind"] == "gateway" and "sms_domain" in node:
            for option in ("mda", "local_domains"):
                if option in node:
                    fail(f"{p}.{option}", "an SMS gateway delivers its sms_domain itself "
                                       "(it makes its own MDA); leave this out")
            sms_mda = f"sms-out.{node['domain']}"
            if sms_mda in {node_name(n) for n in nodes}:
                fail(f"{p}.sms_domain", f"the gateway's own MDA {sms_mda!r} clashes with a "
                                        "declared node")
        elif "sms_phones" in node:
            fail(f"{p}.sms_phones", "needs sms_domain (the mail domain turned into SMS)")
        for j, box in enumerate(node.get("sms_phones", [])):
            if not box["address"].lower().endswith("@" + node["sms_domain"].lower()):
                fail(f"{p}.sms_phones[{j}]", f"{box['address']!r} is not in the sms_domain")

    def kind_of(name: str) -> str | None:
        return nodes[index[name]]["kind"] if name in index else None

    def ref(name: str, path: str, kinds: tuple[str, ...], why: str = "") -> None:
        kind = kind_of(name)
        if kind is None:
            fail(path, f"no node named {name!r}" + (f" ({why})" if why else ""))
        if kind not in kinds:
            fail(path, f"{name!r} is a {kind}, but this must be a {' or '.join(kinds)}"
                       + (f" ({why})" if why else ""))

    dns = spec.get("dns", {})
    known_hosts = set(index) | set(dns.get("a", {}))
    for i, node in enumerate(nodes):
        p = f"nodes[{i}]"
        kind = node["kind"]
        if kind in SERVER_KINDS:
            if "mda" in node:
                ref(node["mda"], f"{p}.mda", ("mda",))
            if node.get("local_domains") and "mda" not in node:
                fail(f"{p}.mda", "required with local_domains: an MTA delivers its own "
                                 "domains' mail through an MDA")
            for dom, host in node.get("transport", {}).items():
                if host not in known_hosts:
                    fail(f"{p}.transport.{dom}", f"no node (or dns.a host) named {host!r}")
            for j, client in enumerate(node.get("relay_from", [])):
                ref(client, f"{p}.relay_from[{j}]", KINDS)
        elif kind == "user_agent":
            ref(node["submit_to"], f"{p}.submit_to", ("msa",),
                "a user agent submits on port 587 with AUTH")
            if "mailbox" in node and node["mailbox"].lower() not in boxes:
                fail(f"{p}.mailbox", f"no mailbox {node['mailbox']!r} is declared")
        elif kind == "mailbox":
            ref(node["mda"], f"{p}.mda", ("mda",))
        elif kind == "mailbox_server":
            seen: set[str] = set()
            for j, account in enumerate(node["accounts"]):
                if account["user"] in seen:
                    fail(f"{p}.accounts[{j}].user", f"account {account['user']!r} is given twice")
                seen.add(account["user"])
                if account["mailbox"].lower() not in boxes:
                    fail(f"{p}.accounts[{j}].mailbox",
                         f"no mailbox {account['mailbox']!r} is declared")
        if kind == "user_agent":
            for j, fetch in enumerate(node.get("fetch", [])):
                q = f"{p}.fetch[{j}]"
                ref(fetch["server"], f"{q}.server", ("mailbox_server",),
                    "a user agent fetches from a mailbox server")
                if "every" in fetch and "times" not in fetch:
                    fail(f"{q}.times", "required with every: how many fetches in all")
                server = nodes[index[fetch["server"]]]
                users = {a["user"] for a in server["accounts"]}
                account = fetch.get("account", node["user"].rpartition("@")[0])
                if account not in users:
                    fail(f"{q}.account", f"{fetch['server']!r} has no account {account!r}")
                served = server.get("protocols", ["POP3", "IMAP"])
                if fetch.get("protocol", "POP3") not in served:
                    fail(f"{q}.protocol", f"{fetch['server']!r} serves only "
                         f"{' and '.join(served)}")
        elif kind == "app":
            ref(node["gateway"], f"{p}.gateway", ("gateway",), "an app posts to a gateway's API")

    if "entry" in spec:
        ref(spec["entry"], "entry", SERVER_KINDS, "the server a student's console talks to")
    for dom, records in dns.get("mx", {}).items():
        for j, (_, host) in enumerate(records):
            if host == "." and len(records) > 1:
                fail(f"dns.mx.{dom}[{j}]", "a null MX ('.') must be the domain's only record")
            if host != "." and host not in known_hosts:
                fail(f"dns.mx.{dom}[{j}]", f"no node (or dns.a host) named {host!r}")

    pairs: set[frozenset[str]] = set()
    for i, link in enumerate(spec.get("links", [])):
        for end in ("a", "b"):
            ref(link[end], f"links[{i}].{end}", KINDS)
        if link["a"] == link["b"]:
            fail(f"links[{i}].b", "a link joins two different nodes")
        key = frozenset((link["a"], link["b"]))
        if key in pairs:
            fail(f"links[{i}]", f"duplicate link {link['a']}--{link['b']}")
        pairs.add(key)

    for i, fault in enumerate(spec.get("faults", [])):
        down = fault["down"]
        if "--" in down:
            a, _, b = down.partition("--")
            if frozenset((a, b)) not in pairs:
                fail(f"faults[{i}].down", f"no link {down!r} is declared in links")
        elif down not in index:
            fail(f"faults[{i}].down", f"no node named {down!r}")
        if "to" in fault and fault["to"] <= fault.get("from", 0.0):
            fail(f"faults[{i}].to", "must be later than 'from'")

    if "start" in spec:
        try:
            spec["start"] + timedelta(seconds=MAX_SIMULATED_SECONDS)
        except OverflowError:
            fail("start", f"must leave room for {MAX_SIMULATED_SECONDS:g} s of simulated "
                          f"time before the year 9999, not {spec['start']}")
    until = spec.get("until")
    for i, msg in enumerate(spec.get("messages", [])):
        p = f"messages[{i}]"
        msg["from"] = _sender_node(nodes, msg["from"], f"{p}.from")
        is_app = kind_of(msg["from"]) == "app"
        if not any(msg.get(k) for k in ("to", "cc", "bcc")):
            fail(f"{p}.to", "a message needs at least one recipient (to, cc or bcc)")
        for copy_field in ("cc", "bcc"):
            if is_app and copy_field in msg:
                fail(f"{p}.{copy_field}",
                     "an app's API request has only from, to, subject and text")
        last = msg.get("at", 0.0) + (msg.get("repeat", 1) - 1) * msg.get("interval", 0.0)
        if last > MAX_SIMULATED_SECONDS:
            fail(f"{p}.interval", f"the last copy would be sent at {last:g} s, after the "
                                  f"latest time a scenario may name "
                                  f"({MAX_SIMULATED_SECONDS:g} s)")
        if until is not None and last >= until:
            fail(f"{p}.at", f"the message would be sent at {last:g} s, not before the run "
                            f"limit until = {until:g}")


def _sender_node(nodes: list[dict[str, Any]], who: str, path: str) -> str:
    """The node a message comes from: a user agent (by user address or machine name)
    or an app (by name)."""
    for node in nodes:
        if node["kind"] == "user_agent" and who.lower() == node["user"].lower():
            return str(node["name"])
    for node in nodes:
        if node["kind"] in ("user_agent", "app") and who == node["name"]:
            return str(node["name"])
    fail(path, f"no user agent or app named {who!r} (give a user agent's user address, "
               "or an app's name)")
