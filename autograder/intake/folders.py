"""One folder per student (SUBMISSIONS/<student>/), or nbgrader's submitted/<student>/<assignment>/.
A folder with Gradescope's submission_metadata.json gives its time (`created_at`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from . import Submission

GRADESCOPE = "submission_metadata.json"

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
        sub = found[child.name] = Submission(child.name, folder)
        sub.submitted_at, sub.time_source, note = submission_time(child, folder)
        sub.notes += [note] if note else []
    return found


def submission_time(*folders: Path) -> tuple[datetime | None, str, str]:
    """(time, where it came from, a note) from Gradescope's metadata. A broken file costs that
    student the time (no late penalty, and it is said), never the batch."""
    for folder in dict.fromkeys(folders):
        path = folder / GRADESCOPE
        if path.is_file():
            try:
                stamp = json.loads(path.read_text(encoding="utf-8"))["created_at"]
                return datetime.fromisoformat(stamp.replace("Z", "+00:00")), f"Gradescope {GRADESCOPE} created_at", ""
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
                return None, "", f"{GRADESCOPE} has no readable created_at ({type(err).__name__}: {err}): no time"
    return None, "", ""
