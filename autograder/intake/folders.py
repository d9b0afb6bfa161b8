"""One folder per student (SUBMISSIONS/<student>/), or nbgrader's submitted/<student>/<assignment>/."""

from __future__ import annotations

from pathlib import Path

from . import Submission

NAME = "one folder per student"
EXAMPLE = "ada/01_layers.ipynb, or nbgrader's submitted/ada/neural_nets/"


def claims(root: Path, names: list[str]) -> list[str]:
    """The student folders: every folder at the top (a link to a folder counts: grading refuses it).
    None when loose notebooks lie beside them, which a folder layout would silently leave out."""
    loose = [n for n in names if n.endswith(".ipynb") and (root / n).is_file()]
    if loose:
        return []
    return [n for n in names if (root / n).is_dir()]


def collect(root: Path, assignment: str) -> dict[str, Submission]:
    found = {}
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        inner = child / assignment
        folder = inner if inner.is_dir() and not inner.is_symlink() else child
        found[child.name] = Submission(child.name, folder)
    return found
