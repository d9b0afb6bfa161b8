"""A real browser for the tests that check what a person sees: headless Chromium driven by
Playwright. Playwright's own `playwright install chromium` downloads from its own host, so the
browser is the system's Chromium (Debian's `chromium` package, which `make test` installs as root).

Where Playwright or a Chromium is missing, the browser tests are skipped with a message that says
how to get them, never silently."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

# Where to look for a browser: $NN_COURSE_CHROMIUM first, then the usual names on PATH.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HOW_TO_GET_ONE = (
    "install Chromium (as root: `apt-get install chromium`, which `make test` does), "
    "or point NN_COURSE_CHROMIUM at a Chromium or Chrome binary"
)


def chromium_path() -> str | None:
    if os.environ.get("NN_COURSE_CHROMIUM"):
        return os.environ["NN_COURSE_CHROMIUM"]
    return next((path for name in BROWSER_NAMES if (path := shutil.which(name))), None)


def chromium_missing(executable: str | None) -> str | None:
    """Why `executable` cannot be the tests' browser (None: it can)."""
    if executable is None:
        return f"no Chromium on this machine for the browser tests: {HOW_TO_GET_ONE}"
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        return (
            f"NN_COURSE_CHROMIUM is {executable!r}, which is not an executable file: point it at a "
            f"Chromium or Chrome binary, or unset it to use a chromium on PATH (as root: "
            f"`apt-get install chromium`, which `make test` does)"
        )
    return None


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: run `pip install -e '.[test]'` (or `make test`)"
    )
    executable = chromium_path()
    if (why := chromium_missing(executable)) is not None:
        pytest.skip(why)
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: Chromium's own sandbox needs user namespaces that containers and root lack.
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@dataclass
class Seen:
    """What a page did while a test looked at it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    blocked: list[str] = field(default_factory=list)  # the ones outside `allowed_hosts`, refused


@pytest.fixture
def open_page(browser):
    """`open_page(url, allowed_hosts=())` -> (page, seen). Requests to any host outside
    `allowed_hosts` (file: and data: URLs are always allowed) are refused and recorded, so a
    page that needs the network shows it in `seen.blocked` instead of quietly fetching."""
    contexts = []

    def open_(url: str, allowed_hosts: tuple[str, ...] = (), viewport=None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        contexts.append(context)
        seen = Seen()

        def route(r):
            target = urlparse(r.request.url)
            seen.requests.append(r.request.url)
            if target.scheme in ("file", "data", "blob") or target.netloc in allowed_hosts:
                r.continue_()
            else:
                seen.blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
        page.goto(url)
        return page, seen

    yield open_
    for context in contexts:
        context.close()
