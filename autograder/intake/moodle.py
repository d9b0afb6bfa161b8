"""Moodle's bulk download (Assignment > "Download all submissions").

With "Download submissions in folders" (the default since Moodle 3.1), one folder per student and
submission plugin, `<Full Name>_<participant id>_assignsubmission_file_/<file>`; without it, flat
files `<Full Name>_<participant id>_assignsubmission_file_<file>`. The participant id is the number
of "Participant 12345" in the grading worksheet (the roster maps it). Online text
(`assignsubmission_onlinetext_`) has no notebook and is left out, said so. No time in the names.

    Ada Lovelace_12345_assignsubmission_file_/01_layers.ipynb
    Ada Lovelace_12345_assignsubmission_file_01_layers.ipynb
"""

from __future__ import annotations

import re
from pathlib import Path

from . import Submission, match, stage

NAME = "Moodle download"
EXAMPLE = "Ada Lovelace_12345_assignsubmission_file_/01_layers.ipynb"

FOLDER = re.compile(r"(?P<name>.+)_(?P<student_id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_$")
# nbgrader ZipCollect's named_regexp contract, for the flat files (tests/intake checks it with nbgrader)
NAMED_REGEXP = re.compile(r"(?P<name>.+?)_(?P<student_id>\d+)_assignsubmission_file_(?P<file_id>.+\.ipynb)$")


def claims(root: Path, names: list[str]) -> list[str]:
    return [
        n
        for n in names
        if ((root / n).is_dir() and FOLDER.match(n)) or ((root / n).is_file() and match(NAMED_REGEXP, n))
    ]


def collect(root: Path, claimed: list[str], notebooks: list[str], stage_root: Path) -> dict[str, Submission]:
    by_student: dict[str, dict] = {}
    for name in claimed:
        path = root / name
        if path.is_dir():
            groups = FOLDER.match(name).groupdict()
            entry = by_student.setdefault(groups["student_id"], {"name": groups["name"], "files": {}, "notes": []})
            if groups["plugin"] != "file":
                entry["notes"].append(f"{name}: Moodle's {groups['plugin']} submission, not a file: not graded")
                continue
            entry["files"].update({p.name: p for p in sorted(path.rglob("*.ipynb")) if p.is_file()})
        else:
            groups = match(NAMED_REGEXP, name)
            entry = by_student.setdefault(groups["student_id"], {"name": groups["name"], "files": {}, "notes": []})
            entry["files"][groups["file_id"]] = path
    found = {}
    for student, entry in sorted(by_student.items()):
        folder = stage(stage_root, student, entry["files"])  # Moodle keeps one file per name: no resubmission chain
        found[student] = Submission(student, folder, name=entry["name"], notes=entry["notes"])
    return found
