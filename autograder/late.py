"""The late policy: `[late]` in source/<assignment>/assignment.toml, each key overridable on the
command line (grade --deadline, --grace, --penalty-per-day, --late-cap, --extensions).

    [late]
    deadline = 2026-03-01T23:59:00+01:00   # with its UTC offset: a time without one is refused
    grace_minutes = 15                      # submitted within the grace period: on time
    penalty_per_day = 10                    # percent of the raw score, per started day after the deadline
    cap = 50                                # the most percent a late submission loses
    extensions = "extensions.csv"           # student_id,deadline (or student_id,days): their own deadline

A submission's time comes from the download's metadata (intake.json: Blackboard's attempt time,
Gradescope's submission_metadata.json created_at), never from a file's time, unless the TA asks
for it (--late-from-file-times, the documented last resort: a copy or an unzip changes it). A
time without an offset (Blackboard's) is read in the deadline's offset, and said so. Without a
time, no penalty is computed and the student is named. grades.csv gets raw_score, submitted_at,
late_days, penalty and final_score; OUT/late.json keeps how each was reached.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

FILE = "late.json"
KEYS = {"deadline", "grace_minutes", "penalty_per_day", "cap", "extensions"}


class LateError(ValueError):
    """The late policy cannot be read: the message names the key and what to write instead."""


@dataclass(frozen=True)
class Policy:
    deadline: datetime
    grace: timedelta = timedelta(0)
    per_day: float = 0.0  # percent of the raw score per started day late
    cap: float = 100.0  # percent
    extensions: dict[str, datetime] = field(default_factory=dict)
    file_times: bool = False

    def deadline_of(self, student: str) -> datetime:
        return self.extensions.get(student, self.deadline)


def parse_time(value, what: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise LateError(f"{what} = {value!r}: not a time; write it as 2026-03-01T23:59:00+01:00") from None
    if not isinstance(value, datetime):
        raise LateError(f"{what} = {value!r}: not a time; write it as 2026-03-01T23:59:00+01:00")
    if value.tzinfo is None:
        raise LateError(f"{what} = {value.isoformat()}: give its UTC offset, e.g. {value.isoformat()}+01:00")
    return value


def _number(value, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise LateError(f"{what} = {value!r}: give a number from {low:g} to {high:g}")
    return float(value)


def read_extensions(path: Path, deadline: datetime) -> dict[str, datetime]:
    """student_id,deadline or student_id,days (extra days on the class deadline)."""
    try:
        rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8-sig").splitlines()))
    except FileNotFoundError:
        raise LateError(
            f"extensions {path}: no such file; give a CSV with student_id,deadline or student_id,days"
        ) from None
    found = {}
    for n, row in enumerate(rows, start=2):
        student = (row.get("student_id") or "").strip()
        if not student or not ({"deadline", "days"} & set(row)):
            raise LateError(f"extensions {path} line {n}: give student_id and deadline (or days) in each row")
        if (row.get("deadline") or "").strip():
            found[student] = parse_time(row["deadline"], f"extensions {path} line {n} deadline")
        else:
            days = (row.get("days") or "").strip()
            try:
                found[student] = deadline + timedelta(days=float(days))
            except ValueError:
                raise LateError(f"extensions {path} line {n}: days = {days!r} is not a number") from None
    return found


def policy(configured: dict, overrides: dict, base: Path) -> Policy | None:
    """The policy from [late] (relative paths from the assignment's folder, `base`) and the
    command line's overrides (None: not given); None when neither sets a deadline."""
    unknown = set(configured) - KEYS
    if unknown:
        raise LateError(f"[late]: unknown key(s) {sorted(unknown)}; known: {', '.join(sorted(KEYS))}")
    given = {**configured, **{k: v for k, v in overrides.items() if v is not None and k != "file_times"}}
    if "deadline" not in given:
        if set(given) - {"extensions"}:
            raise LateError("a late policy needs a deadline: set [late] deadline or give --deadline")
        return None
    deadline = parse_time(given["deadline"], "deadline")
    extensions = {}
    if given.get("extensions"):
        path = Path(given["extensions"])
        extensions = read_extensions(
            path if path.is_absolute() or overrides.get("extensions") else base / path, deadline
        )
    return Policy(
        deadline,
        timedelta(minutes=_number(given.get("grace_minutes", 0), "grace_minutes", 0, 7 * 24 * 60)),
        _number(given.get("penalty_per_day", 0), "penalty_per_day", 0, 100),
        _number(given.get("cap", 100), "cap", 0, 100),
        extensions,
        bool(overrides.get("file_times")),
    )


@dataclass
class Lateness:
    submitted_at: str = ""  # ISO, or "" when unknown
    source: str = ""
    days: int = 0
    percent: float = 0.0
    note: str = ""


def assess(p: Policy, student: str, submitted_at: datetime | None, source: str = "") -> Lateness:
    """Days late (started days after the deadline, once past the grace period) and the percent lost."""
    if submitted_at is None:
        return Lateness(note="no submission time in the download: no penalty computed")
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=p.deadline.tzinfo)
        source += " (no offset given: read in the deadline's)"
    deadline = p.deadline_of(student)
    late_by = submitted_at - deadline
    days = 0 if late_by <= p.grace else math.ceil(late_by / timedelta(days=1))
    note = f"extension to {deadline.isoformat()}" if student in p.extensions else ""
    return Lateness(submitted_at.isoformat(), source, days, min(days * p.per_day, p.cap), note)


def newest_file_time(folder: Path, notebooks) -> datetime | None:
    times = [(folder / nb).stat().st_mtime for nb in notebooks if (folder / nb).is_file()]
    return datetime.fromtimestamp(max(times)).astimezone() if times else None


def apply(p: Policy, out: Path, folders: dict[str, Path], notebooks) -> dict[str, dict]:
    """Each submission's lateness, from OUT/intake.json's times (or the files', when asked);
    OUT/late.json written. {student: {...}} for grades.csv."""
    from . import roster
    from .outputs.results import write_atomic

    intake = json.loads((out / "intake.json").read_text(encoding="utf-8")) if (out / "intake.json").is_file() else {}
    mapped = (roster.read(out) or {}).get("mapped", {})
    times = {mapped.get(s, s): info for s, info in intake.get("students", {}).items()}
    found = {}
    for student, folder in folders.items():
        info = times.get(student, {})
        when, source = info.get("submitted_at"), info.get("time_source", "")
        stamp = datetime.fromisoformat(when) if when else None
        if stamp is None and p.file_times and folder is not None:
            stamp, source = newest_file_time(folder, notebooks), "file times (last resort, --late-from-file-times)"
        found[student] = vars(assess(p, student, stamp, source))
    record = {
        "deadline": p.deadline.isoformat(),
        "grace_minutes": p.grace / timedelta(minutes=1),
        "penalty_per_day": p.per_day,
        "cap": p.cap,
        "students": found,
    }
    write_atomic(out / FILE, json.dumps(record, indent=2) + "\n")
    return found


def read(out: Path) -> dict | None:
    path = out / FILE
    return json.loads(path.read_text(encoding="utf-8"))["students"] if path.is_file() else None
