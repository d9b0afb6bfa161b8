"""`python -m autograder report OUT`: the class report, OUT/report.html, from what a batch left in
OUT (every <student>/results.json, and batch.json for the batch's wall time). Every batch writes
it at its end too (grade._batch). One self-contained page that opens offline: plotly.js is
embedded once, the table sorts with a few lines of inline script, nothing is fetched. The numbers
come from statistics.py; everything a student wrote (ids, messages, reasons) is escaped here."""

from __future__ import annotations

import html
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from ..vocabulary import GRADED, SEVERITY, SubmissionResult
from . import classstats as stats
from .results import read_student, with_code, write_atomic

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
        raise ReportError(f"{out} holds no graded submission (no <student>/results.json"
                          + (f" that can be read; unreadable: {', '.join(unreadable)}" if unreadable else "")
                          + "): give the --out folder of `python -m autograder grade ASSIGNMENT SUBMISSIONS "
                            "--out OUT`, or grade the class first")
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
e = html.escape


def num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def href(*parts: str) -> str:
    return e("/".join(quote(p, safe="") for p in parts))


class Anchors:
    """Element ids of the page: one per student row and per item section, never from raw text."""

    def __init__(self, results: list[SubmissionResult]):
        self.students = {r.student_id: f"student-{n}" for n, r in enumerate(sorted(results, key=lambda r: r.student_id))}

    def links(self, students) -> str:
        return ", ".join(f'<a href="#{self.students[s]}">{e(s)}</a>' for s in students)


def figure(fig, div_id: str, first: bool) -> str:
    import plotly.io as pio  # plotly (and its 4.8 MB of plotly.js) only when a page is written
    fig.update_layout(margin=dict(l=50, r=20, t=30, b=45), template="plotly_white", bargap=0.05,
                      font=dict(family="system-ui, sans-serif"))
    return pio.to_html(fig, full_html=False, include_plotlyjs=first, div_id=div_id, default_height="320px",
                       default_width="100%", config={"displaylogo": False, "responsive": True})


def score_figure(summary: stats.ScoreSummary) -> str:
    import plotly.graph_objects as go
    size = 1 if summary.max_score <= 40 else summary.max_score / 20
    fig = go.Figure(go.Histogram(x=list(summary.scores), xbins=dict(start=-size / 2, end=summary.max_score + size / 2,
                                 size=size), marker_color="#3b6ea8", name="students"))
    # the lower of the two labelled on the left of its line, the higher on the right: never overlapping
    lines = sorted(((summary.mean, "mean", "dash"), (summary.median, "median", "dot")),
                   key=lambda line: (line[0] is None, line[0] or 0))
    for (value, name, dash), side in zip(lines, ("top left", "top right")):
        if value is not None:
            fig.add_vline(x=value, line_dash=dash, line_color="#a8323b",
                          annotation_text=f"{name} {value:.1f}", annotation_position=side)
    fig.update_layout(xaxis_title=f"score (of {summary.max_score:g})", yaxis_title="students", showlegend=False)
    return figure(fig, "plot-scores", first=True)


def timing_figure(timing: stats.Timing) -> str:
    import plotly.graph_objects as go
    fig = go.Figure(go.Histogram(x=list(timing.seconds), marker_color="#5b8c5a", nbinsx=20))
    fig.update_layout(xaxis_title="grading time per submission (s)", yaxis_title="submissions", showlegend=False)
    return figure(fig, "plot-times", first=False)


