"""The Console as a terminal in a real JupyterLab at a projector's 1024×768.

A student types a whole message: EHLO, MAIL, RCPT, DATA, three lines, a blank line
(Enter on the empty box) and the lone dot. After each line the dialog box must show
its newest line (``scrollTop + clientHeight >= scrollHeight - 2``), like a terminal.
Then the student picks mail up with POP3 in a console on a mailbox server (USER, PASS,
STAT, LIST, RETR, DELE, QUIT), and after New session finds the mailbox empty.
Then notebook 07 is run with Run All, as a class would, and its consoles must still be
open for typing. Screenshots: ``artifacts/screenshots/console-*.png``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from lab_harness import (
    REPO_ROOT,
    LabServer,
    collect_problems,
    notebook_panel,
    run_notebook_in_lab,
    save_screenshot,
    write_notebook,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1024, "height": 768}

CELLS = [
    ("markdown", "# Talk SMTP\nType at Alice's mail server."),
    "import smtpsim\n"
    "\n"
    "spec = smtpsim.load('cross-domain').to_dict()\n"
    "spec['messages'] = []\n"
    "console = smtpsim.Console(smtpsim.load(spec).build(), host='mx.example.com')\n"
    "console",
]

TYPED = ["EHLO student-pc", "MAIL FROM:<student@example.org>", "RCPT TO:<alice@example.com>",
         "DATA", "From: student@example.org", "To: alice@example.com",
         "Subject: typed in the browser", "", "."]

_AT_END = "(el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2"


def _wait_until(check: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_console_stays_scrolled_to_its_newest_line(
    jupyterlab: LabServer, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    page.set_viewport_size(PROJECTOR)
    notebook = write_notebook(tmp_path / "console-terminal.ipynb", CELLS)
    assert run_notebook_in_lab(page, jupyterlab, notebook) == []
    panel = notebook_panel(page)
    box = panel.locator(".smtpsim-console-output").first
    field = panel.locator(".smtpsim-console-input input").first
    field.scroll_into_view_if_needed()
    for button in ("Send", "blank line", "New session"):  # every control, with its label
        control = panel.get_by_role("button", name=button).first
        expect(control).to_be_visible()
        assert control.inner_text().strip() == button
    rows = 0
    for line in TYPED:
        field.click()
        field.fill(line)
        field.press("Enter")
        # the line arrived (a blank line is one more C: row), and the box is at its end
        _wait_until(lambda n=rows: box.locator(".smtpsim-line").count() > n, f"{line!r} shown")
        rows = box.locator(".smtpsim-line").count()
        expect(field).to_have_value("")
        _wait_until(lambda: box.evaluate(_AT_END), f"scrolled to the end after {line!r}")
        newest = box.locator(".smtpsim-line").last
        assert newest.is_visible()
    typed = [t.strip() for t in box.locator(".smtpsim-line").all_inner_texts()
             if t.startswith("C:")]
    assert typed == [f"C: {line}".strip() for line in TYPED]  # the blank line included
    assert "S: 250 2.0.0 Ok: queued as" in box.inner_text()
    # lines wrap between words, never inside one
    assert box.evaluate("(el) => [el, ...el.querySelectorAll('*')].filter(e => "
                        "getComputedStyle(e).wordBreak === 'break-all').length") == 0
    # the dialog really overflowed its box: the test above measured something
    assert box.evaluate("(el) => el.scrollHeight > el.clientHeight + 50")
    # one note per EHLO extension, and the code's meaning once per reply
    texts = box.locator(".smtpsim-explain").all_inner_texts()
    assert sum(t.startswith("PIPELINING:") for t in texts) == 1
    assert any(t.startswith("SIZE 10240000:") for t in texts)
    page.wait_for_timeout(300)
    save_screenshot(page, "console-terminal")
    expect(panel.get_by_role("button", name="Open m1 in Stepper")).to_be_enabled()

    # QUIT: a clear closed state, and New session connects again
    field.fill("QUIT")
    field.press("Enter")
    expect(box).to_contain_text("Connection closed")
    expect(field).to_be_disabled()
    _wait_until(lambda: box.evaluate(_AT_END), "scrolled to the closed banner")
    page.wait_for_timeout(300)
    save_screenshot(page, "console-terminal-closed")
    panel.get_by_role("button", name="New session").first.click()
    expect(field).to_be_enabled()
    _wait_until(lambda: box.evaluate(_AT_END), "scrolled to the new greeting")
    assert "new session" in box.locator(".smtpsim-console-sep").last.inner_text()
    assert collect_problems(page) == []


POP3_CELLS = [
    ("markdown", "# Pick your mail up\nType POP3 at Alice's mailbox server."),
    "import smtpsim\n"
    "\n"
    "spec = smtpsim.load('cross-domain').to_dict()\n"
    "spec['nodes'].append({'kind': 'mailbox_server', 'name': 'pop.example.com',\n"
    "                      'domain': 'example.com', 'accounts': [{'user': 'alice',\n"
    "                      'password': 'wonderland', 'mailbox': 'alice@example.com'}]})\n"
    "pop = smtpsim.Console(spec, protocol='POP3')  # run: Bob's message has arrived\n"
    "pop",
]

POP3_TYPED = ["USER alice", "PASS wonderland", "STAT", "LIST", "RETR 1", "DELE 1", "QUIT"]


def test_a_pop3_session_typed_in_the_browser(
    jupyterlab: LabServer, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    page.set_viewport_size(PROJECTOR)
    notebook = write_notebook(tmp_path / "console-pop3.ipynb", POP3_CELLS)
    assert run_notebook_in_lab(page, jupyterlab, notebook) == []
    panel = notebook_panel(page)
    box = panel.locator(".smtpsim-console-output").first
    field = panel.locator(".smtpsim-console-input input").first
    field.scroll_into_view_if_needed()
    expect(box).to_contain_text("telnet pop.example.com 110 (state: AUTHORIZATION)")
    expect(box).to_contain_text("S: +OK pop.example.com POP3 server ready")
    assert field.get_attribute("placeholder") == "type a command, e.g. USER alice"
    # POP3 has no message to type and none to follow: only Send and New session show
    for button in ("Send", "New session"):
        expect(panel.get_by_role("button", name=button).first).to_be_visible()
    for hidden in (".smtpsim-console-blank", ".smtpsim-console-open"):
        expect(panel.locator(hidden).first).to_be_hidden()
    for line in POP3_TYPED:
        field.click()
        field.fill(line)
        field.press("Enter")
        expect(box.locator(".smtpsim-line", has_text=f"C: {line}")).to_have_count(1)
        expect(field).to_have_value("")
        _wait_until(lambda: box.evaluate(_AT_END), f"scrolled to the end after {line!r}")
        if line == "RETR 1":
            page.wait_for_timeout(300)
            save_screenshot(page, "console-pop3-retr")
    text = box.inner_text()
    assert "S: +OK logged in as alice, 1 message" in text
    assert "S: Subject: Lunch on Friday?" in text and "S: Return-Path: <bob@example.org>" in text
    assert "(1 deleted, 0 left)" in text
    notes = box.locator(".smtpsim-explain").all_inner_texts()
    for meaning in ("Yes: the server is ready and waits for you to log in.",
                    "Yes: now send the password with PASS.",
                    "Yes: the maildrop holds 1 message",
                    "Yes: one line per message follows: its number and size in octets.",
                    "Yes: the message follows, dot-stuffed, ended by a lone dot.",
                    "Yes: the message is marked; it will be removed at QUIT.",
                    "Yes: goodbye; any marked messages have now been removed."):
        assert sum(n.startswith(meaning) for n in notes) == 1, meaning
    assert notes.count("The lone dot ends a multi-line response.") == 2  # LIST, RETR
    # the message's own lines carry no explanation: the next element is another line
    subject = box.locator(".smtpsim-line", has_text="S: Subject: Lunch on Friday?")
    assert subject.evaluate("(el) => el.nextElementSibling.className") == "smtpsim-line"
    # hovering over a typed command tells what it asks for
    dele = box.locator(".smtpsim-command", has_text="C: DELE 1")
    assert dele.get_attribute("title", timeout=5000).startswith("Marks a message for deletion")
    # +OK green, -ERR red in the page, and "1 <size>" (a LIST line) in the client's ink
    assert box.locator(".smtpsim-line", has_text="S: +OK 1 ").first.evaluate(
        "(el) => getComputedStyle(el).color") == "rgb(0, 158, 115)"
    expect(box).to_contain_text("Connection closed")
    expect(field).to_be_disabled()
    page.wait_for_timeout(300)
    save_screenshot(page, "console-pop3-closed")

    # a second session: the message deleted at QUIT is gone
    panel.get_by_role("button", name="New session").first.click()
    expect(field).to_be_enabled()
    for line in ("USER alice", "PASS wonderland"):
        field.fill(line)
        field.press("Enter")
        expect(field).to_have_value("")
    expect(box).to_contain_text("S: +OK logged in as alice, 0 messages (0 octets)")
    field.fill("RETR 1")
    field.press("Enter")
    expect(box).to_contain_text("S: -ERR no such message: the maildrop holds 0")
    assert box.locator(".smtpsim-explain").last.inner_text() == "No: the server refused RETR."
    _wait_until(lambda: box.evaluate(_AT_END), "scrolled to the refusal")
    assert collect_problems(page) == []


def test_run_all_of_notebook_07_leaves_its_consoles_open(
    jupyterlab: LabServer, browser_page: Any
) -> None:
    page = browser_page
    page.set_viewport_size(PROJECTOR)
    notebook = REPO_ROOT / "notebooks" / "07-talk-smtp-yourself.ipynb"
    assert run_notebook_in_lab(page, jupyterlab, notebook) == []
    panel = notebook_panel(page)
    field = panel.locator(".smtpsim-console-input input").first
    field.scroll_into_view_if_needed()
    expect(field).to_be_enabled()
    page.wait_for_timeout(300)
    save_screenshot(page, "console-07-after-run-all")
    field.fill("EHLO student-pc")
    field.press("Enter")
    box = panel.locator(".smtpsim-console-output").first
    expect(box).to_contain_text("C: EHLO student-pc")
    _wait_until(lambda: box.evaluate(_AT_END), "scrolled to the EHLO reply")
    # the POP3 console further down is open too, and the demo's message waits in it
    pop = panel.locator(".smtpsim-console", has_text="telnet pop.example.com 110")
    expect(pop).to_have_count(1)
    pop_field = pop.locator(".smtpsim-console-input input")
    pop_field.scroll_into_view_if_needed()
    expect(pop_field).to_be_enabled()
    for line in ("USER alice", "PASS wonderland"):
        pop_field.fill(line)
        pop_field.press("Enter")
        expect(pop_field).to_have_value("")
    expect(pop).to_contain_text("S: +OK logged in as alice, 1 message")
    assert collect_problems(page) == []
