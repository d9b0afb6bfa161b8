"""Hidden checks, the single source of truth for grading.

Two halves, one folder each, so that what enters a student's kernel is visible at a glance:

* ``kernel/<assignment>/<notebook>.py``: ``observe_<grade_id>(ns)``, run in the student's kernel
  by a probe; reads the student's objects, calls them on hidden inputs, returns plain data.
* ``grader/<assignment>/<notebook>.py``: ``test_<grade_id>(obs)``, run in the grader's process;
  holds the references and expected values and judges the observation.

Two callers use them:

* the grading engine (``autograder.grade``) sends only the kernel half into the kernel (see
  ``autograder.probe``) and judges in its own process;
* nbgrader runs both halves through the source notebooks' hidden test regions, which call
  :func:`run` (nbgrader's hidden tests run in the student's kernel by design).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import math
import pkgutil
import traceback
import warnings
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType

from .grader.api import decode
from .kernel import api as kernel_api
from .kernel.api import CheckFailed, encode, observe

ASSIGNMENTS = ("neural_nets", "mnist_quiz")
KERNEL, GRADER = f"{__name__}.kernel", f"{__name__}.grader"
COULD_NOT_JUDGE = "The check could not judge this item; course staff will look at it."

# Figures the grader measures from an item's observation besides its verdict (a leaderboard shows
# them): (assignment, grade_id) -> {metric: "function of the item's grader module"}. The function
# takes the observation, as the item's test does, and returns a number; it runs in the grader's
# process, so a figure is never taken from the student. It is measured whatever the verdict.
MEASURES = {
    ("mnist_quiz", "mnist_accuracy_90"): {"test_accuracy": "accuracy_from"},
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One graded item: its observer (kernel side) and its test (grader side)."""

    assignment: str
    grade_id: str
    kernel_module: ModuleType
    grader_module: ModuleType

    @property
    def observer(self):
        return getattr(self.kernel_module, f"observe_{self.grade_id}")

    @property
    def test(self):
        return getattr(self.grader_module, f"test_{self.grade_id}")

    def kernel_sources(self) -> dict[str, str]:
        """{module name: source} of everything a probe of this item sends into a kernel."""
        return {kernel_api.__name__: module_source(kernel_api),
                self.kernel_module.__name__: module_source(self.kernel_module)}


@cache
def module_source(module: ModuleType) -> str:
    """A check module's source, read once per process."""
    return inspect.getsource(module)


class UnknownAssignment(LookupError):
    pass


@cache
def present() -> tuple[str, ...]:
    """The assignments whose checks are here: all of ASSIGNMENTS in the course repository, one in
    a Gradescope bundle (see autograder/gradescope/)."""
    return tuple(a for a in ASSIGNMENTS if importlib.util.find_spec(f"{GRADER}.{a}") is not None)


@cache
def items(assignment: str) -> dict[str, Item]:
    """All graded items of an assignment, by grade_id: each grader-side ``test_X`` with the
    kernel-side ``observe_X`` of the module of the same name."""
    if assignment not in ASSIGNMENTS:
        raise UnknownAssignment(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    package = importlib.import_module(f"{GRADER}.{assignment}")
    found: dict[str, Item] = {}
    for info in pkgutil.iter_modules(package.__path__):
        grader_module = importlib.import_module(f"{GRADER}.{assignment}.{info.name}")
        kernel_module = importlib.import_module(f"{KERNEL}.{assignment}.{info.name}")
        for name in dir(grader_module):
            if name.startswith("test_"):
                grade_id = name[len("test_"):]
                if not hasattr(kernel_module, f"observe_{grade_id}"):
                    raise TypeError(f"{grader_module.__name__}.{name} has no observe_{grade_id} "
                                    f"in {kernel_module.__name__}")
                if grade_id in found:
                    raise TypeError(f"grade_id {grade_id!r} is defined twice in {assignment}")
                found[grade_id] = Item(assignment, grade_id, kernel_module, grader_module)
    return found


def check_modules(assignment: str) -> list[ModuleType]:
    """Every module of an assignment's checks, both sides, with the vocabulary they share."""
    modules = {kernel_api, importlib.import_module(f"{GRADER}.api")}
    for item in items(assignment).values():
        modules |= {item.kernel_module, item.grader_module}
    return sorted(modules, key=lambda m: m.__name__)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str          # for the student
    log: str = ""         # for course staff (grading.log): a traceback when the check itself failed
    metrics: dict = field(default_factory=dict)  # figures measured by the grader (see MEASURES)


def measure(item: Item, data) -> tuple[dict[str, float], str]:
    """The item's MEASURES, computed by its grader module from the observed data, and a log line
    for course staff. A figure the observation does not allow (the check fails it) is left out;
    so is one whose function raised anything else, which the log line then shows."""
    figures, log = {}, ""
    for metric, function in MEASURES.get((item.assignment, item.grade_id), {}).items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = float(getattr(item.grader_module, function)(data))
        except CheckFailed:
            continue
        except Exception:  # noqa: BLE001  (a figure is never worth the item's verdict)
            log += f"{item.grade_id}: measuring {metric} raised\n{traceback.format_exc()}"
            continue
        if math.isfinite(value):
            figures[metric] = value
    return figures, log


def verdict(item: Item, observation: dict) -> Verdict:
    """Judge one observation. A failing check is a verdict; any other exception is a bug of ours
    (or an observation no check foresaw) and costs this item only, never the submission."""
    if not observation.get("ok"):
        return Verdict(False, str(observation.get("message", "The check could not observe your objects.")))
    metrics, log = measure(item, observation["data"])
    try:
        with warnings.catch_warnings():  # the checks' own warnings are not the student's business
            warnings.simplefilter("ignore")
            item.test(observation["data"])
    except CheckFailed as failure:
        return Verdict(False, str(failure), log, metrics)
    # The item boundary: whatever else the judge raised is logged in full for course staff.
    except Exception:  # noqa: BLE001
        return Verdict(False, COULD_NOT_JUDGE, log + f"{item.grade_id}: the check raised\n{traceback.format_exc()}",
                       metrics)
    return Verdict(True, "", log, metrics)


def judge(assignment: str, grade_id: str, ns: dict) -> tuple[bool, str]:
    """Observe and judge one item in this process: (passed, message)."""
    item = items(assignment)[grade_id]
    # Warnings raised while checking are the checks' business, not the student's: nbgrader
    # would count their stderr output as a failed test cell.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The same round trip as in the grading engine, so both judge exactly the same data.
        result = verdict(item, decode(encode(observe(item.observer, ns))))
    if result.log:
        log.error(result.log)
    return result.passed, result.message


def run(assignment: str, grade_id: str, ns: dict) -> None:
    """nbgrader's entry point, called from a hidden test region: observe in this kernel, judge,
    and raise CheckFailed (so nbgrader gives 0 points for the cell) when the item fails."""
    passed, message = judge(assignment, grade_id, ns)
    if not passed:
        raise CheckFailed(message)
