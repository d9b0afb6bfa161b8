"""A third assignment, made as the instructors' guide says, works end to end.

In a copy of the repository: ``python -m autograder new tiny``; a second item added to its notebook
(cells edited in the notebook's JSON) with its pair of check files; the scaffold's check test run;
``python -m autograder release tiny``. Then a reference (the solutions' notebook) and a blank
submission (the release notebook as is) are graded locally (``grade``) and through the Gradescope
bundle (``gradescope``, its run_autograder in a simulated /autograder). Nothing of it is left in
the repository.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder.course.notebooks import nbgrader_env
from autograder.paths import ROOT
from tests.gradescope.test_gradescope import files, run_autograder

pytestmark = pytest.mark.slow

NAME, NOTEBOOK = "tiny", "01_tiny.ipynb"
COPIED = ("autograder", "source", "release", "solutions", "data", "tests", "nbgrader_config.py", "pyproject.toml")
POINTS = {"double": 2, "square": 3}  # the scaffold's item, and the one added here

SQUARE_CELLS = [
    new_markdown_cell(
        "## Exercise `square` (3 points)\n\nWrite a function `square(x)` that returns `x * x`.", id="square-intro"
    ),
    new_code_cell(
        "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
        id="answer-square",
        metadata={
            "nbgrader": {
                "grade": False,
                "grade_id": "answer_square",
                "locked": False,
                "schema_version": 3,
                "solution": True,
            }
        },
    ),
    new_code_cell(
        'assert square(3) == 9, "square(3) should be 9"\n### BEGIN HIDDEN TESTS\n'
        f'from autograder.checks import run; run("{NAME}", "square", globals())\n### END HIDDEN TESTS',
        id="test-square",
        metadata={
            "nbgrader": {
                "grade": True,
                "grade_id": "square",
                "locked": True,
                "points": POINTS["square"],
                "schema_version": 3,
                "solution": False,
            }
        },
    ),
]
SQUARE_OBSERVER = '''"""Kernel side of `square` (01_tiny.ipynb)."""

from autograder.checks.kernel.api import call, expect, need


def hidden_inputs() -> list:
    return [-4, 0, 2.5, 1000]


def observe(ns: dict) -> dict:
    function = need(ns, "square", None, "the function square(x)")
    expect(callable(function), "`square` should be a function.")
    return {"outputs": [call("square", function, x) for x in hidden_inputs()]}
'''
SQUARE_TEST = f'''"""Grader side of `square` (01_tiny.ipynb)."""

from autograder.checks.grader.api import expect
from autograder.checks.kernel.{NAME}.{NAME} import square as kernel


def test_square(obs: dict) -> None:
    expect(obs["outputs"] == [x * x for x in kernel.hidden_inputs()], "`square(x)` should return x * x.")
'''


def cli(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """`python -m autograder ARGS` in the copy, with the copy's engine (and nbgrader's alembic on PATH)."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=course,
        env={**nbgrader_env(), "PYTHONPATH": str(course)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def course():
    """A copy of the repository with the tiny assignment made, edited and released. The folders
    are readable by the sandbox's user, as a course folder must be."""
    top = Path(tempfile.mkdtemp(prefix="third-assignment-"))
    top.chmod(0o755)
    course = top / "course"
    ignore = shutil.ignore_patterns(".venv", ".git", ".work", "MNIST", "__pycache__", ".pytest_cache", "gradebook.db")
    try:
        for name in COPIED:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, course / name, ignore=ignore)
            else:
                shutil.copy2(ROOT / name, course / name)
        made = cli(course, "autograder", "new", NAME)
        assert made.returncode == 0, made.stdout + made.stderr
        assert f"python -m autograder release {NAME}" in made.stdout
        again = cli(course, "autograder", "new", NAME)
        assert again.returncode == 2 and "exists already" in again.stderr
        # The guide's next step: a second item, in the notebook and as a pair of check files.
        path = course / "source" / NAME / NOTEBOOK
        nb = nbformat.read(path, as_version=4)
        nb.cells += SQUARE_CELLS
        nbformat.write(nb, path)
        (course / "autograder" / "checks" / "kernel" / NAME / NAME / "square.py").write_text(SQUARE_OBSERVER)
        (course / "autograder" / "checks" / "grader" / NAME / NAME / "test_square.py").write_text(SQUARE_TEST)
        tested = cli(course, "pytest", "-q", "-p", "no:cacheprovider", f"tests/checks/test_{NAME}.py")
        assert tested.returncode == 0 and "3 passed" in tested.stdout, tested.stdout + tested.stderr
        released = cli(course, "autograder", "release", NAME)
        assert released.returncode == 0, released.stdout + released.stderr
        yield course
    finally:
        shutil.rmtree(top, ignore_errors=True)


