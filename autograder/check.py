"""Students: `python -m autograder check NOTEBOOK` runs your notebook top to bottom, then the
visible checks of each exercise (taken from release/, so editing them changes nothing), and
prints which items pass. The hidden checks, which decide the points, run only when TAs grade."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from .course import notebooks
from .course.items import source_tests
from .paths import RELEASE
from .submission.execute import local_kernel_manager, run_plan
from .submission.plan import Context, InvalidNotebook, build, read_submission
from .vocabulary import GRADED


def find_release(notebook: Path) -> tuple[str, Path] | None:
    """(assignment, release copy) of a student's notebook, matched by file name."""
    for candidate in sorted(RELEASE.glob(f"*/{notebook.name}")):
        return candidate.parent.name, candidate
    return None


def main(notebook: Path, timeout: float = 600.0) -> int:
    notebook = Path(notebook)
    found = find_release(notebook)
    if not notebook.is_file() or found is None:
        names = ", ".join(sorted(p.name for p in RELEASE.glob("*/*.ipynb")))
        print(
            f"error: {notebook} is not one of the course's notebooks ({names}); keep the file name you were given",
            file=sys.stderr,
        )
        return 2
    assignment, release_path = found
    try:
        submission = read_submission(notebook)
    except InvalidNotebook as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    tests = source_tests(notebooks.read(release_path), notebook.name)
    plan = build(Context(assignment, tests, probes=False), submission, notebook.name)
    print(f"running {notebook} ({len(tests)} checked items) ...", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="check-") as sockets:
        # The student's own environment, without the notebooks' static pictures (see sandbox.base_env).
        env = {**os.environ, "NN_COURSE_PICTURES": "0"}
        run = run_plan(
            plan,
            local_kernel_manager(sockets),
            cwd=str(notebook.resolve().parent),
            env=env,
            cell_timeout=timeout,
            deadline=started + timeout,
        )
    for item in run.items:
        mark = "PASS" if item.passed else "FAIL"
        points = f"{item.max_score:g} pt" + ("s" if item.max_score != 1 else "")
        print(f"{mark}  {item.grade_id} ({points})" + ("" if item.passed else f": {item.message}"))
    passed = sum(i.passed for i in run.items)
    print(
        f"{passed}/{len(run.items)} items pass their visible checks in {run.seconds:.0f} s"
        + ("" if run.status == GRADED else f"; stopped: {run.reason}")
    )
    return 0 if passed == len(run.items) and run.status == GRADED else 1
