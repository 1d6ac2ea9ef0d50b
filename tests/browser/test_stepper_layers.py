"""The Stepper's layers pane in a real JupyterLab at 1024×768: press "packets", step to
the 354 reply of the failover scenario, and the packet is on screen layer by layer.

Screenshot: ``artifacts/screenshots/stepper-layers-1024x768.png``.
"""

from __future__ import annotations

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
from test_stepper_pickup import assert_seen

pytestmark = pytest.mark.browser

CELLS = [
    ("markdown", "# The packets of a failover"),
    "import smtpsim\n"
    "\n"
    "stepper = smtpsim.Stepper(smtpsim.load('mx-failover').run())\n"
    "stepper.index = next(i for i, e in enumerate(stepper.steps)\n"
    "                     if getattr(e, 'line', '').startswith('354'))\n"
    "stepper",
]


def test_the_layers_of_the_354_packet_are_on_screen(
    jupyterlab: LabServer, projector_page: Any, tmp_path: Path
) -> None:
    page = projector_page
    notebook = write_notebook(tmp_path / "stepper-layers.ipynb", CELLS)
    assert run_notebook_in_lab(page, jupyterlab, notebook) == []
    stepper = notebook_panel(page).locator(".smtpsim-stepper").first
    pane = stepper.locator(".smtpsim-stepper-layers-pane")
    expect(pane).to_be_hidden()
    stepper.locator("button.smtpsim-stepper-layers-toggle").click()
    expect(pane).to_be_visible()
    layers = stepper.locator(".smtpsim-stepper-layers")
    expect(layers).to_contain_text("network: IPv4")
    expect(layers).to_contain_text("transport: TCP")
    expect(layers).to_contain_text("application: SMTP")
    expect(layers).to_contain_text("354 End data with <CR><LF>.<CR><LF>")
    for layer in layers.locator(".smtpsim-layer").all():
        assert_seen(layer, "a layer of the packet")
    page.wait_for_timeout(300)
    save_screenshot(page, "stepper-layers-1024x768")
    assert collect_problems(page) == []
