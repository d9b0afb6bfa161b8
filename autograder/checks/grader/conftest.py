"""Plain pytest on the grader-side tests, with the observations a grading saved (to debug a check):

    pytest autograder/checks/grader/ASSIGNMENT --observations OUT/STUDENT    (or OUT: every student)

Each `test_<grade_id>(obs)` runs once per student whose observation of that item reached its test
(the test ids are student ids); a failure shows the CheckFailed message the student read. The
grading engine does not load this file (checks/runner.py runs pytest with --noconftest)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--observations",
        metavar="PATH",
        type=Path,
        default=None,
        help="a graded student's output folder (OUT/STUDENT), or OUT for every student",
    )


def pytest_configure(config):
    from autograder.checks.runner import ObservationPlugin
    from autograder.rejudge import saved_cases
    from autograder.submission.saved import UnreadableObservations

    path = config.getoption("observations")
    if path is None:
        raise pytest.UsageError(
            "the grader-side tests judge saved observations: give --observations OUT/STUDENT "
            "(or OUT), the --out folder of `python -m autograder grade`"
        )
    if not path.is_dir():
        raise pytest.UsageError(f"--observations {path}: not a folder; give OUT/STUDENT or OUT")
    try:
        cases = saved_cases(path)
    except UnreadableObservations as err:
        raise pytest.UsageError(str(err)) from None
    if not cases:
        raise pytest.UsageError(
            f"{path} holds no saved observations (no observations/*.pt in it or in its "
            "folders): grade the class first, or give OUT/STUDENT"
        )
    config.pluginmanager.register(ObservationPlugin(cases), "saved-observations")
