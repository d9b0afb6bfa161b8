"""`python -m autograder new ASSIGNMENT`: the scaffold, written into a temporary course root (the
third-assignment test, tests/test_new_assignment.py, grades one end to end)."""

from __future__ import annotations

import ast
import sys

import pytest

from autograder import course, new
from autograder.course import notebooks
from autograder.course.items import source_tests
from autograder.paths import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture
def scaffold(tmp_path):
    written = new.create("week9", tmp_path)
    return tmp_path, written


def test_it_writes_the_notebook_the_config_the_check_pair_and_its_test(scaffold):
    root, written = scaffold
    assert written == list(new.files("week9"))
    assert set(written) == {
        "source/week9/assignment.toml",
        "source/week9/01_week9.ipynb",
        "autograder/checks/kernel/week9/__init__.py",
        "autograder/checks/kernel/week9/week9/__init__.py",
        "autograder/checks/kernel/week9/week9/double.py",
        "autograder/checks/grader/week9/__init__.py",
        "autograder/checks/grader/week9/week9/__init__.py",
        "autograder/checks/grader/week9/week9/test_double.py",
        "tests/checks/test_week9.py",
    }
    for relative in written:
        if relative.endswith(".py"):
            ast.parse((root / relative).read_text(), relative)


def test_the_config_holds_the_default_limits(scaffold):
    root, _ = scaffold
    data = tomllib.loads((root / "source/week9/assignment.toml").read_text())
    assert set(data) == {"limits"}
    limits = dict(data["limits"], data_files=tuple(data["limits"]["data_files"]))
    assert course.Limits(**limits) == course.Limits()


def test_the_notebook_pairs_its_answer_and_test_cells_as_the_engine_does(scaffold):
    root, _ = scaffold
    nb = notebooks.read(root / "source/week9/01_week9.ipynb")
    (test,) = source_tests(nb, "01_week9.ipynb")
    assert (test.grade_id, test.points, test.anchor, test.names) == ("double", 2, "answer_double", ("double",))
    assert test.before[:2] == ("answer-double", "answer_double")
    cell = notebooks.cell(nb, "double")
    assert notebooks.nbgrader(cell) == {
        "grade": True,
        "grade_id": "double",
        "locked": True,
        "points": 2,
        "schema_version": 3,
        "solution": False,
    }
    assert notebooks.hidden_part(cell.source).splitlines()[1] == (
        'from autograder.checks import run; run("week9", "double", globals())'
    )
    assert "assert double(3) == 6" in notebooks.visible_part(cell.source)
    answer = notebooks.cell(nb, "answer_double")
    assert notebooks.is_solution_cell(answer) and "### BEGIN SOLUTION" in answer.source
    assert "2 points" in nb.cells[0].source and "600 s for the whole notebook" in nb.cells[0].source


def test_the_kernel_half_knows_no_answer(scaffold):
    root, _ = scaffold
    observer = (root / "autograder/checks/kernel/week9/week9/double.py").read_text()
    assert "checks.grader" not in observer and "2 * x" not in observer
    test = (root / "autograder/checks/grader/week9/week9/test_double.py").read_text()
    assert "from autograder.checks.kernel.week9.week9 import double as kernel" in test


@pytest.mark.parametrize("name", ["week-9", "9weeks", "class", "wéek", ""])
def test_a_name_that_is_no_python_identifier_is_refused(name, tmp_path):
    with pytest.raises(course.UsageError, match="not a valid assignment name"):
        new.create(name, tmp_path)
    assert not list(tmp_path.iterdir())


def test_an_assignment_that_exists_is_refused_and_left_alone(scaffold, capsys):
    root, _ = scaffold
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(course.UsageError, match="'week9' exists already"):
        new.create("week9", root)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert new.main("neural_nets") == 2  # the repository's own
    assert "exists already (source/neural_nets/" in capsys.readouterr().err
    assert new.problems("api") and new.problems("api")[0].startswith("'api' exists already")


def test_the_cli_prints_what_it_made_and_what_comes_next(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(new, "ROOT", tmp_path)
    assert new.main("week9") == 0
    out = capsys.readouterr().out
    assert "source/week9/01_week9.ipynb" in out and "tests/checks/test_week9.py" in out
    assert "python -m autograder release week9" in out and "python -m pytest tests/checks/test_week9.py" in out
    assert not (ROOT / "source" / "week9").exists()
