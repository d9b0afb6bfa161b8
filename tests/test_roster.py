"""The roster (autograder/roster.py): each LMS's export read as it comes, keyed by the id that
LMS's download uses; bad rosters refused with the problem and the next step."""

from __future__ import annotations

import pytest

from autograder import roster

CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 (101)\n"
    "    Points Possible,,,,,10\n"
    '"Smith, John",12345,s001,jsmith,Section A,\n'
    '"Lovelace, Ada",23456,s002,alovelace,Section B,\n'
    '"Student, Test",99999,,,Section A,\n'
)
MOODLE = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade\n"
    "Participant 12345,Ada Lovelace,ada@example.org,Submitted for grading,,100.00\n"
    "Participant 23456,John Smith,john@example.org,No submission,,100.00\n"
)
BLACKBOARD = (
    '"Last Name","First Name","Username","Student ID","Last Access","Availability"\n'
    '"Smith","John","jsmith","s001","2024-01-29","Yes"\n'
)
GENERIC = "\ufeffStudent ID,Name,E-mail,Group\nada,Ada Lovelace,ada@x.org,Mon\nbob,Bob,,Tue\n"


def write(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_gradebook_export_skips_points_possible_and_the_test_student(tmp_path):
    r = roster.load(write(tmp_path, CANVAS))
    assert r.format == "canvas" and list(r.people) == ["12345", "23456"]
    john = r.people["12345"]
    assert (john.name, john.section) == ("Smith, John", "Section A")
    assert john.other_ids == {"SIS User ID": "s001", "SIS Login ID": "jsmith"}
    assert r.key_of("jsmith") == r.key_of("s001") == r.key_of("12345") == "12345"
    assert r.key_of("nobody") is None and r.sections() == ["Section A", "Section B"]


def test_moodle_worksheet_is_keyed_by_participant_id(tmp_path):
    r = roster.load(write(tmp_path, MOODLE))
    assert r.format == "moodle" and list(r.people) == ["12345", "23456"]
    assert (r.people["12345"].name, r.people["12345"].email) == ("Ada Lovelace", "ada@example.org")


def test_blackboard_export_is_keyed_by_username(tmp_path):
    r = roster.load(write(tmp_path, BLACKBOARD))
    assert r.format == "blackboard" and r.people["jsmith"].name == "John Smith"
    assert r.key_of("s001") == "jsmith"


def test_a_plain_csv_with_a_bom_and_other_column_names(tmp_path):
    r = roster.load(write(tmp_path, GENERIC))
    assert r.format == "csv" and r.people["ada"].section == "Mon" and r.people["bob"].email == ""


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("name,email\nAda,a@x\n", "no student id column among name, email"),
        ("student_id,name\nada,A\nada,B\n", "listed twice: ada"),
        ("student_id,name\n,A\n", "rows without a student id"),
        ("student_id,name\n", "no students"),
        ("", "no student id column among no columns"),
    ],
)
def test_a_bad_roster_is_refused_saying_what_and_what_to_do(tmp_path, text, said):
    with pytest.raises(roster.RosterError, match=said):
        roster.load(write(tmp_path, text))


def test_a_missing_or_binary_roster_is_refused(tmp_path):
    with pytest.raises(roster.RosterError, match="no such file"):
        roster.load(tmp_path / "nope.csv")
    (tmp_path / "x.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(roster.RosterError, match="not UTF-8"):
        roster.load(tmp_path / "x.csv")
