"""TAs: `python -m autograder export OUT --to canvas|moodle|nbgrader|csv`: the grades of a graded OUT
as a file the LMS imports as it is, written to OUT/exports/<assignment>-<format>.csv (or --file).

The scores are those of OUT/grades.csv (with --gradebook, the TAs' points included); names,
e-mails, sections and LMS ids come from OUT/roster.json (grade --roster), submission times from
OUT/intake.json. Without a roster, a student's id is the one the download gave (Canvas: the user
id, which is what Canvas's import matches on). Standard library only.

    canvas    Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one
              column for the assignment, and the "Points Possible" row under the header
    moodle    Moodle's grading worksheet (Assignment > "Upload grading worksheet"): Identifier
              ("Participant 12345"), Full name, Email address, Status, Grade, Maximum Grade
    nbgrader  the columns of `nbgrader export`: assignment, duedate, timestamp, student_id,
              last_name, first_name, email, raw_score, late_submission_penalty, score, max_score
    csv       student_id, name, email, section, assignment, score, max_score, status, reason

With a late policy (OUT/late.json), every format hands in the final score (after the penalty);
nbgrader's columns carry the raw score, the penalty and the deadline as `nbgrader export` does.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from . import roster as rosters
from .exits import OK, USAGE
from .outputs.results import cell, write_atomic

FORMATS = ("canvas", "moodle", "nbgrader", "csv")
FOLDER = "exports"
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade"]
NBGRADER_COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]
CSV_COLUMNS = ["student_id", "name", "email", "section", "assignment", "score", "max_score", "status", "reason"]


class ExportError(ValueError):
    """OUT cannot be exported: the message says why and what to do."""


def read_grades(out: Path) -> list[dict]:
    path = out / "grades.csv"
    if not path.is_file():
        raise ExportError(f"{path} does not exist: give the --out folder of `python -m autograder grade`")
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    if not rows:
        raise ExportError(f"{path} has no student: grade the class first")
    return rows


def _people(out: Path) -> dict:
    found = rosters.read(out)
    return found["people"] if found else {}


def _times(out: Path) -> dict:
    path = out / "intake.json"
    if not path.is_file():
        return {}
    students = json.loads(path.read_text(encoding="utf-8"))["students"]
    mapped = (rosters.read(out) or {}).get("mapped", {})
    return {mapped.get(s, s): info.get("submitted_at") or "" for s, info in students.items()}


def _deadline(out: Path) -> str:
    path = out / "late.json"
    return json.loads(path.read_text(encoding="utf-8"))["deadline"] if path.is_file() else ""


def _split(name: str) -> tuple[str, str]:
    """(last, first): Canvas gives "Last, First"; otherwise the last word is the last name."""
    if "," in name:
        last, first = name.split(",", 1)
        return last.strip(), first.strip()
    first, _, last = name.strip().rpartition(" ")
    return last, first


def final(g: dict) -> str:
    """The score to hand in: after the late penalty, when grading had a late policy."""
    return g.get("final_score") or g["score"]


def rows_for(
    fmt: str, grades: list[dict], people: dict, times: dict, column: str, deadline: str = ""
) -> list[list[str]]:
    """The file's rows, header first."""
    if fmt == "canvas":
        points = grades[0]["max_score"]
        rows = [[*CANVAS_FIXED, column], ["    Points Possible", "", "", "", "", points]]
        for g in grades:
            p = people.get(g["student_id"], {})
            other = p.get("other_ids", {})
            rows.append(
                [
                    cell(p.get("name") or g["student_id"]),
                    cell(g["student_id"]),
                    cell(other.get("SIS User ID", "")),
                    cell(other.get("SIS Login ID", "")),
                    cell(p.get("section", "")),
                    final(g),
                ]
            )
        return rows
    if fmt == "moodle":
        rows = [MOODLE_COLUMNS]
        for g in grades:
            p = people.get(g["student_id"], {})
            rows.append(
                [
                    f"Participant {g['student_id']}",
                    cell(p.get("name", "")),
                    cell(p.get("email", "")),
                    g["status"],
                    final(g),
                    g["max_score"],
                ]
            )
        return rows
    if fmt == "nbgrader":
        rows = [NBGRADER_COLUMNS]
        for g in grades:
            p = people.get(g["student_id"], {})
            last, first = _split(p.get("name", ""))
            rows.append(
                [
                    cell(g["assignment"]),
                    deadline,
                    g.get("submitted_at") or times.get(g["student_id"], ""),
                    cell(g["student_id"]),
                    cell(last),
                    cell(first),
                    cell(p.get("email", "")),
                    g.get("raw_score") or g["score"],
                    g.get("penalty") or "0",
                    final(g),
                    g["max_score"],
                ]
            )
        return rows
    rows = [CSV_COLUMNS]
    for g in grades:
        p = people.get(g["student_id"], {})
        rows.append(
            [
                cell(g["student_id"]),
                cell(p.get("name", "")),
                cell(p.get("email", "")),
                cell(p.get("section", "")),
                cell(g["assignment"]),
                final(g),
                g["max_score"],
                g["status"],
                g["reason"],
            ]
        )
    return rows


def export(out: Path, fmt: str, file: Path | None = None, column: str | None = None) -> Path:
    if fmt not in FORMATS:
        raise ExportError(f"--to {fmt}: not a format known here; give one of {', '.join(FORMATS)}")
    grades = read_grades(out)
    assignments = sorted({g["assignment"] for g in grades})
    if len(assignments) != 1:
        raise ExportError(f"{out}/grades.csv holds {', '.join(assignments)}: export one assignment's OUT at a time")
    pending = [g["student_id"] for g in grades if "pending" in g.values()]
    if pending:
        print(f"note: manual items not graded yet count 0 for {len(pending)} student(s)", file=sys.stderr)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        rows_for(fmt, grades, _people(out), _times(out), column or assignments[0], _deadline(out))
    )
    path = Path(file) if file else out / FOLDER / f"{assignments[0]}-{fmt}.csv"
    write_atomic(path, buffer.getvalue())
    return path


def main(out: Path, fmt: str, file: Path | None = None, column: str | None = None) -> int:
    try:
        path = export(Path(out), fmt, file, column)
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return USAGE
    print(f"wrote {path} ({fmt})")
    if (Path(out) / "report.html").is_file():  # the report links the exports: write it again with this one
        from . import report

        results, unreadable = report.read_class(Path(out))
        report.write(Path(out), results, report.read_batch(Path(out)), unreadable)
        print(f"class report: {Path(out) / 'report.html'} (links the exports)")
    if fmt == "canvas" and not column:
        print(
            "note: Canvas makes a new assignment of a column it does not know: to fill an existing one, "
            'give its header from Canvas\'s gradebook export, --column "Lab 1 (12345)"'
        )
    return OK
