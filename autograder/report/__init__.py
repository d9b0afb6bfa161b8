"""TAs: `python -m autograder report OUT`, the class report, OUT/report.html, from what a batch left in
OUT (every <student>/results.json, and batch.json for the batch's wall time). Every batch writes
it at its end too (grade._batch). One self-contained page that opens offline: plotly.js is
embedded once, the table sorts with a few lines of inline script, nothing is fetched. The numbers
come from classstats.py, the page from templates/report.html.j2, which escapes everything a
student wrote (ids, messages, reasons). This folder only reads what grading left behind: editing
it never grades a class again (course.AFTER_GRADING)."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from ..outputs.pages import render
from ..outputs.results import read_student, write_atomic
from ..vocabulary import GRADED, SEVERITY, SubmissionResult
from . import classstats as stats

TEMPLATES = Path(__file__).with_name("templates")

PAGE = "report.html"
BATCH = "batch.json"
REASON_CHARS = 300  # of a status reason in the students' table (reasons are bounded already)


class ReportError(Exception):
    """OUT cannot give a report; the message says why and what to do."""


# ----------------------------------------------------------------------------- reading OUT
def read_class(out: Path) -> tuple[list[SubmissionResult], list[str]]:
    """(every readable result in OUT, the student folders whose results.json cannot be read)."""
    if not out.is_dir():
        raise ReportError(f"{out} is not a folder: give the --out folder of `python -m autograder grade`")
    results, unreadable = [], []
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (folder / "results.json").is_file():
            result = read_student(out, folder.name)
            if result is None:
                unreadable.append(folder.name)
            else:
                results.append(result)
    if not results:
        raise ReportError(
            f"{out} holds no graded submission (no <student>/results.json"
            + (f" that can be read; unreadable: {', '.join(unreadable)}" if unreadable else "")
            + "): give the --out folder of `python -m autograder grade ASSIGNMENT SUBMISSIONS "
            "--out OUT`, or grade the class first"
        )
    return results, unreadable


def write_batch(out: Path, info: dict) -> None:
    write_atomic(out / BATCH, json.dumps(info, indent=2) + "\n")


def read_batch(out: Path) -> dict | None:
    try:
        info = json.loads((out / BATCH).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("wall_seconds"), (int, float)) else None


# ----------------------------------------------------------------------------- pieces of the page
def num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def href(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


def sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def figure(fig, div_id: str, first: bool) -> str:
    import plotly.io as pio  # plotly (and its 4.8 MB of plotly.js) only when a page is written

    fig.update_layout(
        margin=dict(l=50, r=20, t=30, b=45),
        template="plotly_white",
        bargap=0.05,
        font=dict(family="system-ui, sans-serif"),
    )
    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=first,
        div_id=div_id,
        default_height="320px",
        default_width="100%",
        config={"displaylogo": False, "responsive": True},
    )


def score_figure(summary: stats.ScoreSummary) -> str:
    import plotly.graph_objects as go

    size = 1 if summary.max_score <= 40 else summary.max_score / 20
    fig = go.Figure(
        go.Histogram(
            x=list(summary.scores),
            xbins=dict(start=-size / 2, end=summary.max_score + size / 2, size=size),
            marker_color="#3b6ea8",
            name="students",
        )
    )
    # the lower of the two labelled on the left of its line, the higher on the right: never overlapping
    lines = sorted(
        ((summary.mean, "mean", "dash"), (summary.median, "median", "dot")),
        key=lambda line: (line[0] is None, line[0] or 0),
    )
    for (value, name, dash), side in zip(lines, ("top left", "top right")):
        if value is not None:
            fig.add_vline(
                x=value,
                line_dash=dash,
                line_color="#a8323b",
                annotation_text=f"{name} {value:.1f}",
                annotation_position=side,
            )
    fig.update_layout(xaxis_title=f"score (of {summary.max_score:g})", yaxis_title="students", showlegend=False)
    return figure(fig, "plot-scores", first=True)


def notebook_figure(notebook: str, points: float, scores: tuple[float, ...], n: int) -> str:
    import plotly.graph_objects as go

    size = 1 if points <= 40 else points / 20
    fig = go.Figure(
        go.Histogram(
            x=list(scores), xbins=dict(start=-size / 2, end=points + size / 2, size=size), marker_color="#6a5acd"
        )
    )
    fig.update_layout(xaxis_title=f"{notebook} (of {points:g})", yaxis_title="students", showlegend=False, height=220)
    return figure(fig, f"plot-notebook-{n}", first=False)


def timing_figure(timing: stats.Timing) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(go.Histogram(x=list(timing.seconds), marker_color="#5b8c5a", nbinsx=20))
    fig.update_layout(xaxis_title="grading time per submission (s)", yaxis_title="submissions", showlegend=False)
    return figure(fig, "plot-times", first=False)


# ----------------------------------------------------------------------------- the page
def page(out: Path, results: list[SubmissionResult], batch: dict | None = None, unreadable=()) -> str:
    """report.html (templates/report.html.j2); element ids come from positions, never from raw text."""
    present = [r for r in results if not stats.sent_nothing(r)]
    summary, items = stats.score_summary(present), stats.item_stats(results)
    groups, timing = stats.status_groups(results), stats.timing(results)
    ordered = sorted(results, key=lambda r: r.student_id)
    people = (_roster(out) or {}).get("people", {})
    students = [
        {
            "result": r,
            "name": people.get(r.student_id, {}).get("name", ""),
            "section": people.get(r.student_id, {}).get("section", ""),
            "reason": shorten(r.staff_reason),
            "feedback": href(r.student_id, "feedback.html")
            if (out / r.student_id / "feedback.html").is_file()
            else None,
            "executed": [
                (href(r.student_id, "executed", nb), nb)
                for nb in sorted({i.notebook for i in r.items})
                if (out / r.student_id / "executed" / nb).is_file()
            ],
        }
        for r in ordered
    ]
    quartiles = summary.quartiles
    cards = [
        ("students", len(results)),
        ("sent nothing (counted apart)", len(results) - len(present)),
        ("mean", f"{num(summary.mean)} / {summary.max_score:g}"),
        ("median", f"{num(summary.median)} / {summary.max_score:g}"),
        ("SD", num(summary.sd)),
        ("quartiles", " · ".join(num(q) for q in quartiles) if quartiles else "—"),
        ("graded in full", f"{len(groups.get(GRADED, ()))} / {len(results)}"),
        ("items to look at", len([s for s in items if s.flags])),
    ]
    per_notebook = stats.notebook_scores(present)
    files = [("grades.csv", "grades.csv")] if (out / "grades.csv").is_file() else []
    files += [(href("exports", p.name), f"exports/{p.name}") for p in sorted((out / "exports").glob("*.csv"))]
    return render(
        "report.html.j2",
        TEMPLATES,
        assignment=", ".join(sorted({r.assignment for r in results})),
        written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        cards=cards,
        unreadable=unreadable,
        results=results,
        summary=summary,
        items=items,
        statuses=groups,
        timing=timing,
        batch=batch,
        students=students,
        present=len(present),
        sections=sorted({row["section"] for row in students if row["section"]}),
        has_roster=bool(people),
        files=files,
        notebook_plots=[
            Markup(notebook_figure(nb, pts, sc, n)) for n, (nb, (pts, sc)) in enumerate(per_notebook.items())
        ],
        anchors={r.student_id: f"student-{n}" for n, r in enumerate(ordered)},
        coverage=sentence(stats.COVERAGE),
        discrimination=sentence(stats.DISCRIMINATION),
        low_discrimination=stats.LOW_DISCRIMINATION,
        graded=GRADED,
        always_shown=SEVERITY[:-1],  # "grader error" only when there is one
        num=num,
        pct=pct,
        score_plot=Markup(score_figure(summary)),
        timing_plot=Markup(timing_figure(timing)),
    )  # plotly's own HTML


def _roster(out: Path) -> dict | None:
    path = out / "roster.json"  # written by grade --roster (roster.py)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write(out: Path, results: list[SubmissionResult], batch: dict | None = None, unreadable=()) -> Path:
    write_atomic(out / PAGE, page(out, results, batch, unreadable))
    return out / PAGE


def main(out: Path) -> int:
    """Write OUT/report.html from an existing OUT; 0, or 2 when OUT holds no results."""
    started = time.monotonic()
    try:
        results, unreadable = read_class(Path(out))
    except ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    batch = read_batch(Path(out))
    path = write(Path(out), results, batch, unreadable)
    if batch is None:
        print(f"note: {Path(out) / BATCH} is missing: the batch's wall time was not recorded")
    if unreadable:
        print(f"note: left out {len(unreadable)} unreadable results.json: {', '.join(unreadable)}")
    print(
        f"wrote {path} ({len(results)} students, {path.stat().st_size / 1e6:.1f} MB) in "
        f"{time.monotonic() - started:.1f} s"
    )
    return 0


def shorten(reason: str) -> str:
    return reason if len(reason) <= REASON_CHARS else reason[:REASON_CHARS] + "…"
