"""The batch (grade.py) without kernels: which students a re-run grades again."""

from __future__ import annotations

import csv
import json

import pytest

from autograder import course, exits, grade
from autograder import roster as rosters
from autograder.course import UsageError
from autograder.outputs import results
from autograder.sandbox import slots
from autograder.vocabulary import CRASHED, ERROR, GRADED, ItemResult, Outcome, SubmissionResult
from tests.intake import lms
from tests.test_roster import CANVAS


def test_a_grader_error_is_graded_again_and_a_graded_submission_is_not(tmp_path):
    spec = course.load("neural_nets")
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("erred", "done"):
        (submissions / student).mkdir(parents=True)
    digest = spec.digest()
    for student, status in (("erred", ERROR), ("done", GRADED)):
        previous = SubmissionResult(
            student,
            spec.name,
            status=status,
            submission_sha256=grade.submission_digest(spec, submissions / student, digest),
        )
        results.write_student(out, previous)
    asked = []

    def runner(todo):
        asked.extend(job.student_id for job in todo)
        return [Outcome(SubmissionResult(job.student_id, spec.name)) for job in todo]

    students = grade.find_submissions(submissions, spec.name)
    assert grade._batch(spec, students, out, spec.limits, slots.SlotPlan(1, 1), runner, False, True, None) == 0
    assert asked == ["erred"]


def test_the_exit_status_says_a_crash_or_a_grader_error_and_quiet_prints_nothing(tmp_path, capsys):
    spec = course.load("neural_nets")
    submissions = tmp_path / "submissions"
    for student in ("ok", "crash", "erred"):
        (submissions / student).mkdir(parents=True)
    students = grade.find_submissions(submissions, spec.name)
    statuses = {"ok": GRADED, "crash": CRASHED, "erred": ERROR}

    def runner(only):
        def run(todo):
            return [
                Outcome(SubmissionResult(j.student_id, spec.name, status=only.get(j.student_id, GRADED))) for j in todo
            ]

        return run

    plan = slots.SlotPlan(1, 1)
    quiet = grade._silent
    code = grade._batch(spec, students, tmp_path / "a", spec.limits, plan, runner(statuses), False, True, None, quiet)
    printed = capsys.readouterr()
    assert code == exits.GRADER_ERRORS and printed.out == ""
    assert "crash, erred" in printed.err and "exit status 4" in printed.err
    del statuses["erred"]
    assert (
        grade._batch(spec, students, tmp_path / "b", spec.limits, plan, runner(statuses), False, True, None)
        == exits.CRASHES
    )
    assert "score" in capsys.readouterr().out  # not quiet: the score table
    assert grade._batch(spec, students, tmp_path / "c", spec.limits, plan, runner({}), False, True, None) == exits.OK


def test_a_canvas_download_is_taken_in_said_and_recorded(tmp_path, capsys):
    spec = course.load("neural_nets")
    students = grade.take_in(lms.canvas(tmp_path / "download"), spec, tmp_path / "out")
    assert sorted(students) == ["12345", "23456", "34567"]
    said = capsys.readouterr().out
    assert "intake: Canvas download, 3 student(s)" in said and "intake: 23456: 01_layers.ipynb: 3 versions" in said
    record = json.loads((tmp_path / "out" / "intake.json").read_text())
    assert record["layout"] == "Canvas download" and record["students"]["23456"]["late_flag"] is True


def test_an_unknown_layout_is_misuse_exit_2_naming_what_it_saw(tmp_path, capsys):
    (tmp_path / "download").mkdir()
    (tmp_path / "download" / "layers_final.ipynb").write_text("{}")
    assert grade.main("neural_nets", tmp_path / "download", tmp_path / "out", progress=False, sandboxed=False) == 2
    err = capsys.readouterr().err
    assert "layers_final.ipynb" in err and "Layouts known: Canvas download" in err


