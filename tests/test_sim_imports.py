"""The simulation's modules import each other in layers: no circle, even for types."""

from __future__ import annotations

import ast
from pathlib import Path

import smtpsim.sim

SIM = Path(smtpsim.sim.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The smtpsim.sim modules ``path`` imports (every import statement, wherever it
    is: at the top, in a function, or only for the type checker)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = (f"{base}.{node.module}" if node.module else base) if node.level \
                else (node.module or "")
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)  # from . import x
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SIM.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph``, as the list of modules on it, or None."""
    state: dict[str, int] = {}  # 1: being walked, 2: done
    path: list[str] = []

    def walk(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := walk(n)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := walk(m)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_of_smtpsim_sim_is_in_an_import_circle() -> None:
    graph = _graph()
    assert "smtpsim.sim.agents.mta" in graph and "smtpsim.sim.world" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_agents_never_import_the_network_and_the_world_knows_no_node() -> None:
    graph = _graph()
    for name, deps in graph.items():
        if name.startswith("smtpsim.sim.agents"):
            assert "smtpsim.sim.network" not in deps, name
    lower = {"smtpsim.sim.world", "smtpsim.sim.session", "smtpsim.sim.bounce",
             "smtpsim.sim.queue"}
    for name in lower:
        assert not graph[name] & {"smtpsim.sim.node", "smtpsim.sim.network",
                                  "smtpsim.sim.agents"}, name
