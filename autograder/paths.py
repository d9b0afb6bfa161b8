"""Where things are in the course repository (and in a Gradescope bundle, which has the same tree)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"  # the instructor's notebooks: source/<assignment>/*.ipynb and assignment.toml
RELEASE = ROOT / "release"  # what students get (python -m autograder release)
SOLUTIONS = ROOT / "solutions"  # the reference answers, executed
DATA = ROOT / "data"
ENGINE = ROOT / "autograder"
WORK = ROOT / ".work"  # scratch output (git-ignored)
