"""The command line: `python -m autograder VERB ...`. It only hands off to each verb's main();
their defaults come from the function signatures."""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path


def _default(function, name):
    return inspect.signature(function).parameters[name].default


def parser() -> argparse.ArgumentParser:
    from . import check, data, demo, grade, handout, new, rejudge, release, report
    from .gradescope import build as gradescope_build

    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="verb", required=True)

    g = verbs.add_parser("grade", help="TAs: grade a whole class")
    g.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    g.add_argument(
        "submissions", type=Path, help="folder with one folder per student (or nbgrader's submitted/ folder)"
    )
    g.add_argument("--out", type=Path, required=True, help="where grades.csv and per-student results go")
    g.add_argument(
        "--jobs",
        type=int,
        default=_default(grade.main, "jobs"),
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
    g.set_defaults(
        run=lambda a: grade.main(
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
        )
    )

    o = verbs.add_parser("report", help="TAs: write the class report OUT/report.html from a graded OUT")
    o.add_argument("out", type=Path, help="the --out folder of a grade run")
    o.set_defaults(run=lambda a: report.main(a.out))

    j = verbs.add_parser(
        "rejudge",
        help="TAs: judge a graded OUT again from its saved observations, after a "
        "grader-side check was fixed (no notebook runs)",
    )
    j.add_argument("out", type=Path, help="the --out folder of a grade run")
    j.add_argument("--assignment", default=None, help="the assignment to re-judge (default: the one OUT holds)")
    j.set_defaults(run=lambda a: rejudge.main(a.out, a.assignment))

    c = verbs.add_parser("check", help="students: run the visible checks on your notebook")
    c.add_argument("notebook", type=Path)
    c.add_argument("--timeout", type=float, default=_default(check.main, "timeout"))
    c.set_defaults(run=lambda a: check.main(a.notebook, a.timeout))

    h = verbs.add_parser("handout", help="instructors: write what students get, and its zip")
    h.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    h.add_argument("--out", type=Path, required=True, help="where ASSIGNMENT-handout/ and ASSIGNMENT-handout.zip go")
    h.set_defaults(run=lambda a: handout.main(a.assignment, a.out))

    r = verbs.add_parser("release", help="instructors: regenerate release/ and solutions/ from source/")
    r.add_argument("assignments", nargs="*", help="default: all")
    r.add_argument("--force", action="store_true", help="regenerate even when source/ did not change")
    r.set_defaults(run=lambda a: release.main(a.assignments or None, a.force))

    n = verbs.add_parser("new", help="instructors: scaffold a new assignment (source/ASSIGNMENT/, its checks, a test)")
    n.add_argument("assignment", help="the new assignment's name: letters, digits and underscores")
    n.set_defaults(run=lambda a: new.main(a.assignment))

    s = verbs.add_parser("gradescope", help="instructors: build an assignment's Gradescope autograder (a zip)")
    s.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    s.add_argument("--out", type=Path, required=True, help="where ASSIGNMENT-gradescope.zip goes")
    s.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade on Gradescope without isolating student code (only where bubblewrap cannot "
        "run; see docs/gradescope.md)",
    )
    s.set_defaults(run=lambda a: gradescope_build.main(a.assignment, a.out, sandboxed=not a.no_sandbox))

    d = verbs.add_parser("data", help="make the regression data and fetch MNIST into data/")
    d.set_defaults(run=lambda a: data.main())

    m = verbs.add_parser("demo", help="grade a small sample class of an assignment and print its score table")
    m.add_argument("assignment", help="an assignment: a folder of source/ with an assignment.toml")
    m.add_argument("--jobs", type=int, default=_default(demo.main, "jobs"))
    m.set_defaults(run=lambda a: demo.main(a.assignment, a.jobs))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
