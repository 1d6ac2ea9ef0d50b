"""The Stepper, driven headless the way a student drives it: buttons, slider, filters."""

from __future__ import annotations

import pytest
from sim_worlds import BODY, two_domains

from smtpsim.trace import DialogLine, MessageAccepted, Queued, Relayed
from smtpsim.widgets import Stepper


@pytest.fixture
def stepper() -> Stepper:
    net, bob, _ = two_domains()
    bob.send(["alice@example.com"], subject="Hi", body=BODY)
    net.run()
    net.finish()
    return Stepper(net)


def _go_to(s: Stepper, cls: type, **match: object) -> None:
    s.index = next(k for k, e in enumerate(s.steps)
                   if isinstance(e, cls) and all(getattr(e, a) == v for a, v in match.items()))


def test_slider_covers_every_step_and_buttons_move_the_cursor(stepper: Stepper) -> None:
    s = stepper
    assert s._slider.max == len(s.steps) - 1 == len(s.events) - 2  # all but the network
    assert s.index == 0 and s.msg == "m1"
    s._next.click()
    s._next.click()
    assert s.index == s._slider.value == s._list.value == 2
    s._prev.click()
    assert s.index == 1
    s._slider.value = 10
    assert s.index == 10 and s._list.value == 10
    s._list.value = 4
    assert s.index == s._slider.value == 4
    assert s.step(-100) == 0 and s.step(10_000) == len(s.steps) - 1


def test_transcript_highlights_the_current_line_and_explains_it(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, DialogLine, line="250 2.1.5 Ok", session="s1")
    html = s._transcript.value
    assert '<div class="smtpsim-line smtpsim-current" style="color:#009E73">S: 250 2.1.5 Ok' \
        in html
    assert html.count("smtpsim-current") == 1
    assert "this reply <b>250</b>" in html and "2.1.5" in html
    assert "RCPT TO: &lt;alice@example.com&gt;" in s._envelope.value
    before = s._transcript.value
    s._next.click()
    assert s._transcript.value != before


def test_topology_image_follows_the_link(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, DialogLine, session="s1")
    first = bytes(s._image.value)
    assert first.startswith(b"\x89PNG")
    _go_to(s, DialogLine, session="s2")
    assert bytes(s._image.value) != first
    n = len(s._png)
    _go_to(s, DialogLine, session="s1")
    assert bytes(s._image.value) == first and len(s._png) == n  # from the cache


def test_headers_pane_shows_one_more_received_after_the_second_hop(stepper: Stepper) -> None:
    s = stepper
    s.index = 0
    assert "not accepted by any server yet" in s._headers.value
    _go_to(s, MessageAccepted, node="smtp.example.org")
    assert s._headers.value.count("Received: from") == 1
    _go_to(s, MessageAccepted, node="mx.example.com")
    assert s._headers.value.count("Received: from") == 2


def test_queue_pane_has_the_message_at_the_msa_until_it_is_relayed(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, Queued, node="smtp.example.org")
    assert "<td>smtp.example.org</td><td>m1</td>" in s._queues.value
    _go_to(s, Relayed, node="smtp.example.org")
    assert "<td>smtp.example.org</td>" not in s._queues.value
    assert "<td>mx.example.com</td><td>m1</td>" in s._queues.value


def test_filters_reduce_the_steps_and_keep_the_moment(stepper: Stepper) -> None:
    s = stepper
    total = len(s.steps)
    _go_to(s, Relayed, node="smtp.example.org")
    where = s.position
    s._kinds["smtp"].value = False
    assert 0 < len(s.steps) < total and s._slider.max == len(s.steps) - 1
    assert not any(isinstance(e, DialogLine) for e in s.steps)
    assert s.position == where  # the Relayed step is still there: stay on it
    s._kinds["smtp"].value = True
    s._node.value = "mx.example.com"
    assert all("mx.example.com" in (e.node, getattr(e, "peer", None), getattr(e, "to", None))
               for e in s.steps)
    for k in s._kinds.values():
        k.value = False
    assert s.steps == [] and s._slider.max == 0  # nothing to show, and no crash


def test_text_and_html_fallbacks_are_not_blank(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, DialogLine, line="250 2.1.5 Ok", session="s1")
    bundle = s._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "S: 250 2.1.5 Ok" in bundle["text/plain"]
    assert "smtpsim-current" in bundle["text/html"]
    assert "RCPT TO:&lt;alice@example.com&gt;" in s._repr_html_()


def test_stepper_accepts_a_trace_or_a_list(stepper: Stepper) -> None:
    other = Stepper(stepper.events[:20])
    assert len(other.steps) == 19
    with pytest.raises(TypeError, match="Stepper needs"):
        Stepper(42)


def test_topology_picture_is_the_renderer_s_and_redraws_the_same(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, DialogLine, session="s2")
    cached = bytes(s._image.value)
    s._png.clear()  # cache off: really redrawn, same bytes
    s.step(1)
    s.step(-1)
    assert bytes(s._image.value) == cached
    assert s._renderer is not None and s._renderer.size[0] > 300
