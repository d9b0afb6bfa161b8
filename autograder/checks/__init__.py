"""Hidden checks, the single source of truth for grading.

One package per assignment, one module per notebook, one ``observe_<grade_id>`` /
``test_<grade_id>`` pair per graded item (see ``api``). Two callers use them:

* the grading engine (``autograder.grade``) runs each observer in the student's kernel and each
  test in its own process;
* nbgrader runs them through the source notebooks' hidden test regions, which call :func:`run`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from .api import CheckFailed, decode, encode, observe

ASSIGNMENTS = ("neural_nets", "mnist_quiz")


@dataclass(frozen=True)
class Item:
    """One graded item: its observer (runs in the kernel) and its test (runs in the grader)."""

    assignment: str
    grade_id: str
    module: ModuleType

    @property
    def observer(self):
        return getattr(self.module, f"observe_{self.grade_id}")

    @property
    def test(self):
        return getattr(self.module, f"test_{self.grade_id}")

    def kernel_source(self) -> str:
        """Source text of the module that holds this item, to send into a kernel."""
        return module_source(self.module)


@cache
def module_source(module: ModuleType) -> str:
    """A check module's source, read once per process (every probe cell carries it)."""
    return inspect.getsource(module)


class UnknownAssignment(LookupError):
    pass


@cache
def items(assignment: str) -> dict[str, Item]:
    """All graded items of an assignment, by grade_id."""
    if assignment not in ASSIGNMENTS:
        raise UnknownAssignment(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    package = importlib.import_module(f"{__name__}.{assignment}")
    found: dict[str, Item] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in dir(module):
            if name.startswith("test_"):
                grade_id = name[len("test_"):]
                if not hasattr(module, f"observe_{grade_id}"):
                    raise TypeError(f"{module.__name__}.{name} has no observe_{grade_id}")
                if grade_id in found:
                    raise TypeError(f"grade_id {grade_id!r} is defined twice in {assignment}")
                found[grade_id] = Item(assignment, grade_id, module)
    return found


def verdict(item: Item, observation: dict) -> tuple[bool, str]:
    """Judge one observation: (passed, message for the student)."""
    if not observation.get("ok"):
        return False, str(observation.get("message", "The check could not observe your objects."))
    try:
        item.test(observation["data"])
    except CheckFailed as failure:
        return False, str(failure)
    return True, ""


def judge(assignment: str, grade_id: str, ns: dict) -> tuple[bool, str]:
    """Observe and judge one item in this process: (passed, message)."""
    item = items(assignment)[grade_id]
    # Warnings raised while checking are the checks' business, not the student's: nbgrader
    # would count their stderr output as a failed test cell.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The same round trip as in the grading engine, so both judge exactly the same data.
        return verdict(item, decode(encode(observe(item.observer, ns))))


def run(assignment: str, grade_id: str, ns: dict) -> None:
    """nbgrader's entry point, called from a hidden test region: observe in this kernel, judge,
    and raise CheckFailed (so nbgrader gives 0 points for the cell) when the item fails."""
    passed, message = judge(assignment, grade_id, ns)
    if not passed:
        raise CheckFailed(message)
