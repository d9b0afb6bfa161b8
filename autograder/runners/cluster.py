"""Grade on a Dask cluster: `python -m autograder grade ... --dask ADDRESS` (a running scheduler,
by address or scheduler file) or `--dask local[:N]` (a LocalCluster of N worker processes here).

Each submission is one Dask task. Its notebooks travel to a worker as bytes and its results come
back as text; this process (the client) writes OUT, so workers need no shared file system, only
the same project environment and data (`pip install .[cluster]`, `python -m autograder data`).

Each worker grades one submission at a time in a grading slot of its own (`GradingSlot`, a worker
plugin): its sandbox and zygote start when the worker joins and are kept from task to task, as a
local grading worker keeps them. A worker that dies mid-task costs no submission: the scheduler
gives the task to another worker, and a submission whose grading killed two workers is marked
crashed (see run_jobs).
"""

from __future__ import annotations

import asyncio
import os
import stat
import tempfile
import threading
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
from distributed.scheduler import KilledWorker
from filelock import FileLock, Timeout

from .. import course, sandbox
from ..course import Assignment, UsageError
from ..sandbox import slots
from ..submission import Job, grade_submission
from ..submission.plan import InvalidNotebook, read_file
from ..vocabulary import ERROR, Outcome
from . import KILLS_TO_CRASH, not_graded, worker_died

LOCAL = "local"
ALLOWED_FAILURES = 1  # our own scheduler: a task that killed 2 workers is not given a third
MAX_ATTEMPTS = 5  # submissions of one task, when workers died while it waited (see run_jobs)
STARTED = "nn-course-started"  # the Dask event a task logs when it starts grading
CONNECT_TIMEOUT = "30s"  # to reach a scheduler, and for its first worker to join
SLOT_LOCKS = Path(tempfile.gettempdir())  # /tmp/nn-course-slot-<uid>-<i>.lock: slots taken on this host


@dataclass(frozen=True)
class Submission:
    """One student's notebooks as they travel to a worker: name -> bytes, or None for a
    symbolic link (never followed, refused by the worker as the local grader refuses it)."""

    folder_is_link: bool
    files: dict[str, bytes | None]


def pack(job: Job) -> Submission:
    if job.folder.is_symlink():
        return Submission(True, {})
    files: dict[str, bytes | None] = {}
    for nb in job.assignment.notebooks:
        path = job.folder / nb
        if path.is_symlink():
            files[nb] = None
        elif path.is_file():
            try:
                files[nb] = read_file(path)
            except InvalidNotebook:  # replaced by a link or a special file since is_file()
                files[nb] = None
    return Submission(False, files)


def unpack(submission: Submission, folder: Path) -> None:
    """Recreate the student's folder on the worker."""
    if submission.folder_is_link:
        (folder.parent / "empty").mkdir()
        folder.symlink_to(folder.parent / "empty")
        return
    folder.mkdir()
    for name, content in submission.files.items():
        if content is None:
            (folder / name).symlink_to("/nonexistent")
        else:
            (folder / name).write_bytes(content)


# ----------------------------------------------------------------------------- on each worker
class WorkerUnfit(RuntimeError):
    """This worker cannot grade (no sandbox, another version of the course); says what to do."""


def claim_slot() -> tuple[int, FileLock]:
    """The lowest slot number no other grading worker of this user on this host holds, and the
    lock that holds it until this process ends or releases it (a slot's cores, and as root its
    uid, are per host). A lock file that is a link, or another user's, is never used."""
    for slot in range(1024):
        path = SLOT_LOCKS / f"nn-course-slot-{os.getuid()}-{slot}.lock"
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
                continue  # a link, or made by another user: not ours to use
        except FileNotFoundError:
            pass
        lock = FileLock(path, mode=0o600, timeout=0, thread_local=False)  # setup and teardown: other threads
        try:
            lock.acquire()
        except Timeout:  # held by another grading worker
            continue
        except PermissionError:  # made by another user (or a link) since we looked
            continue
        return slot, lock
    raise WorkerUnfit("more than 1024 grading workers on one host")


class GradingSlot(WorkerPlugin):
    """A worker's grading slot: checked, and its zygote started, when the worker joins."""

    name = "nn-course-grading-slot"
    ready = False  # until setup succeeded on this worker

    def __init__(self, assignment: str, digest: str, isolated: bool, cores: int):
        self.assignment, self.digest, self.isolated, self.cores = assignment, digest, isolated, cores

    async def setup(self, worker) -> None:
        self.lock = threading.Lock()  # one submission at a time, whatever the worker's threads
        self.slot, self._held = claim_slot()
        await asyncio.to_thread(self._start)
        self.ready = True

    def _start(self) -> None:
        if course.load(self.assignment).digest() != self.digest:
            raise WorkerUnfit(
                "this worker has another version of the course or the grader: install the same commit on every worker"
            )
        if self.isolated:
            sandbox.preflight(True)
        cpus = slots.cpus_of(self.slot, self.cores)
        slots.pin(cpus)  # this thread, so the zygote started now stays on the slot's cores
        limits = course.settings(self.assignment).limits
        sandbox.slot_for(self.assignment, limits.data_files, self.slot, tuple(cpus), self.isolated)

    def teardown(self, worker) -> None:
        sandbox.close_slot()
        if hasattr(self, "_held"):
            self._held.release()


