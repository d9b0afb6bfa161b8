"""report.html as a person sees it, in headless Chromium: the crafted class's and the demo
class's. Offline (nothing fetched), no script errors, every plot drawn, every link resolves, and
the students table sorts when a header is clicked."""

from __future__ import annotations

import pytest

from autograder import demo, grade
from tests.browser.pages import assert_clean, broken_links, scroll_width

PLOTS = ("plot-scores", "plot-times")
DRAWN_BARS = """id => Array.from(document.querySelectorAll('#' + id + ' svg.main-svg .bars path'))
    .filter(p => p.getBoundingClientRect().height > 0 && p.getAttribute('d') !== 'M0,0Z').length"""
FIRST_COLUMN = "() => Array.from(document.querySelectorAll('#students tbody tr'), r => r.cells[0].dataset.value)"
SCORES = "() => Array.from(document.querySelectorAll('#students tbody tr'), r => parseFloat(r.cells[1].dataset.value))"


@pytest.fixture(scope="module")
def demo_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    submissions = demo.sample_class(root / "submissions", "neural_nets")
    assert grade.main("neural_nets", submissions, root / "graded", progress=False) == 0
    return root / "graded"


def look_at(open_page, out, width=1280):
    page, seen = open_page((out / "report.html").as_uri(), viewport={"width": width, "height": 900})
    page.wait_for_load_state("load")
    for plot in PLOTS:
        page.wait_for_selector(f"#{plot} svg.main-svg")
    return page, seen


def check_report(open_page, out, students: int):
    page, seen = look_at(open_page, out)
    for plot in PLOTS:
        assert page.locator(f"#{plot} svg.main-svg").count() > 0, plot
        assert page.evaluate(DRAWN_BARS, plot) > 0, f"{plot}: no bar drawn"
    assert page.locator("#students tbody tr").count() == students
    assert page.locator("#items tbody tr").count() > 0
    assert page.locator("#statuses").is_visible()
    assert broken_links(page) == []
    # sorting: by score (ascending), then again (descending); the order changes and is sorted
    before = page.evaluate(FIRST_COLUMN)
    assert before == sorted(before, key=lambda s: s)  # by student id, as written
    header = page.locator("#students thead th", has_text="score").locator("button")
    header.click()
    scores = page.evaluate(SCORES)
    assert scores == sorted(scores)
    header.click()
    assert page.evaluate(SCORES) == sorted(scores, reverse=True)
    assert page.evaluate(FIRST_COLUMN) != before
    assert_clean(seen)
    # a phone's width: no sideways scrolling of the page (wide tables scroll in their own box)
    phone, seen = look_at(open_page, out, width=390)
    assert scroll_width(phone) <= 390
    assert_clean(seen)


@pytest.mark.slow
def test_the_crafted_class_report_in_a_browser(open_page, graded):
    _, rows, out = graded
    check_report(open_page, out, len(rows))


@pytest.mark.slow
def test_the_demo_class_report_in_a_browser(open_page, demo_class):
    check_report(open_page, demo_class, 5)
