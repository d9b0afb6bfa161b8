"""Hidden checks, the single source of truth for grading: one pair of small files per graded item.

The trust boundary is the first folder level:

* ``kernel/`` ENTERS THE STUDENT'S KERNEL. ``kernel/<assignment>/<notebook>/<grade_id>.py`` defines
  ``observe(ns)``: it reads the student's objects, calls them on the item's hidden inputs and
  returns plain data. A probe carries ``kernel/api.py``, the notebook's ``_shared.py`` (no hidden
  inputs there) and this one file, nothing else.
* ``grader/`` NEVER LEAVES THE GRADER. ``grader/<assignment>/<notebook>/test_<grade_id>.py`` defines
  the pytest test ``test_<grade_id>(obs)``, which judges the observation against references the
  grader computes itself, and may declare ``MEASURES = {"figure": function}``: figures measured
  from the observation (a leaderboard shows them).

An item with one half only, or a grader-side file with a second test, is an error (``items`` raises
OrphanCheck; ``tests/checks/test_pairs.py`` walks every assignment).
``<notebook>`` is the notebook's file name without its number: ``01_layers.ipynb`` -> ``layers``.

Two callers use the checks:

* the grading engine (``autograder.submission``) sends only the kernel half into the kernel (see
  ``submission/probe.py``) and judges in its own process (``submission/judge.py``);
* nbgrader runs both halves through the source notebooks' hidden test regions, which call
  :func:`run` (nbgrader's hidden tests run in the student's kernel by design).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from ..paths import ENGINE
from .grader.api import decode
from .kernel import api as kernel_api
from .kernel.api import CheckFailed, encode, observe
from .verdict import COULD_NOT_JUDGE, verdict  # noqa: F401  (COULD_NOT_JUDGE: the vocabulary of the tests)

HERE = Path(__file__).resolve().parent
KERNEL, GRADER = f"{__name__}.kernel", f"{__name__}.grader"
SHARED = "_shared"  # per notebook, on either side: helpers without hidden inputs

log = logging.getLogger(__name__)


class OrphanCheck(TypeError):
    """One half of an item's check has no other half (or a file is misnamed)."""


@dataclass(frozen=True)
class Item:
    """One graded item: its observer (kernel side) and its test (grader side)."""

    assignment: str
    grade_id: str
    kernel_module: ModuleType
    grader_module: ModuleType

    @property
    def observer(self):
        return self.kernel_module.observe

    @property
    def test(self):
        return getattr(self.grader_module, f"test_{self.grade_id}")

    @property
    def measures(self) -> dict:
        """{figure: function of the observation}, declared beside the item's test."""
        return getattr(self.grader_module, "MEASURES", {})

    def kernel_sources(self) -> dict[str, str]:
        """{module name: source} of everything a probe of this item sends into a kernel, in the
        order they are installed: the vocabulary, the notebook's shared helpers, the item."""
        shared = self.kernel_module.__name__.rpartition(".")[0] + "." + SHARED
        modules = [kernel_api, *([importlib.import_module(shared)] if _exists(shared) else []), self.kernel_module]
        return {m.__name__: module_source(m) for m in modules}


def _exists(module_name: str) -> bool:
    return (ENGINE.parent / (module_name.replace(".", "/") + ".py")).is_file()


@cache
def module_source(module: ModuleType) -> str:
    """A check module's source, read once per process."""
    return inspect.getsource(module)


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ENGINE.parent).with_suffix("").parts)


def files(assignment: str) -> list[Path]:
    """Every file of an assignment's checks, both halves, with the vocabulary they share."""
    found = [HERE / "kernel" / "api.py", HERE / "grader" / "api.py"]
    for side in ("kernel", "grader"):
        found += sorted(p for p in (HERE / side / assignment).rglob("*.py") if "__pycache__" not in p.parts)
    return found


@cache
def items(assignment: str) -> dict[str, Item]:
    """All graded items of an assignment, by grade_id: each grader-side ``test_X.py`` with the
    kernel-side ``X.py`` of the same notebook folder. An orphan on either side raises OrphanCheck."""
    kernel_root, grader_root = HERE / "kernel" / assignment, HERE / "grader" / assignment
    if not grader_root.is_dir():
        raise OrphanCheck(f"no checks for {assignment!r}: expected {grader_root.relative_to(ENGINE.parent)}/")
    observers = {
        p.relative_to(kernel_root).with_suffix("").as_posix(): p
        for p in kernel_root.glob("*/*.py")
        if not p.stem.startswith("_")
    }
    tests = {
        p.relative_to(grader_root).with_name(p.stem.removeprefix("test_")).as_posix(): p
        for p in grader_root.glob("*/*.py")
        if not p.stem.startswith("_")
    }
    misnamed = [str(p.relative_to(ENGINE.parent)) for p in tests.values() if not p.stem.startswith("test_")]
    orphans = [
        f"{observers[k].relative_to(ENGINE.parent)} has no grader-side test_{Path(k).name}.py"
        for k in sorted(set(observers) - set(tests))
    ] + [
        f"{tests[k].relative_to(ENGINE.parent)} has no kernel-side {Path(k).name}.py"
        for k in sorted(set(tests) - set(observers))
    ]
    if misnamed or orphans:
        raise OrphanCheck(
            "; ".join([*(f"{m}: a grader-side check file is named test_<grade_id>.py" for m in misnamed), *orphans])
        )
    found: dict[str, Item] = {}
    for key in sorted(tests):
        grade_id = Path(key).name
        if grade_id in found:
            raise OrphanCheck(f"grade_id {grade_id!r} has checks in two notebooks of {assignment}")
        grader_module = importlib.import_module(_module(tests[key]))
        kernel_module = importlib.import_module(_module(observers[key]))
        if not callable(getattr(kernel_module, "observe", None)):
            raise OrphanCheck(f"{kernel_module.__name__} defines no observe(ns)")
        if not callable(getattr(grader_module, f"test_{grade_id}", None)):
            raise OrphanCheck(f"{grader_module.__name__} defines no test_{grade_id}(obs)")
        others = sorted(
            name
            for name, value in vars(grader_module).items()
            if name.startswith("test_")
            and name != f"test_{grade_id}"
            and inspect.isfunction(value)
            and value.__module__ == grader_module.__name__
        )
        if others:
            raise OrphanCheck(
                f"{grader_module.__name__} defines {', '.join(others)} besides test_{grade_id}: "
                "the grader never runs them; give another item a pair of files of its own"
            )
        found[grade_id] = Item(assignment, grade_id, kernel_module, grader_module)
    return found


def check_modules(assignment: str) -> list[ModuleType]:
    """Every module of an assignment's checks, both sides, with the vocabulary they share."""
    modules = {kernel_api, importlib.import_module(f"{GRADER}.api")}
    for item in items(assignment).values():
        modules |= {item.kernel_module, item.grader_module}
    return sorted(modules, key=lambda m: m.__name__)


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