def items_section(items: list[stats.ItemStats], anchors: Anchors) -> str:
    rows, details = [], []
    for k, s in enumerate(items):
        why = f' title="undefined: {e(s.undefined_because)}"' if s.discrimination is None else ""
        disc = "—" if s.discrimination is None else f"{s.discrimination:.2f}"
        flags = "".join(f'<span class="flag">{e(f)}</span>' for f in s.flags)
        bar = f'<span class="bar"><span style="width:{100 * (s.full_share or 0):.0f}%"></span></span>'
        rows.append(
            f'<tr{" class=suspicious" if s.flags else ""}><td data-value="{e(s.grade_id)}"><a href="#item-{k}">{e(s.grade_id)}</a>'
            f'<div class="small">{e(s.notebook)}</div></td>'
            f'<td data-value="{s.points:g}">{s.points:g}</td>'
            f'<td data-value="{s.full_share if s.full_share is not None else -1}">{pct(s.full_share)} {bar}</td>'
            f'<td data-value="{s.mean if s.mean is not None else -1}">{num(s.mean, 2)}</td>'
            f'<td data-value="{s.discrimination if s.discrimination is not None else -2}"{why}>{disc}'
            + (f'<div class="small">{e(s.undefined_because)}</div>' if s.discrimination is None else "")
            + f'</td><td data-value="{len(s.flags)}">{flags}</td>'
            f'<td data-value="{s.covered}">{s.covered}</td></tr>')
        groups = "".join(
            f'<li id="item-{k}-msg-{j}"><span class="count">{len(g.students)}</span> '
            f'<span class="msg">{with_code(g.message)}</span><div class="who">{anchors.links(g.students)}</div></li>'
            for j, g in enumerate(s.failures))
        more = (f'<p class="small">and {s.other_failures} more student(s) with other messages '
                '(see their feedback).</p>' if s.other_failures else "")
        details.append(
            f'<section class="item" id="item-{k}"><h3>{e(s.grade_id)} <span class="small">{e(s.notebook)}, '
            f'{s.points:g} point(s): {pct(s.full_share)} with full points</span> {flags}</h3>'
            + (f"<ol>{groups}</ol>{more}" if groups else '<p class="small">No failure among the students counted.</p>')
            + "</section>")
    head = ("<tr><th><button>item</button></th><th data-type=number><button>points</button></th>"
            "<th data-type=number><button>full points</button></th><th data-type=number><button>mean</button></th>"
            "<th data-type=number><button>discrimination</button></th><th data-type=number><button>flags</button></th>"
            "<th data-type=number><button>students</button></th></tr>")
    return (f'<div class="wide"><table class="sortable" id="items"><thead>{head}</thead><tbody>{"".join(rows)}</tbody>'
            f'</table></div><h3>Most common failure messages, per item</h3>{"".join(details)}')


def status_section(groups: dict[str, tuple[str, ...]], anchors: Anchors) -> str:
    rows = "".join(f'<tr id="status-{n}"{"" if s == GRADED or not ids else " class=suspicious"}><td>{e(s)}</td>'
                   f'<td>{len(ids)}</td><td class="who">{anchors.links(ids) or "—"}</td></tr>'
                   for n, (s, ids) in enumerate(groups.items()) if ids or s in SEVERITY[:5])
    return (f'<div class="wide"><table id="statuses"><thead><tr><th>status</th><th>count</th><th>students</th></tr>'
            f'</thead><tbody>{rows}</tbody></table></div>')


