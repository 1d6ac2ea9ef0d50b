"""A scenario: a whole email world written down as data, and how it comes to life.

A :class:`Scenario` holds a validated scenario in its normal form. :meth:`Scenario.build`
turns it into a fresh :class:`~smtpsim.sim.Network` every time it is called (nodes,
DNS records, links, faults, and the messages scheduled on the clock), so the same
scenario and seed always give the same trace, byte for byte.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Generator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..sim import (
    MDA,
    MTA,
    App,
    Gateway,
    Mailbox,
    MailboxServer,
    Network,
    Node,
    RetryPolicy,
    SubmissionServer,
    UserAgent,
)
from ..trace import Keep
from ._validate import SERVER_KINDS, validate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = ["LIBRARY_ORDER", "Scenario", "library_names", "list_scenarios", "load", "load_toml"]

#: The library in teaching order: from one organisation to the wider Internet and its
#: failures. Files not named here follow, alphabetically.
LIBRARY_ORDER = (
    "classic", "pop-vs-imap", "cross-domain", "smarthost", "mx-failover", "greylisting",
    "unknown-user", "relay-denied", "mail-loop", "bulk-relay", "api-gateway", "null-mx",
    "sms-gateway",
)

#: Options of an MTA (and of an MSA or gateway) passed straight to its constructor.
_MTA_OPTIONS = ("local_domains", "transport", "relay_from", "relay_domains", "greylisting",
                "greylist_delay", "rate_limit", "max_message_size", "max_hops",
                "crash_after_data", "busy")


class Scenario:
    """A validated scenario, ready to build into a network and run.

    Create one with :func:`load`. Two scenarios are equal when their normal forms are
    (so a TOML file and the dict it was written from compare equal).
    """

    def __init__(self, spec: Mapping[str, Any], source: str = "<dict>") -> None:
        self.spec: dict[str, Any] = validate(copy.deepcopy(dict(spec)))
        #: Where it came from: a file path, ``library:<name>`` or ``<dict>``.
        self.source = source

    # -- what it is -----------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def title(self) -> str:
        return str(self.spec["title"])

    @property
    def description(self) -> str:
        """What the scenario teaches, for students."""
        return " ".join(str(self.spec["description"]).split())

    @property
    def seed(self) -> int:
        return int(self.spec.get("seed", 0))

    @property
    def until(self) -> float | None:
        """The run limit in simulated seconds, or None (run until nothing is left)."""
        return self.spec.get("until")

    @property
    def entry(self) -> str:
        """The server a student's console (or telnet) should talk to: the ``entry`` key,
        else the first MSA or MTA declared, else the first gateway."""
        if "entry" in self.spec:
            return str(self.spec["entry"])
        for kinds in (("msa", "mta"), ("gateway",)):
            for node in self.spec["nodes"]:
                if node["kind"] in kinds:
                    return str(node["name"])
        raise ScenarioError("entry", "the scenario has no server to talk to")

    def to_dict(self) -> dict[str, Any]:
        """A copy of the normal form (plain data; ``start`` is a datetime)."""
        return copy.deepcopy(self.spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.spec == other.spec

    __hash__ = None  # type: ignore[assignment]  # mutable data: not hashable

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {self.title}>"

    # -- bringing it to life --------------------------------------------------
    def build(self, seed: int | None = None, keep: Keep = "all") -> Network:
        """A fresh network with everything declared, and the messages scheduled.

        Args:
            seed: overrides the scenario's seed (it orders MX hosts of equal preference).
            keep: ``"all"`` to trace every dialog line, ``"summary"`` for outcomes only.
        """
        s = self.spec
        options: dict[str, Any] = {"seed": self.seed if seed is None else seed, "keep": keep,
                                   "title": self.title}
        if "start" in s:
            options["start"] = s["start"]
        if "retry" in s:
            options["retry"] = RetryPolicy(**s["retry"])
        if "default_latency" in s:
            options["default_latency"] = s["default_latency"]
        net = Network(**options)
        for node in _make_nodes(s["nodes"]):
            if node.name not in net.nodes:  # an MTA adds its MDA, an MDA its mailboxes
                net.add(node)
        for n in s["nodes"]:  # the user agents' fetch schedules (they need the world)
            for fetch in n.get("fetch", []):
                agent = net.nodes[n["name"]]
                assert isinstance(agent, UserAgent)
                agent.fetch_from(fetch["server"], fetch.get("protocol", "POP3"),
                                 **{k: fetch[k] for k in ("account", "password", "at", "every",
                                                          "times", "delete") if k in fetch})
        dns = s.get("dns", {})
        for domain, records in dns.get("mx", {}).items():
            net.zone.mx[domain.lower()] = [(p, h) for p, h in records]
        net.zone.a.update({h.lower(): ip for h, ip in dns.get("a", {}).items()})
        for link in s.get("links", []):
            net.link(link["a"], link["b"], latency=link.get("latency", net.default_latency),
                     **{k: link[k] for k in ("port", "protocol") if k in link})
        for fault in s.get("faults", []):
            net.take_down(fault["down"], fault.get("from", 0.0), fault.get("to", float("inf")))
        for msg in s.get("messages", []):
            _schedule(net, msg)
        return net

    def run(self, seed: int | None = None, until: float | None = None,
            keep: Keep = "all") -> Network:
        """Build, run until ``until`` (default: the scenario's limit, else until nothing
        is left to do), and :meth:`~smtpsim.sim.Network.finish`; returns the network."""
        net = self.build(seed=seed, keep=keep)
        net.run(self.until if until is None else until)
        net.finish()
        return net


def _mailbox(entry: Mapping[str, Any], defaults: Mapping[str, Any]) -> Mailbox:
    return Mailbox(entry["address"], quota=entry.get("quota", defaults.get("quota")),
                   full=entry.get("full", defaults.get("full", "temporary")))


def _make_nodes(nodes: list[dict[str, Any]]) -> list[Node]:
    """The node objects, in declaration order (mailboxes and MDAs first made, so that
    servers and user agents can be handed the objects they refer to)."""
    boxes: dict[str, Mailbox] = {}
    held: dict[str, list[Mailbox]] = {}
    for n in nodes:
        if n["kind"] == "mda":
            held[n["name"]] = [_mailbox(e, n) for e in n.get("mailboxes", [])]
        elif n["kind"] == "mailbox":
            held.setdefault(n["mda"], []).append(_mailbox({"address": n["owner"], **n}, {}))
    for group in held.values():
        boxes.update({b.owner.lower(): b for b in group})
    mdas = {n["name"]: MDA(n["name"], n["domain"], held.get(n["name"], []))
            for n in nodes if n["kind"] == "mda"}
    out: list[Node] = []
    for n in nodes:
        kind = n["kind"]
        if kind in SERVER_KINDS:
            kw: dict[str, Any] = {k: n[k] for k in _MTA_OPTIONS if k in n}
            if "mda" in n:
                kw["mda"] = mdas[n["mda"]]
            if "retry" in n:
                kw["retry"] = RetryPolicy(**n["retry"])
            if kind == "msa":
                out.append(SubmissionServer(n["name"], n["domain"], users=n.get("users"), **kw))
            elif kind == "gateway":
                phones = [_mailbox(e, {}) for e in n.get("sms_phones", [])]
                out.append(Gateway(n["name"], n["domain"], api_tokens=n.get("api_tokens"),
                                   sms_domain=n.get("sms_domain"), sms_phones=phones, **kw))
            else:
                out.append(MTA(n["name"], n["domain"], **kw))
        elif kind == "mda":
            out.append(mdas[n["name"]])
        elif kind == "mailbox":
            out.append(boxes[n["owner"].lower()])
        elif kind == "user_agent":
            box = boxes.get(n["mailbox"].lower()) if "mailbox" in n else None
            retry = RetryPolicy(**n["retry"]) if "retry" in n else None
            out.append(UserAgent(n["name"], n["user"], password=n["password"],
                                 submit_to=n["submit_to"], mailbox=box, retry=retry))
        elif kind == "mailbox_server":
            accounts = {a["user"]: (a["password"], boxes[a["mailbox"].lower()])
                        for a in n["accounts"]}
            out.append(MailboxServer(n["name"], n["domain"], accounts,
                                     tuple(n.get("protocols", ["POP3", "IMAP"]))))
        else:  # app
            out.append(App(n["name"], n["domain"], gateway=n["gateway"], token=n["token"]))
    return out


def _schedule(net: Network, msg: dict[str, Any]) -> None:
    """Put one message entry (``repeat`` copies of it) on the network's clock.

    The copies are scheduled as they come due, not all at once: one process sends
    copy 1 at ``at``, then waits ``interval`` and sends copy 2, and so on. A run that
    stops early (``until``) never builds the copies it will not reach, so memory
    stays flat however large ``repeat`` is. Copies due at the same instant
    (``interval = 0``) are all scheduled at once, each as its own event. With an
    interval, the next copy's wait is set before a copy is sent, so it comes before
    anything that copy causes at the same instant. (One difference from scheduling
    every copy up front: an event that something else scheduled *earlier* for
    exactly the instant a copy is due now runs before it.)
    """
    node = net.nodes[msg["from"]]
    start, interval, count = msg.get("at", 0.0), msg.get("interval", 0.0), msg.get("repeat", 1)

    def copy_of(k: int) -> Callable[[], Any]:
        subject = msg.get("subject", "").replace("{n}", str(k + 1))
        if isinstance(node, App):
            gateway = net.nodes[node.gateway]
            tokens = gateway.api_tokens if isinstance(gateway, Gateway) else {}
            payload = {"from": msg.get("sender") or tokens.get(node.token)
                       or f"noreply@{node.domain}",
                       "to": list(msg.get("to", [])), "subject": subject,
                       "text": msg.get("body", "")}
            return _bind(node.post, payload)
        assert isinstance(node, UserAgent)
        return _bind(node.send, list(msg.get("to", [])), subject=subject,
                     body=msg.get("body", ""), cc=msg.get("cc", []),
                     bcc=msg.get("bcc", []), sender=msg.get("sender"))

    if count == 1 or interval == 0.0:
        # All due at one instant: each copy gets its own event, as a single message
        # does (they would all exist at that instant anyway).
        for k in range(count):
            net.at(start, copy_of(k))
        return

    def copies() -> Generator[Any, Any, None]:
        yield net.clock.timeout(start - net.now)
        for k in range(count):
            wait = net.clock.timeout(interval) if k + 1 < count else None
            copy_of(k)()
            if wait is not None:
                yield wait

    net.clock.process(copies())


def _bind(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    return lambda: fn(*args, **kwargs)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_toml(text: str, source: str = "<string>") -> Scenario:
    """A scenario from TOML text; a syntax error names ``source`` and the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, f"invalid TOML: {exc}") from None
    try:
        return Scenario(data, source)
    except ScenarioError as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"in {source}")
        raise


