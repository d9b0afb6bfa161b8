"""TAs: grade a whole class, `python -m autograder grade ASSIGNMENT SUBMISSIONS --out OUT`.

The batch: find the students' folders, skip what is already graded (same submission, same
checks), hand the rest to a runner (runners/: local worker processes, or Dask), and write each
outcome as it arrives (outputs/), then grades.csv and the class report. One row per student
folder, whatever the submission did; an interrupted batch keeps what it finished and a re-run
skips it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from . import course, exits, report, sandbox
from .classroom import absent_result, late_policy, lateness_of, load_roster, on_roster, people_of, take_in
from .course import NEAR_LIMIT, Assignment, Limits, UsageError
from .intake import folders as intake_folders
from .outputs import results
from .runners import local
from .sandbox import slots
from .submission import Job, unzip
from .vocabulary import CRASHED, ERROR


def find_submissions(folder: Path, assignment: str) -> dict[str, Path]:
    """{student_id: folder with that student's notebooks}, for SUBMISSIONS/<student>/ and nbgrader's
    submitted/<student>/<assignment>/ (intake/folders.py; an LMS download needs intake.read)."""
    try:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder: give the folder that holds one folder per student")
        return {s: sub.folder for s, sub in intake_folders.collect(folder, assignment).items()}
    except PermissionError as err:
        raise UsageError(f"cannot read {folder} ({err.strerror}): grade as a user who can read it") from None


def submission_digest(assignment: Assignment, folder: Path, assignment_digest: str) -> str:
    h = hashlib.sha256(assignment_digest.encode())
    h.update(b"<link>" if folder.is_symlink() else b"")
    for nb in assignment.notebooks:
        path = folder / nb
        h.update(nb.encode())
        if path.is_symlink():
            h.update(b"<link>" + os.fsencode(os.readlink(path)))
        else:
            h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


def main(
    assignment: str,
    submissions: Path,
    out: Path,
    jobs: int | None = None,
    timeout: float | None = None,
    cell_timeout: float | None = None,
    force: bool = False,
    progress: bool = True,
    sandboxed: bool = True,
    dask: str | None = None,
    gradebook: Path | None = None,
    quiet: bool = False,
    roster: Path | None = None,
    late: dict | None = None,
    only: list[str] | None = None,
) -> int:
    """Grade every student folder in `submissions` into `out`, in local worker processes or, with
    `dask` (a scheduler's address, or local[:N]), as tasks of a Dask cluster (runners/cluster.py).
    With `gradebook` (an nbgrader course folder), also write the results into its gradebook for
    formgrader (formgrader/gradebook.py) and put the TAs' manual scores into grades.csv. `quiet`:
    no progress bar, no table, only warnings and errors (on stderr). Returns an exit status of
    exits.py: 0 when every submission was graded, 3 or 4 when one crashed or hit a grader error,
    2 on misuse, 130 when interrupted. `roster`: the class list (roster.py); `late`: the command
    line's overrides of the assignment's [late] policy (late.py). `only`: grade those students
    (with `force`, even if unchanged) and leave everyone else's files as they are."""
    progress = progress and not quiet
    people = None
    with ExitStack() as stack:
        try:
            spec = course.load(assignment)
            say = _silent if quiet else print
            if roster is not None:
                people = load_roster(Path(roster))
            policy = late_policy(spec, late or {})
            limits = spec.limits
            limits = replace(
                limits,
                total_timeout=timeout or limits.total_timeout,
                cell_timeout=min(cell_timeout or limits.cell_timeout, timeout or float("inf")),
            )
            if jobs is not None and jobs < 1:
                raise UsageError(f"--jobs {jobs}: grade at least one submission at a time")
            if dask is not None and jobs is not None:
                raise UsageError(
                    "--jobs and --dask: with --dask the cluster's workers decide how many "
                    "submissions are graded at once; drop --jobs"
                )
            if gradebook is not None:
                _prepare_gradebook(Path(gradebook), assignment)
            if dask is None:
                plan = slots.plan(limits.cores, jobs)
                try:
                    sandbox.preflight(sandboxed)
                except sandbox.SandboxUnavailable as err:
                    raise UsageError(str(err)) from None
                run_jobs = partial(local.run_jobs, jobs=plan.jobs, progress=progress)
            else:
                # Each worker grades in a slot of its own, on the cores the assignment states
                # (checked, with the sandbox, on the workers themselves).
                plan = slots.SlotPlan(jobs=0, cores=limits.cores)
                run_jobs = stack.enter_context(_dask_runner(dask, spec, sandboxed, progress))
            out = Path(out)
            students = take_in(Path(submissions), spec, out, say)
            absent: list[str] = []
            if people is not None:
                students, absent = on_roster(people, students, out, say)
            if only is not None:
                unknown = sorted(set(only) - set(students) - set(absent))
                if unknown or not only:
                    known = ", ".join(sorted(students)[:10]) + (" ..." if len(students) > 10 else "")
                    raise UsageError(
                        f"--only {','.join(unknown) or '(nothing)'}: not a student of this class ({known}); "
                        "give ids as grades.csv spells them, separated by commas"
                    )
            out.mkdir(parents=True, exist_ok=True)
            students = {student: _intake(student, folder, spec, out) for student, folder in students.items()}
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            return exits.USAGE
        return _batch(
            spec, students, out, limits, plan, run_jobs, force, sandboxed, gradebook, say, absent, policy, only
        )


def _silent(*args, **kwargs) -> None:
    """`print` under --quiet: what goes to stdout is dropped (warnings go to stderr, always)."""


def _intake(student: str, folder: Path, spec: Assignment, out: Path) -> Path:
    """The folder to grade: the student's, or the notebooks of the handout's export
    (``<assignment>-<student>.zip``, nncheck.py export) when that is what it holds, taken out
    into OUT/.unpacked/<student>/."""
    archive = unzip.export_of(folder, spec.name, spec.notebooks)
    if archive is None:
        return folder
    into = out / ".unpacked" / student
    try:
        unzip.unpack(archive, spec.notebooks, into)
    except unzip.UnreadableExport as err:
        print(f"warning: {student}: {err}", file=sys.stderr)
    return into


def _prepare_gradebook(course: Path, assignment: str) -> None:
    from .formgrader import gradebook  # nbgrader's database, kaleido: not in every worker

    try:
        gradebook.prepare(course, assignment)
    except gradebook.GradebookError as err:
        raise UsageError(str(err)) from None


def _batch(
    spec: Assignment,
    students: dict[str, Path],
    out: Path,
    limits: Limits,
    plan: slots.SlotPlan,
    run_jobs,
    force: bool,
    sandboxed: bool,
    gradebook: Path | None,
    say=print,
    absent: tuple[str, ...] | list[str] = (),
    policy=None,
    only: list[str] | None = None,
) -> int:
    where = f"{plan.jobs} at a time" if plan.jobs else "on the Dask cluster"
    say(
        f"grading {len(students)} submission(s) of {spec.name}, {where}, "
        f"{plan.cores} core(s) each; {sandbox.describe(sandboxed)}"
    )
    if plan.note:
        say(f"note: {plan.note}")

    started, started_at = time.monotonic(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    assignment_digest = spec.digest()
    graded: dict[str, results.SubmissionResult] = {}
    todo: list[Job] = []
    for student, folder in students.items():
        previous = results.read_student(out, student)
        if only is not None and student not in only:  # --only: everyone else's files stay as they are
            if previous:
                graded[student] = previous
            continue
        digest = submission_digest(spec, folder, assignment_digest)
        # A grader error is ours, never the submission's: it is graded again by the next run.
        if not force and previous and previous.submission_sha256 == digest and previous.status != ERROR:
            graded[student] = previous
        else:
            todo.append(Job(spec, student, folder, limits, digest, plan.cores, sandboxed))
    for student in absent:  # on the roster, nothing submitted: a row, never a grading
        missing = absent_result(spec, student)
        if only is None or student in only:
            results.write_student(out, missing)
        graded[student] = missing
    students = {**students, **dict.fromkeys(absent)}
    if len(graded) > len(absent):
        say(
            f"{len(graded) - len(absent)} already graded (same submission, same checks): skipped; "
            "--force grades them again"
        )
    skipped, completed = len(graded) - len(absent), False
    try:
        for outcome in run_jobs(todo):
            results.write_outcome(out, outcome)
            graded[outcome.result.student_id] = outcome.result
        completed = True
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are kept; run the same command again to go on", file=sys.stderr)
        return exits.INTERRUPTED
    finally:
        done = [r for s in students if (r := graded.get(s) or results.read_student(out, s))]
        lateness = lateness_of(policy, out, {s: f for s, f in students.items() if f is not None}, spec)
        results.write_atomic(
            out / "grades.csv", results.grades_csv(done, spec.item_ids, people=people_of(out), late=lateness)
        )
        # The batch's wall time, then the class report: after a completed batch and after Ctrl-C
        # (then with what was graded by then, and saying so).
        batch = {
            "assignment": spec.name,
            "started_at": started_at,
            "wall_seconds": round(time.monotonic() - started, 1),
            "runner": "local" if plan.jobs else "dask",
            "jobs": plan.jobs or None,
            "cores": plan.cores,
            "submissions": len(students) - len(absent),
            "skipped": skipped,
            "graded": len(graded) - skipped - len(absent),
            "missing_on_roster": len(absent),
            "completed": completed,
            "regrades": regrades(out, only, force, started_at, completed),
        }
        report.write_batch(out, batch)
        page = report.write(out, done, batch) if done else None
        if page and not completed:
            print(f"class report so far: {page}", file=sys.stderr)
    if gradebook is not None:
        from .formgrader import gradebook as nbgradebook

        final = nbgradebook.record(Path(gradebook), done, out, spec.sources)
        results.write_atomic(
            out / "grades.csv", results.grades_csv(done, spec.item_ids, final, people_of(out), lateness)
        )
        say(
            f"wrote {len(done)} submission(s) into {nbgradebook.db_url(Path(gradebook))} and "
            f"{Path(gradebook) / 'autograded'}: grade the manual items in formgrader"
        )
    say(results.score_table(list(graded.values())))
    near = results.near_limit(graded.values(), limits)
    if near:
        say(
            f"{len(near)} submission(s) used more than {NEAR_LIMIT:.0%} of a time limit "
            f"(see their grading.log): {', '.join(near)}"
        )
    say(f"wrote {out / 'grades.csv'} and, per student, results.json, feedback.html, grading.log")
    if page:
        say(f"class report: {page}")
    code = exits.for_statuses(r.status for r in done)
    if code != exits.OK:
        bad = sorted(r.student_id for r in done if r.status in (CRASHED, ERROR))
        print(
            f"exit status {code}: {len(bad)} submission(s) crashed or hit a grader error ({', '.join(bad)}); "
            "see their grading.log",
            file=sys.stderr,
        )
    return code


def regrades(out: Path, only: list[str] | None, force: bool, at: str, completed: bool) -> list[dict]:
    """The --only runs so far (batch.json keeps them from run to run; the report lists them)."""
    earlier = (report.read_batch(out) or {}).get("regrades", [])
    if only is None:
        return earlier
    return [*earlier, {"at": at, "students": sorted(only), "force": force, "completed": completed}]


@contextmanager
def _dask_runner(address: str, spec: Assignment, sandboxed: bool, progress: bool):
    try:
        from .runners import cluster
    except ImportError as err:  # Dask is an optional dependency
        raise UsageError(f"--dask needs Dask ({err.name} is not installed): pip install -e '.[cluster]'") from None

    client, local = cluster.connect(address, spec, sandboxed)
    print(
        f"Dask: {len(client.scheduler_info()['workers'])} worker(s) at {client.scheduler.address}; "
        f"dashboard {client.dashboard_link}"
    )
    try:
        yield lambda todo: cluster.run_jobs(client, todo, progress)
    finally:
        cluster.close(client, local)
