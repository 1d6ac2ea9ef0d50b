"""DNS and mail routing as RFC 5321 §5.1 and RFC 7505 describe them."""

from __future__ import annotations

import random

import pytest

from smtpsim.sim import Zone, mail_route


@pytest.fixture
def zone() -> Zone:
    return Zone(
        mx={"example.com": [(20, "mx2.example.com"), (10, "mx1.example.com"),
                            (30, "backup.example.net")],
            "even.example": [(10, "a.even.example"), (10, "b.even.example"),
                             (10, "c.even.example"), (10, "d.even.example")],
            "nomail.example": [(0, ".")]},
        a={"implicit.example": "192.0.2.5"})


def test_lower_preference_first(zone: Zone) -> None:
    route = mail_route(zone, "example.com", random.Random(0))
    assert route.hosts == ("mx1.example.com", "mx2.example.com", "backup.example.net")


def test_equal_preferences_are_shuffled_by_the_seeded_generator(zone: Zone) -> None:
    orders = {mail_route(zone, "even.example", random.Random(seed)).hosts
              for seed in range(20)}
    assert len(orders) > 1  # really randomised...
    again = mail_route(zone, "even.example", random.Random(7)).hosts
    assert again == mail_route(zone, "even.example", random.Random(7)).hosts  # ...by seed
    assert sorted(again) == ["a.even.example", "b.even.example", "c.even.example",
                             "d.even.example"]


def test_no_mx_but_an_address_is_the_implicit_mx(zone: Zone) -> None:
    assert mail_route(zone, "implicit.example", random.Random(0)).hosts == ("implicit.example",)


def test_nxdomain_and_null_mx_fail_for_good(zone: Zone) -> None:
    nx = mail_route(zone, "nowhere.example", random.Random(0))
    assert (nx.hosts, nx.status, nx.code) == ((), "5.1.2", 550)
    null = mail_route(zone, "nomail.example", random.Random(0))
    assert (null.hosts, null.status, null.code) == ((), "5.1.10", 556)


def test_a_relay_in_the_list_keeps_only_more_preferred_hosts(zone: Zone) -> None:
    route = mail_route(zone, "example.com", random.Random(0), me="mx2.example.com")
    assert route.hosts == ("mx1.example.com",)
    alone = mail_route(zone, "example.com", random.Random(0), me="mx1.example.com")
    assert (alone.hosts, alone.status) == ((), "5.4.6")
    assert "loops back to myself" in alone.reason
