"""`python -m autograder demo ASSIGNMENT`: build a small sample class from source/ and release/, grade it,
and print the score table. The same builders make the crafted submissions of the test suite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat

from . import course, grade
from .course import UsageError, notebooks
from .paths import RELEASE, SOURCE, WORK


def answered(assignment: str, notebook: str, replace: dict[str, str] | None = None):
    """The release notebook with every solution cell filled in from source/ (a perfect
    submission), except the cells in `replace` (grade_id -> code) which get that code."""
    replace = dict(replace or {})
    source = notebooks.read(SOURCE / assignment / notebook)
    nb = notebooks.read(RELEASE / assignment / notebook)
    for cell in nb.cells:
        gid = notebooks.grade_id(cell)
        if notebooks.is_solution_cell(cell) and cell.cell_type == "code":
            reference = notebooks.without_solution_markers(notebooks.cell(source, gid).source)
            cell.source = replace.pop(gid, reference)
    if replace:
        raise KeyError(f"{notebook} has no solution cells {sorted(replace)}")
    return nb


def blank(assignment: str, notebook: str):
    return notebooks.read(RELEASE / assignment / notebook)


def write_student(folder: Path, notebooks_by_name: dict[str, nbformat.NotebookNode | str | bytes]) -> Path:
    """A student folder; values are notebooks, or raw text/bytes for broken files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in notebooks_by_name.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(content, str(path))
    return folder


# The sample class: one student per behaviour a TA meets every term.
def sample_class(root: Path, assignment: str) -> Path:
    names = sorted(p.name for p in (RELEASE / assignment).glob("*.ipynb"))
    first = names[0]
    shutil.rmtree(root, ignore_errors=True)
    write_student(root / "ada", {n: answered(assignment, n) for n in names})
    write_student(root / "blaise", {n: blank(assignment, n) for n in names})
    partly = {n: answered(assignment, n) for n in names}
    partly[first] = blank(assignment, first)
    write_student(root / "carl", partly)
    write_student(root / "dora", {first: '{"cells": [ this is not json'})
    write_student(root / "emmy", {})
    return root


def main(assignment: str, jobs: int | None = None) -> int:
    try:
        course.load(assignment)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    submissions = sample_class(WORK / "demo" / "submissions", assignment)
    print(
        f"sample class in {submissions}: ada (reference answers), blaise (blank release), "
        "carl (first notebook blank), dora (broken file), emmy (submitted nothing)"
    )
    return grade.main(assignment, submissions, WORK / "demo" / "graded", jobs=jobs, force=True)
