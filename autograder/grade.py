"""Grade a whole class: `python -m autograder grade ASSIGNMENT SUBMISSIONS --out OUT`.

One row per student folder, whatever the submission did. Each submission is graded in a worker
process (several at once), each notebook in a fresh sandboxed kernel; results are written as soon
as a student is done, so an interrupted batch keeps what it finished and a re-run skips it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import traceback
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cache, partial
from pathlib import Path

import nbformat

from . import notebooks, pool, report, results, sandbox, slots
from .checks import ASSIGNMENTS
from .config import LIMITS, NEAR_LIMIT, RELEASE, ROOT, SOURCE, Limits
from .execute import CRASHED, ERROR, GRADED, INVALID, MISSING, TIMEOUT, ItemResult, run_plan
from .release import source_digest
from .merge import Context, InvalidNotebook, build, read_submission, source_tests


ENGINE = ROOT / "autograder"


class UsageError(Exception):
    """The command was misused; the message says what to do instead."""


@dataclass(frozen=True)
class Assignment:
    name: str
    notebooks: tuple[str, ...]   # file names, as in release/<name>/

    @property
    def sources(self) -> dict[str, nbformat.NotebookNode]:
        """The instructor's notebooks (read once per process; treat them as read-only)."""
        return {nb: read_source(self.name, nb) for nb in self.notebooks}

    def tests(self) -> list:
        """The autograded items of every notebook, in order."""
        return [t for nb, source in self.sources.items() for t in source_tests(source, nb)]

    @property
    def item_ids(self) -> list[str]:
        manual = [gid for source in self.sources.values() for gid in manual_items(source)]
        return [t.grade_id for t in self.tests()] + manual

    def digest(self) -> str:
        """Changes whenever a verdict could: when the instructor changes the notebooks or the
        checks (both halves and their vocabulary), or when the grader itself changes (every module
        of the autograder package: the probes, the limits, the sandbox, the messages). Results
        graded before are then graded again."""
        h = hashlib.sha256(source_digest(self.name).encode())
        for path in sorted(ENGINE.rglob("*.py")):
            if path.relative_to(ENGINE).as_posix() in AFTER_GRADING:
                continue
            h.update(str(path.relative_to(ENGINE)).encode())
            h.update(path.read_bytes())
        return h.hexdigest()


# Modules that only read what grading left behind (the class report): editing them never changes a
# verdict, so they are not part of the digest and a re-run does not grade the class again.
AFTER_GRADING = frozenset({"report.py", "statistics.py"})


@cache
def read_source(assignment: str, notebook: str) -> nbformat.NotebookNode:
    """A source notebook, parsed once per worker process rather than once per submission."""
    return notebooks.read(SOURCE / assignment / notebook)


def manual_items(source_nb) -> dict[str, float]:
    """Manually graded answers (nbgrader: graded, with a solution, not code tests)."""
    return {notebooks.grade_id(c): notebooks.points(c) for c in source_nb.cells
            if notebooks.nbgrader(c).get("grade") and notebooks.is_solution_cell(c)}


def load_assignment(name: str) -> Assignment:
    if name not in ASSIGNMENTS:
        raise UsageError(f"unknown assignment {name!r}: choose one of {', '.join(ASSIGNMENTS)}")
    released = sorted(p.name for p in (RELEASE / name).glob("*.ipynb"))
    if not released:
        raise UsageError(f"release/{name}/ has no notebooks: run `python -m autograder release {name}` first")
    missing = [nb for nb in released if not (SOURCE / name / nb).exists()]
    if missing:
        raise UsageError(f"release/{name}/ has notebooks that source/{name}/ lacks: {missing}; "
                         "regenerate release/ with `python -m autograder release`")
    return Assignment(name, tuple(released))


def find_submissions(folder: Path, assignment: str) -> dict[str, Path]:
    """{student_id: folder with that student's notebooks}. Accepts SUBMISSIONS/<student>/ and
    nbgrader's submitted/<student>/<assignment>/."""
    try:
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder: give the folder that holds one folder per student")
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except PermissionError as err:
        raise UsageError(f"cannot read {folder} ({err.strerror}): grade as a user who can read it") from None
    return {child.name: child / assignment if _is_folder(child / assignment) else child for child in children}


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


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


