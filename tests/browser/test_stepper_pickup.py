"""The pull half in the Stepper, in a real JupyterLab at 1024×768 (a projector's size).

The classic scenario ends with Alice's mail program fetching her copy with POP3. A
student turns the four other filters off, so that only "POP3 & IMAP" is left, and
steps with Next: first to the server's answer to ``USER``, then to its answer to
``RETR``. At each, what the answer means must be on screen under the dialog: inside
the viewport, not covered, not cut off by its pane.

Screenshots (``artifacts/screenshots/stepper-pop3-1024x768*.png``) show the RETR
answer with its explanation, and the picture at that step.
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

from smtpsim.pop3 import explain_response
from smtpsim.scenarios import load
from smtpsim.trace import Fetched, ImapLine, Pop3Line, Removed

pytestmark = pytest.mark.browser

CELLS = [
    ("markdown", "# Alice picks her mail up"),
    "from smtpsim.scenarios import load\n"
    "from smtpsim.widgets import Stepper\n"
    "\n"
    "stepper = Stepper(load('classic').run())\n"
    "stepper",
]

#: The filters a student turns off, to see only the POP3 and IMAP steps.
OTHERS = ("smtp", "dns", "queue", "delivery")

# Where an element is, whether it is the element seen at its own centre (nothing
# covers it, no pane clips it away) and whether its text fits its box.
_JS_SEEN = """el => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height,
          vw: window.innerWidth, vh: window.innerHeight,
          onTop: !!hit && (hit === el || el.contains(hit)),
          fits: el.scrollWidth <= el.clientWidth + 1, text: el.innerText.trim()};
}"""


def pickup_steps() -> list[Any]:
    """What the Stepper steps over with only "POP3 & IMAP" on: the retrieval lines and
    what they did to the mailbox, in trace order (the scenario is deterministic, so this
    run and the notebook's are the same)."""
    return [e for e in load("classic").run().trace
            if isinstance(e, (Pop3Line, ImapLine, Fetched, Removed))]


def answer_to(steps: list[Any], command: str) -> tuple[int, str]:
    """The index of the server's status line (``+OK``/``-ERR``) that answers the first
    client line starting with ``command``, and that line."""
    asked = next(i for i, e in enumerate(steps)
                 if isinstance(e, Pop3Line) and e.dir == "C" and e.line.startswith(command))
    i = next(i for i in range(asked + 1, len(steps))
             if isinstance(steps[i], Pop3Line) and steps[i].line.startswith(("+OK", "-ERR")))
    return i, steps[i].line


def assert_seen(locator: Any, what: str) -> dict[str, Any]:
    """``locator`` is in the viewport, on top, its text not cut off."""
    locator.scroll_into_view_if_needed()
    seen = locator.evaluate(_JS_SEEN)
    assert seen["height"] > 0 and seen["onTop"] and seen["fits"], (what, seen)
    assert seen["left"] >= 0 and seen["right"] <= seen["vw"], (what, seen)
    assert seen["top"] >= 0 and seen["bottom"] <= seen["vh"], (what, seen)
    return dict(seen)


def test_a_pop3_answer_and_its_meaning_are_on_screen(
    jupyterlab: LabServer, projector_page: Any, tmp_path: Path
) -> None:
    page = projector_page
    steps = pickup_steps()
    user_at, user_answer = answer_to(steps, "USER ")
    retr_at, retr_answer = answer_to(steps, "RETR ")
    assert user_at < retr_at and re.fullmatch(r"\+OK \d+ octets", retr_answer), retr_answer

    notebook = write_notebook(tmp_path / "stepper-pickup.ipynb", CELLS)
    assert run_notebook_in_lab(page, jupyterlab, notebook) == []
    expect(page.locator(".jp-FileBrowser").first).to_be_visible()  # the narrow case
    stepper = notebook_panel(page).locator(".smtpsim-stepper").first
    status = stepper.locator(".smtpsim-stepper-status")
    transcript = stepper.locator(".smtpsim-stepper-transcript")

    # Only "POP3 & IMAP" left on: the steps are the pickup's, from its first line.
    for kind in OTHERS:
        stepper.locator(f"button.smtpsim-stepper-filter-{kind}").click()
    expect(status).to_contain_text(f"step 1 of {len(steps)}")
    expect(transcript).to_contain_text("POP3 dialog: alice-laptop → pop.example.com")

    at = 0
    for target, answer, command in ((user_at, user_answer, "USER"),
                                    (retr_at, retr_answer, "RETR")):
        for _ in range(target - at):
            stepper.locator("button.smtpsim-stepper-next").click()
        at = target
        expect(status).to_contain_text(f"step {target + 1} of {len(steps)}")
        current = transcript.locator(".smtpsim-current")
        expect(current).to_have_text(f"S: {answer}")
        meaning = explain_response(answer, command)
        assert meaning, f"no explanation of {answer!r} to {command}"
        explanation = transcript.locator(".smtpsim-explain")
        expect(explanation).to_have_text(f"this answer {answer.split()[0]}: {meaning}")
        assert_seen(current, f"the answer to {command}")
        assert_seen(explanation, f"the meaning of the answer to {command}")

    page.wait_for_timeout(300)
    save_screenshot(page, "stepper-pop3-1024x768")
    stepper.locator(".smtpsim-stepper-picture-pane").scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # the travelling answer's animation ends
    save_screenshot(page, "stepper-pop3-1024x768-picture")
    assert collect_problems(page) == []
