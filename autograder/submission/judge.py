"""Judge one notebook's items in the grader's process, from what ran: the test cell's outcome and
the probe's observation, decoded as plain data and handed to the item's grader-side test."""

from __future__ import annotations

from ..checks import items
from ..checks.grader.api import decode
from ..checks.kernel.api import CheckFailed
from ..checks.verdict import verdict
from ..vocabulary import ItemResult
from . import cause, scrub
from .plan import Plan
from .probe import ProbeResult


def first_error(cell) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)


def judge_item(test, test_cell, probe: ProbeResult | None, catalog, hidden: bool = True,
               stopped: str = "") -> tuple[bool, str, str, dict]:
    """(passed, message for the student, log line for course staff, figures the grader measured)
    of one item; `stopped`: why the notebook stopped early, if it did."""
    if test_cell is None or test_cell.get("execution_count") is None:
        return False, ("Not run: the notebook stopped before this item "
                       + (f"({stopped})." if stopped else "(see the submission's status).")), "", {}
    error = first_error(test_cell)
    if error is not None:
        return False, (f"The visible checks failed: {scrub.quote(error.get('ename', ''))}: "
                       f"{scrub.quote(error.get('evalue', ''))}").strip(), "", {}
    if not hidden:
        return True, "The visible checks pass (the hidden checks decide the points).", "", {}
    if probe is None:
        return False, "Not run: the notebook stopped before this item's hidden check.", "", {}
    if len(probe.payloads) > 1:
        return False, ("Your code published output in the format of the hidden check's observations "
                       "while the check ran: the check cannot tell its own from yours."), "", {}
    if probe.payload is None:
        return False, ("The hidden check could not run after your code"
                       + (f" ({scrub.quote(probe.error)})" if probe.error else "")
                       + ": did your code replace or delete parts of Python, IPython or torch?"), "", {}
    try:
        observed = decode(probe.payload)
    except CheckFailed as failure:
        return False, str(failure), "", {}
    result = verdict(catalog[test.grade_id], observed)
    return result.passed, result.message, result.log, result.metrics


def judge(plan: Plan, probes: dict[str, ProbeResult], stopped: str, log: list[str]) -> list[ItemResult]:
    """Each item's verdict; then each failed item's message says what to fix first (cause.py)."""
    catalog = items(plan.assignment) if plan.probes else {}
    cells = {test.grade_id: plan.nb.cells[index] for index, test in plan.test_at.items()}
    results = []
    for test in plan.tests:
        passed, message, line, metrics = judge_item(test, cells.get(test.grade_id), probes.get(test.grade_id),
                                                    catalog, hidden=plan.probes, stopped=stopped)
        if line:
            log.append(line)
        results.append(ItemResult(test.grade_id, plan.notebook, test.points,
                                  test.points if passed else 0.0, passed, scrub.bounded(message), metrics))
    better = cause.explain(plan, {r.grade_id: r.passed for r in results}, {r.grade_id: r.message for r in results})
    for result in results:
        result.message = better.get(result.grade_id, result.message)
    return results


