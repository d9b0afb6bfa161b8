"""Instructors: `python -m autograder new ASSIGNMENT` scaffolds a new assignment, ready to edit:

* ``source/<a>/assignment.toml``: its limits (the defaults, each commented) and, commented out, a
  leaderboard column;
* ``source/<a>/01_<a>.ipynb``: an nbgrader source notebook with one exercise, ``double``: what is
  asked, an answer cell (solution cell ``answer_double``) and a test cell (``double``, 2 points)
  with a visible assert and a hidden region that runs the item's check;
* that check, one pair of files: ``autograder/checks/kernel/<a>/<a>/double.py`` (``observe``, in
  the student's kernel) and ``autograder/checks/grader/<a>/<a>/test_double.py`` (``test_double``,
  in the grader), with their packages' ``__init__.py``;
* ``tests/checks/test_<a>.py``: the check accepts the reference and rejects wrong answers.

The engine finds the assignment from these folders: nothing else names it.
"""

from __future__ import annotations

import keyword
import sys
from dataclasses import fields
from pathlib import Path
from string import Template

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .course import CONFIG, Limits, UsageError
from .paths import ROOT

ITEM, POINTS = "double", 2  # the scaffold's one graded item
LIMIT_NOTES = {
    "cell_timeout": "seconds one cell may run",
    "total_timeout": "seconds the whole submission (all its notebooks) may run",
    "memory_mb": "resident memory of the student's kernel",
    "cores": "CPU cores each notebook gets, its own",
    "data_files": 'paths under data/ the notebooks read, e.g. ["my_data.pt"]',
}


def notebook_name(assignment: str) -> str:
    return f"01_{assignment}.ipynb"


def paths(assignment: str) -> dict[str, str]:
    """What the scaffold writes, relative to the course's root, by role."""
    kernel, grader = f"autograder/checks/kernel/{assignment}", f"autograder/checks/grader/{assignment}"
    folder = assignment  # the notebook's folder among the checks: its file name without its number
    return {
        "config": f"source/{assignment}/{CONFIG}",
        "notebook": f"source/{assignment}/{notebook_name(assignment)}",
        "kernel_package": f"{kernel}/__init__.py",
        "kernel_notebook": f"{kernel}/{folder}/__init__.py",
        "observer": f"{kernel}/{folder}/{ITEM}.py",
        "grader_package": f"{grader}/__init__.py",
        "grader_notebook": f"{grader}/{folder}/__init__.py",
        "test": f"{grader}/{folder}/test_{ITEM}.py",
        "check_test": f"tests/checks/test_{assignment}.py",
    }


def problems(assignment: str, root: Path = ROOT) -> list[str]:
    """Why `assignment` cannot be made here; empty when it can."""
    if not assignment.isidentifier() or keyword.iskeyword(assignment) or not assignment.isascii():
        return [
            (
                f"{assignment!r} is not a valid assignment name: use letters, digits and underscores, not "
                "starting with a digit (it names a Python package of checks), e.g. week3_cnn"
            )
        ]
    taken = [
        f"source/{assignment}/",
        f"release/{assignment}/",
        f"solutions/{assignment}/",
        *(f"autograder/checks/{side}/{assignment}{end}" for side in ("kernel", "grader") for end in ("/", ".py")),
        f"tests/checks/test_{assignment}.py",
    ]
    found = [p for p in taken if (root / p.rstrip("/")).exists()]
    if found:
        return [f"{assignment!r} exists already ({', '.join(found)}): choose another name, or edit those files"]
    return []


