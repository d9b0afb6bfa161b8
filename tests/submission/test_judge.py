"""Judging in the grader's process (submission/judge.py): an item's verdict from its test cell's
outcome and its probe's observation. The visible-test messages are test_cause.py's subject; here:
what the probe brought back, and how it becomes points, messages and figures."""

from __future__ import annotations

import hashlib

import pytest
import torch
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.checks import COULD_NOT_JUDGE, encode, items, observe, runner
from autograder.checks.grader.mnist_quiz.quiz import _shared as quiz_grader
from autograder.checks.kernel.mnist_quiz.quiz import _shared as quiz_kernel
from autograder.checks.kernel.mnist_quiz.quiz import mnist_accuracy_90 as accuracy_90
from autograder.course.items import source_tests
from autograder.submission import judge
from autograder.submission import plan as merge
from autograder.submission.probe import ProbeResult
from tests.submission.test_plan import graded_cell, solution

LAYERS = items("neural_nets")
SOURCE = new_notebook(
    cells=[
        solution("answer_W", "W = layer1[0].weight.T"),
        graded_cell("W", "assert W.shape == (3, 2)", points=2),
        solution("answer_w_bias", "w_bias = layer1[0].bias"),
        graded_cell("w_bias", "assert w_bias.shape == (2,)"),
    ]
)


def right_W() -> dict:
    """The lecture's layer1, its w_weight and W, as a right answer leaves them (W's check compares W
    with layer1's weights and with w_weight, as its visible assert does)."""
    torch.manual_seed(0)
    layer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())
    weight = layer1[0].weight.detach()
    return {"layer1": layer1, "w_weight": weight.clone(), "W": weight.T.clone()}


def payload(ns: dict, grade_id: str = "W", assignment: str = "neural_nets") -> str:
    """What the probe of `grade_id` publishes after the student's code made `ns`."""
    return encode(observe(items(assignment)[grade_id].observer, ns))


def ran(*outputs):
    cell = new_code_cell("assert W.shape == (3, 2)")
    cell.execution_count, cell.outputs = 7, list(outputs)
    return cell


def judge_item(test, cell, probe: ProbeResult | None, catalog, hidden: bool = True, stopped: str = ""):
    """(passed, message, staff log, figures) of one item: decided before its test, or its test's
    verdict from one pytest session (checks/runner.py), as judge.judge does per notebook."""
    outcome = judge.before_test(cell, probe, hidden, stopped)
    if isinstance(outcome, tuple):
        return (*outcome, "", {})
    result = runner.verdicts({test.grade_id: (catalog[test.grade_id], outcome)})[test.grade_id]
    return result.passed, result.message, result.log, result.metrics


def verdict(probe: ProbeResult | None, cell=None, **options):
    test = next(t for t in source_tests(SOURCE, "toy.ipynb") if t.grade_id == "W")
    return judge_item(test, ran() if cell is None else cell, probe, LAYERS, **options)


# ----------------------------------------------------------------------------- one item
def test_the_observation_of_a_right_answer_passes():
    assert verdict(ProbeResult([payload(right_W())])) == (True, "", "", {})


def test_the_observation_of_a_wrong_answer_fails_with_the_checks_message():
    ns = right_W()
    ns["W"] = ns["layer1"][0].weight.detach().clone()  # not transposed
    passed, message, line, _ = verdict(ProbeResult([payload(ns)]))
    assert not passed and message.startswith("W has shape (2, 3), the way PyTorch stores the weights")
    assert line == ""


def test_what_the_observer_could_not_observe_is_the_message():
    passed, message, _, _ = verdict(ProbeResult([payload({})]))
    assert not passed and message.startswith("`W` is not defined: run the cell that creates it")


def test_a_check_that_raises_costs_the_item_and_is_logged_for_staff():
    incomplete = encode({"ok": True, "data": {"W": torch.zeros(3, 2)}})  # no "weight": the test raises KeyError
    passed, message, line, _ = verdict(ProbeResult([incomplete]))
    assert (passed, message) == (False, COULD_NOT_JUDGE)
    assert line.startswith("W: the check raised\nTraceback") and "KeyError: 'weight'" in line


@pytest.mark.parametrize(
    "probe, says",
    [
        (None, "Not run: the notebook stopped before this item's hidden check."),
        (ProbeResult([]), "The hidden check could not run after your code: did your code replace or delete"),
        (ProbeResult([], error="AttributeError"), "The hidden check could not run after your code (AttributeError): "),
        (ProbeResult(["a", "b"]), "Your code published output in the format of the hidden check's observations"),
        (ProbeResult(["not base64 at all"]), "The check could not read your objects back: use plain torch tensors"),
        (ProbeResult([encode([1, 2])]), "The check's observation was not readable."),
    ],
)
def test_a_probe_without_one_readable_observation_fails_the_item_and_says_why(probe, says):
    passed, message, line, metrics = verdict(probe)
    assert (passed, line, metrics) == (False, "", {}) and message.startswith(says)


def test_two_observations_fail_even_when_both_are_right():
    right = payload(right_W())
    assert verdict(ProbeResult([right]))[0] and not verdict(ProbeResult([right, right]))[0]


def test_a_failed_visible_test_decides_before_the_observation():
    failed = ran(new_output("error", ename="AssertionError", evalue="no", traceback=[]))
    passed, message, _, _ = verdict(ProbeResult([payload(right_W())]), cell=failed)
    assert not passed and message == "The visible checks failed: AssertionError: no"


def test_a_test_cell_that_never_ran_is_not_judged_from_an_observation():
    cell = ran()
    cell.execution_count = None
    passed, message, _, _ = verdict(ProbeResult([payload(right_W())]), cell=cell, stopped="the kernel died")
    assert not passed and message == "Not run: the notebook stopped before this item (the kernel died)."


def test_the_figures_the_grader_measures_come_with_the_verdict():
    quiz = items("mnist_quiz")
    labels, _ = quiz_kernel.read_idx(quiz_grader.COURSE_RAW / quiz_grader.TEST_LABELS)
    images = hashlib.md5((quiz_grader.COURSE_RAW / accuracy_90.TEST_IMAGES).read_bytes()).hexdigest()
    observation = {"images_md5": images, "predictions": labels.to(torch.int64)}
    test = source_tests(new_notebook(cells=[graded_cell("mnist_accuracy_90", "pass")]), "q.ipynb")[0]
    probe = ProbeResult([encode({"ok": True, "data": observation})])
    assert judge_item(test, ran(), probe, quiz) == (True, "", "", {"test_accuracy": 1.0})


# ----------------------------------------------------------------------------- a notebook
def test_judge_gives_points_per_item_and_collects_the_staff_log():
    plan = merge.build(
        merge.Context("neural_nets", source_tests(SOURCE, "toy.ipynb")),
        new_notebook(cells=[solution("answer_W", "W = ..."), solution("answer_w_bias", "...")]),
        "toy.ipynb",
    )
    for cell in plan.nb.cells:
        cell.execution_count = 1
    probes = {"W": ProbeResult([payload(right_W())]), "w_bias": ProbeResult([encode({"ok": True, "data": {}})])}
    log = []
    results = {r.grade_id: r for r in judge.judge(plan, probes, "", log)}
    assert (results["W"].score, results["W"].max_score, results["W"].passed) == (2.0, 2.0, True)
    assert (results["w_bias"].score, results["w_bias"].passed) == (0.0, False)
    assert results["w_bias"].message == COULD_NOT_JUDGE
    assert len(log) == 1 and log[0].startswith("w_bias: the check raised")
    assert all(r.notebook == "toy.ipynb" for r in results.values())