def _library() -> Any:
    return resources.files("smtpsim.scenarios").joinpath("library")


def load(scenario: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """Load a scenario: a library name (``"classic"``), a path to a ``.toml`` file, a
    dict in the scenario format, or a :class:`Scenario` (returned as it is).

    Raises:
        ScenarioError: unknown name, unreadable file, bad TOML, or an invalid scenario.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return Scenario(scenario)
    text = str(scenario)
    if isinstance(scenario, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text)
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(str(path), f"cannot read the file: {exc.strerror}") from None
        except UnicodeDecodeError as exc:  # TOML files are UTF-8 (TOML 1.0, "Spec")
            raise ScenarioError(str(path), f"is not UTF-8 text (byte {exc.start}: "
                                           f"{exc.object[exc.start:exc.start + 1]!r})") from None
        return load_toml(content, str(path))
    item = _library().joinpath(f"{text}.toml")
    if not item.is_file():
        known = ", ".join(name for name, _ in list_scenarios())
        raise ScenarioError("name", f"no scenario named {text!r} in the library "
                                    f"(known: {known})")
    return load_toml(item.read_text(encoding="utf-8"), f"library:{text}")


def library_names() -> list[str]:
    """The names of the ready-made scenarios, in teaching order."""
    found = {p.name[:-5] for p in _library().iterdir() if p.name.endswith(".toml")}
    ordered = [n for n in LIBRARY_ORDER if n in found]
    return ordered + sorted(found - set(ordered))


def list_scenarios() -> list[tuple[str, str]]:
    """``(name, title)`` of every ready-made scenario, in teaching order."""
    return [(name, load(name).title) for name in library_names()]
