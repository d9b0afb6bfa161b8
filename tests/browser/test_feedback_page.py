"""feedback.html as a student sees it, in headless Chromium, at a phone's width: a perfect, a
blank, a partly right and a crashed submission of the crafted class."""

from __future__ import annotations

import pytest

from tests.browser.pages import assert_clean, broken_links, scroll_width

PHONE = {"width": 390, "height": 844}
RESULTS = "() => Array.from(document.querySelectorAll('td.passed, td.failed'), td => td.className)"


@pytest.mark.slow
@pytest.mark.parametrize(
    "student, status, passed",
    [
        ("perfect", "graded", "all"),
        ("blank", "graded", "none"),
        ("partly", "graded", "some"),
        ("os_exit", "crashed", "some"),
    ],
)
def test_feedback_reads_on_a_phone(open_page, graded, student, status, passed):
    _, rows, out = graded
    assert rows[student]["status"] == status
    page, seen = open_page((out / student / "feedback.html").as_uri(), viewport=PHONE)
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().endswith(f"{rows[student]['score']} / {rows[student]['max_score']}")
    status_box = page.locator("p.status")
    assert status_box.is_visible() and status_box.inner_text().strip()
    assert ("bad" in status_box.get_attribute("class")) == (status != "graded")
    verdicts = page.evaluate(RESULTS)
    assert verdicts
    shown = {"all": {"passed"}, "none": {"failed"}, "some": {"passed", "failed"}}[passed]
    assert set(verdicts) == shown
    assert broken_links(page) == []
    assert scroll_width(page) <= PHONE["width"], "the page scrolls sideways on a phone"
    # every item's message is on screen, not cut off to the right
    right = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('td'), td => td.getBoundingClientRect().right))"
    )
    assert right <= PHONE["width"]
    assert_clean(seen)
