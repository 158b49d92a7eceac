"""The package's layout: no import cycles between modules, no file-name prefixes for sub-areas.

The import graph is read with ``ast`` from every ``import`` in the package, wherever it is:
module level, inside functions (lazy imports) and under ``if TYPE_CHECKING:`` (annotations).
A lazy or type-only import still ties the two modules together, so it counts.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root is the package `mlsense`
SUBPACKAGES = ("analyzers", "server", "translators")


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's __init__), for every module of `mlsense`."""
    found = {"mlsense": (ROOT / "__init__.py", True),
             "mlsense.__main__": (ROOT / "__main__.py", False)}
    for top in SUBPACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            package = parts[-1] == "__init__"
            name = ".".join(["mlsense", *(parts[:-1] if package else parts)])
            found[name] = (path, package)
    return found


def _imports(name: str, path: Path, package: bool, modules: set[str]) -> dict[str, int]:
    """The modules of `mlsense` that module ``name`` imports, each with the line of one import."""
    here = name.split(".") if package else name.split(".")[:-1]
    out: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = here[:len(here) - node.level + 1] + ([node.module] if node.module else [])
                base = ".".join(parts)
            else:
                base = node.module or ""
            # `from pkg import mod` imports the module; `from mod import name` the module `mod`
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        for target in targets:
            if target in modules and target != name:
                out.setdefault(target, node.lineno)
    return out


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for succ in edges:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def import_graph() -> dict[str, dict[str, int]]:
    modules = _modules()
    return {name: _imports(name, path, package, set(modules))
            for name, (path, package) in modules.items()}


def _describe(component: list[str], graph: dict[str, dict[str, int]],
              modules: dict[str, tuple[Path, bool]]) -> str:
    members = set(component)
    lines = [f"import cycle between {len(component)} modules:"]
    for name in component:
        for target, line in sorted(graph[name].items()):
            if target in members:
                where = modules[name][0].relative_to(ROOT)
                lines.append(f"  {where}:{line} imports {target}")
    return "\n".join(lines)


def test_the_import_graph_is_read() -> None:
    graph = import_graph()
    # the reader must see relative, absolute, lazy and type-only imports (a blind reader passes)
    assert "mlsense.analyzers.findings" in graph["mlsense.analyzers.engine"]
    assert "mlsense.server.cli" in graph["mlsense.__main__"]
    assert "mlsense.server.lsp.server" in graph["mlsense.server.cli"]  # lazy, in `serve`
    assert "mlsense.analyzers.engine" in graph["mlsense.server.lsp.diagnostics"]  # TYPE_CHECKING


def test_cycles_are_found() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}, "e": {"e": 1}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    graph = import_graph()
    modules = _modules()
    found = [_describe(c, graph, modules) for c in _cycles(graph)]
    assert not found, "\n".join(found)


def _prefix_clashes(folder: Path) -> list[str]:
    """Groups of modules (and sub-packages) of ``folder`` whose names share a first word."""
    groups: dict[str, list[str]] = defaultdict(list)
    for entry in sorted(folder.iterdir()):
        if entry.suffix == ".py" and entry.stem != "__init__":
            groups[entry.stem.split("_")[0]].append(entry.name)
        elif (entry / "__init__.py").exists():
            groups[entry.name.split("_")[0]].append(entry.name + "/")
    return [", ".join(names) for names in groups.values() if len(names) > 1]


def test_prefix_clashes_are_found(tmp_path: Path) -> None:
    for name in ("t2k_walk.py", "t2k_emit.py", "walk.py", "emit_all.py", "__init__.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "emit").mkdir()
    (tmp_path / "emit" / "__init__.py").write_text("")
    assert _prefix_clashes(tmp_path) == ["emit/, emit_all.py", "t2k_emit.py, t2k_walk.py"]


def test_no_name_prefixes_for_sub_areas() -> None:
    """Two modules of one folder named ``area_x.py`` and ``area_y.py`` (or ``area.py``) belong in
    a sub-package ``area/``: the folders, not file-name prefixes, show the structure."""
    clashes = [f"{folder.relative_to(ROOT)}/: {group}"
               for folder in sorted({p.parent for p, _ in _modules().values()})
               for group in _prefix_clashes(folder)]
    assert not clashes, "modules sharing a name prefix:\n" + "\n".join(clashes)


def test_every_package_ships() -> None:
    """pyproject lists packages one by one (the repository root is the package): a folder that
    is a package but is missing there would be left out of the wheel and the bundled .vsix."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {name for name, (_, package) in _modules().items() if package}
    assert packages == listed
