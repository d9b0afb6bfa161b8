"""`export OUT --to canvas|moodle|nbgrader|csv` (autograder/export.py): each file has its format's
documented columns, and reads back with pandas to the scores of grades.csv."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from autograder import course, exits, export, grade
from autograder import roster as rosters
from autograder.sandbox import slots
from autograder.vocabulary import ItemResult, Outcome, SubmissionResult
from tests.intake import lms
from tests.test_roster import CANVAS, MOODLE


@pytest.fixture(scope="module")
def spec():
    return course.load("neural_nets")


def graded_class(tmp_path, spec, roster_text=CANVAS, download=lms.canvas) -> tuple:
    """A Canvas class taken in with a roster and graded by a stand-in runner: 12345 scores 3, the
    extra 34567 scores 1, 23456 (rostered) sent nothing."""
    out = tmp_path / "out"
    found = grade.take_in(download(tmp_path / "download"), spec, out, say=grade._silent)
    found.pop("23456", None)
    (tmp_path / "roster.csv").write_text(roster_text)
    students, absent = grade.on_roster(rosters.load(tmp_path / "roster.csv"), found, out, say=grade._silent)
    points = {"12345": 3.0, "34567": 1.0}
    tests = spec.tests()

    def runner(todo):
        return [
            Outcome(
                SubmissionResult(
                    j.student_id,
                    spec.name,
                    items=[
                        ItemResult(t.grade_id, t.notebook, t.points, points.get(j.student_id, 0) if n == 0 else 0)
                        for n, t in enumerate(tests)
                    ],
                )
            )
            for j in todo
        ]

    code = grade._batch(
        spec, students, out, spec.limits, slots.SlotPlan(1, 1), runner, False, True, None, grade._silent, absent
    )
    assert code == exits.OK
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    return out, rows


def test_canvas_gradebook_csv_has_canvas_columns_and_points_possible(tmp_path, spec):
    out, rows = graded_class(tmp_path, spec)
    assert export.main(out, "canvas", column="Lab 1 (101)") == exits.OK
    path = out / "exports" / "neural_nets-canvas.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 1 (101)"]
    assert frame.iloc[0]["Student"] == "    Points Possible"
    assert float(frame.iloc[0]["Lab 1 (101)"]) == sum(t.points for t in spec.tests())
    body = frame.iloc[1:].set_index("ID")
    assert set(body.index) == {"12345", "23456", "34567"}
    john = body.loc["12345"]
    assert (john["Student"], john["SIS User ID"], john["SIS Login ID"], john["Section"]) == (
        "Smith, John",
        "s001",
        "jsmith",
        "Section A",
    )
    for sid in body.index:  # round trip: the scores are grades.csv's
        assert float(body.loc[sid]["Lab 1 (101)"]) == float(rows[sid]["score"])
    assert float(body.loc["12345"]["Lab 1 (101)"]) == 3 and float(body.loc["23456"]["Lab 1 (101)"]) == 0
    assert 'href="exports/neural_nets-canvas.csv"' in (out / "report.html").read_text()  # written again, linking it


def test_moodle_worksheet_round_trips(tmp_path, spec):
    out, rows = graded_class(tmp_path, spec, roster_text=MOODLE)
    path = export.export(out, "moodle")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade"]
    by_id = frame.set_index("Identifier")
    assert by_id.loc["Participant 12345"]["Email address"] == "ada@example.org"
    assert by_id.loc["Participant 23456"]["Status"] == "missing"
    for sid, row in rows.items():
        assert float(by_id.loc[f"Participant {sid}"]["Grade"]) == float(row["score"])


def test_nbgrader_export_columns_and_names(tmp_path, spec):
    out, rows = graded_class(tmp_path, spec)
    frame = pd.read_csv(export.export(out, "nbgrader"), dtype=str, keep_default_na=False)
    assert list(frame.columns) == [
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
    john = frame.set_index("student_id").loc["12345"]
    assert (john["last_name"], john["first_name"], john["assignment"]) == ("Smith", "John", "neural_nets")
    assert float(john["score"]) == float(john["raw_score"]) == 3 and float(john["late_submission_penalty"]) == 0


def test_plain_csv_goes_where_asked_and_canvas_says_how_to_fill_an_existing_column(tmp_path, spec, capsys):
    out, rows = graded_class(tmp_path, spec)
    frame = pd.read_csv(export.export(out, "csv", file=tmp_path / "plain.csv"), dtype=str, keep_default_na=False)
    assert list(frame.columns) == export.CSV_COLUMNS
    assert frame.set_index("student_id").loc["34567"]["section"] == ""  # an extra: no roster row
    assert export.main(out, "canvas") == exits.OK
    assert "--column" in capsys.readouterr().out
    assert list(pd.read_csv(out / "exports" / "neural_nets-canvas.csv").columns)[-1] == "neural_nets"


def test_export_refuses_what_it_cannot_export(tmp_path, capsys):
    assert export.main(tmp_path, "canvas") == exits.USAGE
    assert "grades.csv does not exist" in capsys.readouterr().err
    with pytest.raises(export.ExportError, match="give one of canvas, moodle, nbgrader, csv"):
        export.export(tmp_path, "gradescope")


def test_a_late_policy_gives_raw_penalty_and_final_columns_and_exports_the_final(tmp_path, spec):
    from autograder import late

    out = tmp_path / "out"
    # Blackboard: jsmith 2024-01-29 23:58:03 (on time), alovelace's latest 2024-01-30 09:15 (1 day late)
    found = grade.take_in(lms.blackboard(tmp_path / "download"), spec, out, say=grade._silent)
    p = late.policy({"deadline": "2024-01-30T00:00:00-06:00", "penalty_per_day": 10}, {}, None)
    tests = spec.tests()

    def runner(todo):
        return [
            Outcome(
                SubmissionResult(
                    j.student_id, spec.name, items=[ItemResult(tests[0].grade_id, tests[0].notebook, 5, 5)]
                )
            )
            for j in todo
        ]

    plan = slots.SlotPlan(1, 1)
    assert grade._batch(spec, found, out, spec.limits, plan, runner, False, True, None, grade._silent, (), p) == 0
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    ada, john = rows["alovelace"], rows["jsmith"]
    assert (ada["raw_score"], ada["late_days"], ada["penalty"], ada["final_score"]) == ("5", "1", "0.5", "4.5")
    assert ada["submitted_at"] == "2024-01-30T09:15:00-06:00"
    assert (john["late_days"], john["final_score"]) == ("0", "5")
    frame = pd.read_csv(export.export(out, "nbgrader"), dtype=str).set_index("student_id")
    assert frame.loc["alovelace", "raw_score"] == "5" and frame.loc["alovelace", "late_submission_penalty"] == "0.5"
    assert frame.loc["alovelace", "score"] == "4.5" and frame.loc["alovelace", "duedate"] == "2024-01-30T00:00:00-06:00"
    canvas = pd.read_csv(export.export(out, "canvas"), dtype=str).iloc[1:].set_index("ID")
    assert canvas.loc["alovelace", "neural_nets"] == "4.5"
