"""The Stepper on a classroom projector: 1024×768, JupyterLab's file browser open.

What a teacher needs from the back of the room, measured in a real browser:

* every Stepper button is inside the viewport, not covered or clipped, with its text;
* the panes stack (the picture above the dialog) instead of squeezing side by side;
* the topology picture keeps its own shape (rendered width/height = viewBox ratio,
  within 2 %) at the first and at the last step, and its smallest text is ≥ 12 CSS px;
* no element in any pane has ``word-break: break-all`` (computed style);
* Play steps on by itself in the browser and Stop stops it where it is.

Screenshots at 1024×768 and 1920×1080 land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lab_harness import (
    LabServer,
    collect_problems,
    notebook_panel,
    run_notebook_in_lab,
    save_screenshot,
    write_notebook,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CELLS = [
    ("markdown", "# The Stepper on a projector"),
    "from smtpsim.scenarios import load\n"
    "from smtpsim.widgets import Stepper\n"
    "\n"
    "network = load('classic').run()",
    "first = Stepper(network)\nfirst",
    "last = Stepper(network)\nlast.index = len(last.steps) - 1\nlast",
    "big = Stepper(load('relay-denied').run(), presentation=True)\n"
    "big.index = len(big.steps) // 3\nbig",
]

#: The buttons a teacher presses, by class, and the text each must show.
BUTTONS = {
    "smtpsim-stepper-play": "Play",
    "smtpsim-stepper-stop": "Stop",
    "smtpsim-stepper-prev": "Prev",
    "smtpsim-stepper-next": "Next",
    "smtpsim-stepper-presentation": "presentation",
    "smtpsim-stepper-filter-smtp": "SMTP lines",
    "smtpsim-stepper-filter-dns": "DNS",
    "smtpsim-stepper-filter-queue": "queue events",
    "smtpsim-stepper-filter-delivery": "deliveries & bounces",
    "smtpsim-stepper-filter-pickup": "POP3 & IMAP",
}

# Is the element at its own centre point the element (nothing covers it), is its box
# inside the viewport, and does its text fit (no ellipsis, no clipping)?
_JS_SEEN = """el => {
  const r = el.getBoundingClientRect();
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  const hit = document.elementFromPoint(cx, cy);
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          width: r.width, height: r.height,
          vw: window.innerWidth, vh: window.innerHeight,
          onTop: !!hit && (hit === el || el.contains(hit)),
          fits: el.scrollWidth <= el.clientWidth + 1, text: el.innerText.trim()};
}"""

# The picture: rendered and natural (viewBox) ratio, and the smallest text in CSS px.
_JS_PICTURE = """svg => {
  const r = svg.getBoundingClientRect();
  const vb = svg.viewBox.baseVal;
  const k = r.width / vb.width;
  const sizes = Array.from(svg.querySelectorAll('text, tspan')).map(
      t => parseFloat(getComputedStyle(t).fontSize) * k);
  return {width: r.width, height: r.height, natural: vb.width / vb.height,
          smallest: Math.min(...sizes), texts: sizes.length};
}"""

_JS_BREAK_ALL = """root => Array.from(root.querySelectorAll('*')).filter(
    el => getComputedStyle(el).wordBreak === 'break-all').map(
    el => el.tagName + '.' + el.className).slice(0, 10)"""


def _open_file_browser(page: Any) -> None:
    browser = page.locator(".jp-FileBrowser").first
    if not browser.is_visible():
        page.locator('.jp-SideBar [data-id="filebrowser"]').first.click()
    expect(browser).to_be_visible()
    assert browser.bounding_box()["width"] > 150


def _check_picture(stepper: Any, what: str) -> dict[str, Any]:
    svg = stepper.locator(".smtpsim-stepper-topology svg")
    expect(svg).to_be_visible()
    pic = svg.evaluate(_JS_PICTURE)
    ratio = pic["width"] / pic["height"]
    assert abs(ratio / pic["natural"] - 1) <= 0.02, (what, pic)
    assert pic["texts"] > 5 and pic["smallest"] >= 12, (what, pic)
    return dict(pic)


def test_stepper_fits_a_projector(
    jupyterlab: LabServer, projector_page: Any, tmp_path: Path
) -> None:
    page = projector_page
    notebook = write_notebook(tmp_path / "stepper-projector.ipynb", CELLS)
    assert run_notebook_in_lab(page, jupyterlab, notebook) == []
    _open_file_browser(page)
    panel = notebook_panel(page)
    first = panel.locator(".smtpsim-stepper").nth(0)
    controls = first.locator(".smtpsim-stepper-controls")
    controls.scroll_into_view_if_needed()
    page.wait_for_timeout(300)

    # Every button: inside the viewport, on top, its whole label shown.
    for cls, label in BUTTONS.items():
        button = first.locator(f"button.{cls}")
        button.scroll_into_view_if_needed()
        seen = button.evaluate(_JS_SEEN)
        assert seen["left"] >= 0 and seen["right"] <= seen["vw"], (cls, seen)
        assert seen["top"] >= 0 and seen["bottom"] <= seen["vh"], (cls, seen)
        assert seen["onTop"] and seen["fits"], (cls, seen)
        assert seen["text"] == label, (cls, seen)
    for cls in ("smtpsim-stepper-speed", "smtpsim-stepper-slider", "smtpsim-stepper-node"):
        seen = first.locator(f".{cls}").evaluate(_JS_SEEN)
        assert seen["left"] >= 0 and seen["right"] <= seen["vw"] and seen["width"] > 60, \
            (cls, seen)
    speed = first.locator(".smtpsim-stepper-speed")
    expect(speed).to_contain_text("speed")

    # Narrow: the dialog pane goes under the picture, it is not squeezed beside it.
    picture_pane = first.locator(".smtpsim-stepper-picture-pane").bounding_box()
    dialog_pane = first.locator(".smtpsim-stepper-dialog-pane").bounding_box()
    assert dialog_pane["y"] >= picture_pane["y"] + picture_pane["height"] - 1
    assert picture_pane["width"] > 500

    step1 = _check_picture(first, "step 1")
    expect(first.locator(".smtpsim-stepper-status")).to_contain_text("step 1 of")
    # Next moves the picture: at step 7 a line of the MSA's EHLO reply travels to the laptop.
    before = first.locator(".smtpsim-stepper-topology").inner_html()
    for _ in range(6):
        first.locator("button.smtpsim-stepper-next").click()
    expect(first.locator(".smtpsim-stepper-status")).to_contain_text("step 7 of")
    expect(first.locator(".smtpsim-stepper-transcript")).to_contain_text("S: 220")
    assert first.locator(".smtpsim-stepper-topology").inner_html() != before
    expect(first.locator(".smtpsim-svg-travelling")).to_have_count(1)
    first.locator(".smtpsim-stepper-topology").scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # the travelling envelope's animation ends
    controls.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    save_screenshot(page, "stepper-1024x768")
    first.locator(".smtpsim-stepper-picture-pane").scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    save_screenshot(page, "stepper-1024x768-picture")

    last = panel.locator(".smtpsim-stepper").nth(1)
    last.scroll_into_view_if_needed()
    stepn = _check_picture(last, "last step")
    assert abs(stepn["natural"] - step1["natural"]) < 1e-6  # the same picture shape
    expect(last.locator(".smtpsim-stepper-headers")).to_contain_text("Received: from")
    big = panel.locator(".smtpsim-stepper").nth(2)
    big.scroll_into_view_if_needed()
    assert _check_picture(big, "presentation")["smallest"] >= 16

    for stepper in (first, last, big):
        assert stepper.evaluate(_JS_BREAK_ALL) == []

    # A wide screen: picture and dialog side by side, then a look at the last step.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(500)
    picture_pane = first.locator(".smtpsim-stepper-picture-pane").bounding_box()
    dialog_pane = first.locator(".smtpsim-stepper-dialog-pane").bounding_box()
    assert abs(dialog_pane["y"] - picture_pane["y"]) < 2  # one row now
    _check_picture(first, "1920 wide")
    first.locator(".smtpsim-stepper-controls").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save_screenshot(page, "stepper-1920x1080")
    last.locator(".smtpsim-stepper-controls").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save_screenshot(page, "stepper-last-1920x1080")
    big.locator(".smtpsim-stepper-controls").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save_screenshot(page, "stepper-presentation-1920x1080")

    # Play steps on by itself (in the browser, from the start when at the end); Stop stays.
    last.locator(".smtpsim-stepper-speed select").select_option(label="8×")
    status = last.locator(".smtpsim-stepper-status")
    at_end = re.search(r"step (\d+) of (\d+)", status.inner_text())
    assert at_end and at_end[1] == at_end[2], status.inner_text()  # at the last step
    total = int(at_end[2])
    last.locator("button.smtpsim-stepper-play").click()
    expect(status).to_contain_text("step 1", timeout=5_000)
    page.wait_for_timeout(600)
    last.locator("button.smtpsim-stepper-stop").click()
    page.wait_for_timeout(400)
    stopped = status.inner_text()
    assert "step 1 of" not in stopped and f"step {total} of" not in stopped, stopped
    page.wait_for_timeout(600)
    assert status.inner_text() == stopped  # it stays where it was stopped

    assert collect_problems(page) == []
    assert "Error displaying widget" not in panel.inner_text()
