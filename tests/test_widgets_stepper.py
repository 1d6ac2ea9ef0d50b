"""The Stepper, driven headless the way a student drives it: buttons, slider, filters."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sim_worlds import BODY, two_domains

from smtpsim.trace import Deferred, DialogLine, MessageAccepted, Queued, Relayed
from smtpsim.widgets import Stepper

SVG = "{http://www.w3.org/2000/svg}"


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
    assert '<span class="smtpsim-address">&lt;alice@example.com&gt;</span>' in s._envelope.value
    assert "accepted 250 2.1.5" in s._envelope.value  # the reply just read
    before = s._transcript.value
    s._next.click()
    assert s._transcript.value != before


def _svg(s: Stepper) -> ET.Element:
    html = s._picture.value
    return ET.fromstring(html[html.index("<svg"): html.rindex("</svg>") + 6])


def _hot_link(root: ET.Element) -> str | None:
    hot = [e.get("data-link") for e in root.iter(f"{SVG}line")
           if "smtpsim-svg-hot" in (e.get("class") or "")]
    assert len(hot) <= 1
    return hot[0] if hot else None


def test_topology_picture_is_svg_and_follows_the_link(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, DialogLine, session="s1", line="EHLO bob-laptop")
    first = s._picture.value
    root = _svg(s)
    assert root.get("viewBox", "").startswith("0 0 ")
    assert "width:100%; height:auto" in root.get("style", "")
    assert _hot_link(root) == "bob-laptop--smtp.example.org"
    moving = [g for g in root.iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-travelling"]
    assert [(g.get("data-from"), g.get("data-to")) for g in moving] == [
        ("bob-laptop", "smtp.example.org")]  # a client line travels client -> server
    s.step(1)  # the reply travels back, as its code
    moving = [g for g in _svg(s).iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-travelling"]
    assert moving[0].get("data-from") == "smtp.example.org"
    assert "250" in "".join(moving[0].itertext())
    _go_to(s, DialogLine, session="s2")
    assert s._picture.value != first
    assert _hot_link(_svg(s)) == "smtp.example.org--mx.example.com"
    _go_to(s, DialogLine, session="s1", line="EHLO bob-laptop")
    assert s._picture.value == first  # redrawn (no cache), the same markup


def test_picture_marks_where_the_message_is_beside_the_node(stepper: Stepper) -> None:
    s = stepper
    _go_to(s, Queued, node="smtp.example.org")
    badges = [g for g in _svg(s).iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-position"]
    assert [g.get("data-node") for g in badges] == ["smtp.example.org"]


def test_failed_attempt_puts_a_cross_beside_the_link() -> None:
    from smtpsim.scenarios import load

    s = Stepper(load("mx-failover").run())
    _go_to(s, Deferred, to="mx1.example.com")
    crosses = [g for g in _svg(s).iter(f"{SVG}g") if g.get("class") == "smtpsim-svg-failed"]
    assert len(crosses) == 1 and crosses[0].get("data-link", "").endswith("--mx1.example.com")


def test_presentation_makes_text_and_picture_larger(stepper: Stepper) -> None:
    s = stepper
    small = float(_svg(s).get("viewBox", "").split()[2])
    assert not s.presentation and "smtpsim-presentation" not in s.widget._dom_classes
    s._present.value = True
    assert s.presentation and "smtpsim-presentation" in s.widget._dom_classes
    assert float(_svg(s).get("viewBox", "").split()[2]) > small * 1.2
    big = Stepper(s.events, presentation=True)
    assert big.presentation and big._picture.value == s._picture.value


def test_refused_recipient_is_struck_with_its_code() -> None:
    from smtpsim.scenarios import load

    s = Stepper(load("unknown-user").run())
    k = next(k for k, e in enumerate(s.steps)
             if isinstance(e, DialogLine) and e.dir == "S" and e.line.startswith("550"))
    s.index = k - 1
    assert "smtpsim-rcpt-refused" not in s._envelope.value
    s.index = k
    html = s._envelope.value
    assert html.count("smtpsim-rcpt-refused") == 1
    refused = html[html.index("smtpsim-rcpt-refused"):]
    assert "refused 550 5.1.1" in refused[: refused.index("</div>")]
    assert ".smtpsim-rcpt-refused .smtpsim-address { text-decoration: line-through" in \
        s.widget.children[0].value


def test_play_and_stop_drive_the_browser_player(stepper: Stepper) -> None:
    s = stepper
    s.index = len(s.steps) - 1
    s._start.click()
    assert s._play.playing and s.index == 0  # from the start when at the end
    s._stop.click()
    assert not s._play.playing
    s._speed.value = 200
    assert s._play.interval == 200
    labels = [b.description for b in (s._start, s._stop, s._prev, s._next)]
    assert labels == ["Play", "Stop", "Prev", "Next"]


def test_no_pane_style_breaks_words_and_long_headers_fold_at_spaces() -> None:
    from smtpsim.widgets._html import CSS, fold_header

    assert "break-all" not in CSS and "break-word" not in CSS
    line = ("Received: from smtp.example.org (smtp.example.org [192.0.2.25]) by "
            "mx.example.com (smtpsim) with ESMTP id 4F2A91; Sat, 28 Nov 2026 16:00:01 +0000")
    pieces = fold_header(line)
    assert len(pieces) > 1 and "".join(pieces) == line
    assert all(len(p) <= 78 for p in pieces)
    assert all(p[:1] in (" ", "\t") for p in pieces[1:])  # folded *at* whitespace
    word = "X-Token:" + "a" * 100
    assert fold_header(word) == [word]  # never mid-word, even when too long
    assert fold_header(word + " end") == [word, " end"]


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
