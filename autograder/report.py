"""What grading leaves behind: per student results.json (Gradescope's format) and feedback.html,
and one grades.csv for the class. Every file is written atomically (temp file + rename), so an
interrupted run never leaves a half-written result."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .config import NEAR_LIMIT
from .execute import GRADED, SEVERITY, ItemResult


@dataclass
class SubmissionResult:
    student_id: str
    assignment: str
    status: str = GRADED
    reason: str = ""
    execution_time: float = 0.0
    submission_sha256: str = ""
    items: list[ItemResult] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)  # grade_id -> points, graded by a TA
    timing: dict[str, dict] = field(default_factory=dict)   # notebook -> seconds, slowest cell and its seconds

    @property
    def score(self) -> float:
        return sum(i.score for i in self.items)

    @property
    def max_score(self) -> float:
        return sum(i.max_score for i in self.items)

    def worsen(self, status: str, reason: str) -> None:
        """Keep the worst status; collect every reason."""
        if SEVERITY.index(status) > SEVERITY.index(self.status):
            self.status = status
        if reason:
            self.reason = f"{self.reason}; {reason}" if self.reason else reason


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:  # interrupted (Ctrl-C) or failed: leave the old file, not a temp file
        Path(tmp).unlink(missing_ok=True)
        raise


def results_json(result: SubmissionResult) -> dict:
    """Gradescope's results.json; our own fields go under extra_data, which Gradescope keeps."""
    tests = [{"name": i.grade_id, "score": i.score, "max_score": i.max_score,
              "status": "passed" if i.passed else "failed",
              "output": i.message or "Passed.", "visibility": "visible"} for i in result.items]
    tests += [{"name": gid, "score": 0, "max_score": pts, "visibility": "visible",
               "output": "Graded by a TA (manually graded answer)."} for gid, pts in result.manual.items()]
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.execution_time, 1),
        "output": f"Status: {result.status}" + (f" ({result.reason})" if result.reason else ""),
        "tests": tests,
        "extra_data": {"student_id": result.student_id, "assignment": result.assignment,
                       "status": result.status, "reason": result.reason,
                       "submission_sha256": result.submission_sha256,
                       "items": [{"grade_id": i.grade_id, "notebook": i.notebook, "metrics": i.metrics}
                                 for i in result.items],
                       "manual": result.manual, "timing": result.timing},
    }


def from_results_json(data: dict) -> SubmissionResult:
    extra = data["extra_data"]
    notebooks = {i["grade_id"]: i["notebook"] for i in extra["items"]}
    metrics = {i["grade_id"]: i.get("metrics", {}) for i in extra["items"]}
    items = [ItemResult(t["name"], notebooks[t["name"]], t["max_score"], t["score"],
                        t.get("status") == "passed", "" if t.get("status") == "passed" else t["output"],
                        metrics[t["name"]])
             for t in data["tests"] if t["name"] in notebooks]
    return SubmissionResult(extra["student_id"], extra["assignment"], extra["status"], extra["reason"],
                            data["execution_time"], extra["submission_sha256"], items, extra.get("manual", {}),
                            extra.get("timing", {}))


FEEDBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: {assignment} ({student})</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left; vertical-align: top; }}
.passed {{ color: #176317; }} .failed {{ color: #a11; }} .manual {{ color: #555; }}
</style></head><body>
<h1>{assignment}: {score:g} / {max_score:g}</h1>
<p>Status: <strong>{status}</strong>{reason}</p>
<table><thead><tr><th>Item</th><th>Notebook</th><th>Result</th><th>Points</th><th>What to look at</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def feedback_html(result: SubmissionResult) -> str:
    """Per item: passed or not, points, and the check's message; nothing hidden."""
    e = html.escape
    rows = [f'<tr><td>{e(i.grade_id)}</td><td>{e(i.notebook)}</td>'
            f'<td class="{"passed" if i.passed else "failed"}">{"passed" if i.passed else "not passed"}</td>'
            f'<td>{i.score:g} / {i.max_score:g}</td><td>{e(i.message)}</td></tr>' for i in result.items]
    rows += [f'<tr><td>{e(gid)}</td><td></td><td class="manual">graded by a TA</td>'
             f'<td>? / {pts:g}</td><td></td></tr>' for gid, pts in result.manual.items()]
    return FEEDBACK.format(assignment=e(result.assignment), student=e(result.student_id),
                           score=result.score, max_score=result.max_score, status=e(result.status),
                           reason=f" ({e(result.reason)})" if result.reason else "", rows="\n".join(rows))


def write_student(out: Path, result: SubmissionResult) -> None:
    folder = out / result.student_id
    write_atomic(folder / "feedback.html", feedback_html(result))
    # results.json last: its presence marks the student as graded (a re-run skips them).
    write_atomic(folder / "results.json", json.dumps(results_json(result), indent=2))


def read_student(out: Path, student_id: str) -> SubmissionResult | None:
    path = out / student_id / "results.json"
    try:
        return from_results_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, KeyError, TypeError):
        return None  # unreadable (e.g. from an older grader): grade again


def grades_csv(results: list[SubmissionResult], item_ids: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "assignment", "score", "max_score", "status", "reason", *item_ids])
    for r in sorted(results, key=lambda r: r.student_id):
        by_id = {i.grade_id: f"{i.score:g}" for i in r.items}
        by_id.update({gid: "manual" for gid in r.manual})
        writer.writerow([r.student_id, r.assignment, f"{r.score:g}", f"{r.max_score:g}", r.status,
                         r.reason, *(by_id.get(gid, "") for gid in item_ids)])
    return buffer.getvalue()


def score_table(results: list[SubmissionResult]) -> str:
    """A plain-text table for the terminal."""
    width = max([len("student")] + [len(r.student_id) for r in results])
    lines = [f"{'student':<{width}}  {'score':>11}  status"]
    for r in sorted(results, key=lambda r: r.student_id):
        lines.append(f"{r.student_id:<{width}}  {r.score:>5g} / {r.max_score:<3g}  {r.status}"
                     + (f": {r.reason}" if r.reason else ""))
    return "\n".join(lines)


def near_limit(results, limits) -> list[str]:
    """Students whose grading used more than NEAR_LIMIT of the submission's time, or of a cell's."""
    near = []
    for r in results:
        slowest = max((t.get("slowest_cell_seconds", 0) for t in r.timing.values()), default=0)
        if r.execution_time > NEAR_LIMIT * limits.total_timeout or slowest > NEAR_LIMIT * limits.cell_timeout:
            near.append(r.student_id)
    return sorted(near)
