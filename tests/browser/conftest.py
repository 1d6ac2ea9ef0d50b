"""Fixtures for the browser tests: a JupyterLab server and a headless Chromium page.

* ``jupyterlab`` (session): a :class:`lab_harness.LabServer` (``base_url``, ``token``,
  ``root_dir``, ``url()``, ``notebook_url()``, ``log_tail()``), stopped afterwards.
* ``browser_page`` (per test): a Playwright sync ``Page`` in Debian's Chromium, in a
  fresh browser context. On failure a screenshot lands in ``artifacts/screenshots/``
  and the browser console errors and the Lab log tail are printed.
* ``projector_page`` (per test): the same at 1024×768, a classroom projector's size.

Every test marked ``@pytest.mark.browser`` is skipped when ``/usr/bin/chromium`` (apt
package ``chromium``) or the ``playwright`` package is missing, and fails instead when
``SMTPSIM_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets it). ``SMTPSIM_CHROMIUM`` may name
another Chromium binary. The helpers to drive Lab are in
``lab_harness.py`` beside this file; import them with ``from lab_harness import ...``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from lab_harness import CHROMIUM_PATH, LabServer, launch_chromium, save_screenshot, start_lab

REQUIRE_ENV = "SMTPSIM_REQUIRE_BROWSER"
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_TIMINGS: dict[str, float] = {}


def _browser_unavailable() -> str | None:
    if not CHROMIUM_PATH.exists():
        return f"{CHROMIUM_PATH} is missing (Debian package: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed (pip install -e '.[test]')"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is None:
        return
    reason = _browser_unavailable()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 demands the browser tests run", pytrace=False)
    pytest.skip(f"no browser: {reason} (set {REQUIRE_ENV}=1 to fail instead)")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMINGS:
        parts = ", ".join(f"{k} {v:.1f}s" for k, v in _TIMINGS.items())
        terminalreporter.write_line(f"browser harness timings: {parts}")


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on 127.0.0.1 serving a fresh temporary folder."""
    base = tmp_path_factory.mktemp("jupyterlab")
    lab = start_lab(base / "root", state_dir=base / "state")
    _TIMINGS["JupyterLab start"] = lab.startup_seconds
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium, launched headless once per test module through Playwright.

    Module scope, not session: Playwright's sync API keeps an asyncio loop running in
    the main thread while it is open, and tests that call ``asyncio.run()`` later in
    the session (the socket bridge's) must find no loop running.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        started = time.monotonic()
        browser = launch_chromium(playwright)
        _TIMINGS["Chromium launch"] = time.monotonic() - started
        try:
            yield browser
        finally:
            browser.close()


def _page(chromium_browser: Any, request: pytest.FixtureRequest,
          viewport: dict[str, int]) -> Iterator[Any]:
    """A Playwright page (sync API) in a fresh context of ``viewport``; on failure, a
    screenshot, the browser console errors and the Lab log tail."""
    context = chromium_browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    console: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            console.append(f"console error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console.append(f"page error: {exc}"))
    try:
        yield page
    finally:
        report = request.node.stash.get(_REPORTS, {}).get("call")
        if report is not None and report.failed:
            try:
                path = save_screenshot(page, f"FAILED-{request.node.name}")
                print(f"\nscreenshot of the failure: {path}")
            except Exception as exc:  # the page may be gone; the report matters more
                print(f"\nno failure screenshot: {exc}")
            print("\n".join(console[-30:]) or "no browser console errors")
            lab = request.node.funcargs.get("jupyterlab")
            if isinstance(lab, LabServer):
                print(f"--- JupyterLab log tail ---\n{lab.log_tail()}")
        context.close()


@pytest.fixture
def browser_page(chromium_browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Playwright page (sync API) in a fresh context; screenshot saved if the test fails."""
    yield from _page(chromium_browser, request, {"width": 1400, "height": 1000})


@pytest.fixture
def projector_page(chromium_browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The same at 1024×768, the size of a classroom projector."""
    yield from _page(chromium_browser, request, {"width": 1024, "height": 768})
