"""Helpers for proving the hidden checks without a kernel: run a source notebook's code in this
process (optionally with one solution cell swapped for a wrong answer) and judge its items."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.checks import judge
from autograder.course import notebooks
from autograder.paths import SOURCE


def graded_ids(notebook: Path) -> list[str]:
    return [notebooks.grade_id(c) for c in notebooks.test_cells(notebooks.read(notebook))]


def judge_notebook(
    assignment: str, notebook: str, replace: dict[str, str] | None = None, only: list[str] | None = None
) -> dict[str, tuple[bool, str]]:
    """{grade_id: (passed, message)} for the items of source/<assignment>/<notebook>."""
    path = SOURCE / assignment / notebook
    ns = notebooks.run_in_process(path, replace=replace)
    return {gid: judge(assignment, gid, ns) for gid in (only or graded_ids(path))}


@pytest.fixture
def judge_source():
    return judge_notebook
