"""Drive a real JupyterLab in Debian's headless Chromium, as a student would.

The pieces, from the bottom up:

``start_lab(root_dir)`` / ``LabServer.stop()``
    Start ``python -m jupyter lab`` on a free loopback port with a random token,
    isolated from the user's Jupyter config and Lab settings, and stop it again.
    The ``jupyterlab`` fixture in ``conftest.py`` does this once per session.

``launch_chromium(playwright)``
    Debian's ``/usr/bin/chromium`` through Playwright's sync API (Playwright never
    downloads a browser here). The ``browser_page`` fixture gives each test a page.

``write_notebook(path, cells)``
    Write a small clean notebook (code cells from strings) for a test.

``run_notebook_in_lab(page, lab, notebook_path) -> list[str]``
    Copy the notebook into the Lab root, open it, wait for an idle kernel, click
    Run > Run All Cells, wait until every cell has finished, and return every
    problem a student would see (error outputs, tracebacks on stderr, "Error
    displaying widget"). An empty list means the notebook ran cleanly.

    It is built from ``open_notebook``, ``run_all_cells`` and ``collect_problems``,
    which a test can also call one by one, e.g. to click a widget after running
    and then check again that nothing went wrong::

        @pytest.mark.browser
        def test_stepper(jupyterlab, browser_page):
            page = browser_page
            problems = run_notebook_in_lab(page, jupyterlab, REPO_ROOT / "notebooks/01-x.ipynb")
            assert problems == []
            panel = notebook_panel(page)
            panel.get_by_role("button", name="Next").click()
            expect(panel.get_by_text("250 OK")).to_be_visible()
            assert collect_problems(page) == []
            save_screenshot(page, "stepper-after-next")

``save_screenshot(page, name)``
    Save a PNG into ``artifacts/screenshots/`` (git-ignored) and return its path.

The Lab started here has windowing turned off (every cell is in the DOM, so the
DOM scans see all of them), news and update checks off, and
``window.jupyterapp`` exposed (``--LabApp.expose_app_in_browser``), which the
helpers use to read the kernel status and the cells' model precisely.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"

#: Debian's Chromium (apt package ``chromium``); Playwright's own browsers are never used.
#: ``SMTPSIM_CHROMIUM`` may name another Chromium binary.
CHROMIUM_PATH = Path(os.environ.get("SMTPSIM_CHROMIUM", "/usr/bin/chromium"))
#: Flags for a root user on a machine whose network reaches nothing but loopback.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: Lab user settings written into the isolated settings dir (plugin id -> settings).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # Render every cell, so DOM scans see the whole notebook.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No "would you like news?" toast, no update check (no network here anyway).
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

ERROR_WIDGET_TEXT = "Error displaying widget"


# --------------------------------------------------------------------------- JupyterLab server


@dataclass
class LabServer:
    """A running JupyterLab server started by :func:`start_lab`."""

    base_url: str  #: e.g. ``http://127.0.0.1:41234/`` (always ends with ``/``)
    token: str  #: the auth token; :meth:`url` appends it
    root_dir: Path  #: the folder Lab serves; notebooks are opened relative to it
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)
    startup_seconds: float = 0.0  #: from spawn to the first answer of ``/api/status``

    def url(self, path: str = "lab", **query: str) -> str:
        """Absolute URL of ``path`` under the server, carrying the token."""
        q = urllib.parse.urlencode({**query, "token": self.token})
        return f"{self.base_url}{path.lstrip('/')}?{q}"

    def notebook_url(self, name: str, *, reset_workspace: bool = True) -> str:
        """URL that opens ``name`` (relative to :attr:`root_dir`) in Lab.

        ``reset_workspace`` adds ``?reset`` so tabs from earlier tests are not restored.
        """
        path = "lab/tree/" + urllib.parse.quote(name)
        url = self.url(path)
        return url.replace("?", "?reset&", 1) if reset_workspace else url

    def api(self, method: str, path: str, timeout: float = 10.0) -> Any:
        """Call the server's REST API (``path`` like ``api/sessions``); return parsed JSON."""
        req = urllib.request.Request(
            self.base_url + path.lstrip("/"),
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log (stdout and stderr)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """Shut the server and its kernels down: REST shutdown, then SIGTERM, then SIGKILL."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError):
                self.api("POST", "api/shutdown", timeout=5)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGTERM)
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    _signal_group(self.process, signal.SIGKILL)
                    self.process.wait(timeout=5)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lab_command(python: str, port: int, token: str, root_dir: Path) -> list[str]:
    """The command line that starts JupyterLab (jupyter_server 2.x flag names)."""
    return [
        python,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # fail rather than silently take another port
        f"--IdentityProvider.token={token}",  # ServerApp.token is deprecated since 2.0
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.allow_root=True",  # CI runs as root
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, for the helpers
    ]


def start_lab(
    root_dir: Path,
    *,
    state_dir: Path | None = None,
    python: str = sys.executable,
    timeout: float = 90.0,
) -> LabServer:
    """Start JupyterLab serving ``root_dir`` and wait until it answers.

    ``state_dir`` (default: a sibling of ``root_dir``) holds the isolated Jupyter
    config, runtime, Lab settings and workspaces, the IPython dir and the log.
    The kernel's ``PYTHONPATH`` starts with the repository, so notebooks import
    this checkout's ``smtpsim``.
    """
    root_dir = Path(root_dir).resolve()
    root_dir.mkdir(parents=True, exist_ok=True)
    state_dir = Path(state_dir) if state_dir else root_dir.with_name(root_dir.name + "-state")
    for sub in ("config", "runtime", "settings", "workspaces", "ipython"):
        (state_dir / sub).mkdir(parents=True, exist_ok=True)
    for plugin, settings in LAB_SETTINGS.items():
        target = state_dir / "settings" / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))

    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state_dir / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
        IPYTHONDIR=str(state_dir / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
    )

    last_error = ""
    for _attempt in range(3):  # a port taken between free_port() and bind: try another
        port, token = free_port(), secrets.token_hex(16)
        log_path = state_dir / f"lab-{port}.log"
        started = time.monotonic()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                lab_command(python, port, token, root_dir),
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        lab = LabServer(f"http://127.0.0.1:{port}/", token, root_dir, proc, log_path)
        if _wait_until_answering(lab, started + timeout):
            lab.startup_seconds = time.monotonic() - started
            return lab
        last_error = lab.log_tail()
        lab.stop()
    raise RuntimeError(f"JupyterLab did not start; last log lines:\n{last_error}")


def _wait_until_answering(lab: LabServer, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            return False
        try:
            lab.api("GET", "api/status", timeout=2)
            return True
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.2)
    return False


# --------------------------------------------------------------------------- browser


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """Launch Debian's Chromium headless through a Playwright (sync) instance."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM_PATH),
        args=list(CHROMIUM_ARGS),
        headless=True,
        **kwargs,
    )


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of ``page`` as ``artifacts/screenshots/<name>.png``; return the path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "screenshot"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# --------------------------------------------------------------------------- notebooks


