"""Shared by the tests of the checks: judge one item of a source notebook run up to its answer
cell, and assert that a wrong answer is rejected with a message that names the problem."""

from __future__ import annotations

from pathlib import Path

from autograder.checks import judge
from autograder.course import notebooks


def verdict_upto(path: Path, assignment: str, grade_id: str, replace: dict[str, str] | None = None) -> tuple[bool, str]:
    """Run the notebook up to the item's answer cell (with `replace` swapped in) and judge the item.
    Stopping there keeps later given cells (plots, which a wrong answer may break) out of the way."""
    ns = notebooks.run_in_process(path, replace=replace, upto=f"answer_{grade_id}")
    return judge(assignment, grade_id, ns)


def assert_rejected(result: tuple[bool, str], grade_id: str, replace: dict[str, str], *words: str) -> str:
    passed, message = result
    assert not passed, f"{grade_id} accepted a wrong answer: {replace}"
    for word in words:
        assert word in message, f"{word!r} not in the message: {message}"
    assert "tensor(" not in message, f"the message shows tensor values: {message}"
    return message


def visible_upto(path: Path, assignment: str, grade_id: str, replace: dict[str, str] | None = None) -> str | None:
    """Run the notebook up to the item's answer cell (with `replace` swapped in), then the visible part
    of the item's test cell, as students' own runs do: None when its asserts pass, else the message of
    the assert that failed."""
    nb = notebooks.read(path)
    test = next(c for c in notebooks.test_cells(nb) if notebooks.grade_id(c) == grade_id)
    answer = f"answer_{grade_id}" if any(notebooks.grade_id(c) == f"answer_{grade_id}" for c in nb.cells) else None
    ns = notebooks.run_in_process(path, replace=replace, upto=answer or _answer_before(nb, test))
    try:
        exec(compile(notebooks.visible_part(test.source), f"{path.name}:{grade_id}", "exec"), ns)
    except AssertionError as failed:
        return str(failed)
    return None


def _answer_before(nb, test) -> str:
    """The grade_id of the last solution cell before a test cell that has none of its own."""
    before = nb.cells[: nb.cells.index(test)]
    return next(notebooks.grade_id(c) for c in reversed(before) if notebooks.is_solution_cell(c))
