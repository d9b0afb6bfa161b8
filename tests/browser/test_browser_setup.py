"""The browser tests' own footing: the browser found is a real one and the offline guard works."""

from __future__ import annotations


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
