"""Bounded, scrubbed text: what the grader shows a student of what the student's code said.

Every piece of text that comes from student code and reaches a student (the name and message of
an exception, the type names a check quotes) passes through :func:`quote` before it joins a
message, and every message of a verdict passes through :func:`vetted` (judge.py) before it is
written to ``feedback.html`` or ``results.json``: a message the kernel side composed, or one that
quotes what the kernel observed, may carry text a student chose.

Both withhold any text that quotes the hidden checks: a window of ``WINDOW`` characters that occurs
in a check module or a hidden test region of source/, and nowhere students are given it (release/,
and the checks' own messages: the string literals of their code). Windows are compared in a
canonical form (lower case, letters and digits only), forwards and backwards: a copy with its case
changed, re-spaced, re-punctuated (a class named with it) or reversed is recognised too, and so is
any number of five digits or more the checks hold and students are not given (a seed). What this
cannot recognise is an encoding (base64, every other character...): docs/security.md says so.
"""

from __future__ import annotations

import ast
import re
from functools import cache

from .. import checks, course
from ..course import notebooks
from ..paths import RELEASE, SOURCE

QUOTE_CHARS = 200  # of any one piece of student text
MESSAGE_CHARS = 600  # of a whole message shown for one item
WINDOW = 32  # letters and digits in a row that count as quoting the hidden checks
WITHHELD = "[withheld: this text quotes the course's hidden checks]"
_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGITS, _THOUSANDS = re.compile(r"\d+"), re.compile(r"(?<=\d)[,_](?=\d{3})")


def _canonical(text: str) -> str:
    return _NOT_ALNUM.sub("", text).lower()


def _windows(text: str) -> set[str]:
    text = _canonical(text)
    return {text[i : i + WINDOW] for i in range(max(0, len(text) - WINDOW + 1))}


def _messages(source: str) -> list[str]:
    """The string literals of a check module but its docstrings (and the literal parts of its
    f-strings): the words its messages are made of, which students are meant to read."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@cache
def hidden_windows() -> frozenset[str]:
    """Every WINDOW-character run (canonical) of the hidden checks that students are not given."""
    hidden, public = set(), set()
    for side in ("kernel", "grader"):  # a Gradescope bundle holds one assignment's checks
        for path in sorted((checks.HERE / side).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            hidden |= _windows(source)
            for message in _messages(source):
                public |= _windows(message)
    for assignment in course.names():
        for path in sorted((SOURCE / assignment).glob("*.ipynb")):
            for cell in notebooks.read(path).cells:
                hidden |= _windows(notebooks.hidden_part(cell.source))
        for path in sorted((RELEASE / assignment).glob("*.ipynb")):
            for cell in notebooks.read(path).cells:
                public |= _windows(cell.source)
    return frozenset(hidden - public)


@cache
def hidden_numbers() -> frozenset[str]:
    """The checks' numbers of five digits or more (seeds, mostly) that students are not given: too
    short for a window, enough to rebuild a hidden input."""
    found = set()
    for side in ("kernel", "grader"):
        for path in sorted((checks.HERE / side).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) >= 10_000:
                    found.add(str(abs(node.value)))
    given = set()
    for assignment in course.names():
        for path in sorted((RELEASE / assignment).glob("*.ipynb")):
            for cell in notebooks.read(path).cells:
                given |= set(_DIGITS.findall(_THOUSANDS.sub("", cell.source)))
    return frozenset(found - given)


def quotes_hidden_checks(text: str) -> bool:
    windows = hidden_windows()
    canonical = _canonical(text)
    if hidden_numbers() & set(_DIGITS.findall(_THOUSANDS.sub("", text))):
        return True
    return any(
        run[i : i + WINDOW] in windows
        for run in (canonical, canonical[::-1])
        for i in range(max(0, len(run) - WINDOW + 1))
    )


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


def vetted(message: str) -> str:
    """A verdict's message, or WITHHELD when it quotes the hidden checks (a message is the
    grader's words and what the kernel observed: the second may be text a student chose)."""
    return WITHHELD if quotes_hidden_checks(message) else message
