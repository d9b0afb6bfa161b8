"""Fixtures shared across test modules."""

from __future__ import annotations

import csv

import pytest

from autograder import demo, grade
from tests.corpus import ASSIGNMENT, CELL_TIMEOUT, CLASS, LINKED, symlinked


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The crafted class (tests/corpus.py) as a submissions folder."""
    submissions = tmp_path_factory.mktemp("class") / "submissions"
    for student, make in CLASS.items():
        demo.write_student(submissions / student, make())
    for student in LINKED:
        symlinked(submissions, student)
    return submissions


def grade_corpus(submissions, out, **options):
    """Grade the crafted class; (exit code, grades.csv rows by student, out)."""
    code = grade.main(ASSIGNMENT, submissions, out, cell_timeout=CELL_TIMEOUT, progress=False, **options)
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    return code, rows, out


@pytest.fixture(scope="session")
def graded(corpus):
    """The crafted class graded locally, two submissions at a time."""
    return grade_corpus(corpus, corpus.parent / "out", jobs=2)
