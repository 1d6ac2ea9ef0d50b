"""Execute notebooks top to bottom with nbclient and print one JSON report per line.

Run by ``test_binder_env.py`` with the Python of the venv built from ``binder/``:

    python run_notebooks.py [--timeout SECONDS] NOTEBOOK...

Each notebook runs in its own folder (as Binder runs it), in a fresh ``python3``
kernel; a report names the failing cell (1-based) and the error. Exit status 0
only if every notebook ran without an error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path


def run_one(path: Path, timeout: int) -> dict[str, object]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    current = {"index": -1}

    def on_cell_start(cell: object, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=on_cell_start,
    )
    started = time.monotonic()
    report: dict[str, object] = {"notebook": path.name, "ok": True}
    try:
        client.execute()
    except Exception as exc:  # CellExecutionError, CellTimeoutError, DeadKernelError, ...
        index = current["index"]
        source = nb.cells[index].source if 0 <= index < len(nb.cells) else ""
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # no terminal colours
        report.update(
            ok=False,
            cell=index + 1,
            source="\n".join(source.splitlines()[:5]),
            error=f"{type(exc).__name__}: {text[-3000:]}",
        )
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=180, help="seconds per cell")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()

    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    print(json.dumps({"kernelspec": spec.resource_dir, "argv": spec.argv}), flush=True)

    ok = True
    for path in args.notebooks:
        report = run_one(path.resolve(), args.timeout)
        ok = ok and bool(report["ok"])
        print(json.dumps(report), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
