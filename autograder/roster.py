"""The class list: `grade ... --roster roster.csv`. Every rostered student gets a row (status
`missing` when nothing came), a submission from outside the roster is graded and flagged, and
the sections reach grades.csv, the report and the exports.

Accepted as the LMS exports them (the format is recognised from the header):

    csv         student_id, name, email, section (any order; id, student, e-mail, group also do)
    canvas      Canvas's gradebook export: Student, ID, SIS User ID, SIS Login ID, Section, ...
                (its "Points Possible" row is skipped); the key is ID, the Canvas user id that
                Canvas's download puts in its file names
    moodle      Moodle's grading worksheet: Identifier ("Participant 12345"), Full name, Email
                address, ...; the key is the participant id of Moodle's download
    blackboard  Blackboard's Grade Centre export: Last Name, First Name, Username, Student ID, ...;
                the key is the Username of Blackboard's download

A submission's id is looked up as the key, then as any other id the roster gives that student
(SIS User ID, SIS Login ID, Student ID): the id a submission was found under is mapped to the key.
Standard library only; OUT/roster.json keeps what grading read, for `report` and `export`.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

FILE = "roster.json"


class RosterError(ValueError):
    """The roster cannot be read: the message names the problem and what to give instead."""


@dataclass
class Person:
    student_id: str
    name: str = ""
    email: str = ""
    section: str = ""
    other_ids: dict[str, str] = field(default_factory=dict)  # "SIS User ID": "s1234", ...


@dataclass
class Roster:
    format: str
    people: dict[str, Person]

    def key_of(self, submitted_as: str) -> str | None:
        if submitted_as in self.people:
            return submitted_as
        for key, person in self.people.items():
            if submitted_as in person.other_ids.values():
                return key
        return None

    def sections(self) -> list[str]:
        return sorted({p.section for p in self.people.values() if p.section})


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


# format -> (the header that tells it, key column, {field: column}, other id columns)
FORMATS = {
    "canvas": ("sisloginid", "ID", {"name": "Student", "section": "Section"}, ("SIS User ID", "SIS Login ID")),
    "moodle": ("identifier", "Identifier", {"name": "Full name", "email": "Email address"}, ("ID number",)),
    "blackboard": ("username", "Username", {"email": "Email"}, ("Student ID",)),
}
GENERIC = {
    "student_id": ("studentid", "id", "student", "username", "login"),
    "name": ("name", "fullname", "studentname"),
    "email": ("email", "emailaddress", "mail"),
    "section": ("section", "group", "groups", "sections"),
}


def load(path: Path) -> Roster:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"--roster {path}: no such file; give the class list the LMS exported (CSV)") from None
    except UnicodeDecodeError:
        raise RosterError(f"--roster {path}: not UTF-8 text; export it from the LMS as CSV (UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    headers = reader.fieldnames or []
    rows = list(reader)
    by_norm = {_norm(h): h for h in headers if h}
    for name, (tell, key, fields, others) in FORMATS.items():
        if tell in by_norm:
            people = _read(rows, name, by_norm.get(_norm(key)), {f: by_norm.get(_norm(c)) for f, c in fields.items()})
            for person, row in zip(people, [r for r in rows if _is_student(r, name)]):
                person.other_ids = {c: row[by_norm[_norm(c)]].strip() for c in others if _norm(c) in by_norm}
                person.other_ids = {c: v for c, v in person.other_ids.items() if v}
                if name == "blackboard":
                    first, last = row.get(by_norm.get("firstname", ""), ""), row.get(by_norm.get("lastname", ""), "")
                    person.name = f"{first} {last}".strip()
            return _keyed(path, name, people)
    columns = {f: next((by_norm[a] for a in aliases if a in by_norm), None) for f, aliases in GENERIC.items()}
    if columns["student_id"] is None:
        raise RosterError(
            f"--roster {path}: no student id column among {', '.join(headers) or 'no columns'}. Give a CSV with "
            "student_id (and name, email, section), or Canvas's gradebook export, Moodle's grading worksheet or "
            "Blackboard's Grade Centre export as they come"
        )
    fields = {f: c for f, c in columns.items() if f != "student_id"}
    return _keyed(path, "csv", _read(rows, "csv", columns["student_id"], fields))


def _is_student(row: dict, fmt: str) -> bool:
    """Canvas's export has a "Points Possible" row (and may have a "Student, Test" one)."""
    if fmt != "canvas":
        return True
    student = (row.get("Student") or "").strip()
    return student not in ("Points Possible", "Student, Test", "")


def _read(rows: list[dict], fmt: str, key_column: str | None, fields: dict[str, str | None]) -> list[Person]:
    people = []
    for row in rows:
        if not _is_student(row, fmt):
            continue
        key = (row.get(key_column) or "").strip()
        if fmt == "moodle":
            key = key.removeprefix("Participant").strip()
        values = {f: (row.get(c) or "").strip() for f, c in fields.items() if c}
        people.append(Person(key, **values))
    return people


def _keyed(path: Path, fmt: str, people: list[Person]) -> Roster:
    blank = [i + 2 for i, p in enumerate(people) if not p.student_id]
    if blank:
        raise RosterError(f"--roster {path}: rows without a student id (lines {blank[:5]}): fill them in or drop them")
    seen: dict[str, int] = {}
    for p in people:
        seen[p.student_id] = seen.get(p.student_id, 0) + 1
    twice = sorted(k for k, n in seen.items() if n > 1)
    if twice:
        raise RosterError(f"--roster {path}: student ids listed twice: {', '.join(twice)}; keep one row each")
    if not people:
        raise RosterError(f"--roster {path}: no students in it; export the class list with its students")
    return Roster(fmt, {p.student_id: p for p in people})


def match(people: Roster, students: dict[str, Path], out: Path) -> tuple[dict[str, Path], list[str], list[str]]:
    """(submissions under the roster's keys, rostered students who sent nothing, submissions from
    outside the roster: kept under their own id); OUT/roster.json written. Two submissions that
    map to one student are refused."""
    keyed: dict[str, Path] = {}
    extras, mapped, found_as = [], {}, {}
    for submitted_as, folder in students.items():
        key = people.key_of(submitted_as)
        if key is None:
            extras.append(submitted_as)
            key = submitted_as
        elif key != submitted_as:
            mapped[submitted_as] = key
        if key in keyed:
            raise RosterError(
                f"{found_as[key]} and {submitted_as} are the same student on the roster ({key}): "
                "keep one of the two submissions"
            )
        keyed[key], found_as[key] = folder, submitted_as
    absent = sorted(set(people.people) - set(keyed))
    write(out, people, extras, mapped)
    return dict(sorted(keyed.items())), absent, sorted(extras)


def write(out: Path, roster: Roster, extras: list[str], renamed: dict[str, str]) -> dict:
    """OUT/roster.json: who is on the roster, who submitted from outside it, ids mapped to keys."""
    from .outputs.results import write_atomic

    record = {
        "format": roster.format,
        "people": {k: asdict(p) for k, p in sorted(roster.people.items())},
        "extras": sorted(extras),
        "mapped": renamed,
    }
    write_atomic(out / FILE, json.dumps(record, indent=2) + "\n")
    return record


def read(out: Path) -> dict | None:
    """What OUT/roster.json says (None: graded without a roster)."""
    path = out / FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
