"""What grading leaves behind: per student results.json (Gradescope's format) and feedback.html,
and one grades.csv for the class. Every file is written atomically (temp file + rename), so an
interrupted run never leaves a half-written result.

Permissions: what is meant to be shared (grades.csv, the report, each student's results.json and
feedback.html, the exports) follows the umask, as any file a program makes. What is for staff only
(grading.log, executed/, observations/: the student's whole run and what the hidden checks
observed) is written 0600, whatever the umask (docs/tas.md#what-grading-writes)."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from ..course import NEAR_LIMIT
from ..vocabulary import (
    CRASHED,
    ERROR,
    GRADED,
    INVALID,
    MISSING,
    REVIEW,
    TIMEOUT,
    ItemResult,
    Outcome,
    SubmissionResult,
)
from .pages import render


def umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str, private: bool = False) -> None:
    """Write `text` to `path` whole or not at all: mode 0600 when `private` (staff only), else
    0666 less the umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:  # interrupted (Ctrl-C) or failed: leave the old file, not a temp file
        Path(tmp).unlink(missing_ok=True)
        raise


def results_json(result: SubmissionResult) -> dict:
    """Gradescope's results.json; our own fields go under extra_data, which Gradescope keeps."""
    tests = [
        {
            "name": i.grade_id,
            "score": i.score,
            "max_score": i.max_score,
            "status": "passed" if i.passed else "failed",
            "output": i.message or "Passed.",
            "visibility": "visible",
        }
        for i in result.items
    ]
    tests += [
        {
            "name": gid,
            "score": 0,
            "max_score": pts,
            "visibility": "visible",
            "output": "Graded by a TA (manually graded answer).",
        }
        for gid, pts in result.manual.items()
    ]
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.execution_time, 1),
        "output": status_words(result.status, result.reason),
        "tests": tests,
        "extra_data": {
            "student_id": result.student_id,
            "assignment": result.assignment,
            "status": result.status,
            "reason": result.reason,
            "submission_sha256": result.submission_sha256,
            "items": [{"grade_id": i.grade_id, "notebook": i.notebook, "metrics": i.metrics} for i in result.items],
            "manual": result.manual,
            "timing": result.timing,
            "review": result.review,
        },
    }


def from_results_json(data: dict) -> SubmissionResult:
    extra = data["extra_data"]
    notebooks = {i["grade_id"]: i["notebook"] for i in extra["items"]}
    metrics = {i["grade_id"]: i.get("metrics", {}) for i in extra["items"]}
    items = [
        ItemResult(
            t["name"],
            notebooks[t["name"]],
            t["max_score"],
            t["score"],
            t.get("status") == "passed",
            "" if t.get("status") == "passed" else t["output"],
            metrics[t["name"]],
        )
        for t in data["tests"]
        if t["name"] in notebooks
    ]
    return SubmissionResult(
        extra["student_id"],
        extra["assignment"],
        extra["status"],
        extra["reason"],
        data["execution_time"],
        extra["submission_sha256"],
        items,
        extra.get("manual", {}),
        extra.get("timing", {}),
        extra.get("review", []),
    )


# What each status means for a student, and what to do; the reason (which notebook, which cell)
# comes from the grader (execute.py, grade.py) and is inserted where {reason} stands.
STATUS_WORDS = {
    GRADED: "Graded: every notebook ran to the end.",
    # What was found stays with staff (grades.csv, the report): the student learns only this.
    REVIEW: (
        "Graded: every notebook ran to the end. Course staff will look at this submission before the grade is final."
    ),
    TIMEOUT: (
        "Out of time: {reason}. What would have run after that has no points. Look in the cell "
        "it names for an endless loop or a step that takes too long, then submit again."
    ),
    CRASHED: (
        "Crashed: {reason}. What would have run after that has no points. When it names a cell of "
        "yours, look there for exit(), os._exit() or something that uses too much memory; then "
        "submit again."
    ),
    INVALID: (
        "Not readable: {reason}. Open the notebook in JupyterLab, save it (File > Save Notebook), "
        "and submit that file again, with the name it was given to you (a file, not a link)."
    ),
    MISSING: (
        "Missing: {reason}. Submit every notebook of the assignment, with the file names they were given to you."
    ),
    ERROR: "Not graded yet: the grader itself failed ({reason}). Course staff will grade it again.",
}


def status_words(status: str, reason: str) -> str:
    """The submission's status and its reason, as a sentence a student understands."""
    words = STATUS_WORDS.get(status)
    if words is None:  # a status this module does not know: say it as it is
        return f"Status: {status}" + (f" ({reason})" if reason else "")
    if status == GRADED:
        return words + (f" Note: {reason}." if reason else "")
    return words.format(reason=reason or "no reason recorded")


def feedback_html(result: SubmissionResult) -> str:
    """The status and its reason first; then, per notebook with its subtotal, per item: passed or
    not, points, and what to do first; nothing hidden (templates/feedback.html.j2)."""
    notebooks: dict[str, list[ItemResult]] = {}
    for item in result.items:
        notebooks.setdefault(item.notebook, []).append(item)
    return render(
        "feedback.html.j2",
        result=result,
        notebooks=notebooks,
        graded=GRADED,
        status=status_words(result.status, result.reason),
    )


def write_student(out: Path, result: SubmissionResult) -> None:
    folder = out / result.student_id
    write_atomic(folder / "feedback.html", feedback_html(result))
    # results.json last: its presence marks the student as graded (a re-run skips them).
    write_atomic(folder / "results.json", json.dumps(results_json(result), indent=2))


