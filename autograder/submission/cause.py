"""Why an item failed, in words that tell the student what to do first.

Decided in the grader from what the grader observed while the planned notebook ran: which cells
raised (the error outputs of the cells the plan says are the item's answer and test cells), with
which exception name, and which item's objects (``TestCell.names``, from source/) were missing.
Every piece of student text in a message (exception name and message, a line of the student's
cell) passes through ``scrub.quote``.

The rules, for a failed item whose (visible) test cell raised; an item that failed only its hidden
check keeps that check's message:

1. its answer cell, or else its test cell, raised NameError for an object of an earlier item that
   failed: fix that item first (followed back to the first item of such a chain), then any
   `raise NotImplementedError` left in its own answer cell;
2. its answer cell raised anything else: that exception and the line it stopped at (for
   NotImplementedError: replace it with your code); when that line uses an object of an earlier
   failed item, that item is named too;
3. its test cell raised in code of its answer cell (a function or class the checks called): that
   exception and that line of the answer cell; for an item with no answer cell of its own (a rule
   checked on an earlier item's function), the same for the earlier answer cell the code was in;
4. its answer cell still holds `raise NotImplementedError` (a function not called yet): replace it;
5. otherwise the item's message is the one judging gave it (visible checks, hidden checks).

Answer cells are known by position (``Plan.answer_at``); lines are taken from the cell's source at
the line number of the traceback frame named after that cell's execution count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..course.items import TestCell
from . import scrub
from .plan import Plan

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STUB = re.compile(r"\s*raise\s+NotImplementedError\b")
REPLACE = "replace `raise NotImplementedError()` with your code"


@dataclass(frozen=True)
class Raised:
    """An exception a cell raised, as the grader saw it (ename, evalue: the kernel's raw text)."""

    ename: str
    evalue: str
    traceback: tuple[str, ...] = ()


def raised(cell) -> Raised | None:
    """The first error a cell's outputs hold."""
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is None:
        return None
    return Raised(
        str(error.get("ename", "")),
        str(error.get("evalue", "")),
        tuple(ANSI.sub("", str(entry)) for entry in error.get("traceback") or []),
    )


def line_in(error: Raised, cell) -> tuple[int, str] | None:
    """(number, code) of the line of `cell` that `error` went through, when its traceback has a
    frame of that cell: IPython names it "Cell In[<the cell's execution count>], line <n>"."""
    count = cell.get("execution_count")
    if count is None:
        return None
    frame = re.compile(rf"Cell In\[{int(count)}\], line (\d+)")
    for entry in error.traceback:
        found = frame.search(entry)
        if found:
            number = int(found.group(1))
            lines = cell.get("source", "").splitlines()
            return number, (lines[number - 1].strip() if 0 < number <= len(lines) else "")
    return None


def stub_line(cell) -> tuple[int, str] | None:
    """The first line of a cell that still raises NotImplementedError (the release's placeholder)."""
    for number, line in enumerate(cell.get("source", "").splitlines(), 1):
        if STUB.match(line):
            return number, line.strip()
    return None


def at(line: tuple[int, str] | None) -> str:
    if line is None:
        return ""
    return f" at line {line[0]}" + (f" (`{scrub.quote(line[1])}`)" if line[1] else "")


def missing_name(error: Raised | None) -> str | None:
    """The name a NameError says is not defined."""
    if error is None or error.ename != "NameError":
        return None
    found = NAME_ERROR.search(error.evalue)
    return found.group(1) if found else None


def explain(plan: Plan, passed: dict[str, bool], messages: dict[str, str]) -> dict[str, str]:
    """New messages for the failed items of `plan` whose failure has a cause the grader saw;
    `passed` and `messages` are what judging decided, by grade_id."""
    tests_at = {test.grade_id: index for index, test in plan.test_at.items()}
    blocked_by: dict[str, str] = {}  # grade_id -> the earlier failed item it needs
    explained: dict[str, str] = {}
    earlier: list[TestCell] = []
    for test in plan.tests:
        index = tests_at.get(test.grade_id)
        in_test = raised(plan.nb.cells[index]) if index is not None else None
        if passed.get(test.grade_id, True) or in_test is None:  # passed, not run, or failed a hidden check
            earlier.append(test)
            continue
        answer_cell = plan.nb.cells[plan.answer_at[test.grade_id]] if test.grade_id in plan.answer_at else {}
        answer = raised(answer_cell)
        name = missing_name(answer or in_test)
        owner = failed_owner(name, earlier, passed)
        stub = stub_line(answer_cell)
        if owner is not None:
            blocked_by[test.grade_id] = owner.grade_id
            text = needs(test.grade_id, name, owner.grade_id, root(owner.grade_id, blocked_by))
            if stub is not None:
                text += f" Then, in your answer cell for `{test.grade_id}`{at(stub)}, {REPLACE}."
            explained[test.grade_id] = text
        elif answer is not None:
            explained[test.grade_id] = answer_raised(
                test.grade_id, answer, line_in(answer, answer_cell), earlier, passed
            )
        elif (line := line_in(in_test, answer_cell)) is not None:
            explained[test.grade_id] = called_raised(test.grade_id, in_test, line)
        elif not answer_cell and (found := called_earlier(plan, in_test, earlier)) is not None:
            explained[test.grade_id] = called_raised(found[0], in_test, found[1], checks_of=test.grade_id)
        elif stub is not None:
            explained[test.grade_id] = (
                f"Your answer cell for `{test.grade_id}` still raises NotImplementedError{at(stub)}: {REPLACE}."
            )
        earlier.append(test)
    return {gid: scrub.bounded(text) for gid, text in explained.items() if text != messages.get(gid)}


def failed_owner(name: str | None, earlier: list[TestCell], passed: dict[str, bool]) -> TestCell | None:
    """The earlier item whose object `name` is, when that item failed (the latest that has it)."""
    if name is None:
        return None
    owner = next((t for t in reversed(earlier) if name in t.names), None)
    return owner if owner is not None and not passed.get(owner.grade_id, True) else None


def root(grade_id: str, blocked_by: dict[str, str]) -> str:
    seen = {grade_id}
    while blocked_by.get(grade_id) not in (None, *seen):
        grade_id = blocked_by[grade_id]
        seen.add(grade_id)
    return grade_id


def needs(grade_id: str, name: str, owner: str, first: str) -> str:
    text = (
        f"Fix `{first}` first: `{grade_id}` uses `{name}`, which was never defined because "
        f"your answer for `{owner}` failed"
    )
    return text + (f" (and `{owner}` needs `{first}`)." if first != owner else ".")


def answer_raised(
    grade_id: str, error: Raised, line: tuple[int, str] | None, earlier: list[TestCell], passed: dict[str, bool]
) -> str:
    text = f"Your answer cell for `{grade_id}` raised {scrub.quote(error.ename) or 'an exception'}{at(line)}"
    if error.ename == "NotImplementedError":
        return text + f": {REPLACE}."
    detail = scrub.quote(error.evalue)
    text += f": {detail}." if detail else "."
    used = set(IDENTIFIER.findall(line[1])) if line is not None else set()
    owner = next((t for t in reversed(earlier) if not passed.get(t.grade_id, True) and used & set(t.names)), None)
    if owner is not None:
        return text + f" That line uses the object of `{owner.grade_id}`, which failed: fix `{owner.grade_id}` first."
    return text + " Fix that line first: the rest of the cell did not run."


def called_earlier(plan: Plan, error: Raised, earlier: list[TestCell]) -> tuple[str, tuple[int, str]] | None:
    """(grade_id, line) of the latest earlier item whose answer cell the traceback went through:
    for an item with no answer cell of its own (a rule checked on another item's function)."""
    for test in reversed(earlier):
        if test.grade_id in plan.answer_at:
            line = line_in(error, plan.nb.cells[plan.answer_at[test.grade_id]])
            if line is not None:
                return test.grade_id, line
    return None


def called_raised(grade_id: str, error: Raised, line: tuple[int, str], checks_of: str = "") -> str:
    """Rule 3: the visible checks (of `checks_of`, when they are another item's) called the code of
    the answer cell of `grade_id`, and it raised."""
    whose = f" of `{checks_of}`" if checks_of else ""
    text = (
        f"The visible checks{whose} failed: the code of your answer cell for `{grade_id}` raised "
        f"{scrub.quote(error.ename) or 'an exception'}{at(line)} when they called it"
    )
    if error.ename == "NotImplementedError":
        return text + f": {REPLACE}."
    detail = scrub.quote(error.evalue)
    return text + (f": {detail}." if detail else ".")