def write_notebook(path: Path, cells: Iterable[str | tuple[str, str]]) -> Path:
    """Write a clean notebook with the python3 kernelspec.

    Each item of ``cells`` is code source, or ``("markdown", text)`` / ``("code", src)``.
    """
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        kind, source = ("code", cell) if isinstance(cell, str) else cell
        maker = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(maker(source))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# JS run in the page. ``name`` is the notebook's path relative to the Lab root, or
# null for the current widget. Requires window.jupyterapp (expose_app_in_browser).
_JS_FIND = """
function findPanel(name) {
  const app = window.jupyterapp;
  if (!app) throw new Error('no window.jupyterapp: start Lab with expose_app_in_browser');
  if (name === null) return app.shell.currentWidget;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === name && w.content && w.content.model) return w;
  }
  return null;
}
"""

_JS_STATE = (
    """
(name) => {"""
    + _JS_FIND
    + """
  const w = findPanel(name);
  if (!w || !w.sessionContext) return {found: false};
  const sc = w.sessionContext;
  const kernel = sc.session && sc.session.kernel;
  const cells = [];
  const model = w.content.model;
  if (model) {
    for (let i = 0; i < model.cells.length; i++) {
      const c = model.cells.get(i);
      cells.push({
        type: c.type,
        count: c.type === 'code' ? c.executionCount : null,
        state: c.type === 'code' ? (c.executionState || null) : null,
        empty: c.sharedModel.getSource().trim() === '',
      });
    }
  }
  const prompts = Array.from(w.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
    .map(e => e.textContent.trim());
  // An output whose renderer has not produced anything yet: a widget view shows
  // "Loading widget..." until the widget manager has the model, then the widget
  // or "Error displaying widget".
  const pending = Array.from(w.node.querySelectorAll('.jp-OutputArea-output'))
    .filter(e => {
      const text = (e.textContent || '').trim();
      return (!e.firstElementChild && !text) || text === 'Loading widget...';
    }).length;
  return {found: true, id: w.id, ready: sc.isReady, kernel: kernel ? kernel.status : null,
          cells: cells, prompts: prompts, pendingOutputs: pending};
}
"""
)

