"""What grading leaves behind: results.json (Gradescope), feedback.html, grades.csv."""

from __future__ import annotations

import csv
import io
import json

import pytest

from autograder.outputs import results
from autograder.vocabulary import ItemResult, SubmissionResult


def result():
    r = results.SubmissionResult("s1", "neural_nets", submission_sha256="abc", execution_time=12.34)
    r.items = [
        ItemResult("layer1", "01_layers.ipynb", 1, 1, True, ""),
        ItemResult("W", "01_layers.ipynb", 2, 0, False, "W has shape (2, 3): <transpose> it", {"test_accuracy": 0.25}),
    ]
    r.manual = {"log_reg_diagram": 2.0}
    return r


def test_results_json_is_gradescope_shaped_and_round_trips():
    data = results.results_json(result())
    assert (data["score"], data["max_score"], data["execution_time"]) == (1, 3, 12.3)
    assert [t["name"] for t in data["tests"]] == ["layer1", "W", "log_reg_diagram"]
    assert all(t["visibility"] == "visible" for t in data["tests"])
    back = results.from_results_json(json.loads(json.dumps(data)))
    assert back.items == result().items and back.manual == {"log_reg_diagram": 2.0}


def test_feedback_escapes_what_students_control():
    page = results.feedback_html(result())
    assert "&lt;transpose&gt;" in page and "<transpose>" not in page
    assert "1 / 3" in page and "graded by a TA" in page


def test_grades_csv_has_a_column_per_item():
    text = results.grades_csv([result()], ["layer1", "W", "log_reg_diagram"])
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["score"] == "1" and row["max_score"] == "3" and row["status"] == "graded"
    assert (row["layer1"], row["W"], row["log_reg_diagram"]) == ("1", "0", "manual")


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    results.write_student(tmp_path, result())
    assert sorted(p.name for p in (tmp_path / "s1").iterdir()) == ["feedback.html", "results.json"]
    assert results.read_student(tmp_path, "s1").items == result().items


def test_an_unreadable_results_file_means_grade_again(tmp_path):
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "results.json").write_text("{ half written")
    assert results.read_student(tmp_path, "s1") is None


@pytest.mark.parametrize("student", ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_grades_csv_cells_that_could_start_a_formula_are_text(student):
    """OWASP's CSV injection advice: a cell a spreadsheet would run as a formula starts with '."""
    result = SubmissionResult(student, "neural_nets", reason="-stopped")
    rows = list(csv.DictReader(io.StringIO(results.grades_csv([result], ["=item"]))))
    assert rows[0]["student_id"] == "'" + student and rows[0]["reason"] == "'-stopped"
    assert "'=item" in rows[0]


def test_grades_csv_leaves_ordinary_cells_alone():
    result = SubmissionResult("ada-lovelace", "neural_nets", items=[ItemResult("w", "01.ipynb", 1, 1, True)])
    rows = list(csv.DictReader(io.StringIO(results.grades_csv([result], ["w"]))))
    assert rows[0]["student_id"] == "ada-lovelace" and rows[0]["w"] == "1"


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_shared_files_follow_the_umask_and_staff_files_stay_private(tmp_path, mask):
    import os
    import stat

    from autograder.vocabulary import Outcome

    old = os.umask(mask)
    try:
        outcome = Outcome(
            result(), log="log\n", executed={"01_layers.ipynb": "{}"}, observations={"01_layers.ipynb": b"x"}
        )
        results.write_outcome(tmp_path, outcome)
        results.write_atomic(tmp_path / "grades.csv", "student_id\n")
    finally:
        os.umask(old)

    def mode(*parts):
        return stat.S_IMODE((tmp_path.joinpath(*parts)).stat().st_mode)

    shared = 0o666 & ~mask
    assert mode("grades.csv") == mode("s1", "results.json") == mode("s1", "feedback.html") == shared
    staff = [("s1", "grading.log"), ("s1", "executed", "01_layers.ipynb"), ("s1", "observations", "01_layers.pt")]
    assert {mode(*p) for p in staff} == {0o600}
