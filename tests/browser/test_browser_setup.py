"""The browser tests' own footing: the browser found is a real one and the offline guard works."""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.paths import ROOT


def test_a_page_that_fetches_from_the_network_is_caught(open_page, tmp_path):
    page_file = tmp_path / "page.html"
    page_file.write_text('<html><body><img src="https://cdn.example.org/x.png"><p>hi</p></body></html>')
    page, seen = open_page(page_file.as_uri())
    page.wait_for_load_state("load")
    assert page.inner_text("p") == "hi"
    assert seen.blocked == ["https://cdn.example.org/x.png"]


def test_script_errors_are_seen(open_page, tmp_path):
    page_file = tmp_path / "page.html"
    page_file.write_text("<html><body><script>undefinedFunction()</script></body></html>")
    page, seen = open_page(page_file.as_uri())
    page.wait_for_load_state("load")
    assert any("undefinedFunction" in e for e in seen.page_errors)


def test_a_browser_that_is_not_there_skips_with_a_message_naming_it(tmp_path):
    """NN_COURSE_CHROMIUM set to a path where no browser is: the browser tests are skipped, and the
    reason names the path and what to do (never a silent pass, nor a crash in Playwright)."""
    missing = tmp_path / "no-such-chromium"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/browser/test_browser_setup.py::test_script_errors_are_seen",
        ],
        cwd=ROOT,
        env=dict(os.environ, NN_COURSE_CHROMIUM=str(missing)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout, result.stdout
    assert "SKIPPED [1] tests/browser/test_browser_setup.py" in result.stdout, result.stdout
    assert (
        f"NN_COURSE_CHROMIUM is '{missing}', which is not an executable file: point it at a Chromium" in result.stdout
    ), result.stdout