_JS_PROBLEMS = (
    """
([name, widgetErrorText]) => {"""
    + _JS_FIND
    + """
  const w = findPanel(name);
  if (!w) return ['notebook ' + name + ' is not open in Lab'];
  const problems = [];
  const model = w.content.model;
  const domCells = Array.from(w.node.querySelectorAll('.jp-Notebook .jp-Cell'));
  for (let i = 0; i < model.cells.length; i++) {
    const c = model.cells.get(i);
    const src = c.sharedModel.getSource().trim().split('\\n')[0].slice(0, 60);
    const where = 'cell ' + (i + 1) + ' (' + JSON.stringify(src) + ')';
    let modelError = false;
    if (c.type === 'code') {
      for (let j = 0; j < c.outputs.length; j++) {
        const out = c.outputs.get(j).toJSON();
        if (out.output_type === 'error') {
          modelError = true;
          problems.push(where + ': ' + out.ename + ': ' + out.evalue);
        }
      }
    }
    const node = domCells[i];
    if (!node) continue;
    if (!modelError) {
      for (const e of node.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')) {
        const text = e.textContent || '';
        if (text.includes('Traceback')) {
          const lines = text.trim().split('\\n');
          problems.push(where + ': traceback on stderr: ' + lines[lines.length - 1].slice(0, 200));
        }
      }
    }
    const outputs = node.querySelector('.jp-Cell-outputWrapper');
    if (outputs && (outputs.textContent || '').includes(widgetErrorText)) {
      const m = outputs.textContent.match(new RegExp(widgetErrorText + '[^\\n]{0,120}'));
      problems.push(where + ': ' + (m ? m[0] : widgetErrorText));
    }
  }
  return problems;
}
"""
)


def notebook_state(page: Any, name: str | None = None) -> dict[str, Any]:
    """Kernel status, per-cell model state and DOM prompts of an open notebook."""
    return dict(page.evaluate(_JS_STATE, name))


def notebook_panel(page: Any, name: str | None = None) -> Any:
    """A Playwright Locator for the open notebook's panel (``name`` or the current one).

    Scope clicks and text queries to it: ``notebook_panel(page).get_by_role("button", ...)``.
    """
    state = notebook_state(page, name)
    if not state.get("found"):
        raise LookupError(f"notebook {name!r} is not open in Lab")
    return page.locator(f'[id="{state["id"]}"]')


def open_notebook(
    page: Any,
    lab: LabServer,
    notebook_path: Path | str,
    *,
    name: str | None = None,
    timeout: float = 120.0,
) -> str:
    """Open a notebook in Lab and wait until its kernel is idle; return its Lab path.

    A notebook outside ``lab.root_dir`` is first copied there (as ``name``, default
    its file name), so Lab's autosave never writes outputs into the repository.
    """
    src = Path(notebook_path).resolve()
    root = lab.root_dir.resolve()
    if src.is_relative_to(root) and name is None:
        rel = src.relative_to(root).as_posix()
    else:
        rel = name or src.name
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest != src:
            shutil.copyfile(src, dest)
    page.goto(lab.notebook_url(rel))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=timeout * 1000)
    wait_for_kernel_idle(page, rel, timeout=timeout)
    return rel


