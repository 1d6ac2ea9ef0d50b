"""Every course notebook is stored clean: valid nbformat 4, python3 kernel, no outputs.

Outputs in the repository go stale, bloat diffs and hide whether a notebook really
runs; the notebooks are executed by the tests instead (``test_binder_env.py`` and the
browser tests). Clear a notebook with
``jupyter nbconvert --clear-output --inplace notebooks/NAME.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}: the notebook tests would test nothing"


def stored_clean_problems(path: Path) -> list[str]:
    """What keeps the notebook at ``path`` from being stored clean (empty if nothing)."""
    try:
        nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # not JSON, or not a notebook at all
        return [f"cannot be read as a notebook: {exc}"]
    problems = []
    if nb.get("nbformat") != 4:
        problems.append(f"nbformat {nb.get('nbformat')}, not 4")
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"invalid nbformat: {exc.message}")
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"metadata.kernelspec.name is {kernel!r}, not 'python3'")
    if "widgets" in nb.get("metadata", {}):
        problems.append("metadata.widgets holds saved widget state (an output); remove it")
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {number} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {number} has execution_count {cell['execution_count']}")
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(notebook: Path) -> None:
    problems = stored_clean_problems(notebook)
    assert not problems, (
        f"{notebook.name} is not stored clean:\n  "
        + "\n  ".join(problems)
        + f"\nclear it: jupyter nbconvert --clear-output --inplace notebooks/{notebook.name}"
    )
