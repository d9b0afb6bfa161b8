"""Fixtures shared across test modules."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time

import pytest

from autograder import demo, grade
from autograder.paths import ROOT
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


def ctrl_c_after_first_result(command: list[str], out, wait: float = 600, timeout: float = 300) -> tuple[int, str]:
    """Run `command` as a terminal would and press Ctrl-C (SIGINT to its process group) once the
    first student's results.json exists; (exit status, stderr). SIGINT starts at its default in the
    child, whatever the suite inherited (a job started in the background of a shell ignores SIGINT,
    and its children would too). A command that does not end is killed, so nothing outlives it."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + wait
        while not list(out.glob("*/results.json")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=timeout)
        return process.returncode, err
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
