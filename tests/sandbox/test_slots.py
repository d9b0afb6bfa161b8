"""Cores per grading slot: what a notebook gets, and what the TA is told when it is less."""

from __future__ import annotations

import pytest

from autograder.sandbox import slots

EIGHT = list(range(8))


@pytest.mark.parametrize("per_notebook, jobs, expected", [
    (1, None, (8, 1)),   # the lesson: one notebook per core
    (2, None, (4, 2)),   # the quiz: 2 cores each
    (2, 2, (2, 2)),      # fewer jobs than the machine allows: still the promised 2 cores, not more
    (3, None, (2, 3)),
])
def test_the_default_keeps_the_assignments_promise(per_notebook, jobs, expected):
    plan = slots.plan(per_notebook, jobs, EIGHT)
    assert (plan.jobs, plan.cores) == expected and plan.note == ""


def test_one_quiz_at_a_time_on_two_cores():
    assert slots.plan(2, None, [0, 1]) == slots.SlotPlan(1, 2)


def test_more_jobs_than_the_promise_allows_is_said():
    plan = slots.plan(2, 8, EIGHT)
    assert (plan.jobs, plan.cores) == (8, 1)
    assert "each notebook gets 1 core(s), not the 2" in plan.note and "--jobs 4" in plan.note


def test_more_jobs_than_cores_is_said():
    plan = slots.plan(1, 3, [0, 1])
    assert plan.cores == 1 and "share cores" in plan.note


def test_slots_own_cores_that_do_not_overlap():
    owned = [slots.cpus_of(slot, 2, EIGHT) for slot in range(4)]
    assert owned == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert slots.cpus_of(0, 1, [3, 5]) == [3] and slots.cpus_of(1, 1, [3, 5]) == [5]
