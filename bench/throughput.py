"""Benchmark: grade the same class of `neural_nets` submissions with our grader and with
`nbgrader autograde` (on a scratch copy of the course directory), one after the other, and
report wall time, the ratio, our overhead per submission beyond the notebooks' own execution
time, and the peak memory of each (the process tree's resident set, sampled every 0.1 s)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import nbformat
import psutil

from autograder import demo, grade
from autograder.course.notebooks import nbgrader_env
from autograder.paths import DATA, RELEASE, ROOT, SOURCE

ASSIGNMENT = "neural_nets"


def make_class(root: Path, size: int) -> list[str]:
    """`size` students in nbgrader's layout: a repeating mix of perfect, blank and partly right
    (one notebook left blank, a different one each time)."""
    names = sorted(p.name for p in (RELEASE / ASSIGNMENT).glob("*.ipynb"))
    students = []
    for i in range(size):
        student = f"student{i:02d}"
        kind = ("perfect", "blank", "partly")[i % 3]
        nbs = {n: demo.blank(ASSIGNMENT, n) if kind == "blank" else demo.answered(ASSIGNMENT, n) for n in names}
        if kind == "partly":
            nbs[names[i % len(names)]] = demo.blank(ASSIGNMENT, names[i % len(names)])
        demo.write_student(root / "submitted" / student / ASSIGNMENT, nbs)
        students.append(student)
    return students


class PeakMemory:
    """Peak resident memory (MB) of this process and all its descendants while the block runs."""

    def __enter__(self):
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        me = psutil.Process()
        while not self._stop.is_set():
            self.measure(me)
            self._stop.wait(0.1)

    def measure(self, me: psutil.Process) -> None:
        """One sample (every 0.1 s); a subclass measures something else by overriding it."""
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        self.peak = max(self.peak, total / 2**20)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def own_execution_seconds(out: Path) -> float:
    """Seconds the notebooks' cells ran, summed over the class, from the timings nbclient
    records in each executed notebook."""
    total = 0.0
    for path in out.glob("*/executed/*.ipynb"):
        for cell in nbformat.read(str(path), as_version=4).cells:
            timing = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
                start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                total += (end - start).total_seconds()
    return total


def run(size: int = 20, jobs: int = os.cpu_count() or 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(SOURCE / ASSIGNMENT, course / "source" / ASSIGNMENT)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        (course / "data").symlink_to(DATA)
        make_class(course, size)
        nbgrader = [sys.executable, "-m", "nbgrader"]
        subprocess.run(
            nbgrader + ["generate_assignment", ASSIGNMENT, "--force", "--log-level=ERROR"],
            cwd=course,
            env=nbgrader_env(),
            check=True,
        )

        out = Path(tmp) / "ours"
        with PeakMemory() as ours_memory:
            started = time.perf_counter()
            grade.main(ASSIGNMENT, course / "submitted", out, jobs=jobs, force=True, progress=False)
            ours = time.perf_counter() - started

        with PeakMemory() as theirs_memory:
            started = time.perf_counter()
            subprocess.run(
                nbgrader + ["autograde", ASSIGNMENT, "--force", "--log-level=ERROR"],
                cwd=course,
                env=nbgrader_env(),
                check=True,
            )
            theirs = time.perf_counter() - started
        own = own_execution_seconds(out)
    return {
        "submissions": size,
        "jobs": jobs,
        "ours_seconds": ours,
        "nbgrader_seconds": theirs,
        "ratio": theirs / ours,
        "own_seconds_per_submission": own / size,
        # each of `jobs` workers is busy for about ours*jobs seconds in all
        "overhead_seconds_per_submission": (ours * jobs - own) / size,
        "ours_peak_mb": ours_memory.peak,
        "nbgrader_peak_mb": theirs_memory.peak,
    }
