"""The report of a 300-student synthetic class (tests/report/synthetic.py) as a TA uses it, in
headless Chromium: search, the filters, a failure group opened, no console error, nothing fetched,
and a phone's 390 px without sideways scrolling. The render time is printed (-s)."""

from __future__ import annotations

import time

import pytest

from autograder import report
from tests.browser.pages import assert_clean, scroll_width
from tests.report.synthetic import make_class

SHOWN = "() => Array.from(document.querySelectorAll('#students tbody tr')).filter(r => !r.hidden)"
SHOWN_DATA = (
    SHOWN + ".map(r => [r.dataset.status, r.dataset.section, parseFloat(r.dataset.score), r.cells[0].dataset.value])"
)


@pytest.fixture(scope="module")
def big_class(tmp_path_factory):
    out = tmp_path_factory.mktemp("class300")
    kinds = make_class(out)
    assert report.main(out) == 0
    return out, kinds


def open_report(open_page, out, width):
    started = time.monotonic()
    page, seen = open_page((out / "report.html").as_uri(), viewport={"width": width, "height": 900})
    page.wait_for_load_state("load")
    page.wait_for_selector("#plot-scores svg.main-svg")
    page.wait_for_selector("#plot-times svg.main-svg")
    return page, seen, time.monotonic() - started


def test_search_filters_and_failure_groups_on_300_students(open_page, big_class):
    out, kinds = big_class
    page, seen, seconds = open_report(open_page, out, 1280)
    print(f"\n300 students: report.html rendered in {seconds:.1f} s in headless Chromium")
    assert page.locator("#f-shown").inner_text() == "300 of 300 students shown"
    assert page.locator("div.js-plotly-plot[id^=plot-notebook-]").count() == 2  # one histogram per notebook
    page.fill("#f-search", "s0007")
    assert [row[3] for row in page.evaluate(SHOWN_DATA)] == ["s0007"]
    page.fill("#f-search", "")
    page.select_option("#f-status", "crashed")
    crashed = page.evaluate(SHOWN_DATA)
    assert len(crashed) == sum(k == "crashed" for k in kinds.values()) > 0
    assert {row[0] for row in crashed} == {"crashed"}
    page.select_option("#f-status", "")
    page.select_option("#f-section", "Tue")
    page.fill("#f-min", "0")
    page.fill("#f-max", "0")
    zeros = page.evaluate(SHOWN_DATA)
    assert zeros and all(section == "Tue" and score == 0 for _, section, score, _ in zeros)
    assert page.locator("#f-shown").inner_text() == f"{len(zeros)} of 300 students shown"
    # a failure group shows its count; opening it shows the students, who link to their rows
    group = page.locator(".item details").first
    who = group.locator(".who")
    assert not who.is_visible()
    group.locator("summary").click()
    assert who.is_visible() and who.locator("a").count() == int(group.locator("summary").inner_text().split()[0])
    assert_clean(seen)


def test_the_300_student_report_at_390_px(open_page, big_class):
    out, _ = big_class
    page, seen, _ = open_report(open_page, out, 390)
    assert scroll_width(page) <= 390
    assert page.locator("#f-search").is_visible()
    assert_clean(seen)
