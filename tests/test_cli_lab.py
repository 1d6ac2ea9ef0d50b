"""`smtpsim lab`: options passed through, root detected, notebook 00 opened and printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from smtpsim import cli

ROOT = Path(__file__).resolve().parents[1]


def test_options_after_the_separator_go_to_jupyterlab(capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli, "_running_as_root", lambda: False)
    assert cli.main(["lab", "--print-only", "--no-browser", "--", "--port", "9999",
                     "--ServerApp.ip=127.0.0.1"]) == 0
    cmd = capsys.readouterr().out.split()
    assert cmd[cmd.index("--port") + 1] == "9999" and "--ServerApp.ip=127.0.0.1" in cmd
    assert "--" not in cmd and "--allow-root" not in cmd
    assert cmd[-1] == "--LabApp.default_url=/lab/tree/00-start-here.ipynb"


def test_root_gets_allow_root_with_a_note(capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli, "_running_as_root", lambda: True)
    assert cli.main(["lab", "--print-only"]) == 0
    out, err = capsys.readouterr()
    assert out.split().count("--allow-root") == 1
    assert err.strip() == "smtpsim lab: running as root, so --allow-root is passed to JupyterLab"
    # given by the user already: not twice
    assert cli.main(["lab", "--print-only", "--", "--allow-root"]) == 0
    assert capsys.readouterr().out.split().count("--allow-root") == 1


def test_lab_really_starts_here_and_prints_notebook_00(tmp_path) -> None:
    """Start the real JupyterLab (as whoever runs the tests, root in CI) on a free port
    of 127.0.0.1 and read the URL it prints: notebook 00, not the Launcher."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(tmp_path),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpsim", "lab", "--no-browser", "--",
         "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.open_browser=False"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    seen: list[str] = []
    url = re.compile(r"http://127\.0\.0\.1:\d+/lab/tree/00-start-here\.ipynb\?token=")
    reader = threading.Thread(target=lambda: seen.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any(url.search(line) for line in list(seen)):
            if time.monotonic() > deadline or proc.poll() is not None:
                time.sleep(0.5)  # let the reader catch the last lines
                pytest.fail(f"no URL of notebook 00 (exit {proc.poll()}):\n" + "".join(seen))
            time.sleep(0.2)
        text = "".join(seen)
        assert proc.poll() is None, f"smtpsim lab exited {proc.returncode}:\n{text}"
        assert "/lab/tree/00-start-here.ipynb?token=" in text, text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
