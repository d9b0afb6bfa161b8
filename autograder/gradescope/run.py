"""What ``run_autograder`` runs on Gradescope, once per submission:
``python -m autograder.gradescope.run`` (in /autograder/source, the unpacked bundle).

1. Find the assignment's notebooks in /autograder/submission, by their release file names,
   wherever they sit in it (the one nearest the top when a name occurs twice); copy them into a
   private student folder.
2. Grade that folder with the engine, exactly as ``python -m autograder grade`` grades one student
   (``submission.grade_submission``: the sandbox, the assignment's limits, the same points).
3. Write /autograder/results/results.json in Gradescope's format, from the engine's results
   (``results.results_json``): one test per graded item, the manually graded answers as 0-point
   entries, a markdown summary, and the leaderboard the assignment's assignment.toml declares, of
   figures the grader measured (an item's ``MEASURES``).

Whatever happens, results.json is written and says what went wrong: no notebook found (and what
was expected), an invalid notebook, a sandbox that cannot start here (and what course staff can
do), an error of ours. Course staff read the details in Gradescope's stdout (hidden from students).

``--root DIR`` grades DIR/submission into DIR/results: for the test suite only, which simulates
/autograder in a folder. ``--check`` is setup.sh's last step: it checks the installation.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .. import course, sandbox
from ..outputs import results
from ..paths import ROOT
from ..sandbox import slots
from ..submission import Job, grade_submission, unzip
from ..vocabulary import SubmissionResult
from .bundle import Bundle, Found, NotGraded
from .results import code, not_graded, to_gradescope

AUTOGRADER = Path("/autograder")
PR_SET_CHILD_SUBREAPER = 36
IGNORED = ("__MACOSX", ".ipynb_checkpoints")  # folders whose notebooks are never the submission
STAFF = "Course staff"


# ----------------------------------------------------------------------------- the submission
def find_notebooks(submission: Path, names: tuple[str, ...]) -> Found:
    """The release notebooks in `submission`, matched by file name at any depth (symbolic links to
    folders are not followed; a link with a notebook's name is taken, and the engine refuses it)."""
    candidates: dict[str, list[Path]] = {name: [] for name in names}
    others = []
    for top, folders, files in os.walk(submission):
        folders[:] = sorted(f for f in folders if f not in IGNORED and not f.startswith("."))
        for name in sorted(files):
            path = Path(top) / name
            if name in candidates:
                candidates[name].append(path)
            elif name.endswith(".ipynb"):
                others.append(path.relative_to(submission).as_posix())
    chosen, notes = {}, []
    for name, paths in candidates.items():
        if not paths:
            continue
        paths.sort(key=lambda p: (len(p.relative_to(submission).parts), p.as_posix()))
        chosen[name] = paths[0]
        if len(paths) > 1:
            notes.append(
                f"{len(paths)} files are named {code(name)}: graded {code(paths[0].relative_to(submission))}, "
                "the one nearest the top of the submission."
            )
    return Found(submission, chosen, notes, sorted(others))


def student_folder(found: Found, folder: Path) -> Path:
    """The found notebooks under their release names in `folder` (links copied as links)."""
    folder.mkdir(parents=True)
    for name, path in found.notebooks.items():
        shutil.copy2(path, folder / name, follow_symlinks=False)
    return folder


def read_metadata(root: Path) -> dict:
    """Gradescope's submission_metadata.json, or {} (absent or unreadable: not needed to grade)."""
    try:
        data = json.loads((root / "submission_metadata.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# ----------------------------------------------------------------------------- checks
def check_engine(root: Path) -> None:
    """The engine must be the bundle's (run from ROOT/source), not another copy on sys.path."""
    if ROOT.resolve() != (root / "source").resolve():
        raise NotGraded(
            "the autograder is not installed as expected.",
            f"the engine was imported from {ROOT}, not from {root / 'source'}: "
            "run_autograder must run it from the bundle's folder",
        )


def check_data(bundle: Bundle) -> None:
    for name, expected in bundle.data_sha256.items():
        path = ROOT / name
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as err:
            actual = f"unreadable ({err.strerror})"
        if actual != expected:
            raise NotGraded(
                "the autograder's copy of the assignment's data is damaged.",
                f"{path}: SHA-256 {actual}, expected {expected}; upload the bundle again",
            )


def check_sandbox(bundle: Bundle) -> None:
    try:
        sandbox.preflight(bundle.sandbox)
    except sandbox.SandboxUnavailable as err:
        raise NotGraded(
            "the autograder could not start its sandbox for student code in Gradescope's container. "
            f"{STAFF}: see the autograder's stdout and the course's docs/gradescope.md.",
            f"{err}\nWhat to do: student code is isolated by bubblewrap (user namespaces) or, as root, by "
            "the Landlock tier (Linux 5.13 or later with Landlock, and libseccomp2); if this container allows "
            "neither, rebuild the bundle with `python -m autograder gradescope "
            f"{bundle.assignment} --out DIR --no-sandbox` (student code then runs without isolation: "
            "read docs/gradescope.md first), upload it, and regrade all submissions.",
        ) from None


# ----------------------------------------------------------------------------- grading
def grade_one(bundle: Bundle, root: Path, student: str, work: Path) -> tuple[SubmissionResult, Found, str]:
    """(the engine's result, what was found, the engine's grading.log) of the submission."""
    spec = course.load(bundle.assignment)
    found = find_notebooks(root / "submission", spec.notebooks)
    archive = None if found.notebooks else unzip.export_of(root / "submission", spec.name, spec.notebooks)
    if archive is not None:  # the handout's export, uploaded as it is and not unpacked by Gradescope
        try:
            unzip.unpack(archive, spec.notebooks, work / "unpacked")
        except unzip.UnreadableExport as err:
            raise NotGraded(str(err), f"{archive}: {err}") from None
        found = find_notebooks(work / "unpacked", spec.notebooks)
    folder = student_folder(found, work / "submissions" / student)
    plan = slots.plan(spec.limits.cores, jobs=1)
    job = Job(spec, student, folder, spec.limits, digest="", cores=plan.cores, isolated=bundle.sandbox)
    outcome = grade_submission(job, slot=0)
    return outcome.result, found, (f"note: {plan.note}\n" if plan.note else "") + outcome.log


# ----------------------------------------------------------------------------- processes
def become_subreaper() -> None:
    """Processes that student code leaves behind (even detached ones) become our children, so that
    none is left when results.json is written."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_descendants(grace: float = 2.0) -> list[str]:
    """Kill every process this one started (and every orphan it adopted) that has not ended
    `grace` seconds after the sandbox was closed (its own processes end by themselves then);
    their names."""
    import psutil

    psutil.wait_procs(psutil.Process().children(recursive=True), timeout=grace)
    killed = []
    for _ in range(20):
        children = psutil.Process().children(recursive=True)
        if not children:
            break
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE:  # a zombie has ended already: only reaped
                    killed.append(child.name())
                    child.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass
        psutil.wait_procs(children, timeout=2)
    return killed


# ----------------------------------------------------------------------------- entry points
def self_check() -> int:
    """setup.sh's last step: the engine imports (it just did), the data is intact, and the sandbox
    for student code starts in this container. Any of these failing fails setup.sh, so that the
    instructor reads why in Gradescope's build log at upload time, not in 300 "not graded" results."""
    bundle = Bundle.read()
    try:
        check_data(bundle)
    except NotGraded as err:
        print(f"error: {err.staff}", file=sys.stderr)
        return 1
    course.load(bundle.assignment)
    print(f"autograder for {bundle.assignment}: engine and data OK ({sys.executable}, Python {sys.version.split()[0]})")
    if not bundle.sandbox:
        print("WARNING: built with --no-sandbox: student code will run without isolation")
        return 0
    try:
        check_sandbox(bundle)
    except NotGraded as err:
        print(f"error: {err.staff}", file=sys.stderr)
        print(
            "error: no sandbox for student code can start in this container, so no submission could be "
            "graded: setup fails here instead (docs/gradescope.md says what the container needs).",
            file=sys.stderr,
        )
        return 1
    print(f"sandbox for student code: {sandbox.tier()[0]} works in this container ({sandbox.describe(True)})")
    return 0


def run(root: Path) -> dict:
    """Grade ROOT/submission; the results.json to write (never raises)."""
    bundle = None
    work = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        check_engine(root)
        bundle = Bundle.read()
        check_data(bundle)
        check_sandbox(bundle)
        metadata = read_metadata(root)
        student = f"submission-{metadata['id']}" if isinstance(metadata.get("id"), int) else "submission"
        print(f"grading {bundle.assignment} ({student}); {sandbox.describe(bundle.sandbox)}", flush=True)
        result, found, log = grade_one(bundle, root, student, work)
        print(log, flush=True)
        data = to_gradescope(result, found, bundle, metadata)
        total = (metadata.get("assignment") or {}).get("total_points")
        expected = result.max_score + sum(result.manual.values())
        try:
            if total is not None and abs(float(total) - expected) > 1e-9:
                print(
                    f"note: Gradescope's total for this assignment is {total}; the notebooks give "
                    f"{result.max_score:g} autograded points and {sum(result.manual.values()):g} manual ones"
                )
        except (TypeError, ValueError):
            pass
        return data
    except NotGraded as failure:
        print(f"not graded: {failure.student}\n{failure.staff}", flush=True)
        return not_graded(failure, bundle)
    except Exception:  # noqa: BLE001  (the boundary: a bug of ours still gives a results.json)
        print(traceback.format_exc(), flush=True)
        return not_graded(NotGraded("the autograder failed (an error of ours).", "see the traceback above"), bundle)
    finally:
        sandbox.close_slot()
        killed = kill_descendants()
        if killed:
            print(f"killed {len(killed)} process(es) left running: {', '.join(sorted(killed))}", flush=True)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=AUTOGRADER,
        help="the folder Gradescope calls /autograder (for the test suite only)",
    )
    parser.add_argument("--check", action="store_true", help="setup.sh's check of the installation")
    args = parser.parse_args(argv)
    if args.check:
        return self_check()
    started = time.monotonic()
    become_subreaper()
    data = run(args.root.resolve())
    data["execution_time"] = round(time.monotonic() - started, 1)
    results.write_atomic(args.root / "results" / "results.json", json.dumps(data, indent=2) + "\n")
    print(f"score {data['score']:g}; wrote {args.root / 'results' / 'results.json'} in {data['execution_time']:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
