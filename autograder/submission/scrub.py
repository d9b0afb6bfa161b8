"""Bounded, scrubbed text: what the grader shows a student of what the student's code said.

Every piece of text that comes from student code and reaches a student (the name and message of
an exception, the type names a check quotes) passes through :func:`quote` before it joins a
message, and every message passes through :func:`bounded` before it is written to
``feedback.html`` or ``results.json``.

``quote`` cuts to ``QUOTE_CHARS`` and withholds any text that quotes the hidden checks: a window
of ``WINDOW`` characters (whitespace collapsed) that occurs in a check module or a hidden test
region of source/ and nowhere in what students are given (release/).
"""

from __future__ import annotations

import re
from functools import cache

from .. import checks, course
from ..course import notebooks
from ..paths import RELEASE, SOURCE

QUOTE_CHARS = 200  # of any one piece of student text
MESSAGE_CHARS = 600  # of a whole message shown for one item
WINDOW = 32  # characters in a row that count as quoting the hidden checks
WITHHELD = "[withheld: this text quotes the course's hidden checks]"
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text)


def _windows(text: str) -> set[str]:
    text = _normal(text)
    return {text[i : i + WINDOW] for i in range(max(0, len(text) - WINDOW + 1))}


@cache
def hidden_windows() -> frozenset[str]:
    """Every WINDOW-character run of the hidden checks that students were not given."""
    hidden, public = set(), set()
    for side in ("kernel", "grader"):  # a Gradescope bundle holds one assignment's checks
        for path in sorted((checks.HERE / side).rglob("*.py")):
            hidden |= _windows(path.read_text(encoding="utf-8"))
    for assignment in course.names():
        for path in sorted((SOURCE / assignment).glob("*.ipynb")):
            for cell in notebooks.read(path).cells:
                hidden |= _windows(notebooks.hidden_part(cell.source))
        for path in sorted((RELEASE / assignment).glob("*.ipynb")):
            for cell in notebooks.read(path).cells:
                public |= _windows(cell.source)
    return frozenset(hidden - public)


def quotes_hidden_checks(text: str) -> bool:
    windows = hidden_windows()
    normal = _normal(text)
    return any(normal[i : i + WINDOW] in windows for i in range(max(0, len(normal) - WINDOW + 1)))


def bounded(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` cut to `limit` characters, saying so when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote(text) -> str:
    """Student text, safe to show: one line, bounded, and withheld when it quotes hidden checks."""
    shown = " ".join(str(text).split())
    # Scan a little more than is shown, so that a quote cut mid-way is still recognised.
    if quotes_hidden_checks(shown[: QUOTE_CHARS + WINDOW]):
        return WITHHELD
    return bounded(shown, QUOTE_CHARS)
