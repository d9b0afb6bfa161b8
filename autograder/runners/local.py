"""The local runner (`grade --jobs N`): worker processes on this machine, one grading slot per
process, each with its own sandbox and zygote, kept from submission to submission."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from tqdm import tqdm

from ..submission import Job, grade_submission
from ..vocabulary import Outcome
from . import KILLS_TO_CRASH, worker_died

SLOT = 0  # this worker's grading slot
_STARTED = None  # per job: 1 once a worker took it (shared with the batch's process)
_STOPPING = None  # set by the batch when it is interrupted: start nothing more


def _init_worker(counter, started, stopping) -> None:
    """Give each worker process its own sandbox slot, and the batch's shared state."""
    global SLOT, _STARTED, _STOPPING
    with counter.get_lock():
        SLOT = counter.value
        counter.value += 1
    _STARTED, _STOPPING = started, stopping


def _grade_in_worker(grade, job: Job, index: int) -> Outcome | None:
    """`grade` (grade_submission) in a pool worker, recording in the shared table that it started
    (so that, if the worker dies, the batch knows which submissions were in flight)."""
    if _STOPPING.value:
        return None
    _STARTED[index] = 1
    return grade(job, SLOT)


def run_jobs(todo: list[Job], jobs: int, progress: bool, grade=grade_submission):
    """Yield outcomes as workers finish. A worker that dies (the OS killed it, say) breaks the whole
    pool: what it had not started is graded in a new pool; what was in flight is graded again one
    at a time, each in a pool of its own, so that only a submission whose grading kills its worker
    again (KILLS_TO_CRASH) is marked crashed. `grade` is grade_submission, or (tests) another
    module-level function: the spawned workers import it."""
    if not todo:
        return
    with tqdm(total=len(todo), unit="student", disable=not progress) as bar:
        pending, in_flight = list(todo), []
        while pending:
            batch, pending = pending, []
            for job, result, started in _pool(batch, jobs, grade):
                if result is None:
                    (in_flight if started else pending).append(job)
                    continue
                bar.update(1)
                yield result
            if len(pending) == len(batch):  # the pool died before grading anything: no retry loop
                in_flight, pending = in_flight + pending, []
        for job in in_flight:
            for _, result, _ in _pool([job], 1, grade):
                bar.update(1)
                yield result if result is not None else worker_died(job, KILLS_TO_CRASH)


def _pool(batch: list[Job], workers: int, grade):
    """Grade `batch` in one pool of worker processes; yield (job, result) as they finish, and
    (job, None, started) for each job lost when a worker died."""
    context = multiprocessing.get_context("spawn")
    counter, started, stopping = context.Value("i", 0), context.Array("b", len(batch)), context.Value("b", 0)
    pool = ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(batch))),
        mp_context=context,
        initializer=_init_worker,
        initargs=(counter, started, stopping),
    )
    finished = False
    try:
        futures = {pool.submit(_grade_in_worker, grade, job, index): (index, job) for index, job in enumerate(batch)}
        for future in as_completed(futures):
            index, job = futures[future]
            try:
                yield job, future.result(), True
            except BrokenProcessPool:
                yield job, None, bool(started[index])
        finished = True
    finally:
        # Interrupted (Ctrl-C): what has not started is not graded on the way out (some jobs
        # already sit in the workers' queue, beyond what cancel_futures reaches).
        stopping.value = 0 if finished else 1
        pool.shutdown(wait=finished, cancel_futures=True)
