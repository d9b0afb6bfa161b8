"""The runners' shared policy (runners/__init__.py): a submission the grader could not grade gets
a row that says why, every item at zero, and no digest, so that the next run grades it again."""

from __future__ import annotations

import pytest

from autograder import course
from autograder.runners import KILLS_TO_CRASH, not_graded, worker_died
from autograder.submission import Job
from autograder.vocabulary import CRASHED, TIMEOUT
from tests.corpus import ASSIGNMENT


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    spec = course.load(ASSIGNMENT)
    return Job(spec, "s1", tmp_path_factory.mktemp("s1"), spec.limits, "sha-of-the-work", 1, True)


def test_a_submission_not_graded_has_every_item_at_zero_and_no_digest(job):
    outcome = not_graded(job, TIMEOUT, "the batch ran out of time", "Not graded: out of time.")
    result = outcome.result
    assert (result.student_id, result.assignment, result.status) == ("s1", ASSIGNMENT, TIMEOUT)
    assert result.reason == "the batch ran out of time"
    assert result.submission_sha256 == ""  # a re-run grades it again, whatever job.digest says
    tests = job.assignment.tests()
    assert [(i.grade_id, i.notebook, i.max_score) for i in result.items] == [
        (t.grade_id, t.notebook, t.points) for t in tests
    ]
    assert all(i.score == 0 and not i.passed and i.message == "Not graded: out of time." for i in result.items)
    assert result.score == 0 and result.max_score == sum(t.points for t in tests) > 0
    assert outcome.log == "status: timeout: the batch ran out of time\n"
    assert outcome.executed == {} and outcome.observations == {}


def test_a_worker_that_died_twice_marks_its_submission_crashed(job):
    assert KILLS_TO_CRASH == 2
    result = worker_died(job).result
    assert result.status == CRASHED
    assert result.reason == (
        "the grading worker died twice while grading this submission (it was killed, or ran out of memory)"
    )
    assert {i.message for i in result.items} == {"Not graded: the grading worker died."}
    assert "died 3 times while" in worker_died(job, 3).result.reason
