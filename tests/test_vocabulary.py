"""The words every part of the grader shares: statuses in order of severity, and the results of
one item and of one submission."""

from __future__ import annotations

import itertools
import subprocess
import sys

from autograder import vocabulary
from autograder.paths import ROOT
from autograder.vocabulary import (
    CRASHED,
    ERROR,
    GRADED,
    INVALID,
    MISSING,
    REVIEW,
    SEVERITY,
    TIMEOUT,
    ItemResult,
    Outcome,
    SubmissionResult,
)


def test_statuses_go_from_best_to_worst_each_once():
    assert SEVERITY == (GRADED, REVIEW, MISSING, INVALID, CRASHED, TIMEOUT, ERROR)
    assert len(set(SEVERITY)) == len(SEVERITY)


def test_worsen_keeps_the_worst_status_whatever_the_order():
    for first, second in itertools.product(SEVERITY, repeat=2):
        result = SubmissionResult("s", "a")
        result.worsen(first, "")
        result.worsen(second, "")
        assert result.status == max(first, second, key=SEVERITY.index), (first, second)


def test_the_worst_status_wins_and_every_reason_is_kept():
    r = SubmissionResult("s", "a")
    r.worsen(TIMEOUT, "cell 3 ran too long")
    r.worsen(CRASHED, "kernel died")
    r.worsen(GRADED, "")
    assert r.status == TIMEOUT and r.reason == "cell 3 ran too long; kernel died"


def test_a_result_starts_graded_with_no_reason_and_an_empty_reason_adds_nothing():
    r = SubmissionResult("s", "a")
    assert (r.status, r.reason) == (GRADED, "")
    r.worsen(MISSING, "")
    assert (r.status, r.reason) == (MISSING, "")
    r.worsen(GRADED, "only a note")
    assert (r.status, r.reason) == (MISSING, "only a note")


def test_scores_sum_the_items_and_manual_points_are_not_counted():
    r = SubmissionResult("s", "a", manual={"diagram": 2.0})
    assert (r.score, r.max_score) == (0, 0)
    r.items = [
        ItemResult("x", "01.ipynb", 1.0, 1.0, True),
        ItemResult("y", "01.ipynb", 2.5, 0.0, False),
        ItemResult("z", "02.ipynb", 0.5, 0.5, True),
    ]
    assert (r.score, r.max_score) == (1.5, 4.0)


def test_results_do_not_share_their_lists_and_tables():
    first, second = SubmissionResult("s1", "a"), SubmissionResult("s2", "a")
    first.items.append(ItemResult("x", "01.ipynb", 1.0))
    first.manual["m"], first.timing["01.ipynb"] = 1.0, {"seconds": 1.0}
    assert (second.items, second.manual, second.timing) == ([], {}, {})
    one, other = Outcome(first), Outcome(second)
    one.executed["01.ipynb"], one.observations["01.ipynb"] = "{}", b""
    assert (other.executed, other.observations, other.log) == ({}, {}, "")
    assert ItemResult("x", "n", 1.0).metrics is not ItemResult("x", "n", 1.0).metrics


def test_reading_results_loads_neither_torch_nor_the_rest_of_the_grader():
    code = (
        "import sys, autograder.vocabulary\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'autograder', 'nbformat')))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == str(["autograder", vocabulary.__name__])


def test_the_staff_reason_adds_what_to_review_and_the_student_reason_does_not():
    r = SubmissionResult("s", "a", REVIEW, "late", review=["01.ipynb: trace function (in the kernel)"])
    assert r.staff_reason == "late; review: 01.ipynb: trace function (in the kernel)" and r.reason == "late"
    assert SubmissionResult("s", "a").staff_reason == ""
