"""The package's shape, checked from its source (no import of autograder): no import cycle, modules
short enough to read, check files one item long, and a vocabulary that needs nothing installed.

An import counts where it is written. One at the top of a module (also under `if` or `try`, or in a
class body) runs when the module is imported: a cycle of those can break the import (a name asked
for while its module is half-initialised), so `test_no_import_cycle_at_import_time` fails on it.
One inside a function runs when the function is called, after the modules are loaded: a cycle
through such a lazy import cannot break an import, but it still ties together two parts that
should not know each other; there is none today (course <-> submission was one: the graded items
of source/ moved to course/items.py), and `test_lazy_imports_close_no_cycle` keeps it so.
`if TYPE_CHECKING:` imports never run and are left out. `from package import name` imports
package.name when that is a module, else the package; importing a.b.c also initialises a.b (its
__init__ runs first), which counts unless a.b is a package of the importer itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from autograder.paths import ENGINE

TOP, LAZY = "top-level", "lazy"
MAX_LINES = 400  # any module of the package
MAX_CHECK_LINES = 200  # a file of autograder/checks/ (one graded item, or what a notebook's items share)


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file, for every module under root (the folder of `package`)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def imports(tree: ast.Module):
    """(node, top-level or lazy) for every import statement that can run."""

    def walk(node, lazy: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (x for c in child.orelse for x in walk(ast.Module([c], []), lazy))
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, LAZY if lazy else TOP
            yield from walk(child, lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    yield from walk(tree, False)


def targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: dict[str, Path]) -> set[str]:
    """The modules of the package an import statement imports."""

    def known_prefix(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = ".".join(p for p in (base, node.module) if p)
        else:
            base = node.module or ""
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    return {t for t in map(known_prefix, names) if t is not None}


def with_parents(target: str, importer: str) -> list[str]:
    """The target and the packages Python initialises before it, but the importer's own packages
    (they are initialised already, or being initialised: that is the importer's own business)."""
    parts = target.split(".")
    chain = [".".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return [m for m in chain if not (importer == m or importer.startswith(m + "."))]


def import_graph(root: Path, package: str) -> dict[str, dict[str, str]]:
    """module -> {imported module of the package: TOP, or LAZY when every import of it is lazy}."""
    known = modules(root, package)
    graph: dict[str, dict[str, str]] = {name: {} for name in known}
    for name, path in known.items():
        for node, kind in imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in targets(node, name, path.name == "__init__.py", known):
                for module in with_parents(target, name):
                    if graph[name].get(module) != TOP:
                        graph[name][module] = kind
    return graph


def cycles(graph: dict[str, dict[str, str]], kinds=(TOP,)) -> list[list[str]]:
    """One cycle (a, b, ..., a) per strongly connected group of modules, over the edges of `kinds`."""
    edges = {m: sorted(t for t, k in out.items() if k in kinds) for m, out in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return [cycle_in(group, edges) for group in sorted(groups)]


def cycle_in(group: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in edges[v]:
            if w == start:
                return paths[v] + [start]
            if w in members and w not in paths:
                paths[w] = paths[v] + [w]
                todo.append(w)
    raise AssertionError(f"no cycle through {start} in {group}")  # cannot happen: the group is strongly connected


def said(found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(c) for c in found)


# ----------------------------------------------------------------------------- the finder, proved
def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_planted_cycle_is_found_and_printed(tmp_path):
    root = plant(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from . import b\n",  # relative, a sibling module
            "b.py": "import pkg.sub.c as c\n",  # absolute
            "sub/__init__.py": "from .c import thing\n",  # a package's __init__
            "sub/c.py": "from ..a import x\nthing = 1\n",  # relative, two levels up
            "d.py": "from pkg import a\n",  # imports into the cycle, not part of it
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.sub"] == {"pkg.sub.c": TOP} and graph["pkg.sub.c"] == {"pkg.a": TOP}
    found = cycles(graph)
    assert found == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]
    assert said(found) == "pkg.a -> pkg.b -> pkg.sub.c -> pkg.a"


def test_a_cycle_through_a_package_initialised_on_the_way_is_found(tmp_path):
    root = plant(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from .sub.c import thing\n",  # runs pkg/sub/__init__.py first
            "sub/__init__.py": "from ..a import x\n",
            "sub/c.py": "thing = 1\n",
            "sub/d.py": "from . import c\n",  # its own package: no edge to pkg.sub
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.a"] == {"pkg.sub": TOP, "pkg.sub.c": TOP} and graph["pkg.sub.d"] == {"pkg.sub.c": TOP}
    assert cycles(graph) == [["pkg.a", "pkg.sub", "pkg.a"]]


def test_a_cycle_through_a_function_level_import_is_lazy(tmp_path):
    root = plant(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from .b import f\n",
            "b.py": "def f():\n    from . import a\n    return a\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
            "e.py": "class E:\n    from . import a\n",  # runs at import: top-level
            "f.py": "if True:\n    from . import e\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.b"] == {"pkg.a": LAZY} and graph["pkg.c"] == {} and graph["pkg.e"] == {"pkg.a": TOP}
    assert cycles(graph) == []
    assert cycles(graph, (TOP, LAZY)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_a_self_import_and_an_acyclic_package_have_no_cycle(tmp_path):
    root = plant(tmp_path, {"__init__.py": "from . import a\n", "a.py": "import pkg.a\nimport os\n"})
    assert cycles(import_graph(root, "pkg"), (TOP, LAZY)) == []


# ----------------------------------------------------------------------------- the package
def test_no_import_cycle_at_import_time():
    found = cycles(import_graph(ENGINE, "autograder"))
    assert not found, "import cycles (top-level imports):\n" + said(found)


def test_lazy_imports_close_no_cycle():
    """Function-level imports (torch, plotly, the checks: loaded when needed) make no cycle either."""
    found = cycles(import_graph(ENGINE, "autograder"), (TOP, LAZY))
    assert not found, "import cycles through function-level imports:\n" + said(found)


@pytest.mark.parametrize(
    ("folder", "limit"), [(ENGINE, MAX_LINES), (ENGINE / "checks", MAX_CHECK_LINES)], ids=["autograder", "checks"]
)
def test_modules_are_short(folder, limit):
    long = {
        p.relative_to(ENGINE.parent).as_posix(): n
        for p in sorted(folder.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert not long, f"longer than {limit} lines (split them): {long}"


def test_the_vocabulary_needs_only_the_standard_library():
    tree = ast.parse((ENGINE / "vocabulary.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported, "vocabulary.py imports nothing: the test reads the wrong file"
    assert {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names} == set()
