"""Blackboard Learn's bulk download (Grade Centre > column > "Assignment File Download": a zip,
flat). Per attempt, the files `<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file name>`
and one `<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>.txt` with what Blackboard knows:

    Name: John Smith (jsmith)
    Assignment: Lab 1
    Date Submitted: Monday, January 29, 2024 11:58:03 PM CST
    ...
    Files:
        Original filename: 01_layers.ipynb
        Filename: Lab 1_jsmith_attempt_2024-01-29-23-58-03_01_layers.ipynb

The username is the student id (the roster maps it). The time of the attempt is the one in the
names (the server's local time; the .txt gives its zone). Of several attempts the latest is graded,
and it is said. Files are named as the .txt's "Original filename" says, else as in their name.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from . import Submission, match, stage

NAME = "Blackboard download"
EXAMPLE = "Lab 1_jsmith_attempt_2024-01-29-23-58-03_01_layers.ipynb (+ .txt)"

# nbgrader ZipCollect's named_regexp contract, as in nbgrader's own example for this naming
NAMED_REGEXP = re.compile(
    r"(?P<assignment>.+)_(?P<student_id>[^_]+)_attempt_(?P<timestamp>\d{4}(?:-\d\d){5})_(?P<file_id>.+\.ipynb)$"
)
RECEIPT = re.compile(r"(?P<assignment>.+)_(?P<student_id>[^_]+)_attempt_(?P<timestamp>\d{4}(?:-\d\d){5})\.txt$")
TIME = "%Y-%m-%d-%H-%M-%S"


def claims(root: Path, names: list[str]) -> list[str]:
    return [n for n in names if (root / n).is_file() and (match(NAMED_REGEXP, n) or RECEIPT.match(n))]


def receipt(path: Path) -> dict:
    """name, zone and {Filename: Original filename} from an attempt's .txt."""
    text = path.read_text(encoding="utf-8", errors="replace")
    name = re.search(r"^Name:\s*(.*?)\s*(?:\(([^)]*)\))?\s*$", text, re.MULTILINE)
    when = re.search(r"^Date Submitted:.*\s([A-Z]{2,5})\s*$", text, re.MULTILINE)
    originals = dict(
        (m["stored"].strip(), m["original"].strip())
        for m in re.finditer(r"Original filename:\s*(?P<original>.+)\n\s*Filename:\s*(?P<stored>.+)", text)
    )
    return {"name": name[1] if name else "", "zone": when[1] if when else "", "originals": originals}


def collect(root: Path, claimed: list[str], notebooks: list[str], stage_root: Path) -> dict[str, Submission]:
    attempts: dict[str, dict[str, dict]] = {}  # student -> timestamp -> {"files": {...}, "receipt": path}
    for name in claimed:
        groups = match(NAMED_REGEXP, name) or RECEIPT.match(name).groupdict()
        attempt = attempts.setdefault(groups["student_id"], {}).setdefault(groups["timestamp"], {"files": {}})
        if name.endswith(".txt"):
            attempt["receipt"] = root / name
        else:
            attempt["files"][name] = groups["file_id"]
    found = {}
    for student, by_time in sorted(attempts.items()):
        latest = max(by_time)
        attempt = by_time[latest]
        info = receipt(attempt["receipt"]) if "receipt" in attempt else {"name": "", "zone": "", "originals": {}}
        files = {info["originals"].get(stored, given): root / stored for stored, given in attempt["files"].items()}
        notes = []
        if len(by_time) > 1:
            notes.append(f"{len(by_time)} attempts ({', '.join(sorted(by_time))}); the latest, {latest}, is graded")
        if "receipt" not in attempt:
            notes.append("no .txt receipt for the attempt graded: the time is the one in its file names")
        zone = f", {info['zone']}" if info["zone"] else ""
        found[student] = Submission(
            student,
            stage(stage_root, student, files),
            name=info["name"],
            submitted_at=datetime.strptime(latest, TIME),
            time_source=f"Blackboard file names (the server's local time{zone})",
            notes=notes,
        )
    return found