@dataclass(frozen=True)
class Job:
    assignment: Assignment
    student_id: str
    folder: Path
    out: Path
    limits: Limits
    digest: str
    cores: int      # the cores each grading slot owns (slots.plan)
    isolated: bool  # in a sandbox (False only with --no-sandbox)


# ----------------------------------------------------------------------------- one submission
def grade_submission(job: Job, slot: int | None = None) -> results.SubmissionResult:
    """Grade one student's folder; always returns a result and writes it to OUT/<student>/."""
    slot = pool.SLOT if slot is None else slot
    cpus = slots.cpus_of(slot, job.cores)
    slots.pin(cpus)  # this worker, and the zygote and kernels it starts, stay on the slot's cores
    result = results.SubmissionResult(job.student_id, job.assignment.name, submission_sha256=job.digest)
    log = []
    started = time.monotonic()
    try:
        _grade_into(result, job, slot, cpus, log)
    # The batch boundary: a bug of ours must cost one row, never the batch. Logged in full.
    except Exception as err:  # noqa: BLE001
        log.append(traceback.format_exc())
        result.worsen(ERROR, f"internal grader error ({type(err).__name__}); see grading.log")
        judged = {i.grade_id for i in result.items}
        result.items += [ItemResult(t.grade_id, t.notebook, t.points, message="Not graded: the grader failed; "
                                    "course staff will grade it again.")
                         for t in job.assignment.tests() if t.grade_id not in judged]
    result.execution_time = time.monotonic() - started
    log.append(f"status: {result.status}; score {result.score:g}/{result.max_score:g}; "
               f"{result.execution_time:.1f} s")
    results.write_atomic(job.out / job.student_id / "grading.log", "\n".join(log) + "\n")
    results.write_student(job.out, result)
    return result


def _grade_into(result: results.SubmissionResult, job: Job, slot: int, cpus: list[int], log: list[str]) -> None:
    deadline = time.monotonic() + job.limits.total_timeout
    if job.folder.is_symlink():
        result.worsen(INVALID, "the submission folder is a symbolic link: submit the notebooks themselves")
        result.items += [ItemResult(t.grade_id, t.notebook, t.points, message="Not graded: the submission "
                                    "folder is a symbolic link.") for t in job.assignment.tests()]
        return
    submitted = [nb for nb in job.assignment.notebooks
                 if (job.folder / nb).is_file() or (job.folder / nb).is_symlink()]
    if not submitted:
        found = sorted(p.name for p in job.folder.glob("*.ipynb"))
        result.worsen(MISSING, f"no notebook of {job.assignment.name} in the folder"
                      + (f" (found {', '.join(found)}; names must match release/)" if found else ""))
    for nb_name in job.assignment.notebooks:
        source_nb = job.assignment.sources[nb_name]
        tests = source_tests(source_nb, nb_name)
        result.manual.update(manual_items(source_nb))

        def zero(message: str) -> list[ItemResult]:
            return [ItemResult(t.grade_id, nb_name, t.points, message=message) for t in tests]

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
            run = run_plan(plan, where.kernel_manager(job.limits.memory_mb), cwd=str(where.cwd),
                           env=where.env(), cell_timeout=job.limits.cell_timeout, deadline=deadline)
        finally:
            if note := where.clean():
                log.append(note)
        result.items += run.items
        log += run.log
        if run.status != GRADED:
            result.worsen(run.status, run.reason)
        result.timing[nb_name] = {"seconds": round(run.seconds, 1), "slowest_cell": run.slowest_cell,
                                  "slowest_cell_seconds": round(run.slowest_seconds, 1)}
        log.append(f"{nb_name}: {run.status} in {run.seconds:.1f} s, slowest cell {run.slowest_cell} "
                   f"({run.slowest_seconds:.1f} s)" + (f" ({run.reason})" if run.reason else ""))
        log += [f"  {i.grade_id}: {i.score:g}/{i.max_score:g} {i.message}" for i in run.items]
        results.write_atomic(job.out / job.student_id / "executed" / nb_name,
                            nbformat.writes(run.executed))


