"""A simulated DNS zone, and mail routing as RFC 5321 section 5.1 describes it.

To send mail to ``alice@example.com`` an MTA asks DNS for the MX ("mail exchanger")
records of ``example.com``. Each MX names a host and a *preference*: lower is tried
first; hosts of equal preference are tried in random order to spread the load. If
the domain has no MX records but has an address (A) record, the domain itself is the
mail host (the "implicit MX"). ``MX 0 .`` (a "null MX", RFC 7505) says the domain
accepts no mail at all. A relay that finds its own name in the list must only try
hosts *more* preferred than itself, or the mail would go round in circles.

:func:`mail_route` turns these rules into an ordered list of hosts to try, or a
permanent failure with the status a bounce should carry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["MailRoute", "Zone", "mail_route"]


@dataclass
class Zone:
    """The DNS records the simulated world can see.

    Attributes:
        mx: domain -> list of ``(preference, host)``; host ``"."`` is a null MX.
        a: host name -> IPv4 address (as text).
    """

    mx: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    a: dict[str, str] = field(default_factory=dict)

    def lookup_mx(self, domain: str) -> tuple[str, list[tuple[int, str]]]:
        """``(rcode, records)``: ``"NXDOMAIN"`` when the name does not exist at all."""
        domain = domain.lower().rstrip(".")
        if domain in self.mx:
            return "NOERROR", list(self.mx[domain])
        if domain in self.a:
            return "NOERROR", []
        return "NXDOMAIN", []

    def lookup_a(self, host: str) -> str | None:
        """The address of ``host``, or None."""
        return self.a.get(host.lower().rstrip("."))


@dataclass(frozen=True, slots=True)
class MailRoute:
    """Where to try delivering mail for a domain.

    Either ``hosts`` (in the order to try them) or, for a permanent failure,
    ``status`` (an RFC 3463 code) and ``reason`` with an empty ``hosts``.
    """

    hosts: tuple[str, ...] = ()
    status: str = ""
    reason: str = ""
    code: int = 550


def mail_route(zone: Zone, domain: str, rng: random.Random, me: str | None = None) -> MailRoute:
    """Order the mail hosts for ``domain`` the way RFC 5321 §5.1 says.

    Args:
        zone: the DNS data.
        domain: the recipient's domain.
        rng: the run's seeded random generator (for equal preferences).
        me: the asking relay's own host name, to drop itself and worse MX hosts.
    """
    rcode, records = zone.lookup_mx(domain)
    if rcode == "NXDOMAIN":
        return MailRoute(status="5.1.2", code=550,
                         reason=f"Host or domain name not found: {domain} (NXDOMAIN)")
    if any(host == "." for _, host in records):  # RFC 7505 null MX
        return MailRoute(status="5.1.10", code=556,
                         reason=f"Domain {domain} does not accept mail (null MX)")
    if not records:
        # §5.1: no MX but an address: the domain itself is the implicit MX.
        return MailRoute(hosts=(domain.lower(),))
    if me is not None:
        mine = [pref for pref, host in records if host.lower() == me.lower()]
        if mine:
            cutoff = min(mine)
            records = [(p, h) for p, h in records if p < cutoff]
            if not records:
                return MailRoute(status="5.4.6", code=554,
                                 reason=f"mail for {domain} loops back to myself")
    by_pref: dict[int, list[str]] = {}
    for pref, host in records:
        by_pref.setdefault(pref, []).append(host.lower())
    ordered: list[str] = []
    for pref in sorted(by_pref):
        group = sorted(by_pref[pref])
        rng.shuffle(group)  # equal preferences: random order, seeded
        ordered.extend(group)
    return MailRoute(hosts=tuple(ordered))
