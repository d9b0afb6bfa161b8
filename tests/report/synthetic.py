"""A synthetic class for the report at scale: results written as grading would leave them, no
notebook run. 300 rostered students in 4 sections: perfect, blank, partly right, mutants (one
item wrong each, a few messages), a few crashes, and some who sent nothing."""

from __future__ import annotations

import json
import random

from autograder import roster
from autograder.outputs import results
from autograder.vocabulary import CRASHED, GRADED, ItemResult, SubmissionResult

NOTEBOOKS = {"01_layers.ipynb": ["W", "layer1", "layer2", "w_bias"], "02_activations.ipynb": ["relu", "sigmoid", "mse"]}
SECTIONS = ("Mon", "Tue", "Wed", "Thu")
MESSAGES = [
    "`W` has shape (2, 3): transpose it",
    "`layer1` returns the wrong values for negative inputs",
    "`sigmoid` overflows for large inputs: use torch.sigmoid",
]


def make_class(out, n: int = 300, seed: int = 24) -> dict[str, str]:
    """Write n students into out (results.json, feedback.html, roster.json); {student: kind}."""
    rng = random.Random(seed)
    kinds = {}
    people = {}
    for k in range(n):
        sid = f"s{k:04d}"
        kind = rng.choices(["perfect", "blank", "partly", "mutant", "crashed", "absent"], [25, 10, 30, 25, 4, 6])[0]
        kinds[sid] = kind
        people[sid] = roster.Person(sid, f"Student {k}", f"{sid}@example.org", SECTIONS[k % 4])
        if kind == "absent":
            r = SubmissionResult(sid, "neural_nets", status="missing", reason="nothing submitted")
            r.items = [ItemResult(g, nb, 1, 0, False, "Not submitted.") for nb, gs in NOTEBOOKS.items() for g in gs]
            results.write_student(out, r)
            continue
        r = SubmissionResult(sid, "neural_nets", execution_time=rng.uniform(20, 90))
        r.timing = {nb: {"seconds": rng.uniform(5, 40)} for nb in NOTEBOOKS}
        for nb, gids in NOTEBOOKS.items():
            for g in gids:
                right = {
                    "perfect": True,
                    "blank": False,
                    "partly": rng.random() < 0.6,
                    "mutant": g != rng.choice(gids),
                    "crashed": nb == "01_layers.ipynb" and g in ("W", "layer1"),
                }[kind]
                message = "" if right else rng.choice(MESSAGES)
                r.items.append(ItemResult(g, nb, 1, 1 if right else 0, right, message))
        if kind == "crashed":
            r.status, r.reason = CRASHED, "the kernel died in cell 12"
        else:
            r.status = GRADED
        results.write_student(out, r)
    everyone = roster.Roster("csv", people)
    roster.write(out, everyone, [], {})
    (out / "grades.csv").write_text("student_id\n")
    (out / "exports").mkdir(exist_ok=True)
    (out / "exports" / "neural_nets-canvas.csv").write_text("Student\n")
    (out / "batch.json").write_text(
        json.dumps({"wall_seconds": 3600.0, "runner": "local", "jobs": 2, "started_at": "t", "graded": n, "skipped": 0})
    )
    return kinds
