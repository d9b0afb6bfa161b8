"""`python -m bench.gradescope [--python PATH] [ASSIGNMENT ...]`: what a Gradescope autograder
needs, measured: the wall time and peak memory of `run_autograder` grading the reference and the
blank release of each assignment, in a simulated /autograder (as tests/gradescope/test_gradescope.py does).

Memory is sampled every 0.1 s over run_autograder's whole process tree (the grader, the trial
sandbox, the sandbox, its zygote and the kernel): the peak of the sum of the processes' PSS
(proportional set size: a page shared by n processes counts 1/n in each, so the sum is the memory
the tree really holds, close to what a container's memory limit counts) and, for comparison, the
peak of the sum of their RSS (shared pages counted in every process: an upper bound).

--python: the interpreter run_autograder uses (default: this one), e.g. a venv made from the
bundle's requirements.txt, to measure inside the bundle's environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

from autograder import demo
from autograder.course import names as assignment_names
from autograder.gradescope import build
from autograder.paths import RELEASE

MiB = 2**20


class TreeMemory:
    """Peak PSS and RSS sums of a process and all its descendants, sampled every `interval` s."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.pss = self.rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            pss = rss = 0
            for process in tree:
                try:
                    info = process.memory_full_info()
                    pss, rss = pss + info.pss, rss + info.rss
                except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                    pass
            self.pss, self.rss = max(self.pss, pss / MiB), max(self.rss, rss / MiB)
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measure(bundle: Path, notebooks: dict[str, nbformat.NotebookNode], python: str) -> dict:
    root = Path(tempfile.mkdtemp(prefix="gradescope-bench-"))
    root.chmod(0o755)
    try:
        (root / "submission").mkdir()
        for name, nb in notebooks.items():
            nbformat.write(nb, str(root / "submission" / name))
        subprocess.run(["unzip", "-q", str(bundle), "-d", str(root / "source")], check=True)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        started = time.monotonic()
        process = subprocess.Popen(
            [str(root / "run_autograder"), "--root", str(root)],
            cwd=root,
            env={**os.environ, "NN_COURSE_PYTHON": python},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        memory = TreeMemory(process.pid)
        process.wait()
        seconds = time.monotonic() - started
        memory.stop()
        results = json.loads((root / "results" / "results.json").read_text())
        return {
            "seconds": seconds,
            "pss_mb": memory.pss,
            "rss_mb": memory.rss,
            "score": results["score"],
            "max_score": sum(t["max_score"] for t in results["tests"]),
            "leaderboard": results.get("leaderboard", []),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gradescope")
    parser.add_argument("assignments", nargs="*", default=list(assignment_names()))
    parser.add_argument("--python", default=sys.executable, help="the interpreter run_autograder uses")
    args = parser.parse_args(argv)
    print(
        f"run_autograder with {args.python}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}", flush=True
    )
    with tempfile.TemporaryDirectory() as out:
        for assignment in args.assignments:
            bundle = build.build(assignment, Path(out))
            names = sorted(p.name for p in (RELEASE / assignment).glob("*.ipynb"))
            for kind, make in (("reference", demo.answered), ("blank", demo.blank)):
                m = measure(bundle, {n: make(assignment, n) for n in names}, args.python)
                board = "".join(f", {e['name']} {e['value']}" for e in m["leaderboard"])
                print(
                    f"{assignment} {kind}: {m['score']:g}/{m['max_score']:g} points in {m['seconds']:.1f} s; "
                    f"peak memory {m['pss_mb']:.0f} MB (PSS sum), {m['rss_mb']:.0f} MB (RSS sum){board}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
