"""Who is in the class, and when they submitted: the inputs of a batch besides the notebooks.
The download's layout (intake/), the roster (roster.py) and the late policy (late.py), each turned
into what the batch needs, with what they noticed said to the TA; misuse is a UsageError."""

from __future__ import annotations

import sys
from pathlib import Path

from . import course, intake
from .course import Assignment, UsageError
from .outputs import results


def take_in(submissions: Path, spec: Assignment, out: Path, say=print) -> dict[str, Path]:
    """The class in SUBMISSIONS, whatever its layout (intake/); what the intake noticed is said,
    and recorded in OUT/intake.json (the layout, each student's name, time and notes)."""
    try:
        taken = intake.read(submissions, spec.name, spec.notebooks, out)
    except intake.IntakeError as err:
        raise UsageError(str(err)) from None
    for line in intake.record(taken, submissions, out):
        say(f"intake: {line}")
    return taken.folders()


def load_roster(path: Path):
    from . import roster

    try:
        return roster.load(path)
    except roster.RosterError as err:
        raise UsageError(str(err)) from None


def on_roster(people, students: dict[str, Path], out: Path, say=print) -> tuple[dict[str, Path], list[str]]:
    """The submissions under the roster's ids, and the rostered students who sent nothing
    (roster.match). A submission from outside the roster is graded under its own id, and flagged
    (stderr, grades.csv, OUT/roster.json)."""
    from . import roster

    try:
        keyed, absent, extras = roster.match(people, students, out)
    except roster.RosterError as err:
        raise UsageError(str(err)) from None
    say(
        f"roster: {len(people.people)} student(s) ({people.format} format), {len(people.sections())} section(s); "
        f"{len(absent)} sent nothing (status missing)"
    )
    if extras:
        print(
            f"warning: {len(extras)} submission(s) from outside the roster, graded and flagged: "
            + ", ".join(sorted(extras)),
            file=sys.stderr,
        )
    return keyed, absent


def absent_result(spec: Assignment, student: str) -> results.SubmissionResult:
    """The row of a rostered student who submitted nothing: every item 0, status missing."""
    from .vocabulary import MISSING, ItemResult

    result = results.SubmissionResult(student, spec.name, status=MISSING, reason="nothing submitted")
    result.items = [ItemResult(t.grade_id, t.notebook, t.points, message="Not submitted.") for t in spec.tests()]
    return result


def late_policy(spec: Assignment, overrides: dict):
    from . import late
    from .paths import SOURCE

    try:
        return late.policy(dict(course.settings(spec.name).late), overrides, SOURCE / spec.name)
    except late.LateError as err:
        raise UsageError(f"late policy: {err}") from None


def lateness_of(policy, out: Path, folders: dict[str, Path], spec: Assignment) -> dict | None:
    """Each submission's lateness under the policy (OUT/late.json); None without a policy (an
    earlier run's late.json is removed, so that no stale penalty reaches grades.csv)."""
    from . import late

    if policy is None:
        (out / late.FILE).unlink(missing_ok=True)
        return None
    found = late.apply(policy, out, folders, spec.notebooks)
    unknown = sorted(s for s, info in found.items() if not info["submitted_at"])
    if unknown:
        print(
            f"warning: no submission time for {len(unknown)} submission(s), so no late penalty: "
            f"{', '.join(unknown)} (the download has none; --late-from-file-times uses the files' times)",
            file=sys.stderr,
        )
    return found


def people_of(out: Path) -> dict | None:
    from . import roster

    return roster.read(out)