def grade_task(job: Job, submission: Submission, batch: str) -> Outcome:
    """Runs on a worker: grade one submission; its outcome travels back to the batch."""
    worker = get_worker()
    plugin = worker.plugins.get(GradingSlot.name)
    if plugin is None or not plugin.ready:
        raise WorkerUnfit(f"worker {worker.address} has no grading slot (see its log)")
    with plugin.lock:
        worker.log_event(STARTED, {"batch": batch, "student": job.student_id})
        return _grade_here(job, submission, plugin.slot)


def _grade_here(job: Job, submission: Submission, slot: int) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="nn-course-task-") as scratch:
        folder = Path(scratch) / "submission" / job.student_id
        folder.parent.mkdir()
        unpack(submission, folder)
        return grade_submission(replace(job, folder=folder), slot)


# ----------------------------------------------------------------------------- on the client
def connect(address: str, assignment: Assignment, isolated: bool) -> tuple[Client, LocalCluster | None]:
    """A client of the scheduler at `address`, or of a new LocalCluster for `local[:N]`, whose
    workers all hold a checked grading slot."""
    limits = assignment.limits
    cluster = None
    if address == LOCAL or address.startswith(LOCAL + ":"):
        count = address.partition(":")[2]
        if count and not (count.isdigit() and int(count) > 0):
            raise UsageError(f"--dask {address}: write local:N with N the number of workers, e.g. local:2")
        workers = int(count) if count else slots.plan(limits.cores).jobs
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    else:
        where = {"scheduler_file": address} if address.endswith(".json") else {"address": address}
        if "scheduler_file" in where and not Path(address).is_file():
            raise UsageError(f"--dask {address}: no such scheduler file (dask scheduler --scheduler-file writes it)")
        try:
            client = Client(**where, timeout=CONNECT_TIMEOUT)
        except OSError as err:  # includes TimeoutError
            raise UsageError(
                f"cannot reach the Dask scheduler at {address} ({err}): start it, "
                "or check the address (tcp://host:8786)"
            ) from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        plugin = GradingSlot(assignment.name, assignment.digest(), isolated, limits.cores)
        client.register_plugin(plugin, name=GradingSlot.name)
    except (WorkerUnfit, UsageError, sandbox.SandboxUnavailable, OSError) as err:
        close(client, cluster)
        raise UsageError(f"a Dask worker cannot grade: {err}") from None
    return client, cluster


def close(client: Client, cluster: LocalCluster | None) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


def run_jobs(client: Client, todo: list[Job], progress: bool):
    """Yield outcomes as tasks finish. Interrupted (Ctrl-C), the tasks
    not finished are cancelled; what finished is kept.

    The scheduler gives up on a task (KilledWorker) once the workers that held it died more often
    than it allows; a held task need not have run (a worker may hold one queued behind another).
    Each task therefore reports when it starts grading (a Dask event), and only a submission whose
    grading started on KILLS_TO_CRASH workers that died is marked crashed; the others are submitted again."""
    from tqdm import tqdm

    batch = uuid.uuid4().hex
    submitted = {}
    for job in todo:
        submitted[submit(client, job, batch)] = job
    attempts = dict.fromkeys((job.student_id for job in todo), 1)
    tasks = as_completed(list(submitted))
    done = False
    try:
        with tqdm(total=len(todo), unit="student", disable=not progress) as bar:
            for future in tasks:
                job = submitted.pop(future)
                try:
                    result = future.result()
                except KilledWorker:
                    started = starts(client, batch, job.student_id)
                    if started < KILLS_TO_CRASH and attempts[job.student_id] < MAX_ATTEMPTS:
                        attempts[job.student_id] += 1
                        again = submit(client, job, batch)
                        submitted[again] = job
                        tasks.add(again)
                        continue
                    result = worker_died(job, max(started, KILLS_TO_CRASH))
                except (WorkerUnfit, OSError) as err:  # a worker without a slot, or out of disk
                    result = not_graded(
                        job,
                        ERROR,
                        f"internal grader error on a Dask worker: {err}",
                        "Not graded: the grader failed; course staff will grade it again.",
                    )
                bar.update(1)
                yield result
        done = True
    finally:
        if not done:
            client.cancel(list(submitted), force=True)


def submit(client: Client, job: Job, batch: str):
    key = f"grade-{job.student_id}-{uuid.uuid4().hex[:8]}"
    return client.submit(grade_task, job, pack(job), batch, pure=False, key=key)


def starts(client: Client, batch: str, student: str) -> int:
    """How often a task of this batch started grading `student` (on any worker)."""
    return sum(
        1 for _, event in client.get_events(STARTED) if event.get("batch") == batch and event.get("student") == student
    )
