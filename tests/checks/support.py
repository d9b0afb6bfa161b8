"""Shared by the tests of the checks: judge one item of a source notebook run up to its answer
cell, and assert that a wrong answer is rejected with a message that names the problem."""

from __future__ import annotations

from pathlib import Path

from autograder import notebooks
from autograder.checks import judge


def verdict_upto(path: Path, assignment: str, grade_id: str,
                 replace: dict[str, str] | None = None) -> tuple[bool, str]:
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
