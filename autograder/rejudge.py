"""TAs: judge a graded class again, `python -m autograder rejudge OUT [--assignment A]`, after a
grader-side check (checks/grader/) was fixed: no notebook runs, no kernel starts.

Grading saved, per student and notebook, what judging read (OUT/<student>/observations/, see
submission/saved.py). Re-judging runs every item's grader-side test again on those observations
(one pytest session for the class, checks/runner.py), then rewrites each student's results.json and
feedback.html, grades.csv and report.html. executed/ and grading.log are kept (grading.log gets a
line saying the student was re-judged, and when). A student without saved observations (a
notebook that was missing or unreadable, or a grading from before observations were saved) keeps
their result. Statuses, timings and the kernel's observations stay as grading left them: a check
fixed on the kernel side (checks/kernel/) needs `grade --force`.

The same observations can be judged by plain pytest, to debug a check:
    pytest autograder/checks/grader/ASSIGNMENT --observations OUT/STUDENT   (or OUT: the class)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import course, report
from .checks import runner
from .course import UsageError
from .outputs import results
from .submission import judge, saved
from .vocabulary import ItemResult, SubmissionResult


@dataclass
class Student:
    """One student's result and the observations of each of their notebooks, before judging."""

    result: SubmissionResult
    notebooks: dict[str, judge.Observed] = field(default_factory=dict)


def observed(out: Path, result: SubmissionResult) -> Student:
    """A student's saved observations, checked against their results.json; UnreadableObservations
    when they cannot be used."""
    student = Student(result)
    for name, data in results.read_observations(out, result.student_id).items():
        where = f"{out / result.student_id / results.OBSERVATIONS / name}"
        found = saved.load(data, where)
        if found.digest != result.submission_sha256 or found.plan.assignment != result.assignment:
            raise saved.UnreadableObservations(
                f"{where} is not from the grading that wrote results.json: "
                "grade the student again (`python -m autograder grade ... --force`)"
            )
        graded = [i.grade_id for i in result.items if i.notebook == found.plan.notebook]
        if graded != [t.grade_id for t in found.plan.tests]:
            raise saved.UnreadableObservations(
                f"{where} has other items than results.json for "
                f"{found.plan.notebook}: grade the student again with --force"
            )
        student.notebooks[found.plan.notebook] = judge.observed(
            found.plan, found.probes, found.stopped, found.failed_cells
        )
    return student


def replaced(items: list[ItemResult], new: dict[str, list[ItemResult]]) -> list[ItemResult]:
    """`items` with the items of each notebook in `new` replaced by the new ones, in place."""
    kept: list[ItemResult] = []
    for item in items:
        if item.notebook not in new:
            kept.append(item)
        elif not kept or kept[-1].notebook != item.notebook:
            kept += new[item.notebook]
    return kept


def log_lines(before: SubmissionResult, after: SubmissionResult, when: str, lines: list[str]) -> str:
    """What grading.log gets: when, the score, each item whose verdict changed, the checks' own lines."""
    text = (
        f"re-judged {when} from the saved observations (python -m autograder rejudge): score "
        f"{before.score:g}/{before.max_score:g} -> {after.score:g}/{after.max_score:g}\n"
    )
    old = {i.grade_id: i for i in before.items}
    for item in after.items:
        was = old.get(item.grade_id)
        if was is not None and (was.score, was.message) != (item.score, item.message):
            text += f"  {item.grade_id}: {was.score:g} -> {item.score:g}/{item.max_score:g} {item.message}\n"
    return text + "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def main(out: Path, assignment: str | None = None) -> int:
    """Re-judge every student of OUT that has saved observations; 0, 1 when some could not be
    re-judged (they keep their result; the message says why), 2 on misuse."""
    out = Path(out)
    started = time.monotonic()
    try:
        everyone, unreadable = report.read_class(out)
        names = sorted({r.assignment for r in everyone})
        if assignment is None and len(names) > 1:
            raise UsageError(f"{out} holds results of {', '.join(names)}: choose one with --assignment")
        assignment = assignment or names[0]
        if assignment not in names:
            raise UsageError(f"{out} holds no result of {assignment} (it holds {', '.join(names)})")
        spec = course.load(assignment)
    except (report.ReportError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    students, failed, kept = {}, {}, []
    for result in (r for r in everyone if r.assignment == assignment):
        try:
            student = observed(out, result)
        except saved.UnreadableObservations as err:
            failed[result.student_id] = str(err)
            continue
        if student.notebooks:
            students[result.student_id] = student
        else:
            kept.append(result.student_id)

    # One pytest session judges the whole class.
    verdicts = runner.verdicts(
        {
            (sid, nb, gid): case
            for sid, student in students.items()
            for nb, found in student.notebooks.items()
            for gid, case in judge.tests_of(found).items()
        }
    )
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    changed = []
    for sid, student in students.items():
        lines: list[str] = []
        new = {
            nb: judge.judged(found, {gid: verdicts[(sid, nb, gid)] for gid in found.observations}, lines)
            for nb, found in student.notebooks.items()
        }
        before = student.result
        after = SubmissionResult(**{**vars(before), "items": replaced(before.items, new)})
        results.write_student(out, after)
        log = out / sid / "grading.log"
        previous = log.read_text(encoding="utf-8") if log.is_file() else ""
        results.write_atomic(log, previous + log_lines(before, after, when, lines), private=True)
        student.result = after
        if results.results_json(after) != results.results_json(before):
            changed.append(sid)

    final = [students[r.student_id].result if r.student_id in students else r for r in everyone]
    results.write_atomic(
        out / "grades.csv", results.grades_csv([r for r in final if r.assignment == assignment], spec.item_ids)
    )
    page = report.write(out, final, report.read_batch(out), unreadable)
    print(
        f"re-judged {len(students)} submission(s) of {assignment} from their saved observations in "
        f"{time.monotonic() - started:.1f} s: {len(changed)} changed" + (f" ({', '.join(changed)})" if changed else "")
    )
    if kept:
        print(f"{len(kept)} without saved observations kept their result: {', '.join(kept)}")
    for sid, why in failed.items():
        print(f"error: {sid} kept their result: {why}", file=sys.stderr)
    print(f"wrote {out / 'grades.csv'}, {page} and, per re-judged student, results.json and feedback.html")
    return 1 if failed else 0


def saved_cases(path: Path) -> dict[tuple[str, str], list[tuple[str, object]]]:
    """For plain pytest (checks/grader/conftest.py): {(grader module, test name): [(student, data)]}
    of the observations that reach their test, from OUT/STUDENT or from every student of OUT."""
    path = Path(path).resolve()
    folders = (
        [path]
        if (path / results.OBSERVATIONS).is_dir()
        else sorted(p for p in path.iterdir() if (p / results.OBSERVATIONS).is_dir())
    )
    cases: dict[tuple[str, str], list[tuple[str, object]]] = {}
    for folder in folders:
        for name, data in results.read_observations(folder.parent, folder.name).items():
            run = saved.load(data, str(folder / results.OBSERVATIONS / name))
            found = judge.observed(run.plan, run.probes, run.stopped, run.failed_cells)
            for gid, (item, observation) in judge.tests_of(found).items():
                if observation.get("ok"):
                    key = (item.grader_module.__name__, f"test_{gid}")
                    cases.setdefault(key, []).append((folder.name, observation["data"]))
    return cases
