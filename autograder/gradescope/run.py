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
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .. import course, sandbox
from ..paths import ROOT
from ..course import Assignment, UsageError
from ..outputs import results
from ..sandbox import slots
from ..submission import Job, grade_submission
from ..vocabulary import GRADED, SubmissionResult
from . import BUNDLE_CONFIG

AUTOGRADER = Path("/autograder")
PR_SET_CHILD_SUBREAPER = 36
IGNORED = ("__MACOSX", ".ipynb_checkpoints")  # folders whose notebooks are never the submission
STAFF = "Course staff"


class NotGraded(Exception):
    """The submission cannot be graded here. `student` is shown to the student; `staff` (details,
    what to do) goes to stdout, which only course staff see."""

    def __init__(self, student: str, staff: str = ""):
        super().__init__(student)
        self.student, self.staff = student, staff


@dataclass(frozen=True)
class Bundle:
    assignment: str
    notebooks: tuple[str, ...]
    sandbox: bool
    data_sha256: dict

    @classmethod
    def read(cls) -> "Bundle":
        data = json.loads((ROOT / BUNDLE_CONFIG).read_text())
        return cls(data["assignment"], tuple(data["notebooks"]), bool(data["sandbox"]), data["data_sha256"])


@dataclass
class Found:
    """What the submission folder holds."""

    submission: Path
    notebooks: dict[str, Path]   # release name -> the file graded
    notes: list[str]             # for the summary (duplicates)
    others: list[str]            # other notebooks in the submission, relative paths

    def relative(self, name: str) -> str:
        return self.notebooks[name].relative_to(self.submission).as_posix()


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
            notes.append(f"{len(paths)} files are named {code(name)}: graded {code(paths[0].relative_to(submission))}, "
                         "the one nearest the top of the submission.")
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
        raise NotGraded("the autograder is not installed as expected.",
                        f"the engine was imported from {ROOT}, not from {root / 'source'}: "
                        "run_autograder must run it from the bundle's folder")


def check_data(bundle: Bundle) -> None:
    for name, expected in bundle.data_sha256.items():
        path = ROOT / name
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as err:
            actual = f"unreadable ({err.strerror})"
        if actual != expected:
            raise NotGraded("the autograder's copy of the assignment's data is damaged.",
                            f"{path}: SHA-256 {actual}, expected {expected}; upload the bundle again")


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
            "read docs/gradescope.md first), upload it, and regrade all submissions.") from None


# ----------------------------------------------------------------------------- grading
def grade_one(bundle: Bundle, root: Path, student: str, work: Path) -> tuple[SubmissionResult, Found, str]:
    """(the engine's result, what was found, the engine's grading.log) of the submission."""
    spec = course.load(bundle.assignment)
    found = find_notebooks(root / "submission", spec.notebooks)
    folder = student_folder(found, work / "submissions" / student)
    plan = slots.plan(spec.limits.cores, jobs=1)
    job = Job(spec, student, folder, spec.limits, digest="", cores=plan.cores, isolated=bundle.sandbox)
    outcome = grade_submission(job, slot=0)
    return outcome.result, found, (f"note: {plan.note}\n" if plan.note else "") + outcome.log


def manual_notebooks(spec: Assignment) -> dict[str, str]:
    """grade_id of each manually graded answer -> its notebook."""
    return {gid: nb for nb, source in spec.sources.items() for gid in course.manual_items(source)}


