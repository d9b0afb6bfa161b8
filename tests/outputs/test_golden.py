"""feedback.html and report.html, byte for byte, against pages the f-string code wrote before the
pages became Jinja2 templates (tests/outputs/golden/). The cases carry what students control:
markup, quotes, backquotes (paired and not), ampersands, entities. To accept a deliberate change of
a page, regenerate with `python -m tests.outputs.test_golden` and review the diff."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from autograder import report
from autograder.outputs import results
from autograder.vocabulary import CRASHED, ERROR, INVALID, MISSING, REVIEW, TIMEOUT, ItemResult, SubmissionResult

GOLDEN = Path(__file__).with_name("golden")
NASTY = """<script>alert("x")</script> & 'single' "double" &amp; `a<b>` ``"""
NB = "01 <layers> & \"more\" 'q'.ipynb"  # a notebook name is a file name: no slash


def feedback_cases() -> dict[str, SubmissionResult]:
    graded = SubmissionResult(
        "s1",
        "neural_nets",
        execution_time=12.34,
        items=[
            ItemResult("layer1", "01_layers.ipynb", 1, 1, True, ""),
            ItemResult("W", "01_layers.ipynb", 2, 0.5, False, "W has shape `(2, 3)`: <transpose> it & `try` again"),
            ItemResult("odd", "02_train.ipynb", 1.5, 0, False, 'one backquote ` stays & <so> does "this"'),
            ItemResult("<b>gid</b>", NB, 2.25, 2.25, True, ""),
        ],
        manual={"diagram": 2.0, "<u>essay</u>": 1.5},
    )
    hostile = SubmissionResult(
        NASTY,
        f"<h1>{NASTY}</h1>",
        status=TIMEOUT,
        reason=f"cell 3 `{NASTY}`",
        items=[ItemResult(NASTY, NB, 1, 0, False, NASTY), ItemResult("x", NB, 1, 0, False, "`<script>`")],
    )
    cases = {
        "graded": graded,
        "hostile": hostile,
        "graded_note": SubmissionResult(
            "s2", "a", reason='notebook <02> was "late" & slow', items=[ItemResult("a", "n.ipynb", 1, 1, True, "")]
        ),
        "unknown_status": SubmissionResult("s3", "a", status="<weird & 'new'>", reason="why <not>"),
        "unknown_no_reason": SubmissionResult("s4", "a", status="odd"),
    }
    for status in (MISSING, INVALID, CRASHED, ERROR):
        cases[status.replace(" ", "_")] = SubmissionResult(
            "s5",
            "a",
            status=status,
            reason=f"{status} <{status}>",
            items=[ItemResult("a", "n.ipynb", 1, 0, False, "m")],
        )
    cases["no_reason"] = SubmissionResult("s6", "a", status=CRASHED)
    cases["review"] = SubmissionResult(  # what was found is for staff: not on the student's page
        "s7", "a", status=REVIEW, items=[ItemResult("a", "n.ipynb", 1, 1, True, "")], review=["n.ipynb: SECRET"]
    )
    return cases


def item(gid: str, notebook: str, score: float, message: str = "", points: float = 1) -> ItemResult:
    return ItemResult(gid, notebook, points, score, score >= points, message)


def write_class(out: Path, batch: dict | None) -> None:
    """A class with every section filled: hostile ids, more failure groups than are shown, an item
    nobody gets, one that everyone gets, a student without feedback.html, an unreadable result."""
    nasty_id = NASTY.replace("/", "|")  # a student id is a folder name
    cls = []
    for n in range(9):
        sid = nasty_id if n == 0 else f"student {n} & <co>"
        cls.append(
            SubmissionResult(
                sid,
                "neural_nets",
                execution_time=1.5 + n,
                timing={"01.ipynb": {}, NB: {}},
                reason="" if n % 3 else f"note {n}: " + "long <reason> " * (40 if n == 3 else 1),
                items=[
                    item("A", "01.ipynb", n % 3 == 0, f"message {n} `x{n}` <&>"),
                    item("B<", "01.ipynb", 0, NASTY),
                    item("C", NB, 2.5, "", points=2.5),
                    item("D", NB, n / 4, "partial & `half", points=2),
                ],
            )
        )
    cls.append(
        SubmissionResult(
            "zoe",
            "neural_nets",
            status=MISSING,
            reason=f"{NB} not submitted",
            timing={"01.ipynb": {}},
            items=[item("A", "01.ipynb", 1), item("D", NB, 0, "gone"), item("E", "03.ipynb", 0, "never ran")],
        )
    )
    cls.append(SubmissionResult("yan", "other <assignment>", status="<new status>", execution_time=0.25))
    for r in cls:
        results.write_student(out, r)
    (out / "student 1 & <co>" / "feedback.html").unlink()
    for sid in (nasty_id, "student 2 & <co>"):
        (out / sid / "executed").mkdir()
        for nb in ("01.ipynb", NB):
            (out / sid / "executed" / nb).write_text("{}")
    if batch is not None:
        report.write_batch(out, batch)
    (out / "broken & <b>").mkdir()
    (out / "broken & <b>" / "results.json").write_text("{ half")


BATCHES = {
    "local": {
        "wall_seconds": 12.5,
        "runner": "local",
        "jobs": 2,
        "started_at": "2024-01-02 <now>",
        "graded": 11,
        "skipped": 0,
        "completed": True,
    },
    "dask_interrupted": {"wall_seconds": 3, "runner": "dask", "completed": False},
    "no_batch": None,
}


def report_page(tmp_path: Path, monkeypatch, name: str) -> str:
    """report.html without what changes from run to run: plotly's figures (a stand-in names each)
    and the time it was written."""
    monkeypatch.setattr(report, "figure", lambda fig, div_id, first: f'<div id="{div_id}" first={first}></div>')
    out = tmp_path / name
    write_class(out, BATCHES[name])
    found, unreadable = report.read_class(out)
    assert unreadable == ["broken & <b>"]
    page = report.page(out, found, report.read_batch(out), unreadable)
    return re.sub(r"Written \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Written WHEN", page)


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


@pytest.mark.parametrize("name", sorted(feedback_cases()))
def test_feedback_is_byte_identical_to_the_golden_page(name):
    assert results.feedback_html(feedback_cases()[name]).encode() == golden(f"feedback_{name}.html")


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_report_is_byte_identical_to_the_golden_page(tmp_path, monkeypatch, name):
    assert report_page(tmp_path, monkeypatch, name).encode() == golden(f"report_{name}.html")


def test_the_golden_pages_hold_no_live_markup_from_students():
    """The goldens themselves are safe: none of the hostile strings is left unescaped."""
    pages = [p.read_text(encoding="utf-8") for p in GOLDEN.glob("*.html")]
    assert len(pages) == len(feedback_cases()) + len(BATCHES)
    for text in pages:
        assert "<script>alert" not in text and "<layers>" not in text and "<b>gid" not in text
        assert "<co>" not in text and "<new status>" not in text and "<transpose>" not in text


if __name__ == "__main__":  # regenerate the goldens (review the diff before committing)
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    for case, result in feedback_cases().items():
        (GOLDEN / f"feedback_{case}.html").write_bytes(results.feedback_html(result).encode())
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        for case in BATCHES:
            (GOLDEN / f"report_{case}.html").write_bytes(report_page(Path(tmp), mp, case).encode())
    print(f"wrote {len(list(GOLDEN.glob('*.html')))} pages to {GOLDEN}", file=sys.stderr)
