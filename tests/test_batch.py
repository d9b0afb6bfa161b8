"""The batch (grade.py) without kernels: which students a re-run grades again."""

from __future__ import annotations

from autograder import course, grade
from autograder.outputs import results
from autograder.sandbox import slots
from autograder.vocabulary import ERROR, GRADED, Outcome, SubmissionResult


def test_a_grader_error_is_graded_again_and_a_graded_submission_is_not(tmp_path):
    spec = course.load("neural_nets")
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("erred", "done"):
        (submissions / student).mkdir(parents=True)
    digest = spec.digest()
    for student, status in (("erred", ERROR), ("done", GRADED)):
        previous = SubmissionResult(
            student,
            spec.name,
            status=status,
            submission_sha256=grade.submission_digest(spec, submissions / student, digest),
        )
        results.write_student(out, previous)
    asked = []

    def runner(todo):
        asked.extend(job.student_id for job in todo)
        return [Outcome(SubmissionResult(job.student_id, spec.name)) for job in todo]

    students = grade.find_submissions(submissions, spec.name)
    assert grade._batch(spec, students, out, spec.limits, slots.SlotPlan(1, 1), runner, False, True, None) == 0
    assert asked == ["erred"]
