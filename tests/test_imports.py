"""The house rules of the layout, checked by reading every module's imports.

* No import circle: a student can read the package bottom-up (protocol, message and
  trace first, then sim, then the views) and never meets a module that needs one
  they have not read yet.
* No module imports another package's private (``_x``) module: each package's
  ``__init__`` says what it offers, and that is all its neighbours use.
* ``smtpsim._accel`` (the opt-in speed layer) is imported by no plain module.
* Tests use the public names of the package they do not test.

Imports are read with :mod:`ast`, so nothing is executed. Every import counts, also
one inside a function or under ``if TYPE_CHECKING:``: a late import that dodges a
circle at load time still means two modules that need each other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "smtpsim"
TESTS = ROOT / "tests"


def module_name(path: Path) -> str:
    """``smtpsim/sim/queue.py`` -> ``smtpsim.sim.queue``; a package's ``__init__`` is
    the package itself."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def imported(module: str, path: Path) -> set[str]:
    """The smtpsim modules ``module`` imports (a name imported from a package counts
    as its submodule when there is one by that name)."""
    is_package = path.name == "__init__.py"
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [(a.name, []) for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [(base, [a.name for a in node.names])]
        for base, names in targets:
            if not base.startswith("smtpsim"):
                continue
            subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            found.update(subs or [base])
            if len(subs) < len(names) and subs:
                found.add(base)
    found.discard(module)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` (as the list of modules around it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _package_of(module: str) -> str:
    """The first-level package a module belongs to (``smtpsim.sim.agents.mta`` ->
    ``smtpsim.sim``); the top-level modules (``smtpsim.cli``) are their own."""
    return ".".join(module.split(".")[:2])


def _private_part(module: str) -> str | None:
    """The innermost private package or module of ``module``'s path, if any."""
    parts = module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if parts[i].startswith("_") and not parts[i].startswith("__"):
            return ".".join(parts[:i])  # the package that owns the private part
    return None


def test_the_checker_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_checker_reads_relative_imports():
    pkg = PACKAGE / "sim" / "__init__.py"
    got = imported("smtpsim.sim", pkg)
    assert "smtpsim.sim.network" in got  # from .network import Network
    assert all(m.startswith("smtpsim") for m in got)


def test_no_import_circle_in_smtpsim():
    graph = {m: imported(m, p) & MODULES.keys()
             for m, p in MODULES.items()}
    assert _cycle(graph) is None, f"import circle: {' -> '.join(_cycle(graph) or [])}"


def test_no_module_imports_another_packages_private_module():
    wrong = []
    for module, path in MODULES.items():
        for target in imported(module, path):
            owner = _private_part(target)
            if owner is None:
                continue
            if owner == "smtpsim" and _package_of(target) == _package_of(module):
                continue  # smtpsim._accel's own modules among themselves
            if owner != "smtpsim" and (module == owner or module.startswith(owner + ".")):
                continue  # a package using its own private modules
            wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_plain_module_imports_the_speed_layer():
    wrong = [f"{m} imports {t}" for m, p in MODULES.items()
             if not m.startswith("smtpsim._accel")
             for t in imported(m, p) if t.startswith("smtpsim._accel")]
    assert wrong == []


def test_tests_read_only_the_public_names_of_packages_they_do_not_test():
    """``tests/test_sim_queue.py`` may look inside ``smtpsim.sim``, not inside
    ``smtpsim.protocol`` (whose public names are its promise)."""
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        tested = path.stem.removeprefix("test_").split("_")[0]
        for target in imported(f"tests.{path.stem}", path):
            owner = _private_part(target)
            if tested == "accel" and target.split(".")[:2] == ["smtpsim", "_accel"]:
                continue  # the speed layer's own tests (test_accel_*.py) switch it on
            if owner is not None and owner != f"smtpsim.{tested}":
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert wrong == []
