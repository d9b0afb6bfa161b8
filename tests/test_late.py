"""The late policy (autograder/late.py): penalties at the edges (exactly on time, within grace, a
second past it, the cap, an extension), times without an offset, no time at all, file times only
when asked, and bad settings refused with what to write instead."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from autograder import late

PARIS = timezone(timedelta(hours=1))
DEADLINE = datetime(2026, 3, 1, 23, 59, tzinfo=PARIS)


def policy(**keys):
    configured = {"deadline": "2026-03-01T23:59:00+01:00", "grace_minutes": 15, "penalty_per_day": 10, "cap": 30}
    return late.policy({**configured, **keys}, {}, None)


@pytest.mark.parametrize(
    ("after", "days", "percent"),
    [
        (timedelta(0), 0, 0),  # exactly on time
        (-timedelta(days=3), 0, 0),  # early
        (timedelta(minutes=15), 0, 0),  # the last second of the grace period
        (timedelta(minutes=15, seconds=1), 1, 10),  # past the grace: one started day
        (timedelta(days=1), 1, 10),  # exactly one day
        (timedelta(days=1, seconds=1), 2, 20),
        (timedelta(days=3, hours=1), 4, 30),  # capped at 30 %
        (timedelta(days=40), 40, 30),
    ],
)
def test_penalties_at_the_edges(after, days, percent):
    found = late.assess(policy(), "ada", DEADLINE + after, "test")
    assert (found.days, found.percent) == (days, percent)


def test_an_extension_moves_that_students_deadline_only(tmp_path):
    (tmp_path / "ext.csv").write_text("student_id,deadline,days\nada,,2\nbob,2026-03-05T12:00:00+01:00,\n")
    p = late.policy({"deadline": DEADLINE, "penalty_per_day": 10}, {"extensions": tmp_path / "ext.csv"}, None)
    two_days_late = DEADLINE + timedelta(days=2)
    assert late.assess(p, "ada", two_days_late).days == 0 and "extension" in late.assess(p, "ada", two_days_late).note
    assert late.assess(p, "ada", two_days_late + timedelta(seconds=1)).days == 1
    assert late.assess(p, "bob", two_days_late).days == 0
    assert late.assess(p, "carl", two_days_late).days == 2


def test_the_command_line_overrides_the_assignments_settings():
    p = late.policy({"deadline": DEADLINE, "penalty_per_day": 10}, {"penalty_per_day": 25.0, "cap": None}, None)
    assert (p.per_day, p.cap) == (25.0, 100.0)
    assert late.policy({}, {"deadline": None, "extensions": None}, None) is None  # no policy at all


def test_a_time_without_offset_is_read_in_the_deadlines_and_said_so():
    found = late.assess(policy(), "ada", datetime(2026, 3, 2, 0, 10), "Blackboard")  # 11 min late, in grace
    assert found.days == 0 and "deadline's" in found.source and found.submitted_at.endswith("+01:00")


def test_no_time_means_no_penalty_and_a_note():
    found = late.assess(policy(), "ada", None)
    assert (found.days, found.percent) == (0, 0) and "no submission time" in found.note


def test_file_times_only_when_asked(tmp_path):
    folder = tmp_path / "ada"
    folder.mkdir()
    (folder / "01_layers.ipynb").write_text("{}")
    stamp = (DEADLINE + timedelta(days=2)).timestamp()
    os.utime(folder / "01_layers.ipynb", (stamp, stamp))
    out = tmp_path / "out"
    silent = late.apply(policy(), out, {"ada": folder}, ["01_layers.ipynb"])
    assert silent["ada"]["days"] == 0 and silent["ada"]["submitted_at"] == ""
    asked = late.Policy(**{**vars(policy()), "file_times": True})
    found = late.apply(asked, out, {"ada": folder}, ["01_layers.ipynb"])["ada"]
    assert found["days"] == 2 and "last resort" in found["source"]
    assert late.read(out)["ada"]["days"] == 2


@pytest.mark.parametrize(
    ("configured", "said"),
    [
        ({"deadline": "2026-03-01T23:59:00"}, "give its UTC offset"),
        ({"deadline": "next monday"}, "not a time"),
        ({"deadline": DEADLINE, "penalty_per_day": 150}, "from 0 to 100"),
        ({"deadline": DEADLINE, "cap": True}, "give a number"),
        ({"penalty_per_day": 10}, "needs a deadline"),
        ({"deadline": DEADLINE, "late_days": 3}, "unknown key"),
    ],
)
def test_bad_settings_are_refused_saying_what_to_write(configured, said):
    with pytest.raises(late.LateError, match=said):
        late.policy(configured, {}, None)


def test_a_bad_extensions_file_is_refused(tmp_path):
    (tmp_path / "ext.csv").write_text("student_id,days\nada,two\n")
    with pytest.raises(late.LateError, match="not a number"):
        late.policy({"deadline": DEADLINE}, {"extensions": tmp_path / "ext.csv"}, None)
    with pytest.raises(late.LateError, match="no such file"):
        late.policy({"deadline": DEADLINE}, {"extensions": tmp_path / "none.csv"}, None)