def submissions(course: Path) -> dict[str, bytes]:
    """{student: notebook}: the reference (solutions/) and the blank release."""
    return {
        "reference": (course / "solutions" / NAME / NOTEBOOK).read_bytes(),
        "blank": (course / "release" / NAME / NOTEBOOK).read_bytes(),
    }


def test_the_release_holds_the_notebook_only(course):
    assert sorted(p.name for p in (course / "release" / NAME).iterdir()) == [NOTEBOOK]
    assert sorted(p.name for p in (course / "solutions" / NAME).iterdir()) == [NOTEBOOK, "manifest.json"]
    text = (course / "release" / NAME / NOTEBOOK).read_text()
    assert "raise NotImplementedError()" in text and "BEGIN" not in text and "autograder.checks" not in text


def test_graded_locally_the_reference_gets_every_point_and_the_blank_none(course):
    folder = course.parent / "class"
    for student, content in submissions(course).items():
        (folder / student).mkdir(parents=True)
        (folder / student / NOTEBOOK).write_bytes(content)
    out = course.parent / "graded"
    done = cli(course, "autograder", "grade", NAME, str(folder), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    total = sum(POINTS.values())
    assert {s: (float(r["score"]), float(r["max_score"]), r["status"]) for s, r in rows.items()} == {
        "reference": (total, total, "graded"),
        "blank": (0, total, "graded"),
    }
    assert {item: float(rows["reference"][item]) for item in POINTS} == POINTS


def test_graded_on_gradescope_the_reference_gets_every_point_and_the_blank_none(course):
    done = cli(course, "autograder", "gradescope", NAME, "--out", str(course.parent / "bundle"))
    assert done.returncode == 0, done.stdout + done.stderr
    bundle = course.parent / "bundle" / f"{NAME}-gradescope.zip"
    with zipfile.ZipFile(bundle) as archive:
        config = json.loads(archive.read("gradescope.json"))
        assert not [n for n in archive.namelist() if "neural_nets" in n or "mnist_quiz" in n]
    assert config["assignment"] == NAME and config["notebooks"] == [NOTEBOOK]
    total = sum(POINTS.values())
    for student, content in submissions(course).items():
        data, stdout = run_autograder(bundle, files({NOTEBOOK: content}))
        scores = {t["name"]: t["score"] for t in data["tests"] if not t["name"].endswith(": visible checks")}
        assert data["extra_data"]["status"] == "graded" and "status: graded" in stdout, stdout
        if student == "reference":
            assert data["score"] == total and scores == POINTS
        else:
            assert data["score"] == 0 and scores == dict.fromkeys(POINTS, 0)


def test_nothing_of_the_new_assignment_reaches_the_repository(course):
    assert not [p for p in (ROOT / "source", ROOT / "release", ROOT / "solutions") if (p / NAME).exists()]
    assert not [side for side in ("kernel", "grader") if (ROOT / "autograder" / "checks" / side / NAME).exists()]
    assert not (ROOT / "tests" / "checks" / f"test_{NAME}.py").exists()
