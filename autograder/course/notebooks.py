"""A tiny API over nbgrader-tagged notebooks: find cells by grade_id, never by index."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

import nbformat

HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    return nbgrader(cell).get("grade_id")


def is_test_cell(cell) -> bool:
    """An autograded test cell: graded, not a solution, code."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_solution_cell(cell) -> bool:
    return bool(nbgrader(cell).get("solution"))


def points(cell) -> float:
    return float(nbgrader(cell).get("points", 0))


def cell(nb, gid: str):
    """The cell with this grade_id; KeyError names the notebook's ids when there is none."""
    for c in nb.cells:
        if grade_id(c) == gid:
            return c
    raise KeyError(f"no cell with grade_id {gid!r}; ids: {[grade_id(c) for c in nb.cells if grade_id(c)]}")


def test_cells(nb) -> list:
    return [c for c in nb.cells if is_test_cell(c)]


def visible_part(source: str) -> str:
    """A test cell's code without its hidden region (what students see)."""
    return HIDDEN_REGION.sub("", source)


def hidden_part(source: str) -> str:
    return "".join(m.group(0) for m in HIDDEN_REGION.finditer(source))


def without_solution_markers(source: str) -> str:
    return SOLUTION_MARKERS.sub("", source)


def read(path: Path | str):
    return nbformat.read(str(path), as_version=4)


@contextlib.contextmanager
def working_directory(path: Path):
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_in_process(
    path: Path | str, replace: dict[str, str] | None = None, ns: dict | None = None, upto: str | None = None
) -> dict:
    """Execute a notebook's code cells (test cells excluded) in this process and return the
    namespace. `replace` swaps a solution cell's code by grade_id (to try a wrong answer);
    `upto` stops after the cell with that grade_id. For tests of the checks: fast, no kernel."""
    path = Path(path).resolve()
    nb = read(path)
    replace = dict(replace or {})
    ns = {"__name__": "__main__"} if ns is None else ns
    with working_directory(path.parent):
        for c in nb.cells:
            if c.cell_type != "code" or is_test_cell(c):
                continue
            source = replace.pop(grade_id(c), c.source) if grade_id(c) in replace else c.source
            exec(compile(without_solution_markers(source), f"{path.name}:{grade_id(c) or 'cell'}", "exec"), ns)
            if upto is not None and grade_id(c) == upto:
                break
    if replace:
        raise KeyError(f"{path.name} has no solution cells {sorted(replace)}")
    return ns


def nbgrader_env() -> dict[str, str]:
    """nbgrader 0.9 runs `alembic` from PATH: put this environment's bin/ first."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env
