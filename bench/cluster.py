"""Benchmark: the same class of `neural_nets` submissions graded with `--jobs N` and with
`--dask local:N` (a LocalCluster of N worker processes), one after the other; the cost of starting
the cluster, of a Dask task beyond the grading itself, what a result weighs, and each worker's
peak memory (its process tree: worker, sandbox, zygote, kernel)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import psutil

from autograder import course, grade
from autograder.runners import cluster
from bench.throughput import PeakMemory, make_class

ASSIGNMENT = "neural_nets"


class PeakPerWorker(PeakMemory):
    """Peak resident memory (MB) of each Dask worker's process tree while the block runs."""

    def __enter__(self):
        self.peaks: dict[int, float] = {}
        return super().__enter__()

    def measure(self, me: psutil.Process) -> None:
        for proc in me.children(recursive=True):
            try:
                if "spawn_main" not in " ".join(proc.cmdline()):
                    continue  # not a worker process (their nannies live in this process)
                rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0.0), rss / 2**20)


def task_round_trip(workers: int, payload_kb: int = 100, tasks: int = 200) -> float:
    """Seconds per trivial task carrying `payload_kb` (about one submission's notebooks) on a
    LocalCluster of `workers`: the scheduler's and the transport's share of a grading task."""
    from distributed import Client, LocalCluster

    payload = b"x" * (payload_kb * 1024)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local) as client,
    ):
        client.gather(client.map(len, [payload] * workers, pure=False))  # warm up
        started = time.perf_counter()
        client.gather(client.map(len, [payload] * tasks, pure=False))
        return (time.perf_counter() - started) / tasks


def run(size: int = 20, workers: int = 2) -> dict[str, float]:
    spec = course.load(ASSIGNMENT)
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        make_class(Path(tmp), size)
        submissions = Path(tmp) / "submitted"

        started = time.perf_counter()
        grade.main(ASSIGNMENT, submissions, Path(tmp) / "jobs", jobs=workers, force=True, progress=False)
        jobs = time.perf_counter() - started

        with PeakPerWorker() as memory:
            started = time.perf_counter()
            grade.main(ASSIGNMENT, submissions, Path(tmp) / "dask", dask=f"local:{workers}", force=True, progress=False)
            dask = time.perf_counter() - started

        started = time.perf_counter()
        client, local = cluster.connect(f"local:{workers}", spec, isolated=True)
        connect = time.perf_counter() - started
        cluster.close(client, local)

        same = (Path(tmp) / "jobs" / "grades.csv").read_bytes() == (Path(tmp) / "dask" / "grades.csv").read_bytes()
        result_kb = sum(p.stat().st_size for p in (Path(tmp) / "dask").glob("*/**/*") if p.is_file()) / size / 1024
    per_submission = (dask - connect) * workers / size  # a worker's seconds per submission, started
    return {
        "submissions": size,
        "workers": workers,
        "jobs_seconds": jobs,
        "dask_seconds": dask,
        "ratio": dask / jobs,
        "same_grades": same,
        "connect_seconds": connect,
        "overhead_seconds_per_task": (dask - jobs) * workers / size,
        "task_round_trip_seconds": task_round_trip(workers),
        "result_kb": result_kb,
        "worker_seconds_per_submission": per_submission,
        "peak_mb_per_worker": max(memory.peaks.values(), default=0.0),
    }


def projection(per_submission: float, connect: float, submissions: int, workers: int) -> float:
    """Wall seconds for `submissions` on `workers`, from a measured worker-seconds per submission
    and start-up (workers start in parallel)."""
    return connect + submissions * per_submission / workers
