"""The one path of a submission: plan -> run in the sandbox -> observe -> judge -> outcome.

    plan.py      the student's notebook with the grader's test cells put back (ordered steps)
    execute.py   runs the plan in a sandboxed kernel (sandbox/), a probe after each test cell
    probe.py     what the grader sends into the kernel: one item's observer, then it cleans up
    judge.py     the verdicts, in the grader's process, from the observations (checks/)
    saved.py     what judging read, saved for re-judging without a kernel (rejudge.py)
    cause.py     failed items point at the first thing to fix
    scrub.py     student text shown back is bounded and never quotes the hidden checks

`grade_submission` is the function every runner calls (runners/: local pool, Dask; and
gradescope/run.py). It writes nothing: it returns an Outcome, which the caller writes
(outputs/results.py).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import course, sandbox
from ..course import Assignment, Limits
from ..course.items import source_tests
from ..sandbox import slots
from ..vocabulary import ERROR, GRADED, INVALID, MISSING, REVIEW, TIMEOUT, ItemResult, Outcome, SubmissionResult
from . import hooks, saved
from .execute import run_plan
from .plan import Context, InvalidNotebook, build, read_submission


@dataclass(frozen=True)
class Job:
    assignment: Assignment
    student_id: str
    folder: Path
    limits: Limits
    digest: str
    cores: int  # the cores each grading slot owns (sandbox/slots.py)
    isolated: bool  # in a sandbox (False only with --no-sandbox)


def grade_submission(job: Job, slot: int) -> Outcome:
    """Grade one student's folder in grading slot `slot`; always returns an outcome, never raises
    for anything the submission did, and writes nothing."""
    cpus = slots.cpus_of(slot, job.cores)
    slots.pin(cpus)  # this worker, and the zygote and kernels it starts, stay on the slot's cores
    outcome = Outcome(SubmissionResult(job.student_id, job.assignment.name, submission_sha256=job.digest))
    result, log = outcome.result, []
    started = time.monotonic()
    try:
        _grade_into(outcome, job, slot, cpus, log)
    # The submission boundary: a bug of ours must cost one row, never the batch. Logged in full.
    except Exception as err:  # noqa: BLE001
        log.append(traceback.format_exc())
        result.worsen(ERROR, f"internal grader error ({type(err).__name__}); see grading.log")
        judged = {i.grade_id for i in result.items}
        result.items += [
            ItemResult(
                t.grade_id,
                t.notebook,
                t.points,
                message="Not graded: the grader failed; course staff will grade it again.",
            )
            for t in job.assignment.tests()
            if t.grade_id not in judged
        ]
    result.execution_time = time.monotonic() - started
    log.append(f"sandbox: {sandbox.tier_name(job.isolated)}")
    log.append(f"status: {result.status}; score {result.score:g}/{result.max_score:g}; {result.execution_time:.1f} s")
    outcome.log = "\n".join(log) + "\n"
    return outcome


def _grade_into(outcome: Outcome, job: Job, slot: int, cpus: list[int], log: list[str]) -> None:
    result = outcome.result
    deadline = time.monotonic() + job.limits.total_timeout
    if job.folder.is_symlink():
        result.worsen(INVALID, "the submission folder is a symbolic link: submit the notebooks themselves")
        result.items += [
            ItemResult(
                t.grade_id, t.notebook, t.points, message="Not graded: the submission folder is a symbolic link."
            )
            for t in job.assignment.tests()
        ]
        return
    submitted = [nb for nb in job.assignment.notebooks if (job.folder / nb).is_file() or (job.folder / nb).is_symlink()]
    if not submitted:
        found = sorted(p.name for p in job.folder.glob("*.ipynb"))
        result.worsen(
            MISSING,
            f"no notebook of {job.assignment.name} in the folder"
            + (f" (found {', '.join(found)}; names must match release/)" if found else ""),
        )
    for nb_name in job.assignment.notebooks:
        source_nb = job.assignment.sources[nb_name]
        tests = source_tests(source_nb, nb_name)
        result.manual.update(course.manual_items(source_nb))

        def zero(message: str) -> list[ItemResult]:  # called in this iteration only: B023 does not apply
            return [ItemResult(t.grade_id, nb_name, t.points, message=message) for t in tests]  # noqa: B023

        path = job.folder / nb_name
        if not (path.is_file() or path.is_symlink()):
            result.items += zero(f"{nb_name} was not submitted.")
            if submitted:
                result.worsen(MISSING, f"{nb_name} not submitted")
            continue
        try:
            submission = read_submission(path)
        except InvalidNotebook as err:
            result.items += zero(f"{err}: open it in JupyterLab, save it, and submit it again.")
            result.worsen(INVALID, str(err))
            continue
        if time.monotonic() >= deadline:
            result.items += zero("Not run: the submission ran out of its total time limit.")
            result.worsen(TIMEOUT, f"{nb_name} not run: out of time")
            continue
        plan = build(Context(job.assignment.name, tests), submission, nb_name)
        where = sandbox.slot_for(job.assignment.name, job.limits.data_files, slot, tuple(cpus), job.isolated)
        try:
            run = run_plan(
                plan,
                where.kernel_manager(job.limits.memory_mb),
                cwd=str(where.cwd),
                env=where.env(),
                cell_timeout=job.limits.cell_timeout,
                deadline=deadline,
            )
        finally:
            if note := where.clean():
                log.append(note)
        result.items += run.items
        log += run.log
        found = [f"{nb_name}: {name} (in the kernel)" for name in run.hooks]
        found += [f"{nb_name}: {name} (in the code)" for name in hooks.in_code(hooks.own_code(plan, source_nb))]
        if found:
            result.review += found
            result.worsen(REVIEW, "")
            log.append("review: " + "; ".join(found))
        if run.status != GRADED:
            result.worsen(run.status, run.reason)
        result.timing[nb_name] = {
            "seconds": round(run.seconds, 1),
            "slowest_cell": run.slowest_cell,
            "slowest_cell_seconds": round(run.slowest_seconds, 1),
        }
        log.append(
            f"{nb_name}: {run.status} in {run.seconds:.1f} s, slowest cell {run.slowest_cell} "
            f"({run.slowest_seconds:.1f} s)" + (f" ({run.reason})" if run.reason else "")
        )
        log += [f"  {i.grade_id}: {i.score:g}/{i.max_score:g} {i.message}" for i in run.items]
        outcome.executed[nb_name] = nbformat.writes(run.executed)
        if plan.probes:  # for `rejudge`: the items judged again without a kernel (saved.py)
            outcome.observations[nb_name] = saved.dump(plan, run.probes, run.reason, job.digest, run.failed_cells)