def students_section(out: Path, results: list[SubmissionResult], anchors: Anchors) -> str:
    rows = []
    for r in sorted(results, key=lambda r: r.student_id):
        sid = r.student_id
        feedback = (f'<a href="{href(sid, "feedback.html")}">{e(sid)}</a>'
                    if (out / sid / "feedback.html").is_file() else e(sid))
        executed = [f'<a href="{href(sid, "executed", nb)}">{e(nb)}</a>'
                    for nb in sorted({i.notebook for i in r.items}) if (out / sid / "executed" / nb).is_file()]
        reason = r.reason if len(r.reason) <= REASON_CHARS else r.reason[:REASON_CHARS] + "…"
        rows.append(
            f'<tr id="{anchors.students[sid]}"><td data-value="{e(sid)}">{feedback}</td>'
            f'<td data-value="{r.score:g}">{r.score:g} / {r.max_score:g}</td>'
            f'<td data-value="{e(r.status)}"><span class="st{"" if r.status == GRADED else " bad"}">{e(r.status)}</span>'
            + (f'<div class="small">{e(reason)}</div>' if reason else "")
            + f'</td><td data-value="{r.execution_time:.1f}">{r.execution_time:.1f}</td>'
            f'<td class="nbs">{"<br>".join(executed) or "—"}</td></tr>')
    head = ("<tr><th><button>student</button></th><th data-type=number><button>score</button></th>"
            "<th><button>status</button></th><th data-type=number><button>time (s)</button></th>"
            "<th>executed notebooks</th></tr>")
    return (f'<div class="wide"><table class="sortable" id="students"><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def batch_line(batch: dict | None, timing: stats.Timing) -> str:
    median = "—" if timing.median is None else f"{timing.median:.1f} s"
    slowest = f"; slowest {e(timing.slowest[0])} ({timing.slowest[1]:.1f} s)" if timing.slowest else ""
    line = f"Per submission: median {median}{slowest}; {timing.total:.0f} s in all. "
    if batch is None:
        return line + "The batch's wall time was not recorded (no batch.json in this folder)."
    runner = (f"{batch.get('jobs')} at a time on this machine" if batch.get("runner") == "local"
              else "on a Dask cluster")
    state = "" if batch.get("completed", True) else " It was interrupted (Ctrl-C): the page shows what was graded by then."
    return line + (f"The last batch ({e(str(batch.get('started_at', '?')))}) took {batch['wall_seconds']:.1f} s "
                   f"of wall time, {runner}: {batch.get('graded', '?')} graded, {batch.get('skipped', '?')} "
                   f"skipped as already graded.{state}")


# ----------------------------------------------------------------------------- the page
def page(out: Path, results: list[SubmissionResult], batch: dict | None = None, unreadable=()) -> str:
    summary, items = stats.score_summary(results), stats.item_stats(results)
    groups, timing = stats.status_groups(results), stats.timing(results)
    anchors = Anchors(results)
    assignment = ", ".join(sorted({r.assignment for r in results}))
    suspicious = [s for s in items if s.flags]
    warn = (f'<p class="warn">Left out: the results.json of {e(", ".join(unreadable))} cannot be read '
            "(grade them again).</p>" if unreadable else "")
    cards = "".join(f'<div class="card"><b>{v}</b><span>{k}</span></div>' for k, v in (
        ("students", len(results)), ("mean", f"{num(summary.mean)} / {summary.max_score:g}"),
        ("median", f"{num(summary.median)} / {summary.max_score:g}"),
        ("graded in full", f"{len(groups.get(GRADED, ()))} / {len(results)}"),
        ("items to look at", len(suspicious))))
    return TEMPLATE.format(
        assignment=e(assignment), written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        cards=cards, warn=warn, score_plot=score_figure(summary),
        score_line=(f"All {len(results)} students, each with their total (a submission with nothing graded "
                    f"counts 0): mean {num(summary.mean, 2)}, median {num(summary.median, 2)} of "
                    f"{summary.max_score:g} points."),
        coverage=e(stats.COVERAGE[0].upper() + stats.COVERAGE[1:]) + ".",
        discrimination=e(stats.DISCRIMINATION[0].upper() + stats.DISCRIMINATION[1:])
        + f"; flagged at {stats.LOW_DISCRIMINATION:g} or less, and when nobody has full points.",
        items=items_section(items, anchors), statuses=status_section(groups, anchors),
        timing_plot=timing_figure(timing), batch=batch_line(batch, timing),
        students=students_section(out, results, anchors), script=SORT_SCRIPT)


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
    print(f"wrote {path} ({len(results)} students, {path.stat().st_size / 1e6:.1f} MB) in "
          f"{time.monotonic() - started:.1f} s")
    return 0


SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  heads.forEach(function (th, col) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var numeric = th.dataset.type === "number";
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
        var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
</script>"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class report: {assignment}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 1rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1d1d1f; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.25rem; margin-top: 2.2rem;
  border-bottom: 2px solid #e4e4e8; padding-bottom: .2rem; }} h3 {{ font-size: 1.02rem; margin: 1.2rem 0 .3rem; }}
nav a {{ margin-right: .8rem; }} a {{ color: #1f5aa6; }}
.small, .note {{ color: #555; font-size: .88rem; }} .note {{ margin: .3rem 0; }}
.cards {{ display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }}
.card {{ background: #f4f6fa; border-radius: .4rem; padding: .5rem .9rem; min-width: 7rem; }}
.card b {{ display: block; font-size: 1.3rem; }} .card span {{ color: #555; font-size: .85rem; }}
.wide {{ overflow-x: auto; }}
table {{ border-collapse: collapse; width: 100%; font-size: .93rem; }}
td, th {{ border-bottom: 1px solid #e2e2e6; padding: .35rem .5rem; text-align: left; vertical-align: top; }}
th button {{ font: inherit; font-weight: 600; background: none; border: none; padding: 0; cursor: pointer; color: inherit; }}
th button::after {{ content: " \\2195"; color: #999; }}
th[aria-sort=ascending] button::after {{ content: " \\2191"; }} th[aria-sort=descending] button::after {{ content: " \\2193"; }}
tr.suspicious {{ background: #fff6e5; }}
.flag {{ display: inline-block; background: #a8323b; color: #fff; border-radius: .3rem; padding: 0 .35rem;
        font-size: .78rem; margin: .1rem .2rem .1rem 0; font-weight: normal; }}
.bar {{ display: inline-block; width: 4rem; height: .55rem; background: #e4e4e8; vertical-align: middle; }}
.bar span {{ display: block; height: 100%; background: #3b6ea8; }}
.item ol {{ margin: .2rem 0; padding-left: 1.2rem; }} .item li {{ margin: .35rem 0; }}
.count {{ display: inline-block; min-width: 1.6rem; font-weight: 600; }}
.msg {{ overflow-wrap: anywhere; white-space: pre-wrap; }}
.who {{ font-size: .85rem; overflow-wrap: anywhere; }}
.st.bad {{ color: #a8323b; font-weight: 600; }}
.warn {{ background: #fbf1f1; border-left: .3rem solid #a8323b; padding: .5rem .8rem; }}
td {{ overflow-wrap: anywhere; }} #items, #students {{ min-width: 34rem; }}
#items td:first-child, #students td:first-child {{ overflow-wrap: break-word; }}
code {{ background: #f2f2f4; padding: 0 .2rem; border-radius: .2rem; }} th {{ white-space: nowrap; }} td.nbs a {{ white-space: nowrap; }}
</style></head><body>
<h1>Class report: {assignment}</h1>
<p class="small">Written {written} from this folder's results.json files.</p>
<nav><a href="#scores">Scores</a><a href="#items-section">Items</a><a href="#status-section">Statuses</a><a href="#time">Time</a><a href="#students-section">Students</a></nav>
<div class="cards">{cards}</div>
{warn}
<h2 id="scores">Score distribution</h2>
<p class="note">{score_line}</p>
{score_plot}
<h2 id="items-section">Items</h2>
<p class="note">{coverage}</p>
<p class="note">{discrimination}</p>
<p class="note">Sorted with the items to look at first (flagged), then by share of full points, lowest first; click a column to sort by it.</p>
{items}
<h2 id="status-section">Statuses</h2>
{statuses}
<h2 id="time">Grading time</h2>
<p class="note">{batch}</p>
{timing_plot}
<h2 id="students-section">Students</h2>
<p class="note">Click a column to sort; a student's name opens their feedback.html.</p>
{students}
{script}
</body></html>
"""
