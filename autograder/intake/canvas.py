"""Canvas's bulk download (Assignment > "Download Submissions": submissions.zip, flat).

Each file is named `<login>_[LATE_]<user id>_<submission id>_<file name as uploaded>`, where
<login> is the student's sortable name in lower case without spaces or punctuation, LATE marks a
submission after the due date, <user id> is the Canvas user id (the "ID" column of the gradebook
export: the roster maps it) and a file uploaded again has Canvas's resubmission suffix: name-1.ipynb,
name-2.ipynb (the latest wins, and it is said). Canvas puts no time in the download.

    smithjohn_12345_678_01_layers.ipynb
    smithjohn_LATE_12345_678_01_layers-1.ipynb
"""

from __future__ import annotations

import re
from pathlib import Path

from . import Submission, match, resolve_resubmissions, stage

NAME = "Canvas download"
EXAMPLE = "smithjohn_12345_678_01_layers.ipynb"

# nbgrader ZipCollect's named_regexp contract: student_id and file_id (tests/intake checks it with nbgrader)
NAMED_REGEXP = re.compile(
    r"(?P<login>[^_\s]+)_(?P<late>LATE_)?(?P<student_id>\d+)_(?P<submission_id>\d+)_(?P<file_id>.+\.ipynb)$"
)


def claims(root: Path, names: list[str]) -> list[str]:
    return [n for n in names if (root / n).is_file() and match(NAMED_REGEXP, n)]


def collect(root: Path, claimed: list[str], notebooks: list[str], stage_root: Path) -> dict[str, Submission]:
    by_student: dict[str, dict] = {}
    for name in claimed:
        groups = match(NAMED_REGEXP, name)
        entry = by_student.setdefault(groups["student_id"], {"login": groups["login"], "late": False, "files": {}})
        entry["late"] |= bool(groups["late"])
        entry["files"][groups["file_id"]] = root / name
    found = {}
    for student, entry in sorted(by_student.items()):
        files, notes = resolve_resubmissions(entry["files"], notebooks)
        folder = stage(stage_root, student, files)
        if entry["late"]:
            notes.append("Canvas marked it LATE (the download has no time: see the late policy in docs/tas.md)")
        found[student] = Submission(student, folder, name=entry["login"], late_flag=entry["late"], notes=notes)
    return found