# ----------------------------------------------------------------------------- the batch
def preflight(isolated: bool) -> None:
    """Fail early, before any student is graded, when the sandbox cannot work here."""
    if not isolated:
        return
    why = sandbox.check()
    if why:
        raise UsageError(f"no sandbox for student code: {why}. To grade anyway, without isolation "
                         "(only for code you trust), pass --no-sandbox.")
    blocked = sandbox.unreachable_interpreter() if sandbox.is_root() else None
    if blocked:
        raise UsageError(
            f"student code runs as an unprivileged user, who cannot run {sys.executable}: {blocked} "
            "is closed to other users. Create the virtual environment from a Python they can run, "
            "e.g. `make setup PYTHON=/usr/bin/python3`.")


def main(assignment: str, submissions: Path, out: Path, jobs: int | None = None,
         timeout: float | None = None, cell_timeout: float | None = None, force: bool = False,
         progress: bool = True, sandboxed: bool = True, dask: str | None = None,
         gradebook: Path | None = None) -> int:
    """Grade every student folder in `submissions` into `out`, in local worker processes or, with
    `dask` (a scheduler's address, or local[:N]), as tasks of a Dask cluster (cluster.py). With
    `gradebook` (an nbgrader course folder), also write the results into its gradebook for
    formgrader (gradebook.py) and put the TAs' manual scores into grades.csv. Returns 0 when the
    batch ran (whatever the submissions did), 2 on misuse."""
    with ExitStack() as stack:
        try:
            spec = load_assignment(assignment)
            students = find_submissions(Path(submissions), assignment)
            limits = LIMITS[assignment]
            limits = replace(limits, total_timeout=timeout or limits.total_timeout,
                             cell_timeout=min(cell_timeout or limits.cell_timeout, timeout or float("inf")))
            if jobs is not None and jobs < 1:
                raise UsageError(f"--jobs {jobs}: grade at least one submission at a time")
            if dask is not None and jobs is not None:
                raise UsageError("--jobs and --dask: with --dask the cluster's workers decide how many "
                                 "submissions are graded at once; drop --jobs")
            if gradebook is not None:
                _prepare_gradebook(Path(gradebook), assignment)
            if dask is None:
                plan = slots.plan(limits.cores, jobs)
                preflight(sandboxed)
                run_jobs = partial(pool.run_jobs, jobs=plan.jobs, progress=progress)
            else:
                # Each worker grades in a slot of its own, on the cores the assignment states
                # (checked, with the sandbox, on the workers themselves).
                plan = slots.SlotPlan(jobs=0, cores=limits.cores)
                run_jobs = stack.enter_context(_dask_runner(dask, spec, sandboxed, progress))
            out = Path(out)
            out.mkdir(parents=True, exist_ok=True)
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return _batch(spec, students, out, limits, plan, run_jobs, force, sandboxed, gradebook)


def _prepare_gradebook(course: Path, assignment: str) -> None:
    from . import gradebook  # nbgrader's database, kaleido: not in every worker
    try:
        gradebook.prepare(course, assignment)
    except gradebook.GradebookError as err:
        raise UsageError(str(err)) from None


