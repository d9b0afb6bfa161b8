"""Runners: where the submissions of a batch are graded. One small interface, adapters beside it.

A runner is a callable ``run(todo: list[Job]) -> Iterator[Outcome]``: it grades each job with
``submission.grade_submission`` in a grading slot of its own and yields the outcomes as they
finish, in any order. It writes nothing (the batch does, grade.py). Adapters:

    local.py     worker processes on this machine (grade --jobs N)
    cluster.py   tasks on a Dask cluster (grade --dask ADDRESS)

Gradescope's run_autograder (gradescope/run.py) grades its one submission in-process, with the
same grade_submission.

The policy for dead workers is shared, and lives here: a worker that dies (the OS killed it, it ran
out of memory) costs only the submissions it held. A submission whose grading was under way in
KILLS_TO_CRASH workers that died is marked crashed; any other is graded again.
"""

from __future__ import annotations

from ..submission import Job
from ..vocabulary import CRASHED, ItemResult, Outcome, SubmissionResult

KILLS_TO_CRASH = 2


def not_graded(job: Job, status: str, reason: str, item_message: str) -> Outcome:
    """The outcome of a submission the grader could not grade; no digest, so a re-run grades it."""
    result = SubmissionResult(job.student_id, job.assignment.name, submission_sha256="")
    result.worsen(status, reason)
    result.items = [ItemResult(t.grade_id, t.notebook, t.points, message=item_message) for t in job.assignment.tests()]
    return Outcome(result, log=f"status: {status}: {reason}\n")


def worker_died(job: Job, times: int = KILLS_TO_CRASH) -> Outcome:
    how_often = "twice" if times == 2 else f"{times} times"
    return not_graded(
        job,
        CRASHED,
        f"the grading worker died {how_often} while grading this submission (it was killed, or ran out of memory)",
        "Not graded: the grading worker died.",
    )
