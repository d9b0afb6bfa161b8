"""The command line: `python -m autograder VERB ...`. It only hands off to each verb's main().

Building the parser imports no verb: each verb's module (and torch, nbgrader, plotly behind it) is
imported when that verb runs, so `--help` and `--version` answer at once. The defaults shown here
are the verbs' own (tests/test_main.py checks them against the function signatures)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .exits import INTERRUPTED

CHECK_TIMEOUT = 600.0  # check.main's default
PACKAGE = "nn-course"  # pyproject.toml's name: --version reads its installed version


def _verb(name: str):
    """The module of a verb, imported when the verb runs."""
    return importlib.import_module(f"{__package__}.{name}")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return f"{PACKAGE} {installed(PACKAGE)}"
    except PackageNotFoundError:
        return f"{PACKAGE} (not installed: pip install -e . to record a version)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=version())
    verbs = p.add_subparsers(dest="verb", required=True)

    g = verbs.add_parser("grade", help="TAs: grade a whole class")
    g.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    g.add_argument(
        "submissions",
        type=Path,
        help="what you downloaded, as it came: a Canvas, Moodle or Blackboard download (folder or zip), "
        "one folder per student, or nbgrader's submitted/ folder",
    )
    g.add_argument("--out", type=Path, required=True, help="where grades.csv and per-student results go")
    g.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="submissions graded at once (default: as many as the machine's cores allow, "
        "at the cores per notebook the assignment states in source/ASSIGNMENT/assignment.toml)",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds a whole submission may run (default: the assignment's, in source/ASSIGNMENT/assignment.toml)",
    )
    g.add_argument("--cell-timeout", type=float, default=None, help="seconds one cell may run")
    g.add_argument("--force", action="store_true", help="grade again what is already graded")
    g.add_argument(
        "--only",
        metavar="ID[,ID...]",
        type=lambda text: [s.strip() for s in text.split(",") if s.strip()],
        help="grade only these students (with --force, even if unchanged); everyone else's results stay as they are",
    )
    g.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="grade on a Dask cluster: a scheduler's address (tcp://host:8786) or scheduler file (.json), "
        "or local[:N] for N worker processes on this machine (needs pip install -e '.[cluster]')",
    )
    g.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without isolation (only where no sandbox can be built, for trusted code)",
    )
    g.add_argument(
        "--gradebook",
        type=Path,
        metavar="COURSE_DIR",
        help="also write the results into this nbgrader course's gradebook (autograded/ and "
        "gradebook.db), for grading the manual items in formgrader; grades.csv then holds "
        "the TAs' points too (this repository: --gradebook .)",
    )
    g.add_argument(
        "--roster",
        type=Path,
        metavar="CSV",
        help="the class list (student_id, name, email, section; or Canvas's gradebook export, Moodle's grading "
        "worksheet, Blackboard's Grade Centre export as they come): every rostered student gets a row, "
        "`missing` when nothing came; submissions from outside it are graded and flagged",
    )
    late = g.add_argument_group(
        "late policy", "override the assignment's [late] in source/ASSIGNMENT/assignment.toml (docs/tas.md)"
    )
    late.add_argument("--deadline", help="ISO time with its UTC offset, e.g. 2026-03-01T23:59:00+01:00")
    late.add_argument("--grace", type=float, metavar="MINUTES", help="minutes after the deadline still on time")
    late.add_argument("--penalty-per-day", type=float, metavar="PERCENT", help="percent of the score per started day")
    late.add_argument("--late-cap", type=float, metavar="PERCENT", help="the most percent a late submission loses")
    late.add_argument("--extensions", type=Path, metavar="CSV", help="student_id,deadline (or student_id,days)")
    late.add_argument(
        "--late-from-file-times",
        action="store_true",
        help="the last resort: where the download has no submission time, use the notebooks' file times",
    )
    g.add_argument(
        "--quiet", "-q", action="store_true", help="print only warnings and errors (no progress bar, no score table)"
    )
    g.set_defaults(
        run=lambda a: _verb("grade").main(
            a.assignment,
            a.submissions,
            a.out,
            a.jobs,
            a.timeout,
            a.cell_timeout,
            a.force,
            sandboxed=not a.no_sandbox,
            dask=a.dask,
            gradebook=a.gradebook,
            quiet=a.quiet,
            roster=a.roster,
            only=a.only,
            late={
                "deadline": a.deadline,
                "grace_minutes": a.grace,
                "penalty_per_day": a.penalty_per_day,
                "cap": a.late_cap,
                "extensions": a.extensions,
                "file_times": a.late_from_file_times,
            },
        )
    )

    o = verbs.add_parser("report", help="TAs: write the class report OUT/report.html from a graded OUT")
    o.add_argument("out", type=Path, help="the --out folder of a grade run")
    o.set_defaults(run=lambda a: _verb("report").main(a.out))

    e = verbs.add_parser(
        "export", help="TAs: the grades of a graded OUT as a file Canvas, Moodle or nbgrader imports (OUT/exports/)"
    )
    e.add_argument("out", type=Path, help="the --out folder of a grade run")
    e.add_argument("--to", required=True, choices=("canvas", "moodle", "nbgrader", "csv"), help="the format")
    e.add_argument(
        "--file", type=Path, default=None, help="where to write (default: OUT/exports/ASSIGNMENT-FORMAT.csv)"
    )
    e.add_argument(
        "--column",
        default=None,
        help="Canvas: the assignment's column header as in Canvas's gradebook export, e.g. \"Lab 1 (12345)\" "
        "(default: the assignment's name, which Canvas imports as a new assignment)",
    )
    e.set_defaults(run=lambda a: _verb("export").main(a.out, a.to, a.file, a.column))

    j = verbs.add_parser(
        "rejudge",
        help="TAs: judge a graded OUT again from its saved observations, after a "
        "grader-side check was fixed (no notebook runs)",
    )
    j.add_argument("out", type=Path, help="the --out folder of a grade run")
    j.add_argument("--assignment", default=None, help="the assignment to re-judge (default: the one OUT holds)")
    j.set_defaults(run=lambda a: _verb("rejudge").main(a.out, a.assignment))

    c = verbs.add_parser("check", help="students: run the visible checks on your notebook")
    c.add_argument("notebook", type=Path)
    c.add_argument("--timeout", type=float, default=CHECK_TIMEOUT)
    c.set_defaults(run=lambda a: _verb("check").main(a.notebook, a.timeout))

    h = verbs.add_parser("handout", help="instructors: write what students get, and its zip")
    h.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    h.add_argument("--out", type=Path, required=True, help="where ASSIGNMENT-handout/ and ASSIGNMENT-handout.zip go")
    h.set_defaults(run=lambda a: _verb("handout").main(a.assignment, a.out))

    r = verbs.add_parser("release", help="instructors: regenerate release/ and solutions/ from source/")
    r.add_argument("assignments", nargs="*", help="default: all")
    r.add_argument("--force", action="store_true", help="regenerate even when source/ did not change")
    r.set_defaults(run=lambda a: _verb("release").main(a.assignments or None, a.force))

    n = verbs.add_parser("new", help="instructors: scaffold a new assignment (source/ASSIGNMENT/, its checks, a test)")
    n.add_argument("assignment", help="the new assignment's name: letters, digits and underscores")
    n.set_defaults(run=lambda a: _verb("new").main(a.assignment))

    s = verbs.add_parser("gradescope", help="instructors: build an assignment's Gradescope autograder (a zip)")
    s.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    s.add_argument("--out", type=Path, required=True, help="where ASSIGNMENT-gradescope.zip goes")
    s.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade on Gradescope without isolating student code (only where bubblewrap cannot "
        "run; see docs/gradescope.md)",
    )
    s.set_defaults(run=lambda a: _verb("gradescope.build").main(a.assignment, a.out, sandboxed=not a.no_sandbox))

    d = verbs.add_parser("data", help="make the regression data and fetch MNIST into data/")
    d.set_defaults(run=lambda a: _verb("data").main())

    m = verbs.add_parser("demo", help="grade a small sample class of an assignment and print its score table")
    m.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    m.add_argument("--jobs", type=int, default=None)
    m.set_defaults(run=lambda a: _verb("demo").main(a.assignment, a.jobs))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:  # Ctrl-C outside a batch (a batch says what it kept itself)
        print("\ninterrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