def wait_for_kernel_idle(page: Any, name: str | None = None, *, timeout: float = 120.0) -> None:
    """Wait until the notebook's kernel is connected and idle (raise TimeoutError if not)."""
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = notebook_state(page, name)
        if state.get("found") and state.get("ready") and state.get("kernel") == "idle":
            return
        if state.get("kernel") == "dead":
            raise RuntimeError(f"kernel of {name!r} died")
        time.sleep(0.25)
    raise TimeoutError(f"kernel of {name!r} not idle after {timeout:.0f}s: {state}")


def run_all_cells(
    page: Any, name: str | None = None, *, timeout: float = 300.0, settle: float = 0.5
) -> list[str]:
    """Click Run > Run All Cells and wait until no cell is queued or running.

    Returns problems about the run itself (a time-out, a dead kernel, cells left
    unexecuted); cell errors are found by :func:`collect_problems`. JupyterLab stops
    a Run All at the first error; the cells after it are reported as not executed.
    Then it waits for outputs to render (see :func:`wait_for_outputs_rendered`) and
    ``settle`` seconds more.
    """
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    deadline = time.monotonic() + timeout
    stable = 0
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = notebook_state(page, name)
        if state.get("kernel") == "dead":
            return [f"the kernel died while running {name!r}"]
        busy = any(c["state"] == "running" for c in state.get("cells", [])) or any(
            p.startswith("[*]") for p in state.get("prompts", [])
        )
        stable = stable + 1 if (not busy and state.get("kernel") == "idle") else 0
        if stable >= 3:  # idle for three polls in a row, not between two cells
            break
        time.sleep(0.25)
    else:
        running = [i + 1 for i, p in enumerate(state.get("prompts", [])) if p.startswith("[*]")]
        return [f"timed out after {timeout:.0f}s; code cells still queued/running: {running}"]

    wait_for_outputs_rendered(page, name)
    time.sleep(settle)
    problems = []
    for i, cell in enumerate(state.get("cells", [])):
        if cell["type"] == "code" and not cell["empty"] and cell["count"] is None:
            problems.append(f"cell {i + 1} was not executed")
    return problems


def wait_for_outputs_rendered(page: Any, name: str | None = None, *, timeout: float = 15.0) -> int:
    """Wait until no output is blank or "Loading widget..."; return how many still are.

    A widget view shows "Loading widget..." until the notebook's widget manager has
    synced with the kernel (seen: two seconds after the cell finished), and only then
    the widget or "Error displaying widget". An output that is legitimately empty
    (``display(HTML(""))``) just costs ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    pending = 0
    while time.monotonic() < deadline:
        pending = int(notebook_state(page, name).get("pendingOutputs", 0))
        if pending == 0:
            break
        time.sleep(0.2)
    return pending


def collect_problems(page: Any, name: str | None = None) -> list[str]:
    """Everything wrong a student would see in the notebook right now.

    Error outputs (``ename: evalue``), tracebacks shown on stderr (also inside
    Output widgets) and "Error displaying widget", each prefixed with the cell's
    1-based number and first line.
    """
    return list(page.evaluate(_JS_PROBLEMS, [name, ERROR_WIDGET_TEXT]))


def run_notebook_in_lab(
    page: Any,
    lab: LabServer,
    notebook_path: Path | str,
    *,
    name: str | None = None,
    timeout: float = 300.0,
    settle: float = 0.5,
) -> list[str]:
    """Open ``notebook_path`` in Lab, run all cells, and return the problems found.

    An empty list means every code cell ran and nothing shows an error. The
    notebook stays open, so the test can go on clicking its widgets; pass the
    returned problems to ``assert problems == []`` for a readable failure.
    """
    rel = open_notebook(page, lab, notebook_path, name=name, timeout=min(timeout, 120.0))
    run_problems = run_all_cells(page, rel, timeout=timeout, settle=settle)
    return collect_problems(page, rel) + run_problems


__all__: Sequence[str] = (
    "CHROMIUM_ARGS",
    "CHROMIUM_PATH",
    "REPO_ROOT",
    "SCREENSHOT_DIR",
    "LabServer",
    "collect_problems",
    "free_port",
    "launch_chromium",
    "notebook_panel",
    "notebook_state",
    "open_notebook",
    "run_all_cells",
    "run_notebook_in_lab",
    "save_screenshot",
    "start_lab",
    "wait_for_kernel_idle",
    "wait_for_outputs_rendered",
    "write_notebook",
)
