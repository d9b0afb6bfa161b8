"""What the browser tests look at on any of our pages: errors, network, links, width."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

LINKS = "() => Array.from(document.querySelectorAll('a[href]'), a => [a.getAttribute('href'), a.href])"


def broken_links(page) -> list[str]:
    """Every link that leads nowhere: a file that does not exist, an #anchor without its element."""
    broken = []
    for raw, resolved in page.evaluate(LINKS):
        if raw.startswith("#"):
            if not page.evaluate("id => document.getElementById(id) !== null", unquote(raw[1:])):
                broken.append(raw)
            continue
        target = urlparse(resolved)
        if target.scheme != "file" or not Path(url2pathname(target.path)).is_file():
            broken.append(raw)
    return broken


def assert_clean(seen) -> None:
    assert seen.console_errors == [], seen.console_errors
    assert seen.page_errors == [], seen.page_errors
    assert seen.blocked == [], seen.blocked


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")