# ----------------------------------------------------------------------------- the files
def _toml_value(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def config(assignment: str) -> str:
    defaults = Limits()
    lines = [
        f"# Grading limits and leaderboard of {assignment} (docs/instructors.md lists every key).",
        "# The notebooks state these limits to students: change both together.",
        "[limits]",
    ]
    for f in fields(Limits):
        setting = f"{f.name} = {_toml_value(getattr(defaults, f.name))}"
        lines.append(f"{setting:<26}# {LIMIT_NOTES[f.name]}")
    lines += [
        "",
        "# Gradescope's leaderboard (optional): a figure the grader measures itself (an item's",
        "# MEASURES, beside its test), never one the student's code reports.",
        "# [[leaderboard]]",
        '# name = "Test accuracy (%)"',
        '# measure = "test_accuracy"',
        "# scale = 100.0",
        '# order = "desc"',
    ]
    return "\n".join(lines) + "\n"


def _limits_sentence() -> str:
    limits = Limits()
    cores = f"{limits.cores} CPU core" + ("s" if limits.cores != 1 else "")
    return (
        f"at most {limits.cell_timeout:g} s for any one cell and {limits.total_timeout:g} s for the whole "
        f"notebook, {limits.memory_mb} MB of memory and {cores}"
    )


def notebook(assignment: str) -> str:
    """The source notebook: nbgrader's metadata as the course's other source notebooks write it."""
    intro = (
        f"# {assignment}\n\n"
        f"One exercise, {POINTS} points, graded automatically. Under your answer, a test cell runs a "
        "visible assert (the basics only) and a hidden check that runs your code on inputs you do not "
        "see. The checks use the objects your cells create, with the names given here.\n\n"
        "**Limits.** When graded, this notebook runs from top to bottom in a fresh kernel (as *Restart "
        f"Kernel and Run All Cells* does), with {_limits_sentence()}. Before you submit, run it that way."
    )
    exercise = (
        f"## Exercise `{ITEM}` ({POINTS} points)\n\n"
        f"Write a function `{ITEM}(x)` that returns twice the number `x` (an int or a float), as a "
        "number.\n\n"
        f"*Check:* the test cell tries `{ITEM}(3)`; the hidden check calls `{ITEM}` on other numbers "
        "(negative, zero, fractions, large ones) and compares each result with `2 * x`."
    )
    answer = f"def {ITEM}(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
    test = (
        f'assert {ITEM}(3) == 6, "{ITEM}(3) should be 6"\n'
        "### BEGIN HIDDEN TESTS\n"
        f'from autograder.checks import run; run("{assignment}", "{ITEM}", globals())\n'
        "### END HIDDEN TESTS"
    )
    answer_meta = {"grade": False, "grade_id": f"answer_{ITEM}", "locked": False, "schema_version": 3, "solution": True}
    test_meta = {
        "grade": True,
        "grade_id": ITEM,
        "locked": True,
        "points": POINTS,
        "schema_version": 3,
        "solution": False,
    }
    nb = new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    nb.cells = [
        new_markdown_cell(intro, id="intro"),
        new_markdown_cell(exercise, id=f"{ITEM}-intro"),
        new_code_cell(answer, id=f"answer-{ITEM}", metadata={"nbgrader": answer_meta}),
        new_code_cell(test, id=f"test-{ITEM}", metadata={"nbgrader": test_meta}),
    ]
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


OBSERVER = Template('''\
"""Kernel side of `$item` ($notebook): runs in the student's kernel, returns plain data. It calls
the student's function on the hidden inputs and never decides what is right (the grader side does)."""

from __future__ import annotations

from autograder.checks.kernel.api import call, expect, need


def hidden_inputs() -> list:
    """The numbers the check calls `$item` on (the grader side rebuilds its references from them)."""
    return [-7, 0, 0.5, -2.25, 1e6, 123456789]


def returned(value):
    """A number as it is; anything else as None (the grader says a number was expected)."""
    return value if type(value) in (int, float) else None


def observe(ns: dict) -> dict:
    function = need(ns, "$item", None, "the function $item(x)")
    expect(callable(function), "`$item` should be a function.")
    return {"outputs": [returned(call("$item", function, x)) for x in hidden_inputs()]}
''')

TEST = Template('''\
"""Grader side of `$item` ($notebook): the verdict, in the grader's process only. The references
are computed here, from the same hidden inputs the kernel side used."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.kernel.$assignment.$folder import $item as kernel


def test_$item(obs: dict) -> None:
    outputs = obs["outputs"]
    expect(None not in outputs, "`$item` returned something other than a number: return an int or a float.")
    wrong = sum(out != 2 * x for x, out in zip(kernel.hidden_inputs(), outputs, strict=True))
    expect(wrong == 0, f"`$item(x)` should return 2 * x; it returned another number for {wrong} of the "
                       f"check's {len(outputs)} inputs.")
''')

CHECK_TEST = Template('''\
"""The hidden checks of source/$assignment/$notebook accept the reference and reject wrong answers
(written by `python -m autograder new $assignment`: add a test per item as the assignment grows)."""

from __future__ import annotations

from autograder.paths import SOURCE

from . import support

ASSIGNMENT = "$assignment"
NOTEBOOK = "$notebook"
PATH = SOURCE / ASSIGNMENT / NOTEBOOK


def test_the_reference_passes_every_item(judge_source):
    results = judge_source(ASSIGNMENT, NOTEBOOK)
    assert results and not {gid: message for gid, (passed, message) in results.items() if not passed}


def test_a_wrong_${item}_passes_the_visible_check_and_fails_the_hidden_one():
    wrong = {"answer_$item": "def $item(x):\\n    return x + 3"}  # right for 3 only, the visible test's input
    assert support.visible_upto(PATH, ASSIGNMENT, "$item", wrong) is None
    support.assert_rejected(support.verdict_upto(PATH, ASSIGNMENT, "$item", wrong), "$item", wrong, "2 * x")


def test_a_${item}_that_returns_no_number_is_told_so():
    wrong = {"answer_$item": "def $item(x):\\n    return str(2 * x)"}
    support.assert_rejected(support.verdict_upto(PATH, ASSIGNMENT, "$item", wrong), "$item", wrong, "a number")
''')


def files(assignment: str) -> dict[str, str]:
    """{path relative to the course's root: text} of the scaffold."""
    where = paths(assignment)
    names = {"assignment": assignment, "notebook": notebook_name(assignment), "folder": assignment, "item": ITEM}
    return {
        where["config"]: config(assignment),
        where["notebook"]: notebook(assignment),
        where["kernel_package"]: "",
        where["kernel_notebook"]: "",
        where["observer"]: OBSERVER.substitute(names),
        where["grader_package"]: "",
        where["grader_notebook"]: "",
        where["test"]: TEST.substitute(names),
        where["check_test"]: CHECK_TEST.substitute(names),
    }


def create(assignment: str, root: Path = ROOT) -> list[str]:
    """Write the scaffold under `root`; the paths written. A UsageError says why when the name is
    not valid or taken."""
    found = problems(assignment, root)
    if found:
        raise UsageError("; ".join(found))
    written = []
    for relative, text in files(assignment).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as file:  # never over a file that exists
            file.write(text)
        written.append(relative)
    return written


def main(assignment: str) -> int:
    try:
        written = create(assignment, ROOT)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    where = paths(assignment)
    print(f"created the assignment {assignment}:")
    for relative in written:
        print(f"  {relative}")
    print(f"""next:
  1. edit {where["notebook"]} (in JupyterLab, with nbgrader's Create Assignment toolbar) and
     {where["config"]}; for each graded item, a pair of check files like
     {where["observer"]} and {where["test"]}
  2. test the checks:  python -m pytest {where["check_test"]}
  3. make release/{assignment}/ and solutions/{assignment}/:  python -m autograder release {assignment}
  4. grade:  python -m autograder grade {assignment} SUBMISSIONS --out OUT
     (or build its Gradescope autograder:  python -m autograder gradescope {assignment} --out DIR)""")
    return 0
