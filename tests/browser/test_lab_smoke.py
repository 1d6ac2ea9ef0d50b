"""Smoke tests of the browser harness: JupyterLab + ipywidgets in headless Chromium.

They prove the pieces the real notebook tests stand on: Lab starts, a notebook runs
top to bottom, widgets render and react to a click, and the problem detector does
see errors (so an empty list means something).
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

pytestmark = pytest.mark.browser

WIDGET_CELLS = [
    ("markdown", "# Harness smoke test\nA slider, a button and an output area."),
    "import ipywidgets as widgets\n"
    "slider = widgets.IntSlider(value=3, min=0, max=10, description='Hops')\n"
    "button = widgets.Button(description='Say hello')\n"
    "out = widgets.Output()\n"
    "\n"
    "def on_click(_):\n"
    "    with out:\n"
    "        print(f'hello from the button, hops={slider.value}')\n"
    "\n"
    "button.on_click(on_click)\n"
    "widgets.VBox([slider, button, out])",
    "",  # an empty cell is never executed, and that is fine
    "print('last cell ran')",
]


def test_widgets_run_and_react_to_a_click(
    jupyterlab: LabServer, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    notebook = write_notebook(tmp_path / "smoke-widgets.ipynb", WIDGET_CELLS)

    problems = run_notebook_in_lab(page, jupyterlab, notebook)
    assert problems == []

    panel = notebook_panel(page)
    outputs = panel.locator(".jp-OutputArea-output")
    expect(outputs.get_by_text("last cell ran")).to_be_visible()
    expect(panel.locator(".widget-slider")).to_be_visible()
    panel.get_by_role("button", name="Say hello").click()
    expect(outputs.get_by_text("hello from the button, hops=3")).to_be_visible()

    assert collect_problems(page) == []
    assert "Error displaying widget" not in panel.inner_text()
    shot = save_screenshot(page, "lab-smoke-widgets")
    assert shot.stat().st_size > 0


def test_harness_reports_errors_and_unexecuted_cells(
    jupyterlab: LabServer, browser_page: Any, tmp_path: Path
) -> None:
    notebook = write_notebook(
        tmp_path / "smoke-error.ipynb", ["x = 1", "1 / 0", "print('never reached')"]
    )
    problems = run_notebook_in_lab(browser_page, jupyterlab, notebook)
    assert len(problems) == 2, problems
    assert problems[0].startswith('cell 2 ("1 / 0"): ZeroDivisionError')
    assert problems[1] == "cell 3 was not executed"


def test_harness_reports_widget_errors(
    jupyterlab: LabServer, browser_page: Any, tmp_path: Path
) -> None:
    # Cell 1: a widget view whose model the kernel does not have; Lab shows "Error
    # displaying widget: model not found". Cell 2: a button whose callback raises
    # inside an Output widget, which shows the traceback. Both must be reported.
    view = {"model_id": "0123456789abcdef0123456789abcdef", "version_major": 2, "version_minor": 0}
    notebook = write_notebook(
        tmp_path / "smoke-widget-errors.ipynb",
        [
            "from IPython.display import display\n"
            f"display({{'application/vnd.jupyter.widget-view+json': {view!r}}}, raw=True)",
            "import ipywidgets as widgets\n"
            "out = widgets.Output()\n"
            "button = widgets.Button(description='Break')\n"
            "\n"
            "def on_click(_):\n"
            "    with out:\n"
            "        raise KeyError('no such mailbox')\n"
            "\n"
            "button.on_click(on_click)\n"
            "widgets.VBox([button, out])",
        ],
    )
    problems = run_notebook_in_lab(browser_page, jupyterlab, notebook)
    panel = notebook_panel(browser_page)
    expect(panel.get_by_text("Error displaying widget")).to_be_visible()
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        'cell 1 ("from IPython.display import display"): Error displaying'
    )

    panel.get_by_role("button", name="Break").click()
    expect(panel.locator(".widget-output").get_by_text("no such mailbox").first).to_be_visible()
    problems = collect_problems(browser_page)
    assert len(problems) == 2, problems
    assert problems[1].startswith('cell 2 ("import ipywidgets as widgets"): traceback on stderr')
    assert "KeyError" in problems[1]
