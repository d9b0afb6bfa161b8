"""The course as the grader sees it: assignments found from folders.

An assignment named A is
* ``source/A/``: its notebooks (nbgrader's source folder) and ``source/A/assignment.toml``, its
  limits and leaderboard;
* ``autograder/checks/kernel/A/`` and ``autograder/checks/grader/A/``: its hidden checks.

No assignment is named anywhere in the engine: adding one is adding those folders
(``python -m autograder new A`` scaffolds them). ``notebooks.py`` reads nbgrader's cell metadata,
``items.py`` the graded items of a source notebook.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..paths import ENGINE, RELEASE, SOURCE

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (Ubuntu 22.04, Gradescope's default image)
    import tomli as tomllib

CONFIG = "assignment.toml"
NEAR_LIMIT = 0.8  # a submission that used more than this share of its time limit is reported
# Folders of the engine whose code never changes a verdict or a feedback message (the class
# report only reads results): editing them does not grade a class again (see Assignment.digest).
AFTER_GRADING = ("report/",)


class UsageError(Exception):
    """The command was misused; the message says what to do instead."""


@dataclass(frozen=True)
class Limits:
    """Grading limits of one assignment (``[limits]`` of its assignment.toml; the grade command's
    options override them per run)."""

    cell_timeout: float = 120.0  # seconds one cell may run
    total_timeout: float = 600.0  # seconds a whole submission (all its notebooks) may run
    memory_mb: int = 4096  # resident memory of the student's kernel
    cores: int = 1  # CPU cores a notebook gets, its own (see sandbox/slots.py)
    data_files: tuple[str, ...] = ()  # paths under data/ the student's notebooks read


@dataclass(frozen=True)
class Board:
    """A leaderboard column (Gradescope): a figure the grader measures for an item (its MEASURES)."""

    name: str
    measure: str
    scale: float = 1.0
    order: str = "desc"


VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's words


@dataclass(frozen=True)
class Visibility:
    """When Gradescope shows students each part of a result (``[gradescope]`` of assignment.toml):
    the visible checks at once, the hidden checks' points and messages after the due date, as
    courses use it. ``results`` is results.json's top-level visibility (its total score)."""

    visible_checks: str = "visible"
    hidden_checks: str = "after_due_date"
    results: str = "after_due_date"


@dataclass(frozen=True)
class Settings:
    limits: Limits
    leaderboard: tuple[Board, ...] = ()
    gradescope: Visibility = Visibility()
    late: tuple[tuple[str, object], ...] = ()  # [late], as written: read and checked by late.py


def names() -> tuple[str, ...]:
    """The assignments of this course: every folder of source/ with an assignment.toml."""
    if not SOURCE.is_dir():
        return ()
    return tuple(sorted(p.parent.name for p in SOURCE.glob(f"*/{CONFIG}")))


def known(name: str) -> str:
    """`name`, when it is an assignment of this course; else a UsageError naming the known ones."""
    if name not in names() and (SOURCE / name).is_dir():
        raise UsageError(
            f"source/{name}/ has no {CONFIG}: add one (see docs/instructors.md; "
            f"source/{names()[0] if names() else '<assignment>'}/{CONFIG} is an example)"
        )
    if name not in names():
        raise UsageError(
            f"unknown assignment {name!r}: choose one of {', '.join(names()) or '(none)'}; "
            f"an assignment is a folder source/<name>/ with an {CONFIG} "
            "(python -m autograder new NAME makes one)"
        )
    return name


