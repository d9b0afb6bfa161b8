"""Benchmark: what `grade --gradebook` adds to a graded class of `mnist_quiz` submissions (each
with an untrained linear model, so that the grading itself takes seconds, and the diagram drawn in
code): recording the assignment with nbgrader, then writing the gradebook and the autograded
notebooks (every plotly figure drawn as a PNG by kaleido), then the same again with nothing changed
(what a TA's re-run to refresh grades.csv pays)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from autograder import course, demo, grade
from autograder.course import notebooks
from autograder.formgrader import gradebook
from autograder.outputs import results
from autograder.paths import ROOT

ASSIGNMENT = "mnist_quiz"
NOTEBOOK = "01_quiz.ipynb"
CHEAP = {
    "answer_mnist_model": "mnist_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))",
    "answer_mnist_accuracy": "pass",
}


def run(students: int = 6) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-gradebook-") as tmp:
        root = Path(tmp)
        folder, subs, out = root / "course", root / "submissions", root / "out"
        folder.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", folder)
        for n in range(students):
            demo.write_student(subs / f"s{n:02d}", {NOTEBOOK: demo.answered(ASSIGNMENT, NOTEBOOK, CHEAP)})
        if grade.main(ASSIGNMENT, subs, out, progress=False) != 0:
            raise RuntimeError("grading the benchmark's class failed; see the output above")
        spec = course.load(ASSIGNMENT)
        graded = [results.read_student(out, s) for s in sorted(p.name for p in subs.iterdir())]
        started = time.perf_counter()
        gradebook.prepare(folder, ASSIGNMENT)
        prepared = time.perf_counter()
        gradebook.record(folder, graded, out, spec.sources)
        recorded = time.perf_counter()
        gradebook.record(folder, graded, out, spec.sources)
        again = time.perf_counter()
        figures = sum(
            1
            for s in graded
            for c in notebooks.read(folder / "autograded" / s.student_id / ASSIGNMENT / NOTEBOOK).cells
            if c.cell_type == "code"
            for o in c.outputs
            if "image/png" in o.get("data", {})
        )
    return {
        "students": students,
        "figures": figures,
        "prepare_seconds": prepared - started,
        "record_seconds": recorded - prepared,
        "rerun_seconds": again - recorded,
    }
