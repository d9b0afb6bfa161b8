"""Build the notebook the grader executes from a student's notebook and the instructor's source.

Small single-purpose steps, applied in the order of ``STEPS`` (see ``build``). The student's own
cells run as they wrote them; every test cell, its code and its points come from source/, never
from the submission. Which cell is a test cell is decided once, from source/ (course/items.py),
and kept in the plan (``Plan.test_at``): nothing a submission or an executed notebook says about a
cell's role counts.
The hidden checks are not cells at all: they run as probes after each test cell (see probe.py).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from ..course import notebooks
from ..course.items import TestCell

GRADER_KEYS = ("autograder", "autograder_probe")  # cell metadata the grader writes (and never reads)
MAX_NOTEBOOK_BYTES = 20 * 2**20  # a submitted notebook larger than this is not read (the handout's export refuses it)


class InvalidNotebook(ValueError):
    """The submission is not a readable Jupyter notebook; the message says why."""


@dataclass(frozen=True)
class Context:
    """What the steps need besides the notebook."""

    assignment: str
    tests: list[TestCell]
    probes: bool = True  # False for students' self-checks: visible tests only
    # The test cells the steps created, by identity (filled by insert_tests, read by build).
    placed: dict[int, TestCell] = field(default_factory=dict, compare=False)


@dataclass
class Plan:
    """What to execute for one notebook, and which of its cells are the grader's test cells."""

    assignment: str
    notebook: str
    nb: nbformat.NotebookNode
    tests: list[TestCell] = field(default_factory=list)
    probes: bool = True
    test_at: dict[int, TestCell] = field(default_factory=dict)  # cell index -> the test it runs
    answer_at: dict[str, int] = field(default_factory=dict)  # grade_id -> index of the student's
    # answer cell: the cell the grader placed the test after, when that is a solution cell in source/


def read_file(path: Path) -> bytes:
    """A submitted file's bytes, never through a symbolic link (a link could point at another
    student's work, or at anything the grader may read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise InvalidNotebook(
                f"{path.name} is a symbolic link, not a notebook file: submit the notebook itself"
            ) from None
        raise
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise InvalidNotebook(f"{path.name} is not a regular file: submit the notebook itself")
        data = file.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(
            f"{path.name} is larger than the {MAX_NOTEBOOK_BYTES // 2**20} MB the grader reads "
            "(clear large outputs before you save it)"
        )
    return data


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read any nbformat-4 notebook (4.4 without cell ids included) or raise InvalidNotebook."""
    try:
        raw = json.loads(read_file(path).decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InvalidNotebook(f"{path.name} is not UTF-8 text ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise InvalidNotebook(f"{path.name} is not valid JSON (line {err.lineno}: {err.msg})") from None
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        raise InvalidNotebook(f"{path.name} is not a Jupyter notebook in format 4")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except (nbformat.reader.NotJSONError, nbformat.ValidationError, KeyError, TypeError) as err:
        raise InvalidNotebook(f"{path.name} is not a valid notebook ({type(err).__name__})") from None
    for index, cell in enumerate(nb.cells):
        cell.setdefault("metadata", {})
        meta = cell["metadata"]
        nbgrader = meta.get("nbgrader", {}) if isinstance(meta, dict) else None
        if (
            not isinstance(cell.get("source"), str)
            or cell.get("cell_type") not in ("code", "markdown", "raw")
            or not isinstance(nbgrader, dict)
            or not isinstance(nbgrader.get("grade_id", ""), str)
        ):
            raise InvalidNotebook(f"{path.name}: cell {index + 1} is malformed")
    return nb


# ----------------------------------------------------------------------------- the steps
def strip_grader_metadata(nb, ctx: Context) -> None:
    """A submission's cells may carry any metadata: the grader's own keys are removed, so that no
    student cell can pass for one of the grader's (it still runs, and TAs still see it)."""
    for cell in nb.cells:
        for key in GRADER_KEYS:
            cell.metadata.pop(key, None)


def drop_student_tests(nb, ctx: Context) -> None:
    """Remove every cell that is, or claims to be, a test cell: the student's copies may be
    edited, duplicated, re-pointed to other ids or given other points."""
    ids = {t.grade_id for t in ctx.tests}
    nb.cells = [c for c in nb.cells if not (notebooks.is_test_cell(c) or notebooks.grade_id(c) in ids)]


def clear_outputs(nb, ctx: Context) -> None:
    """Outputs and execution counts of the submission are never trusted or shown back."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


def locate(nb, test: TestCell, start: int) -> int | None:
    """Index of the student's copy of the cell the test follows in source/: the same cell id,
    else the same solution grade_id, else the same code (notebooks saved without cell ids),
    else the solution cell of the exercise; None when the student deleted all of them."""
    cell_id, gid, code = test.before
    rules = (
        lambda c: cell_id is not None and c.get("id") == cell_id,
        lambda c: gid is not None and notebooks.grade_id(c) == gid,
        lambda c: bool(code.strip()) and c.source == code,
        lambda c: test.anchor is not None and notebooks.grade_id(c) == test.anchor,
    )
    for rule in rules:
        found = [i for i, c in enumerate(nb.cells) if rule(c)]
        if found:  # the first match after the previous test, if any is
            return next((i for i in found if i >= start), found[0])
    return None


def insert_tests(nb, ctx: Context) -> None:
    """Put each source test cell where it stands in source/: right after the student's copy of
    the cell before it (or, when the student deleted that cell, after the previous test)."""
    placed: list[tuple[float, int, object]] = []
    last = -1.0
    for order, test in enumerate(ctx.tests):
        where = locate(nb, test, int(last) + 1)
        last = max(last, float(where) if where is not None else last)
        # The metadata is for TAs reading executed/; the grader knows its cells by identity.
        cell = new_code_cell(test.visible, metadata={"autograder": {"role": "test", "grade_id": test.grade_id}})
        ctx.placed[id(cell)] = test
        placed.append((last + 0.5, order, cell))
    cells = [(float(i), -1, c) for i, c in enumerate(nb.cells)] + placed
    nb.cells = [c for _, _, c in sorted(cells, key=lambda t: (t[0], t[1]))]


def number_cells(nb, ctx: Context) -> None:
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    nb.nbformat_minor = max(nb.get("nbformat_minor", 5), 5)


# Order matters: strip the grader's metadata first (so that nothing later reads a student's claim);
# drop the student's test cells before placing ours (or ours would be dropped); number cells when
# the list is final.
STEPS = (strip_grader_metadata, drop_student_tests, clear_outputs, insert_tests, number_cells)


def build(ctx: Context, submission, notebook: str) -> Plan:
    """The notebook to execute for one submitted notebook (modified in place), with its items."""
    ctx.placed.clear()
    for step in STEPS:
        step(submission, ctx)
    test_at = {i: ctx.placed[id(c)] for i, c in enumerate(submission.cells) if id(c) in ctx.placed}
    return Plan(ctx.assignment, notebook, submission, ctx.tests, ctx.probes, test_at, answer_cells(test_at))


def answer_cells(test_at: dict[int, TestCell]) -> dict[str, int]:
    """grade_id -> index of its answer cell: the student's cell right before the test cell, when
    the test follows its solution cell in source/ (insert_tests put it after the student's copy)."""
    return {
        test.grade_id: index - 1
        for index, test in test_at.items()
        if index > 0 and index - 1 not in test_at and test.before[1] is not None and test.before[1] == test.anchor
    }