@cache
def settings(name: str) -> Settings:
    """source/<name>/assignment.toml, read and checked: a wrong key or value is a UsageError."""
    path = SOURCE / known(name) / CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path} is not valid TOML ({err}): fix it") from None
    unknown = set(data) - {"limits", "leaderboard", "gradescope", "late"}
    if unknown:
        raise UsageError(
            f"{path}: unknown section(s) {sorted(unknown)}; known: [limits], [[leaderboard]], [gradescope], [late]"
        )
    try:
        raw = dict(data.get("limits", {}))
        if "data_files" in raw:
            raw["data_files"] = tuple(raw["data_files"])
        limits = Limits(**raw)
        board = tuple(Board(**column) for column in data.get("leaderboard", []))
        shown = Visibility(**data.get("gradescope", {}))
    except TypeError as err:
        raise UsageError(f"{path}: {err}; see docs/instructors.md for the keys") from None
    for key, value in vars(limits).items():
        wanted = type(getattr(Limits, key))
        fits = (
            all(isinstance(v, str) for v in value)
            if wanted is tuple
            else isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
            if wanted is float
            else isinstance(value, int) and not isinstance(value, bool) and value > 0
        )
        if not fits:
            kind = {
                tuple: "a list of paths under data/",
                float: "a number of seconds above 0",
                int: "a whole number above 0",
            }[wanted]
            raise UsageError(f"{path}: [limits] {key} = {value!r} should be {kind}")
    for key, value in vars(shown).items():
        if value not in VISIBILITY:
            raise UsageError(f"{path}: [gradescope] {key} = {value!r} should be one of {', '.join(VISIBILITY)}")
    return Settings(limits, board, shown, tuple(sorted(data.get("late", {}).items())))


@dataclass(frozen=True)
class Assignment:
    name: str
    notebooks: tuple[str, ...]  # file names, as in release/<name>/

    @property
    def limits(self) -> Limits:
        return settings(self.name).limits

    @property
    def leaderboard(self) -> tuple[Board, ...]:
        return settings(self.name).leaderboard

    @property
    def sources(self) -> dict:
        """The instructor's notebooks (read once per process; treat them as read-only)."""
        return {nb: read_source(self.name, nb) for nb in self.notebooks}

    def tests(self) -> list:
        """The autograded items of every notebook, in order."""
        from .items import source_tests  # reads notebooks (nbformat): not for the CLI's start

        return [t for nb, source in self.sources.items() for t in source_tests(source, nb)]

    @property
    def item_ids(self) -> list[str]:
        manual = [gid for source in self.sources.values() for gid in manual_items(source)]
        return [t.grade_id for t in self.tests()] + manual

    def digest(self) -> str:
        """Changes whenever a verdict or a message could: when the instructor changes the
        notebooks, the configuration or the checks, or when the grader changes (every file of
        the autograder package but AFTER_GRADING). Results graded before are then graded again."""
        h = hashlib.sha256(source_digest(self.name).encode())
        for path in engine_files():
            relative = path.relative_to(ENGINE).as_posix()
            if not relative.startswith(AFTER_GRADING):
                h.update(relative.encode())
                h.update(path.read_bytes())
        return h.hexdigest()


def engine_files() -> list[Path]:
    """Every file of the autograder package (no caches), in a stable order."""
    return sorted(p for p in ENGINE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def source_digest(name: str) -> str:
    """Digest of everything release/ and solutions/ are made from: the source folder, and both
    halves of the assignment's checks with their shared vocabulary."""
    from .. import checks  # the checks import torch: only when a digest is needed

    h = hashlib.sha256()
    for path in sorted((SOURCE / name).iterdir()):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    for path in checks.files(name):  # named as from the engine: checks/kernel/api.py, ...
        h.update(path.relative_to(checks.HERE.parent).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@cache
def read_source(assignment: str, notebook: str):
    """A source notebook, parsed once per worker process rather than once per submission."""
    from .notebooks import read

    return read(SOURCE / assignment / notebook)


def manual_items(source_nb) -> dict[str, float]:
    """Manually graded answers (nbgrader: graded, with a solution, not code tests)."""
    from . import notebooks

    return {
        notebooks.grade_id(c): notebooks.points(c)
        for c in source_nb.cells
        if notebooks.nbgrader(c).get("grade") and notebooks.is_solution_cell(c)
    }


def load(name: str) -> Assignment:
    """The assignment `name`, with its released notebooks; a UsageError says what is missing."""
    known(name)
    released = sorted(p.name for p in (RELEASE / name).glob("*.ipynb"))
    if not released:
        raise UsageError(f"release/{name}/ has no notebooks: run `python -m autograder release {name}` first")
    missing = [nb for nb in released if not (SOURCE / name / nb).exists()]
    if missing:
        raise UsageError(
            f"release/{name}/ has notebooks that source/{name}/ lacks: {missing}; "
            "regenerate release/ with `python -m autograder release`"
        )
    return Assignment(name, tuple(released))
