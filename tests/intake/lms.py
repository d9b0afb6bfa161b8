"""Downloads as each LMS names them (the naming documented in autograder/intake/<lms>.py), made
from tiny notebooks: a notebook's text says whose and which version it is."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

NOTEBOOKS = ("01_layers.ipynb", "02_activations_losses.ipynb", "03_training.ipynb")


def notebook(tag: str) -> str:
    cell = {"cell_type": "markdown", "id": "c1", "metadata": {}, "source": tag}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def tag_of(path: Path) -> str:
    return json.loads(path.read_text())["cells"][0]["source"]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def canvas(root: Path) -> Path:
    return write(
        root,
        {
            "smithjohn_12345_678_01_layers.ipynb": notebook("john layers v0"),
            "smithjohn_12345_678_02_activations_losses.ipynb": notebook("john activations"),
            # a resubmission chain: -2 is the latest, whatever order the files come in
            "lovelaceada_LATE_23456_790_01_layers-2.ipynb": notebook("ada layers v2"),
            "lovelaceada_23456_789_01_layers.ipynb": notebook("ada layers v0"),
            "lovelaceada_LATE_23456_790_01_layers-1.ipynb": notebook("ada layers v1"),
            # a file named by the student: kept as it is (grading says the name does not match)
            "turingalan_34567_801_my layers.ipynb": notebook("alan renamed"),
        },
    )


def moodle(root: Path, in_folders: bool = True) -> Path:
    if in_folders:
        files = {
            "Ada Lovelace_12345_assignsubmission_file_/01_layers.ipynb": notebook("ada layers"),
            "Ada Lovelace_12345_assignsubmission_file_/03_training.ipynb": notebook("ada training"),
            "Ada Lovelace_12345_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
            "John Smith_23456_assignsubmission_file_/01_layers.ipynb": notebook("john layers"),
        }
    else:
        files = {
            "Ada Lovelace_12345_assignsubmission_file_01_layers.ipynb": notebook("ada layers"),
            "John Smith_23456_assignsubmission_file_01_layers.ipynb": notebook("john layers"),
        }
    return write(root, files)


RECEIPT = """Name: {name} ({user})
Assignment: Lab 1
Date Submitted: Monday, January 29, 2024 {clock} PM CST
Current Grade: Needs Grading

Submission Field:
There is no student submission text data for this assignment.

Comments:
There are no student comments for this assignment.

Files:
\tOriginal filename: 01_layers.ipynb
\tFilename: Lab 1_{user}_attempt_{stamp}_01_layers.ipynb
"""


def blackboard(root: Path) -> Path:
    files = {}
    for user, name, stamp, clock, tag in (
        ("jsmith", "John Smith", "2024-01-29-23-58-03", "11:58:03", "john attempt 1"),
        ("alovelace", "Ada Lovelace", "2024-01-28-10-00-00", "10:00:00", "ada attempt 1"),
        ("alovelace", "Ada Lovelace", "2024-01-30-09-15-00", "09:15:00", "ada attempt 2"),
    ):
        files[f"Lab 1_{user}_attempt_{stamp}_01_layers.ipynb"] = notebook(tag)
        files[f"Lab 1_{user}_attempt_{stamp}.txt"] = RECEIPT.format(name=name, user=user, stamp=stamp, clock=clock)
    return write(root, files)


def zipped(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, prefix + path.relative_to(folder).as_posix())
    return archive
