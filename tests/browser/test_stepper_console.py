"""The Stepper and the Console in a real JupyterLab, driven through headless Chromium.

The notebook builds the classic scenario, shows a Stepper and a Console, and the test
clicks Next, types ``HELO test`` and presses Enter, as a student would. Screenshots
land in ``artifacts/screenshots/`` (stepper.png, console.png) for a look by eye.
"""

from __future__ import annotations

import time
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
    ("markdown", "# Stepper and Console\nWatch Bob's message travel, then talk SMTP yourself."),
    "from smtpsim.scenarios import load\n"
    "from smtpsim.widgets import Console, Stepper\n"
    "\n"
    "network = load('classic').run()",
    "stepper = Stepper(network)\nstepper",
    "console = Console('classic')\nconsole",
    "from smtpsim.trace import Delivered\n"
    "\n"
    "late = Stepper(network)  # the moment Alice's copy is delivered\n"
    "late.index = next(i for i, e in enumerate(late.steps) if isinstance(e, Delivered))\n"
    "late",
]


def _wait_for_change(read: Any, before: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.1)
    raise AssertionError(f"nothing changed within {timeout}s (still {before[:80]!r})")


def test_stepper_and_console_in_lab(
    jupyterlab: LabServer, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    notebook = write_notebook(tmp_path / "stepper-console.ipynb", CELLS)
    problems = run_notebook_in_lab(page, jupyterlab, notebook)
    assert problems == []
    panel = notebook_panel(page)

    # --- the Stepper: Next moves the transcript and the picture together
    first = panel.locator(".smtpsim-stepper").first
    transcript = first.locator(".smtpsim-stepper-transcript")
    image = first.locator(".smtpsim-stepper-topology svg")
    expect(transcript).to_be_visible()
    expect(image).to_be_visible()
    text_before = transcript.inner_text()
    src_before = image.inner_html()
    next_button = first.locator("button.smtpsim-stepper-next")
    for _ in range(6):
        next_button.click()
    _wait_for_change(transcript.inner_text, text_before)
    _wait_for_change(image.inner_html, src_before)
    expect(transcript).to_contain_text("S: 220")
    expect(first.locator(".smtpsim-stepper-status")).to_contain_text("step 7 of")
    first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save_screenshot(page, "stepper")

    # --- the Console: type a line, press Enter, read the reply and its meaning
    console_input = panel.locator(".smtpsim-console-input input")
    console_input.scroll_into_view_if_needed()
    console_input.fill("HELO test")
    console_input.press("Enter")
    output = panel.locator(".smtpsim-console-output")
    expect(output).to_contain_text("C: HELO test")
    expect(output).to_contain_text("S: 250")
    expect(output).to_contain_text("Requested action okay")
    expect(console_input).to_have_value("")
    console_input.fill("MAIL FROM:<student@example.org>")
    console_input.press("Enter")
    expect(output).to_contain_text("MAIL FROM:<student@example.org>")
    page.wait_for_timeout(300)
    save_screenshot(page, "console")

    # --- a Stepper placed at the delivery: the headers pane shows the Received chain
    late = panel.locator(".smtpsim-stepper").nth(1)
    late.scroll_into_view_if_needed()
    expect(late.locator(".smtpsim-stepper-headers")).to_contain_text("Received: from")
    expect(late.locator(".smtpsim-stepper-status")).to_contain_text("step")
    page.wait_for_timeout(300)
    save_screenshot(page, "stepper-delivered")

    assert collect_problems(page) == []
    assert "Error displaying widget" not in panel.inner_text()
