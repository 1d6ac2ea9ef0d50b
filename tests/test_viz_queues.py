"""queue_timeline: bars as long as the waits, markers where things happened."""

from __future__ import annotations

import matplotlib
import pytest
from viz_fixtures import RELAY_STAYS, bounce, by_gid, png_bytes, relay4, save_artifact, texts

from smtpsim.trace import Injected, NetworkDescribed, Queued, Trace
from smtpsim.viz import queue_timeline

matplotlib.use("Agg")


def test_bars_equal_queue_durations_in_minutes() -> None:
    fig = queue_timeline(relay4())
    assert "simulated time (min)" in texts(fig)  # 302 s span -> minutes
    bars = by_gid(fig, "stay:")
    assert set(bars) == {f"stay:m2@{n}" for n in RELAY_STAYS}
    for node, (start, end) in RELAY_STAYS.items():
        bar = bars[f"stay:m2@{node}"]
        assert bar.get_x() == pytest.approx(start / 60)
        assert bar.get_width() == pytest.approx((end - start) / 60)
    save_artifact(fig, "queues_relay4")


def test_markers_for_attempts_deferral_retry_delivery() -> None:
    fig = queue_timeline(relay4())
    at = "m2@out.example.org"
    assert list(by_gid(fig, f"attempt:{at}").values())[0].get_xdata() == pytest.approx(
        [2.0 / 60, 302.0 / 60])
    assert list(by_gid(fig, f"deferral:{at}").values())[0].get_xdata() == pytest.approx(
        [2.1 / 60])
    assert list(by_gid(fig, f"retry:{at}").values())[0].get_xdata() == pytest.approx(
        [302.0 / 60])
    assert by_gid(fig, "delivery:m2@mda.example.net")


def test_bounce_in_seconds_and_still_queued_is_hatched() -> None:
    fig = queue_timeline(bounce())
    assert "simulated time (s)" in texts(fig)
    assert by_gid(fig, "bounce:m3@msa.example.org")
    trace = Trace()
    trace.append(NetworkDescribed(0.0, "x", nodes=(("a", "mta", "a.org"),), links=()))
    trace.append(Injected(0.0, "a", "m9", "x@a.org", ("y@b.org",)))
    trace.append(Queued(1.0, "a", "m9", ("y@b.org",)))
    trace.append(Injected(14400.0, "a", "m10", "x@a.org", ("y@b.org",)))
    fig = queue_timeline(trace)
    bar = by_gid(fig, "stay:m9@a")["stay:m9@a"]
    assert bar.get_hatch() == "//" and bar.get_width() == pytest.approx(14399 / 3600)
    assert "simulated time (h)" in texts(fig)


def test_deterministic_and_errors() -> None:
    assert png_bytes(queue_timeline(relay4())) == png_bytes(queue_timeline(relay4()))
    with pytest.raises(ValueError, match="nothing was queued"):
        queue_timeline(Trace())
