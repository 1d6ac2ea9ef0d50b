"""Write the golden outputs of every ready scenario (run this only for an intended change).

For each scenario in the library, ``smtpsim run NAME`` is captured as text (every hop's
transcript and the summary) and as JSON Lines (the whole trace), with the scenario's own
seed and with ``--seed 3``, plus ``smtpsim demo``, ``smtpsim demo --explain`` and
``smtpsim list``. They are stored gzipped, one file each, and
``tests/test_golden_runs.py`` compares today's output with them byte for byte.

    python tests/golden/make_golden.py
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def cases() -> list[tuple[str, list[str]]]:
    """``(file name, smtpsim arguments)`` for every golden output."""
    from smtpsim.scenarios import library_names

    out: list[tuple[str, list[str]]] = [
        ("demo.txt", ["demo"]),
        ("demo-explain.txt", ["demo", "--explain"]),
        ("list.txt", ["list"]),
    ]
    for name in library_names():
        for seed in (None, 3):
            tail = [] if seed is None else ["--seed", str(seed)]
            stem = name if seed is None else f"{name}.seed{seed}"
            out.append((f"{stem}.txt", ["run", name, *tail]))
            out.append((f"{stem}.jsonl", ["run", name, "--format", "jsonl", *tail]))
    return out


def run(args: list[str]) -> bytes:
    """What ``smtpsim ARGS`` prints, as bytes (in a fresh interpreter, as a user runs it)."""
    done = subprocess.run([sys.executable, "-m", "smtpsim", *args], capture_output=True,
                          check=True)
    return done.stdout


def main() -> None:
    for name, args in cases():
        (HERE / f"{name}.gz").write_bytes(gzip.compress(run(args), mtime=0))
        print(name)


if __name__ == "__main__":
    main()
