"""Every notebook runs top to bottom in the environment Binder would build.

The environment is made the way repo2docker makes it, from ``binder/`` alone: a
fresh venv, ``pip install -r binder/requirements.txt``, then ``binder/postBuild``
run from the repository root with the venv's ``bin`` first on ``PATH``. Then
ipykernel and nbclient are added if missing (repo2docker's base image has them),
and each ``notebooks/*.ipynb`` is executed with nbclient by ``run_notebooks.py``
(180 s per cell). A package a notebook imports but ``binder/requirements.txt``
forgets fails here, not in front of a class.

Slow (a few minutes on a cold pip cache); pip's cache makes reruns faster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BINDER_DIR = REPO_ROOT / "binder"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
RUNNER = Path(__file__).with_name("run_notebooks.py")
CELL_TIMEOUT = 180

pytestmark = pytest.mark.slow


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}: the Binder test would run nothing"


def _run(cmd: list[str], *, env: dict[str, str], cwd: Path, what: str, timeout: float) -> None:
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        pytest.fail(
            f"{what} failed (exit {result.returncode}): {' '.join(cmd)}\n"
            + "\n".join(output[-40:]),
            pytrace=False,
        )


def _venv_env(venv: Path, home: Path) -> dict[str, str]:
    """The environment of a shell in the venv, isolated from this one's Jupyter state."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "PIP_USER"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # Kernelspecs and config only from the venv: a user-level "python3" kernelspec
    # pointing at another interpreter must not be picked up.
    env["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")
    env["JUPYTER_CONFIG_DIR"] = str(home / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "jupyter-runtime")
    env["IPYTHONDIR"] = str(home / "ipython")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLCONFIGDIR"] = str(home / "matplotlib")
    return env


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(python, environment) of a venv built from binder/ as repo2docker would."""
    base = tmp_path_factory.mktemp("binder")
    venv = base / "venv"
    env = _venv_env(venv, base)
    started = time.monotonic()

    _run([sys.executable, "-m", "venv", str(venv)], env=env, cwd=base, what="venv", timeout=120)
    python = venv / "bin" / "python"
    _run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(BINDER_DIR / "requirements.txt")],
        env=env,
        cwd=REPO_ROOT,
        what="pip install -r binder/requirements.txt",
        timeout=900,
    )
    post_build = BINDER_DIR / "postBuild"
    if post_build.exists():
        assert os.access(post_build, os.X_OK), "binder/postBuild must be executable (chmod +x)"
        _run([str(post_build)], env=env, cwd=REPO_ROOT, what="binder/postBuild", timeout=300)
    probe = subprocess.run(
        [str(python), "-c", "import ipykernel, nbclient"], env=env, capture_output=True, check=False
    )
    if probe.returncode != 0:
        _run(
            [str(python), "-m", "pip", "install", "-q", "ipykernel", "nbclient"],
            env=env,
            cwd=REPO_ROOT,
            what="pip install ipykernel nbclient",
            timeout=300,
        )
    print(f"binder venv built in {time.monotonic() - started:.0f}s at {venv}")
    return python, env


@pytest.mark.timeout(1800)  # the first one also builds the venv
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_binder_env(
    binder_env: tuple[Path, dict[str, str]], notebook: Path
) -> None:
    python, env = binder_env
    result = subprocess.run(
        [str(python), str(RUNNER), "--timeout", str(CELL_TIMEOUT), str(notebook)],
        cwd=notebook.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    reports = []
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            reports.append(json.loads(line))
    kernelspec = next((r for r in reports if "kernelspec" in r), None)
    runs = [r for r in reports if "notebook" in r]
    if not runs:
        pytest.fail(
            f"the notebook runner gave no report (exit {result.returncode}):\n"
            + (result.stdout + result.stderr)[-4000:],
            pytrace=False,
        )
    report = runs[0]
    assert kernelspec is not None
    assert str(kernelspec["kernelspec"]).startswith(str(python.parent.parent)), kernelspec
    if not report["ok"]:
        pytest.fail(
            f"{report['notebook']} failed at cell {report['cell']} in the Binder environment:\n"
            f"--- cell source ---\n{report['source']}\n--- error ---\n{report['error']}",
            pytrace=False,
        )
