"""Intake: what `grade SUBMISSIONS` accepts, as one folder of notebooks per student.

    folders.py     one folder per student, and nbgrader's submitted/<student>/<assignment>/
    canvas.py      Canvas's "Download Submissions": flat files login_[LATE_]userid_submissionid_file
    moodle.py      Moodle's "Download all submissions": Full Name_participantid_assignsubmission_file_
    blackboard.py  Blackboard's "Assignment File Download": Assignment_user_attempt_date_file + .txt
    archive.py     the zip an LMS gives, unpacked safely first

Each LMS adapter is one small module with the same interface: NAME, EXAMPLE (a name it
recognises, for messages), `claims(names)` (the top-level names that are its own) and
`collect(root, notebooks, stage)` -> {student: Submission}. The LMS file names follow nbgrader's
ZipCollect contract (`FileNameCollectorPlugin.named_regexp`: re.match on the file name, with
the groups `student_id`, `file_id` and, where the name has one, `timestamp`); tests/intake checks
each regexp against nbgrader's plugin. Flat layouts are copied into OUT/.intake/<student>/ under
the release/ names, so that grading always sees one folder per student.

A layout nobody recognises is refused (IntakeError) with the names seen and the layouts known.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

STAGE = ".intake"  # OUT/.intake/: the students' folders made from a flat download (rebuilt each run)


class IntakeError(ValueError):
    """SUBMISSIONS cannot be read as any layout: the message names the problem and the next step."""


@dataclass
class Submission:
    student: str  # the id from the names (the roster maps it)
    folder: Path  # the student's notebooks, under the release/ names where they could be found
    name: str = ""  # the student's name, where the LMS gives it
    submitted_at: datetime | None = None  # from the LMS's metadata (None: the download has none)
    time_source: str = ""  # where submitted_at came from
    late_flag: bool = False  # the LMS marked it late (Canvas's LATE)
    notes: list[str] = field(default_factory=list)  # said to the TA: resubmissions, renamed files


@dataclass
class Intake:
    layout: str
    submissions: dict[str, Submission]
    ignored: list[str] = field(default_factory=list)  # top-level names no layout claimed

    def folders(self) -> dict[str, Path]:
        return {s: sub.folder for s, sub in sorted(self.submissions.items())}


def match(regexp: re.Pattern, name: str) -> dict | None:
    """nbgrader's FileNameCollectorPlugin.collect on a file name: None unless it is a notebook
    (valid_ext ['.ipynb']) whose name the regexp matches from its start."""
    if not name.endswith(".ipynb"):
        return None
    found = regexp.match(name)
    return found.groupdict() if found else None


RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.ipynb)$")


def resolve_resubmissions(files: dict[str, Path], notebooks: list[str]) -> tuple[dict[str, Path], list[str]]:
    """{release name: file} from {name as submitted: file}: Canvas renames a file submitted again
    `name-1.ipynb`, `name-2.ipynb`...; the highest number is the latest and wins. Names that are no
    notebook of the assignment, even without a suffix, are kept as they are (grading then says so)."""
    chains: dict[str, list[tuple[int, str]]] = {}
    for given in files:
        found = RESUBMISSION.match(given)
        base = found["stem"] + found["ext"] if found else given
        if found and base in notebooks:
            chains.setdefault(base, []).append((int(found["n"]), given))
        else:
            chains.setdefault(given, []).append((0, given))
    chosen, notes = {}, []
    for base, chain in chains.items():
        chain.sort()
        chosen[base] = files[chain[-1][1]]
        if len(chain) > 1:
            versions = ", ".join(given for _, given in chain)
            notes.append(f"{base}: {len(chain)} versions ({versions}); the latest, {chain[-1][1]}, is graded")
    return chosen, notes


def stage(stage_root: Path, student: str, files: dict[str, Path]) -> Path:
    """Copy one student's files into stage_root/<student>/ under the names given; the folder."""
    folder = stage_root / student
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, source in files.items():
        shutil.copy2(source, folder / name)
    return folder


def layouts():
    from . import blackboard, canvas, folders, moodle

    return (canvas, moodle, blackboard, folders)


def known() -> str:
    return "; ".join(f"{m.NAME} (e.g. {m.EXAMPLE})" for m in layouts())


def read(submissions: Path, assignment: str, notebooks: list[str], out: Path) -> Intake:
    """The class in SUBMISSIONS (a folder, or an LMS's zip), whatever layout it has."""
    from . import archive, folders

    submissions = Path(submissions)
    stage_root = out / STAGE
    if stage_root.exists():
        shutil.rmtree(stage_root)
    if submissions.is_file() and submissions.suffix.lower() == ".zip":
        submissions = archive.unpack(submissions, stage_root / "download")
    try:
        if not submissions.is_dir():
            raise IntakeError(
                f"{submissions} is not a folder or a .zip: give the folder (or the zip) the LMS gave, "
                "or a folder with one folder per student"
            )
        names = sorted(p.name for p in submissions.iterdir() if not p.name.startswith("."))
    except PermissionError as err:
        raise IntakeError(f"cannot read {submissions} ({err.strerror}): grade as a user who can read it") from None
    for layout in layouts():
        claimed = layout.claims(submissions, names)
        if claimed:
            if layout is folders:
                found = folders.collect(submissions, assignment)
            else:
                found = layout.collect(submissions, claimed, notebooks, stage_root)
            return Intake(layout.NAME, found, sorted(set(names) - set(claimed)))
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    raise IntakeError(
        f"{submissions}: no layout recognised in {shown or 'an empty folder'}. Layouts known: {known()}. "
        "Give the LMS's download as it came (folder or zip), or one folder per student"
    )


def record(taken: Intake, source: Path, out: Path) -> list[str]:
    """Write OUT/intake.json (the layout, and per student the LMS's name, time and notes); the
    lines to say to the TA."""
    import json

    from ..outputs.results import write_atomic

    data = {
        "layout": taken.layout,
        "source": str(source),
        "ignored": taken.ignored,
        "students": {
            s: {
                "name": sub.name,
                "folder": str(sub.folder),
                "submitted_at": sub.submitted_at.isoformat() if sub.submitted_at else None,
                "time_source": sub.time_source,
                "late_flag": sub.late_flag,
                "notes": sub.notes,
            }
            for s, sub in sorted(taken.submissions.items())
        },
    }
    write_atomic(out / "intake.json", json.dumps(data, indent=2) + "\n")
    lines = [f"{taken.layout}, {len(taken.submissions)} student(s)"]
    if taken.ignored:
        lines.append(f"left out (no layout of theirs): {', '.join(taken.ignored)}")
    lines += [f"{s}: {note}" for s, sub in sorted(taken.submissions.items()) for note in sub.notes]
    return lines
