"""The class report (`python -m autograder report OUT`, and the end of every batch): OUT/report.html."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from autograder import report
from autograder.__main__ import main as cli
from autograder.outputs import results
from autograder.vocabulary import CRASHED, GRADED, INVALID, MISSING, SEVERITY, TIMEOUT, ItemResult

HOSTILE = '<img src=x onerror="alert(1)">&amp;'


class Page(HTMLParser):
    """What the tests read of a page: element ids, links, the students table's rows, the status
    table's counts, and the links of each failure-message group."""

    def __init__(self, text: str):
        super().__init__()
        self.ids, self.hrefs, self.rows, self.statuses, self.groups = set(), [], [], {}, {}
        self._table = self._cells = self._group = None
        self._body = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self._table = a.get("id")
        if tag == "tbody":
            self._body = True
        if tag == "tr":
            self._cells = []
            if self._table == "students" and self._body:
                self.rows.append(a.get("id"))
        if tag == "td" and self._cells is not None:
            self._cells.append("")
        if tag == "li" and a.get("id", "").startswith("item-"):
            self._group = a["id"]
            self.groups[self._group] = []
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
            if self._group:
                self.groups[self._group].append(a["href"])

    def handle_endtag(self, tag):
        if tag == "li":
            self._group = None
        if tag == "tbody":
            self._body = False
        if tag == "tr" and self._table == "statuses" and self._cells:
            self.statuses[self._cells[0]] = int(self._cells[1])

    def handle_data(self, data):
        if self._cells:
            self._cells[-1] += data


def item(gid, score, message=""):
    return ItemResult(gid, "01.ipynb", 1, score, score == 1, message)


def write_class(out, with_batch=True):
    cls = [
        results.SubmissionResult(
            "ann",
            "neural_nets",
            items=[item("A", 1), item("B", 1)],
            execution_time=3,
            timing={"01.ipynb": {"seconds": 3}},
        ),
        results.SubmissionResult(
            HOSTILE,
            "neural_nets",
            items=[item("A", 0, f"wrong: {HOSTILE}"), item("B", 0, "x")],
            execution_time=2,
            timing={"01.ipynb": {"seconds": 2}},
            reason="<b>bold</b>",
        ),
        results.SubmissionResult(
            "cid",
            "neural_nets",
            status=MISSING,
            reason="01.ipynb not submitted",
            items=[item("A", 0, "01.ipynb was not submitted."), item("B", 0, "z")],
        ),
    ]
    for r in cls:
        results.write_student(out, r)
    (out / "ann" / "executed").mkdir()
    (out / "ann" / "executed" / "01.ipynb").write_text("{}")
    if with_batch:
        report.write_batch(
            out,
            {
                "wall_seconds": 12.5,
                "runner": "local",
                "jobs": 2,
                "started_at": "t",
                "graded": 3,
                "skipped": 0,
                "completed": True,
            },
        )
    return cls


def test_a_folder_without_results_is_refused_with_what_to_do(tmp_path, capsys):
    (tmp_path / "someone").mkdir()
    assert cli(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no graded submission" in err and "--out" in err
    assert not (tmp_path / "report.html").exists()
    assert cli(["report", str(tmp_path / "nothing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_the_page_escapes_what_students_wrote_and_links_what_exists(tmp_path, capsys):
    write_class(tmp_path)
    assert cli(["report", str(tmp_path)]) == 0
    assert "report.html" in capsys.readouterr().out
    text = (tmp_path / "report.html").read_text()
    assert "<img src=x" not in text and "<b>bold" not in text
    assert html.escape(HOSTILE) in text
    assert "<script src=" not in text and "<link" not in text  # plotly.js inline (the browser tests watch the network)
    # the scores, one histogram per notebook (01.ipynb) and the grading times
    assert text.count("Plotly.newPlot") == 3 and text.count("sourceMappingURL") == 0
    page = Page(text)
    assert len(page.rows) == 3
    for link in page.hrefs:
        if link.startswith("#"):
            assert link[1:] in page.ids, link
        else:
            assert (tmp_path / unquote(link)).is_file(), link
    assert "ann/executed/01.ipynb" in page.hrefs
    assert page.statuses[GRADED] == 2 and page.statuses[MISSING] == 1
    # the missing submission's messages are left out of the item statistics
    assert "01.ipynb was not submitted." not in text
    assert "took 12.5 s of wall time, 2 at a time" in text


def test_without_batch_json_the_wall_time_is_said_to_be_missing(tmp_path, capsys):
    write_class(tmp_path, with_batch=False)
    assert report.main(tmp_path) == 0
    assert "not recorded" in capsys.readouterr().out
    assert "wall time was not recorded" in (tmp_path / "report.html").read_text()


def test_an_unreadable_result_is_named_not_fatal(tmp_path, capsys):
    write_class(tmp_path)
    (tmp_path / "cid" / "results.json").write_text("{ half")
    assert report.main(tmp_path) == 0
    text = (tmp_path / "report.html").read_text()
    assert "cannot be read" in text and len(Page(text).rows) == 2


@pytest.mark.slow
def test_the_crafted_class_report(graded):
    code, rows, out = graded
    text = (out / "report.html").read_text()
    page = Page(text)
    batch = json.loads((out / "batch.json").read_text())
    assert batch["completed"] and batch["submissions"] == len(rows) and batch["wall_seconds"] > 0
    assert "wall time, 2 at a time" in text
    # every student has a row, and each row's link goes to their own feedback
    assert len(page.rows) == len(rows)
    linked = {unquote(h).split("/")[0] for h in page.hrefs if h.endswith("/feedback.html")}
    assert linked == set(rows)
    # statuses counted as grades.csv says
    expected = Counter(r["status"] for r in rows.values())
    for status in SEVERITY:
        if expected[status] or status in (GRADED, TIMEOUT, CRASHED, INVALID, MISSING):
            assert page.statuses[status] == expected[status], status
    # every message group links to student rows that exist, and the number shown is how many
    assert page.groups
    for group, links in page.groups.items():
        assert links and all(link[1:] in page.rows for link in links), group
        count = re.search(rf'<li id="{group}"><span class="count">(\d+)</span>', text)
        assert int(count.group(1)) == len(links)