def _batch(spec: Assignment, students: dict[str, Path], out: Path, limits: Limits, plan: slots.SlotPlan,
           run_jobs, force: bool, sandboxed: bool, gradebook: Path | None) -> int:
    where = f"{plan.jobs} at a time" if plan.jobs else "on the Dask cluster"
    print(f"grading {len(students)} submission(s) of {spec.name}, {where}, "
          f"{plan.cores} core(s) each; {sandbox.describe(sandboxed)}")
    if plan.note:
        print(f"note: {plan.note}")

    started, started_at = time.monotonic(), datetime.now(timezone.utc).isoformat(timespec="seconds")
    assignment_digest = spec.digest()
    graded: dict[str, results.SubmissionResult] = {}
    todo: list[Job] = []
    for student, folder in students.items():
        digest = submission_digest(spec, folder, assignment_digest)
        previous = results.read_student(out, student)
        if not force and previous and previous.submission_sha256 == digest:
            graded[student] = previous
        else:
            todo.append(Job(spec, student, folder, out, limits, digest, plan.cores, sandboxed))
    if len(graded):
        print(f"{len(graded)} already graded (same submission, same checks): skipped; --force grades them again")
    skipped, completed = len(graded), False
    try:
        for result in run_jobs(todo):
            graded[result.student_id] = result
        completed = True
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are kept; run the same command again to go on",
              file=sys.stderr)
        return 130
    finally:
        done = [r for s in students if (r := graded.get(s) or results.read_student(out, s))]
        results.write_atomic(out / "grades.csv", results.grades_csv(done, spec.item_ids))
        # The batch's wall time, then the class report: after a completed batch and after Ctrl-C
        # (then with what was graded by then, and saying so).
        batch = {"assignment": spec.name, "started_at": started_at,
                 "wall_seconds": round(time.monotonic() - started, 1),
                 "runner": "local" if plan.jobs else "dask", "jobs": plan.jobs or None, "cores": plan.cores,
                 "submissions": len(students), "skipped": skipped, "graded": len(graded) - skipped,
                 "completed": completed}
        report.write_batch(out, batch)
        page = report.write(out, done, batch) if done else None
        if page and not completed:
            print(f"class report so far: {page}", file=sys.stderr)
    if gradebook is not None:
        from . import gradebook as nbgradebook
        final = nbgradebook.record(Path(gradebook), done, out, spec.sources)
        results.write_atomic(out / "grades.csv", results.grades_csv(done, spec.item_ids, final))
        print(f"wrote {len(done)} submission(s) into {nbgradebook.db_url(Path(gradebook))} and "
              f"{Path(gradebook) / 'autograded'}: grade the manual items in formgrader")
    print(results.score_table(list(graded.values())))
    near = results.near_limit(graded.values(), limits)
    if near:
        print(f"{len(near)} submission(s) used more than {NEAR_LIMIT:.0%} of a time limit "
              f"(see their grading.log): {', '.join(near)}")
    print(f"wrote {out / 'grades.csv'} and, per student, results.json, feedback.html, grading.log")
    if page:
        print(f"class report: {page}")
    return 0


@contextmanager
def _dask_runner(address: str, spec: Assignment, sandboxed: bool, progress: bool):
    try:
        from . import cluster
    except ImportError as err:  # Dask is an optional dependency
        raise UsageError(f"--dask needs Dask ({err.name} is not installed): pip install -e '.[cluster]'") from None

    client, local = cluster.connect(address, spec, sandboxed)
    print(f"Dask: {len(client.scheduler_info()['workers'])} worker(s) at {client.scheduler.address}; "
          f"dashboard {client.dashboard_link}")
    try:
        yield lambda todo: cluster.run_jobs(client, todo, progress)
    finally:
        cluster.close(client, local)


def not_graded(job: Job, status: str, reason: str, item_message: str) -> results.SubmissionResult:
    """The result of a submission the grader could not grade; no digest, so a re-run grades it."""
    result = results.SubmissionResult(job.student_id, job.assignment.name, submission_sha256="")
    result.worsen(status, reason)
    result.items = [ItemResult(t.grade_id, t.notebook, t.points, message=item_message)
                    for t in job.assignment.tests()]
    results.write_student(job.out, result)
    return result


def worker_died(job: Job, times: int = 2) -> results.SubmissionResult:
    how_often = "twice" if times == 2 else f"{times} times"
    return not_graded(job, CRASHED, f"the grading worker died {how_often} while grading this submission "
                      "(it was killed, or ran out of memory)", "Not graded: the grading worker died.")
