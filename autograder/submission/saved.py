"""A notebook's saved observations: everything judging reads from a run (the probes' observations
as the kernel sent them, encoded, the test and answer cells' outcomes, why the run stopped), so that the
items can be judged again without a kernel (`python -m autograder rejudge`, rejudge.py).

Plain data, written with torch.save and read with torch.load(weights_only=True); outputs/results.py
keeps it for course staff only, in OUT/<student>/observations/<notebook stem>.pt. Never shown to
students: no page links it, and Gradescope's run does not write it.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import asdict, dataclass

import nbformat
import torch

from ..checks.grader.api import MAX_PAYLOAD_CHARS
from ..course.items import TestCell
from .plan import Plan
from .probe import ProbeResult

FORMAT = 2  # 2: with the test cells whose execute_reply said "error" (issue 21)


class UnreadableObservations(ValueError):
    """A saved observations file cannot be read back; the message names it and what to do."""


@dataclass
class Saved:
    """One notebook's run as judging saw it."""

    digest: str  # the submission's sha256 (results.json's submission_sha256)
    plan: Plan  # its cells: the test cells and the answer cells only, the others empty
    probes: dict[str, ProbeResult]
    stopped: str  # why the notebook stopped early, if it did
    failed_cells: frozenset[int] = frozenset()  # test cells whose execute_reply said "error"


def _cell(cell) -> dict:
    """What judging reads of a cell: its source, its execution count, its error outputs."""
    errors = [
        {
            "output_type": "error",
            "ename": str(o.get("ename", "")),
            "evalue": str(o.get("evalue", "")),
            "traceback": [str(line) for line in o.get("traceback") or []],
        }
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    return {
        "cell_type": "code",
        "source": cell.get("source", ""),
        "execution_count": cell.get("execution_count"),
        "metadata": {},
        "outputs": errors,
    }


def dump(plan: Plan, probes: dict[str, ProbeResult], stopped: str, digest: str, failed_cells=frozenset()) -> bytes:
    """The saved observations of one executed plan, as bytes."""
    kept = set(plan.test_at) | set(plan.answer_at.values())
    record = {
        "format": FORMAT,
        "digest": digest,
        "assignment": plan.assignment,
        "notebook": plan.notebook,
        "probes_run": plan.probes,
        "stopped": stopped,
        "tests": [asdict(test) for test in plan.tests],
        "test_at": {index: test.grade_id for index, test in plan.test_at.items()},
        "answer_at": dict(plan.answer_at),
        "cell_count": len(plan.nb.cells),
        "cells": {index: _cell(plan.nb.cells[index]) for index in sorted(kept)},
        "failed_tests": sorted(index for index in failed_cells if index in plan.test_at),
        # Judging reads one observation, or how many were published: a flood of forged ones is
        # counted, and an observation too large to read is kept just too large (grader/api.py).
        "probes": {
            gid: {
                "published": len(p.payloads),
                "error": p.error,
                "output_chars": p.output_chars,
                "payload": None if p.payload is None else p.payload[: MAX_PAYLOAD_CHARS + 1],
            }
            for gid, p in probes.items()
        },
    }
    buffer = io.BytesIO()
    torch.save(record, buffer)
    return buffer.getvalue()


def load(data: bytes, where: str = "saved observations") -> Saved:
    """Read back what `dump` wrote; UnreadableObservations when it cannot be."""
    again = "grade the student again (`python -m autograder grade ... --force`)"
    try:
        record = torch.load(io.BytesIO(data), weights_only=True)
    # torch's own message suggests weights_only=False: never for a file a student's run produced.
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        raise UnreadableObservations(f"{where} cannot be read ({type(err).__name__}): {again}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise UnreadableObservations(f"{where} is not saved observations of format {FORMAT} (this grader's): {again}")
    try:
        tests = [TestCell(**{**t, "before": tuple(t["before"]), "names": tuple(t["names"])}) for t in record["tests"]]
        by_id = {test.grade_id: test for test in tests}
        empty = {"cell_type": "code", "source": "", "execution_count": None, "metadata": {}, "outputs": []}
        cells = [record["cells"].get(index, empty) for index in range(record["cell_count"])]
        nb = nbformat.from_dict({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        plan = Plan(
            record["assignment"],
            record["notebook"],
            nb,
            tests,
            record["probes_run"],
            {index: by_id[gid] for index, gid in record["test_at"].items()},
            dict(record["answer_at"]),
        )
        probes = {
            gid: ProbeResult(
                [p["payload"]] if p["published"] == 1 else [""] * p["published"],
                error=p["error"],
                output_chars=p["output_chars"],
            )
            for gid, p in record["probes"].items()
        }
        failed = frozenset(int(index) for index in record["failed_tests"])
        return Saved(record["digest"], plan, probes, record["stopped"], failed)
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise UnreadableObservations(
            f"{where} lacks what judging needs ({type(err).__name__}: {err}): {again}"
        ) from None