def write_outcome(out: Path, outcome: Outcome) -> None:
    """All of one student's files: executed notebooks, saved observations and grading.log (staff only), then
    feedback.html, and results.json last (its presence marks the student as graded)."""
    folder = out / outcome.result.student_id
    for notebook, text in outcome.executed.items():
        write_atomic(folder / "executed" / notebook, text, private=True)
    write_observations(folder, outcome.observations)
    write_atomic(folder / "grading.log", outcome.log, private=True)
    write_student(out, outcome.result)


OBSERVATIONS, OBSERVED = "observations", ".pt"  # <student>/observations/<notebook stem>.pt, staff only


def write_observations(folder: Path, observations: dict[str, bytes]) -> None:
    """A student's saved observations (submission/saved.py), one file per notebook; those of an
    earlier grading that this one has not (a notebook no longer run) are removed."""
    keep = {Path(notebook).stem + OBSERVED for notebook in observations}
    for old in (folder / OBSERVATIONS).glob(f"*{OBSERVED}"):
        if old.name not in keep:
            old.unlink()
    for notebook, data in observations.items():
        path = folder / OBSERVATIONS / (Path(notebook).stem + OBSERVED)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600: staff only
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:  # as write_atomic: never a half-written file
            Path(tmp).unlink(missing_ok=True)
            raise


def read_observations(out: Path, student_id: str) -> dict[str, bytes]:
    """{file name: bytes} of a student's saved observations ({} when grading saved none)."""
    return {p.name: p.read_bytes() for p in sorted((out / student_id / OBSERVATIONS).glob(f"*{OBSERVED}"))}


def read_student(out: Path, student_id: str) -> SubmissionResult | None:
    path = out / student_id / "results.json"
    try:
        return from_results_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, KeyError, TypeError):
        return None  # unreadable (e.g. from an older grader): grade again


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP: CSV injection)


def cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that could start a formula gets a leading '."""
    return f"'{text}" if text.startswith(FORMULA) else text


def grades_csv(
    results: list[SubmissionResult],
    item_ids: list[str],
    final: dict[str, dict[str, float | None]] | None = None,
    people: dict | None = None,
    late: dict | None = None,
) -> str:
    """One row per student. Without `final`: our points, and `manual` for the items TAs grade.
    With `people` (OUT/roster.json, roster.py): the columns name, email, section and roster
    (`yes`, or `not on the roster` for a submission from outside it) come last. With `late` (late.py:
    student -> submitted_at, days, percent): raw_score, submitted_at, late_days, penalty (points)
    and final_score, after them.
    With `final` (student -> grade_id -> the gradebook's score, None while a TA has not graded
    it; see gradebook.py): the gradebook's points per item, `pending` for items waiting for a TA,
    and score/max_score over every item, manual ones included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    roster_columns = ["name", "email", "section", "roster"] if people is not None else []
    late_columns = list(LATE_COLUMNS) if late is not None else []
    writer.writerow(
        [
            "student_id",
            "assignment",
            "score",
            "max_score",
            "status",
            "reason",
            *map(cell, item_ids),
            *roster_columns,
            *late_columns,
        ]
    )
    for r in sorted(results, key=lambda r: r.student_id):
        by_id = {i.grade_id: f"{i.score:g}" for i in r.items}
        score, max_score = r.score, r.max_score
        if final is None:
            by_id.update({gid: "manual" for gid in r.manual})
        else:
            scores = {gid: final[r.student_id].get(gid) for gid in [*by_id, *r.manual]}
            by_id = {gid: "pending" if s is None else f"{s:g}" for gid, s in scores.items()}
            score = sum(s for s in scores.values() if s is not None)
            max_score += sum(r.manual.values())
        writer.writerow(
            [
                cell(r.student_id),
                cell(r.assignment),
                f"{score:g}",
                f"{max_score:g}",
                r.status,
                cell(r.staff_reason),
                *(by_id.get(gid, "") for gid in item_ids),
                *(_roster_cells(people, r.student_id) if people is not None else []),
                *(_late_cells(late.get(r.student_id), score) if late is not None else []),
            ]
        )
    return buffer.getvalue()


LATE_COLUMNS = ("raw_score", "submitted_at", "late_days", "penalty", "final_score")


def _late_cells(info: dict | None, raw: float) -> list[str]:
    """A student's late columns: the penalty is `percent` of the raw score, in points."""
    if info is None:  # nothing submitted: no lateness
        return [f"{raw:g}", "", "", "0", f"{raw:g}"]
    penalty = round(raw * info["percent"] / 100, 2)
    return [f"{raw:g}", info["submitted_at"], str(info["days"]), f"{penalty:g}", f"{raw - penalty:g}"]


def _roster_cells(people: dict, student: str) -> list[str]:
    person = people["people"].get(student)
    if person is None:
        return ["", "", "", "not on the roster"]
    return [cell(person["name"]), cell(person["email"]), cell(person["section"]), "yes"]


def score_table(results: list[SubmissionResult]) -> str:
    """A plain-text table for the terminal."""
    width = max([len("student")] + [len(r.student_id) for r in results])
    lines = [f"{'student':<{width}}  {'score':>11}  status"]
    for r in sorted(results, key=lambda r: r.student_id):
        lines.append(
            f"{r.student_id:<{width}}  {r.score:>5g} / {r.max_score:<3g}  {r.status}"
            + (f": {r.reason}" if r.reason else "")
        )
    return "\n".join(lines)


def near_limit(results, limits) -> list[str]:
    """Students whose grading used more than NEAR_LIMIT of the submission's time, or of a cell's."""
    near = []
    for r in results:
        slowest = max((t.get("slowest_cell_seconds", 0) for t in r.timing.values()), default=0)
        if r.execution_time > NEAR_LIMIT * limits.total_timeout or slowest > NEAR_LIMIT * limits.cell_timeout:
            near.append(r.student_id)
    return sorted(near)