def to_gradescope(result: SubmissionResult, found: Found, bundle: Bundle, metadata: dict) -> dict:
    """Gradescope's results.json from the engine's (results.results_json): its tests numbered by
    notebook and item, in markdown, the manual answers as 0-point entries, a summary, and the
    leaderboard."""
    ours = results.results_json(result)
    spec = course.load(bundle.assignment)
    position = {nb: i + 1 for i, nb in enumerate(spec.notebooks)}
    counters = {nb: 0 for nb in spec.notebooks}

    def number(notebook: str) -> str:
        counters[notebook] += 1
        return f"{position[notebook]}.{counters[notebook]}"

    tests = []
    for entry, item in zip(ours["tests"], result.items):
        tests.append({"name": item.grade_id, "number": number(item.notebook),
                      "score": entry["score"], "max_score": entry["max_score"], "status": entry["status"],
                      "output": entry["output"], "output_format": "text", "visibility": "visible"})
    where = manual_notebooks(spec)
    for gid, points in result.manual.items():
        tests.append({"name": gid, "number": number(where[gid]), "score": 0, "max_score": 0,
                      "output": f"Graded by a TA, not by the autograder: worth {points:g} point"
                                f"{'s' if points != 1 else ''}, added to your score once a TA has graded it.",
                      "output_format": "text", "visibility": "visible"})
    leaderboard = []
    for column in spec.leaderboard:
        values = [i.metrics[column.measure] for i in result.items if column.measure in i.metrics]
        if values:
            leaderboard.append({"name": column.name, "value": round(values[0] * column.scale, 2),
                                "order": column.order})
    extra = ours["extra_data"]
    extra["gradescope"] = {"submission_id": metadata.get("id"), "sandbox": bundle.sandbox,
                           "sandbox_tier": sandbox.tier_name(bundle.sandbox),
                           "graded_files": {name: found.relative(name) for name in found.notebooks},
                           "other_notebooks": found.others}
    return {"score": result.score, "execution_time": 0.0, "output": summary(result, found, bundle, leaderboard),
            "output_format": "md", "stdout_visibility": "hidden", "tests": tests,
            **({"leaderboard": leaderboard} if leaderboard else {}), "extra_data": extra}


def md(text: str) -> str:
    """Text (which may quote the student: file names, the engine's reasons) as literal markdown:
    markdown's punctuation escaped, HTML's as entities, on one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", text)


def code(name: str) -> str:
    """A file name in a code span (no backtick can end it early), at most 80 characters."""
    name = " ".join(str(name).replace("`", "'").split())
    return f"`{name[:80]}`"


def summary(result: SubmissionResult, found: Found, bundle: Bundle, leaderboard: list[dict]) -> str:
    """The markdown summary at the top of the results: points, status, what was graded."""
    manual = sum(result.manual.values())
    lines = [f"**{result.score:g} / {result.max_score:g} points** from the autograder"
             + (f"; {manual:g} more point{'s' if manual != 1 else ''} graded by a TA later." if manual else ".")]
    if result.status != GRADED:
        lines.append(f"**Status: {md(result.status)}**: {md(result.reason)}")
    if not found.notebooks:
        expected = ", ".join(code(n) for n in bundle.notebooks)
        lines.append(f"None of this assignment's notebooks was found in your submission. Expected: {expected} "
                     "(the file names you were given)."
                     + (f" Found instead: {', '.join(code(o) for o in found.others[:10])}." if found.others else ""))
    else:
        missing = [n for n in bundle.notebooks if n not in found.notebooks]
        lines.append("Graded: " + ", ".join(code(n) for n in found.notebooks) + "."
                     + (f" Not found: {', '.join(code(n) for n in missing)}." if missing else ""))
    lines += found.notes
    for entry in leaderboard:
        lines.append(f"{entry['name']}: {entry['value']:g} (measured by the grader; shown on the leaderboard).")
    return "\n\n".join(lines)


def not_graded(failure: NotGraded, bundle: Bundle | None) -> dict:
    """results.json when the submission could not be graded: 0 points, and why."""
    tests = []
    if bundle is not None:
        try:
            spec = course.load(bundle.assignment)
            tests = [{"name": t.grade_id, "score": 0, "max_score": t.points, "status": "failed",
                      "output": "Not graded (see the summary above).", "output_format": "text",
                      "visibility": "visible"} for t in spec.tests()]
        except (UsageError, OSError, ValueError):  # the bundle itself is damaged: the message
            tests = []                                       # matters more than the item list
    return {"score": 0, "execution_time": 0.0,
            "output": f"**Not graded**: {failure.student} This is a problem of the autograder, not of your "
                      "submission: course staff will grade it again once it is fixed.",
            "output_format": "md", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"not_graded": failure.student, "staff": failure.staff}}


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
        print("error: no sandbox for student code can start in this container, so no submission could be "
              "graded: setup fails here instead (docs/gradescope.md says what the container needs).",
              file=sys.stderr)
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
                print(f"note: Gradescope's total for this assignment is {total}; the notebooks give "
                      f"{result.max_score:g} autograded points and {sum(result.manual.values()):g} manual ones")
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
    parser.add_argument("--root", type=Path, default=AUTOGRADER,
                        help="the folder Gradescope calls /autograder (for the test suite only)")
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
