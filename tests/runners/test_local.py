"""The local runner (runners/local.py): one outcome per submission, whatever the workers do. A
worker that dies costs only what it was grading: what it had not started is graded in a new pool,
what was in flight is graded again alone, and only a submission whose grading kills its worker
KILLS_TO_CRASH times is marked crashed.

The policy is tested on a simulated pool (fast); one slow test proves it on real worker processes."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from autograder import course
from autograder.runners import KILLS_TO_CRASH, local
from autograder.submission import Job
from autograder.vocabulary import CRASHED, GRADED, Outcome, SubmissionResult
from tests.corpus import ASSIGNMENT


def jobs_for(root, *students):
    spec = course.load(ASSIGNMENT)
    jobs = []
    for student in students:
        (root / student).mkdir()
        jobs.append(Job(spec, student, root / student, spec.limits, "", 1, True))
    return jobs


def grade_stub(job: Job, slot: int) -> Outcome:
    """Grades every submission at once (the real grading is not under test here)."""
    return Outcome(SubmissionResult(job.student_id, job.assignment.name, reason=f"graded in slot {slot}"))


class SimulatedPools:
    """Stands in for local._pool: runs a batch in order, `workers` at a time; when a job's grading
    kills its worker (`dies(student, attempt)`), the pool breaks as a real one does: that job and
    the ones beside it in flight are lost as started, the rest as not started."""

    def __init__(self, dies):
        self.dies, self.attempts, self.batches = dies, Counter(), []

    def __call__(self, batch, workers, grade):
        self.batches.append([job.student_id for job in batch])
        for i, job in enumerate(batch):
            self.attempts[job.student_id] += 1
            if self.dies(job.student_id, self.attempts[job.student_id]):
                beside = batch[i + 1 : i + workers]
                self.attempts.update(other.student_id for other in beside)
                for other in [job, *beside]:
                    yield other, None, True
                for other in batch[i + workers :]:
                    yield other, None, False
                return
            yield job, grade(job, 0), True


def run(monkeypatch, todo, workers, dies):
    pools = SimulatedPools(dies)
    monkeypatch.setattr(local, "_pool", pools)
    outcomes = list(local.run_jobs(todo, workers, progress=False, grade=grade_stub))
    return {o.result.student_id: o.result for o in outcomes}, outcomes, pools


def test_only_the_submission_that_kills_its_worker_twice_is_crashed(tmp_path, monkeypatch):
    todo = jobs_for(tmp_path, "a", "killer", "beside", "later")
    results, outcomes, pools = run(monkeypatch, todo, 2, lambda student, attempt: student == "killer")
    assert len(outcomes) == len(todo)
    assert results["killer"].status == CRASHED and "worker died twice" in results["killer"].reason
    assert all(results[s].status == GRADED for s in ("a", "beside", "later"))
    # not started: graded in a new pool; in flight: graded again, each alone
    assert pools.batches == [["a", "killer", "beside", "later"], ["later"], ["killer"], ["beside"]]
    assert pools.attempts == {"a": 1, "killer": KILLS_TO_CRASH, "beside": 2, "later": 1}


def test_a_worker_that_dies_once_costs_nothing(tmp_path, monkeypatch):
    todo = jobs_for(tmp_path, "flaky", "b")
    results, _, pools = run(monkeypatch, todo, 1, lambda student, attempt: student == "flaky" and attempt == 1)
    assert results["flaky"].status == GRADED and results["flaky"].reason == "graded in slot 0"
    assert results["b"].status == GRADED
    assert pools.batches == [["flaky", "b"], ["b"], ["flaky"]]


def test_a_pool_that_dies_before_grading_anything_ends_with_each_submission_crashed(tmp_path, monkeypatch):
    todo = jobs_for(tmp_path, "a", "b", "c")

    def nothing_starts(batch, workers, grade):
        pools.append(len(batch))
        for job in batch:
            yield job, None, False

    pools = []
    monkeypatch.setattr(local, "_pool", nothing_starts)
    outcomes = list(local.run_jobs(todo, 2, progress=False, grade=grade_stub))
    assert sorted(o.result.student_id for o in outcomes) == ["a", "b", "c"]
    assert {o.result.status for o in outcomes} == {CRASHED}
    assert pools == [3, 1, 1, 1]  # no retry loop: each once more, alone


def test_nothing_to_grade_starts_no_pool(monkeypatch):
    monkeypatch.setattr(local, "_pool", lambda *args: pytest.fail("a pool was started"))
    assert list(local.run_jobs([], 4, progress=False)) == []


# ----------------------------------------------------------------------------- real workers
def grade_or_die(job: Job, slot: int) -> Outcome:
    """In a spawned worker: note the attempt in the job's folder; the "killer" kills its worker."""
    with (job.folder / "attempts").open("a") as attempts:
        attempts.write(f"{os.getpid()} {slot}\n")
    if job.student_id == "killer":
        os._exit(1)
    return grade_stub(job, slot)


def attempts(job: Job) -> list[list[str]]:
    return [line.split() for line in (job.folder / "attempts").read_text().splitlines()]


@pytest.mark.slow
def test_real_workers_that_die_cost_only_the_submission_that_killed_them(tmp_path):
    killer, a = jobs_for(tmp_path, "killer", "a")
    outcomes = list(local.run_jobs([killer, a], 1, progress=False, grade=grade_or_die))
    results = {o.result.student_id: o.result for o in outcomes}
    assert len(outcomes) == 2
    assert results["killer"].status == CRASHED and "worker died twice" in results["killer"].reason
    assert results["a"].status == GRADED and results["a"].reason == "graded in slot 0"
    # the killer ran in two workers, each a process of its own, and `a` once, in a third
    pids = [pid for pid, _ in attempts(killer)] + [pid for pid, _ in attempts(a)]
    assert len(attempts(killer)) == KILLS_TO_CRASH and len(attempts(a)) == 1
    assert len(set(pids)) == 3 and str(os.getpid()) not in pids
