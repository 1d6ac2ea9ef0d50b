"""Every ready scenario's run, byte for byte as recorded (``tests/golden/make_golden.py``).

The golden files were written by the commit that started the plain-engine redesign, so
this test is how the redesign (and any later refactor) shows it changed no behaviour:
the transcripts, the summaries and the JSON Lines trace of every scenario, with its own
seed and another. An intended change of output regenerates them in a commit of its own
that says why.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.util
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
assert _spec is not None and _spec.loader is not None
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)

CASES = make_golden.cases()


def test_every_case_has_a_golden_file_and_every_file_a_case():
    files = {p.name.removesuffix(".gz") for p in GOLDEN.glob("*.gz")}
    assert files == {name for name, _ in CASES}


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_output_is_byte_for_byte_the_golden_one(name: str, args: list[str]):
    expected = gzip.decompress((GOLDEN / f"{name}.gz").read_bytes())
    got = make_golden.run(args)
    if got != expected:
        diff = difflib.unified_diff(
            expected.decode("utf-8", "replace").splitlines(),
            got.decode("utf-8", "replace").splitlines(),
            "golden", "now", n=2, lineterm="")
        pytest.fail(f"smtpsim {' '.join(args)} changed:\n" + "\n".join(list(diff)[:60]))
