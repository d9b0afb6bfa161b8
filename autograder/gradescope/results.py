"""Gradescope's results.json, from the engine's result of one submission (outputs/results.py's
results_json): per item, its visible checks and its points (hidden checks), each with the
visibility the assignment's [gradescope] settings give; the manual answers as 0-point entries; a
markdown summary; the leaderboard of figures the grader measured."""

from __future__ import annotations

import re

from .. import course, sandbox
from ..course import Assignment, UsageError
from ..outputs import results
from ..vocabulary import GRADED, REVIEW, ItemResult, SubmissionResult
from .bundle import Bundle, Found, NotGraded


def manual_notebooks(spec: Assignment) -> dict[str, str]:
    """grade_id of each manually graded answer -> its notebook."""
    return {gid: nb for nb, source in spec.sources.items() for gid in course.manual_items(source)}


def to_gradescope(result: SubmissionResult, found: Found, bundle: Bundle, metadata: dict) -> dict:
    """Gradescope's results.json from the engine's (results.results_json): its tests numbered by
    notebook and item, in markdown, the manual answers as 0-point entries, a summary, and the
    leaderboard."""
    ours = results.results_json(result)
    spec = course.load(bundle.assignment)
    position = {nb: i + 1 for i, nb in enumerate(spec.notebooks)}
    counters = {nb: 0 for nb in spec.notebooks}

    def number(notebook: str) -> str:
        counters[notebook] += 1
        return f"{position[notebook]}.{counters[notebook]}"

    shown = bundle.visibility
    tests = []
    for entry, item in zip(ours["tests"], result.items):
        place = number(item.notebook)
        tests.append(
            {
                "name": f"{item.grade_id}: visible checks",
                "number": place,
                "score": 0,
                "max_score": 0,
                "status": "passed" if item.visible else "failed",
                "output": visible_words(item),
                "output_format": "text",
                "visibility": shown.visible_checks,
            }
        )
        tests.append(
            {
                "name": item.grade_id,
                "number": place,
                "score": entry["score"],
                "max_score": entry["max_score"],
                "status": entry["status"],
                "output": entry["output"],
                "output_format": "text",
                "visibility": shown.hidden_checks,
            }
        )
    where = manual_notebooks(spec)
    for gid, points in result.manual.items():
        tests.append(
            {
                "name": gid,
                "number": number(where[gid]),
                "score": 0,
                "max_score": 0,
                "output": f"Graded by a TA, not by the autograder: worth {points:g} point"
                f"{'s' if points != 1 else ''}, added to your score once a TA has graded it.",
                "output_format": "text",
                "visibility": "visible",
            }
        )
    leaderboard = []
    for column in spec.leaderboard:
        values = [i.metrics[column.measure] for i in result.items if column.measure in i.metrics]
        if values:
            leaderboard.append(
                {"name": column.name, "value": round(values[0] * column.scale, 2), "order": column.order}
            )
    extra = ours["extra_data"]
    extra["gradescope"] = {
        "submission_id": metadata.get("id"),
        "sandbox": bundle.sandbox,
        "sandbox_tier": sandbox.tier_name(bundle.sandbox),
        "graded_files": {name: found.relative(name) for name in found.notebooks},
        "other_notebooks": found.others,
    }
    return {
        "score": result.score,
        "execution_time": 0.0,
        "output": summary(result, found, bundle, leaderboard),
        "output_format": "md",
        "visibility": shown.results,
        "stdout_visibility": "hidden",
        "tests": tests,
        **({"leaderboard": leaderboard} if leaderboard else {}),
        "extra_data": extra,
    }


def visible_words(item: ItemResult) -> str:
    """What the visible checks of an item say: the part of its result students see before the due
    date (the points come from the hidden checks, shown as assignment.toml's [gradescope] says)."""
    if item.visible is None:
        return item.message or "Not run."
    if not item.visible:
        return item.message
    return "The visible checks pass; the hidden checks decide the points."


def md(text: str) -> str:
    """Text (which may quote the student: file names, the engine's reasons) as literal markdown:
    markdown's punctuation escaped, HTML's as entities, on one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", text)


def code(name: str) -> str:
    """A file name in a code span (no backtick can end it early), at most 80 characters."""
    name = " ".join(str(name).replace("`", "'").split())
    return f"`{name[:80]}`"


def summary(result: SubmissionResult, found: Found, bundle: Bundle, leaderboard: list[dict]) -> str:
    """The markdown summary at the top of the results: points, status, what was graded."""
    manual = sum(result.manual.values())
    lines = [
        f"**{result.score:g} / {result.max_score:g} points** from the autograder"
        + (f"; {manual:g} more point{'s' if manual != 1 else ''} graded by a TA later." if manual else ".")
    ]
    if result.status == REVIEW:  # what was found stays in extra_data, for staff
        lines.append(md(results.status_words(result.status, result.reason)))
    elif result.status != GRADED:
        lines.append(f"**Status: {md(result.status)}**: {md(result.reason)}")
    if not found.notebooks:
        expected = ", ".join(code(n) for n in bundle.notebooks)
        lines.append(
            f"None of this assignment's notebooks was found in your submission. Expected: {expected} "
            "(the file names you were given)."
            + (f" Found instead: {', '.join(code(o) for o in found.others[:10])}." if found.others else "")
        )
    else:
        missing = [n for n in bundle.notebooks if n not in found.notebooks]
        lines.append(
            "Graded: "
            + ", ".join(code(n) for n in found.notebooks)
            + "."
            + (f" Not found: {', '.join(code(n) for n in missing)}." if missing else "")
        )
    lines += found.notes
    for entry in leaderboard:
        lines.append(f"{entry['name']}: {entry['value']:g} (measured by the grader; shown on the leaderboard).")
    return "\n\n".join(lines)


def not_graded(failure: NotGraded, bundle: Bundle | None) -> dict:
    """results.json when the submission could not be graded: 0 points, and why."""
    tests = []
    if bundle is not None:
        try:
            spec = course.load(bundle.assignment)
            tests = [
                {
                    "name": t.grade_id,
                    "score": 0,
                    "max_score": t.points,
                    "status": "failed",
                    "output": "Not graded (see the summary above).",
                    "output_format": "text",
                    "visibility": "visible",
                }
                for t in spec.tests()
            ]
        except (UsageError, OSError, ValueError):  # the bundle itself is damaged: the message
            tests = []  # matters more than the item list
    return {
        "score": 0,
        "execution_time": 0.0,
        "output": f"**Not graded**: {failure.student} This is a problem of the autograder, not of your "
        "submission: course staff will grade it again once it is fixed.",
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"not_graded": failure.student, "staff": failure.staff},
    }
