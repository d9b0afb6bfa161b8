"""Judge one notebook's items in the grader's process, from what ran: the test cell's outcome and
the probe's observation, decoded as plain data and handed to the item's grader-side test, which
pytest runs (checks/runner.py: one session per notebook, or per class when re-judging)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checks import items, runner
from ..checks.grader.api import decode
from ..checks.kernel.api import CheckFailed
from ..checks.verdict import Verdict
from ..vocabulary import ItemResult
from . import cause, scrub
from .plan import Plan
from .probe import ProbeResult


def first_error(cell) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)


@dataclass
class Observed:
    """One notebook's items before their grader-side tests ran."""

    plan: Plan
    decided: dict[str, tuple[bool, str]] = field(default_factory=dict)  # grade_id -> (passed, message)
    observations: dict[str, dict] = field(default_factory=dict)  # grade_id -> decoded, for its test
    visible: dict[str, bool | None] = field(default_factory=dict)  # grade_id -> its visible checks passed


def before_test(
    test_cell, probe: ProbeResult | None, hidden: bool = True, stopped: str = "", failed: bool = False
) -> tuple[bool, str] | dict:
    """(passed, message for the student) of an item decided before its test runs; else its decoded
    observation. `stopped`: why the notebook stopped early, if it did; `failed`: the kernel's
    reply to the test cell said it ended in an error (whatever outputs the cell shows)."""
    if test_cell is None or test_cell.get("execution_count") is None:
        return False, (
            "Not run: the notebook stopped before this item "
            + (f"({stopped})." if stopped else "(see the submission's status).")
        )
    error = first_error(test_cell)
    if error is not None:
        return False, (
            f"The visible checks failed: {scrub.quote(error.get('ename', ''))}: {scrub.quote(error.get('evalue', ''))}"
        ).strip()
    if failed:
        return False, (
            "The visible checks failed, and their error message was not shown: "
            "did your code install an exception handler? Remove it and run the notebook again."
        )
    if not hidden:
        return True, "The visible checks pass (the hidden checks decide the points)."
    if probe is None:
        return False, "Not run: the notebook stopped before this item's hidden check."
    if len(probe.payloads) > 1:
        return False, (
            "Your code published output in the format of the hidden check's observations "
            "while the check ran: the check cannot tell its own from yours."
        )
    if probe.payload is None:
        return False, (
            "The hidden check could not run after your code"
            + (f" ({scrub.quote(probe.error)})" if probe.error else "")
            + ": did your code replace or delete parts of Python, IPython or torch?"
        )
    try:
        return decode(probe.payload)
    except CheckFailed as failure:
        return False, str(failure)


def observed(plan: Plan, probes: dict[str, ProbeResult], stopped: str, failed_cells=frozenset()) -> Observed:
    """What each item's test cell and probe left: a decision, or an observation for its test."""
    cells = {test.grade_id: plan.nb.cells[index] for index, test in plan.test_at.items()}
    failed = {test.grade_id for index, test in plan.test_at.items() if index in failed_cells}
    found = Observed(plan)
    for test in plan.tests:
        cell = cells.get(test.grade_id)
        ran = cell is not None and cell.get("execution_count") is not None
        found.visible[test.grade_id] = (first_error(cell) is None and test.grade_id not in failed) if ran else None
        outcome = before_test(cell, probes.get(test.grade_id), plan.probes, stopped, test.grade_id in failed)
        if isinstance(outcome, tuple):
            found.decided[test.grade_id] = outcome
        else:
            found.observations[test.grade_id] = outcome
    return found


def judged(found: Observed, verdicts: dict[str, Verdict], log: list[str]) -> list[ItemResult]:
    """Each item's result from its decision or its test's verdict; then each failed item's message
    says what to fix first (cause.py). Verdicts' lines for course staff go to `log`."""
    plan, results = found.plan, []
    for test in plan.tests:
        metrics = {}
        if test.grade_id in found.decided:
            passed, message = found.decided[test.grade_id]
        else:
            result = verdicts[test.grade_id]
            passed, message, metrics = result.passed, result.message, result.metrics
            if result.log:
                log.append(result.log)
        results.append(
            ItemResult(
                test.grade_id,
                plan.notebook,
                test.points,
                test.points if passed else 0.0,
                passed,
                scrub.bounded(scrub.vetted(message)),
                metrics,
                found.visible.get(test.grade_id),
            )
        )
    better = cause.explain(plan, {r.grade_id: r.passed for r in results}, {r.grade_id: r.message for r in results})
    for result in results:  # the cause joins pieces of student text: vetted as a whole
        result.message = scrub.vetted(better.get(result.grade_id, result.message))
    return results


def tests_of(found: Observed) -> dict[str, tuple]:
    """grade_id -> (item, observation): what the notebook's grader-side tests judge."""
    catalog = items(found.plan.assignment) if found.observations else {}
    return {gid: (catalog[gid], observation) for gid, observation in found.observations.items()}


def judge(
    plan: Plan, probes: dict[str, ProbeResult], stopped: str, log: list[str], failed_cells=frozenset()
) -> list[ItemResult]:
    """Each item's verdict, the notebook's tests run in one pytest session. `failed_cells`: the
    cells whose execute_reply said "error"."""
    found = observed(plan, probes, stopped, failed_cells)
    return judged(found, runner.verdicts(tests_of(found)), log)
