"""Grade on a Dask cluster: `python -m autograder grade ... --dask ADDRESS` (a running scheduler)
or `--dask local[:N]` (a LocalCluster of N worker processes on this machine).

Each submission is one Dask task. Its notebooks travel to a worker as bytes and its results come
back as text; this process (the client) writes OUT, so workers need no shared file system, only
the same project environment and data (`pip install .[cluster]`, `python -m autograder data`).

Each worker grades one submission at a time in a grading slot of its own (`GradingSlot`, a worker
plugin): its sandbox and zygote start when the worker joins and are kept from task to task, as a
local grading worker keeps them. A worker that dies mid-task costs no submission: the scheduler
gives the task to another worker, and a submission whose task killed two workers is marked
crashed (a scheduler of our own allows one failure; an existing scheduler keeps its setting).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
from distributed.scheduler import KilledWorker

from . import grade, report, sandbox, slots
from .config import LIMITS
from .merge import InvalidNotebook, read_file

LOCAL = "local"
ALLOWED_FAILURES = 1     # our own scheduler: a task that killed 2 workers is not given a third
CONNECT_TIMEOUT = "30s"  # to reach a scheduler, and for its first worker to join
SLOT_LOCKS = Path(tempfile.gettempdir())  # /tmp/nn-course-slot-<i>.lock: slots taken on this host


@dataclass(frozen=True)
class Submission:
    """One student's notebooks as they travel to a worker: name -> bytes, or None for a
    symbolic link (never followed, refused by the worker as the local grader refuses it)."""

    folder_is_link: bool
    files: dict[str, bytes | None]


def pack(job: grade.Job) -> Submission:
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


def claim_slot() -> tuple[int, int]:
    """The lowest slot number no other grading worker on this host holds, and the open lock file
    that holds it until this process ends (the uid and cores of a slot are per host)."""
    for slot in range(1024):
        fd = os.open(SLOT_LOCKS / f"nn-course-slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return slot, fd
    raise WorkerUnfit("more than 1024 grading workers on one host")


class GradingSlot(WorkerPlugin):
    """A worker's grading slot: checked, and its zygote started, when the worker joins."""

    name = "nn-course-grading-slot"

    def __init__(self, assignment: str, digest: str, isolated: bool, cores: int):
        self.assignment, self.digest, self.isolated, self.cores = assignment, digest, isolated, cores

    async def setup(self, worker) -> None:
        self.lock = threading.Lock()  # one submission at a time, whatever the worker's threads
        self.slot, self._held = claim_slot()
        await asyncio.to_thread(self._start)

    def _start(self) -> None:
        if grade.load_assignment(self.assignment).digest() != self.digest:
            raise WorkerUnfit("this worker has another version of the course or the grader: install "
                              "the same commit on every worker")
        if self.isolated:
            grade.preflight(True)
        cpus = slots.cpus_of(self.slot, self.cores)
        slots.pin(cpus)  # this thread, so the zygote started now stays on the slot's cores
        limits = LIMITS[self.assignment]
        sandbox.slot_for(self.assignment, limits.data_files, self.slot, tuple(cpus), self.isolated)

    def teardown(self, worker) -> None:
        sandbox.close_slot()
        os.close(self._held)


def grade_task(job: grade.Job, submission: Submission) -> dict[str, str]:
    """Runs on a worker: grade one submission; its OUT/<student>/ files, by relative path."""
    plugin = get_worker().plugins[GradingSlot.name]
    with plugin.lock, tempfile.TemporaryDirectory(prefix="nn-course-task-") as scratch:
        folder, out = Path(scratch) / "submission" / job.student_id, Path(scratch) / "out"
        folder.parent.mkdir()
        unpack(submission, folder)
        grade.grade_submission(replace(job, folder=folder, out=out), slot=plugin.slot)
        student = out / job.student_id
        return {str(p.relative_to(student)): p.read_text(encoding="utf-8")
                for p in sorted(student.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- on the client
def connect(address: str, assignment: grade.Assignment, isolated: bool) -> tuple[Client, LocalCluster | None]:
    """A client of the scheduler at `address`, or of a new LocalCluster for `local[:N]`, whose
    workers all hold a checked grading slot."""
    limits = LIMITS[assignment.name]
    cluster = None
    if address == LOCAL or address.startswith(LOCAL + ":"):
        count = address.partition(":")[2]
        if count and not (count.isdigit() and int(count) > 0):
            raise grade.UsageError(f"--dask {address}: write local:N with N the number of workers, e.g. local:2")
        workers = int(count) if count else slots.plan(limits.cores).jobs
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)
        except OSError as err:  # includes TimeoutError
            raise grade.UsageError(f"cannot reach the Dask scheduler at {address} ({err}): start it, "
                                   "or check the address (tcp://host:8786)") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        plugin = GradingSlot(assignment.name, assignment.digest(), isolated, limits.cores)
        client.register_plugin(plugin, name=GradingSlot.name)
    except (WorkerUnfit, grade.UsageError, sandbox.SandboxUnavailable, OSError) as err:
        close(client, cluster)
        raise grade.UsageError(f"a Dask worker cannot grade: {err}") from None
    return client, cluster


def close(client: Client, cluster: LocalCluster | None) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


def allowed_failures(client: Client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures)


def run_jobs(client: Client, todo: list[grade.Job], progress: bool):
    """Yield results as tasks finish, each written to OUT first. Interrupted (Ctrl-C), the tasks
    not finished are cancelled; what finished is kept."""
    from tqdm import tqdm

    deaths = allowed_failures(client) + 1
    futures = {client.submit(grade_task, job, pack(job), pure=False, key=f"grade-{job.student_id}-{i}"): job
               for i, job in enumerate(todo)}
    done = False
    try:
        with tqdm(total=len(todo), unit="student", disable=not progress) as bar:
            for future in as_completed(futures):
                job = futures.pop(future)
                try:
                    result = write(job, future.result())
                except KilledWorker:
                    result = grade.worker_died(job, deaths)
                bar.update(1)
                yield result
        done = True
    finally:
        if not done:
            client.cancel(list(futures), force=True)


def write(job: grade.Job, files: dict[str, str]) -> report.SubmissionResult:
    """A worker's files into OUT/<student>/, results.json last (it marks the student graded)."""
    student = job.out / job.student_id
    for name in sorted(files, key=lambda name: name == "results.json"):
        path = (student / name).resolve()
        if not path.is_relative_to(student.resolve()):
            raise ValueError(f"a worker sent a file outside the student's folder: {name!r}")
        report.write_atomic(path, files[name])
    return report.from_results_json(json.loads(files["results.json"]))
