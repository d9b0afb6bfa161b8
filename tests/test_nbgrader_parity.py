"""nbgrader stays usable: `nbgrader autograde` on this course directory runs the same hidden
checks and gives the same points per item as our grader, on the same submissions."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import pytest

from autograder import demo, grade
from autograder.course.notebooks import nbgrader_env
from autograder.paths import DATA, RELEASE, ROOT, SOURCE

pytestmark = pytest.mark.slow

ASSIGNMENT = "neural_nets"
NOTEBOOKS = sorted(p.name for p in (RELEASE / ASSIGNMENT).glob("*.ipynb"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch copy of the course directory with three submissions in nbgrader's layout."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(SOURCE / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "data").symlink_to(DATA)
    students = {
        "perfect": {n: demo.answered(ASSIGNMENT, n) for n in NOTEBOOKS},
        "blank": {n: demo.blank(ASSIGNMENT, n) for n in NOTEBOOKS},
        "partly": {n: demo.answered(ASSIGNMENT, n) for n in NOTEBOOKS},
    }
    students["partly"][NOTEBOOKS[0]] = demo.answered(ASSIGNMENT, NOTEBOOKS[0], {"answer_W": "W = w_weight"})
    students["partly"][NOTEBOOKS[1]] = demo.blank(ASSIGNMENT, NOTEBOOKS[1])
    for student, nbs in students.items():
        demo.write_student(course / "submitted" / student / ASSIGNMENT, nbs)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for args in (
        ["generate_assignment", ASSIGNMENT, "--force"],
        ["autograde", ASSIGNMENT, "--force"],
        ["export", "--to", "grades.csv"],
    ):
        subprocess.run(nbgrader + args + ["--log-level=ERROR"], cwd=course, env=nbgrader_env(), check=True)
    return course, list(students)


def nbgrader_item_scores(course, student):
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        for notebook in submission.notebooks:
            for g in notebook.grades:
                if g.cell_type == "code":
                    scores[g.name] = float(g.score)
    return scores


def test_nbgrader_and_our_grader_agree_item_by_item(course, tmp_path):
    course_dir, students = course
    out = tmp_path / "ours"
    assert grade.main(ASSIGNMENT, course_dir / "submitted", out, jobs=2, progress=False) == 0
    ours = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    for student in students:
        theirs = nbgrader_item_scores(course_dir, student)
        assert theirs, f"nbgrader graded nothing for {student}"
        mine = {gid: float(ours[student][gid]) for gid in theirs}
        assert mine == theirs, student
    assert sum(nbgrader_item_scores(course_dir, "perfect").values()) == float(ours["perfect"]["max_score"])
    assert sum(nbgrader_item_scores(course_dir, "blank").values()) == 0
