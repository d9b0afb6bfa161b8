"""The exit statuses (autograder/exits.py): a batch's comes from its worst failure."""

from __future__ import annotations

import pytest

from autograder import exits


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ([], exits.OK),
        (["graded", "missing", "invalid notebook", "timeout"], exits.OK),
        (["graded", "crashed"], exits.CRASHES),
        (["crashed", "grader error"], exits.GRADER_ERRORS),
    ],
)
def test_a_batchs_exit_status_comes_from_its_worst_failure(statuses, code):
    assert exits.for_statuses(statuses) == code
