"""Benchmark: a class of `mnist_quiz` submissions graded with the defaults (each notebook gets the
cores the assignment promises, as many at once as the machine allows) and with `--jobs 1`, and
the reference graded alone. Reports seconds per submission and the ratio of the reference's
grading time in the class to its time alone (the goal: at most 1.2)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from autograder import demo, grade
from autograder.course import settings  # limits: settings(name).limits
from autograder.sandbox import slots

ASSIGNMENT = "mnist_quiz"
NOTEBOOK = "01_quiz.ipynb"
SMALL_MLP = """\
torch.manual_seed(0)
mnist_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(),
                                  torch.nn.Linear(64, 10))
"""
LINEAR = """\
torch.manual_seed(0)
mnist_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
"""
CLASS = {
    "reference1": {},
    "reference2": {},
    "small_mlp": {"answer_mnist_model": SMALL_MLP},
    "linear": {"answer_mnist_model": LINEAR},
}
BLANK = ("blank1", "blank2")


def make_class(root: Path, students) -> Path:
    for student in students:
        if student in BLANK:
            demo.write_student(root / student, {NOTEBOOK: demo.blank(ASSIGNMENT, NOTEBOOK)})
        else:
            demo.write_student(root / student, {NOTEBOOK: demo.answered(ASSIGNMENT, NOTEBOOK, CLASS[student])})
    return root


def grade_class(root: Path, students, jobs: int | None) -> dict:
    submissions = make_class(root / "submissions", students)
    started = time.monotonic()
    grade.main(ASSIGNMENT, submissions, root / "out", jobs=jobs, force=True, progress=False)
    wall = time.monotonic() - started
    seconds = {s: json.loads((root / "out" / s / "results.json").read_text())["execution_time"] for s in students}
    return {"wall": wall, "seconds": seconds}


ORDER = ("reference1", "blank1", "small_mlp", "linear", "reference2", "blank2")


def run(size: int = len(ORDER)) -> dict:
    students = list(ORDER[: max(1, size)])
    with tempfile.TemporaryDirectory(prefix="bench-quiz-") as scratch:
        scratch = Path(scratch)
        alone = grade_class(scratch / "alone", ["reference1"], None)
        defaults = grade_class(scratch / "defaults", students, None)
        serial = grade_class(scratch / "jobs1", students, 1)
    reference_alone = alone["seconds"]["reference1"]
    in_class = max(t for s, t in defaults["seconds"].items() if s.startswith("reference"))
    return {
        "plan": slots.plan(settings(ASSIGNMENT).limits.cores),
        "alone": reference_alone,
        "defaults": defaults,
        "jobs1": serial,
        "ratio": in_class / reference_alone,
    }


if __name__ == "__main__":
    figures = run()
    print(figures)
