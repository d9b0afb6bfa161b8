"""The report of a 300-student class (tests/report/synthetic.py): one offline file, with search
and filters, failure groups folded to their counts, the spread, one histogram per notebook, and
the students who sent nothing counted apart. Its size and render time are printed (-s)."""

from __future__ import annotations

import re
import statistics
import time

from autograder import report
from autograder.report import classstats
from tests.report.synthetic import NOTEBOOKS, SECTIONS, make_class


def test_a_300_student_report(tmp_path):
    kinds = make_class(tmp_path)
    started = time.monotonic()
    assert report.main(tmp_path) == 0
    seconds = time.monotonic() - started
    page = (tmp_path / "report.html").read_text()
    print(f"\n300 students: report.html {len(page) / 1e6:.2f} MB written in {seconds:.1f} s")
    # offline: nothing fetched
    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//""", page)
    # search and filters, sections from the roster
    for element in ('id="f-search"', 'id="f-status"', 'id="f-section"', 'id="f-min"', 'id="f-max"'):
        assert element in page
    for section in SECTIONS:
        assert f"<option>{section}</option>" in page
    # failure groups: the count shows, the students fold away
    assert page.count("<details><summary>") >= 3 and re.search(r"<summary>\d+ student\(s\)</summary>", page)
    # one histogram per notebook, besides the scores and the grading times
    assert page.count("Plotly.newPlot") == 2 + len(NOTEBOOKS)
    # the spread and the missing, counted apart from the mean
    results, _ = report.read_class(tmp_path)
    present = [r.score for r in results if not classstats.sent_nothing(r)]
    absent = sum(kind == "absent" for kind in kinds.values())
    assert len(present) + absent == 300 and absent > 0
    summary = classstats.score_summary([r for r in results if not classstats.sent_nothing(r)])
    assert summary.mean == statistics.fmean(present) and summary.sd == statistics.stdev(present)
    assert f"<b>{absent}</b><span>sent nothing (counted apart)</span>" in page
    assert f"All {len(present)} students who sent something" in page
    assert "standard deviation" in page and "quartiles" in page
    # links to grades.csv and the exports
    assert 'href="grades.csv"' in page and 'href="exports/neural_nets-canvas.csv"' in page
    # a row per student, each searchable by id, name and section
    assert len(re.findall(r'<tr id="student-\d+" data-status=', page)) == 300
    assert 'data-search="s0007 student 7 thu' in page
