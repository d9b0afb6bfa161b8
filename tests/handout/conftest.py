"""The handouts of every assignment, built once, and copies of them as a student would hold them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course, handout
from autograder.course import notebooks
from autograder.paths import RELEASE, SOLUTIONS


@pytest.fixture(scope="session")
def handouts(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """assignment -> (handout folder, handout zip)."""
    out = tmp_path_factory.mktemp("handouts")
    return {a: handout.build(a, out) for a in course.names()}


def student_copy(handouts: dict, assignment: str, where: Path) -> Path:
    """The handout folder as a student unpacked it (a copy, free to edit)."""
    folder = where / f"{assignment}-student"
    shutil.copytree(handouts[assignment][0], folder)
    return folder


def reference(assignment: str, notebook: str, replace: dict[str, str] | None = None):
    """The release notebook with each answer cell taken from solutions/ (the reference answers),
    but the cells of `replace` (grade_id -> code)."""
    replace = dict(replace or {})
    solved = {notebooks.grade_id(c): c for c in notebooks.read(SOLUTIONS / assignment / notebook).cells}
    nb = notebooks.read(RELEASE / assignment / notebook)
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if notebooks.is_solution_cell(cell):
            cell.source = replace.pop(gid, solved[gid].source)
    assert not replace, f"{notebook} has no answer cells {sorted(replace)}"
    return nb


def nncheck(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`python nncheck.py ARGS` in a student's handout folder, as the README says to run it."""
    return subprocess.run(
        [sys.executable, "nncheck.py", *args], cwd=folder, capture_output=True, text=True, timeout=1800
    )


def write(folder: Path, name: str, nb) -> Path:
    nbformat.write(nb, str(folder / name))
    return folder / name