def test_a_roster_gives_every_student_a_row_flags_extras_and_carries_sections(tmp_path, capsys):
    spec = course.load("neural_nets")
    (tmp_path / "roster.csv").write_text(CANVAS)
    people = rosters.load(tmp_path / "roster.csv")
    out = tmp_path / "out"
    found = grade.take_in(lms.canvas(tmp_path / "download"), spec, out)  # 12345, 23456, 34567
    students, absent = grade.on_roster(people, found, out)
    assert sorted(students) == ["12345", "23456", "34567"] and absent == []
    del students["23456"]  # as if Ada had sent nothing
    absent = ["23456"]
    graded_ids = []

    def runner(todo):
        graded_ids.extend(j.student_id for j in todo)
        return [Outcome(SubmissionResult(j.student_id, spec.name)) for j in todo]

    code = grade._batch(
        spec, students, out, spec.limits, slots.SlotPlan(1, 1), runner, False, True, None, print, absent
    )
    assert code == exits.OK and sorted(graded_ids) == ["12345", "34567"]  # the extra is graded, the absent is not
    assert "from outside the roster" in capsys.readouterr().err
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"12345", "23456", "34567"}
    assert rows["23456"]["status"] == "missing" and rows["23456"]["score"] == "0"
    assert float(rows["23456"]["max_score"]) == sum(t.points for t in spec.tests()) > 0
    assert (rows["12345"]["section"], rows["12345"]["roster"]) == ("Section A", "yes")
    assert rows["34567"]["roster"] == "not on the roster" and rows["34567"]["section"] == ""
    batch = json.loads((out / "batch.json").read_text())
    assert batch["missing_on_roster"] == 1 and batch["graded"] == 2


def test_two_submissions_of_one_rostered_student_are_refused(tmp_path):
    (tmp_path / "roster.csv").write_text(CANVAS)
    people = rosters.load(tmp_path / "roster.csv")
    with pytest.raises(UsageError, match="same student on the roster"):
        grade.on_roster(people, {"12345": tmp_path, "jsmith": tmp_path}, tmp_path / "out")


def test_only_regrades_its_students_and_leaves_everyone_elses_files_alone(tmp_path):
    import hashlib

    spec = course.load("neural_nets")
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("ada", "bob", "carl"):
        (submissions / student).mkdir(parents=True)
    students = grade.find_submissions(submissions, spec.name)
    tests = spec.tests()
    points = {"ada": 1, "bob": 1, "carl": 1}

    def runner(todo):
        return [
            Outcome(
                SubmissionResult(
                    j.student_id,
                    spec.name,
                    items=[ItemResult(tests[0].grade_id, tests[0].notebook, 5, points[j.student_id])],
                ),
                log=f"graded {j.student_id}\n",
            )
            for j in todo
        ]

    plan = slots.SlotPlan(1, 1)
    assert grade._batch(spec, students, out, spec.limits, plan, runner, False, True, None, grade._silent) == 0

    def hashes(student):
        return {
            p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / student).rglob("*"))
            if p.is_file()
        }

    before = {s: hashes(s) for s in students}
    points.update(ada=4, carl=3)  # a fixed check, say: only bob asked for a regrade
    code = grade._batch(spec, students, out, spec.limits, plan, runner, True, True, None, grade._silent, only=["bob"])
    assert code == 0
    assert hashes("ada") == before["ada"] and hashes("carl") == before["carl"]
    points["bob"] = 5
    grade._batch(spec, students, out, spec.limits, plan, runner, True, True, None, grade._silent, only=["bob"])
    assert hashes("ada") == before["ada"] and hashes("carl") == before["carl"] and hashes("bob") != before["bob"]
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert (rows["ada"]["score"], rows["bob"]["score"], rows["carl"]["score"]) == ("1", "5", "1")
    batch = json.loads((out / "batch.json").read_text())
    assert [r["students"] for r in batch["regrades"]] == [["bob"], ["bob"]] and batch["regrades"][0]["force"]
    assert (
        "Re-graded on request" in (out / "report.html").read_text() and "bob at " in (out / "report.html").read_text()
    )


def test_only_refuses_an_unknown_student(tmp_path, capsys):
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    (tmp_path / "subs" / "ada" / "01_layers.ipynb").write_text("{}")
    code = grade.main("neural_nets", tmp_path / "subs", tmp_path / "out", progress=False, sandboxed=False, only=["zed"])
    assert code == exits.USAGE and "--only zed: not a student of this class (ada)" in capsys.readouterr().err
