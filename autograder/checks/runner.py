"""The grader-side tests, run by pytest itself, in this process: one pytest session judges many
observations (a notebook's items, or a whole class when re-judging), each test's `obs` argument
parametrized with the observations of its item.

The verdicts are those of ``verdict.verdict``: the item's test passed, failed its check (the
student sees the CheckFailed's message), or raised anything else (COULD_NOT_JUDGE, the traceback
in grading.log); warnings are ignored; MEASURES are computed whatever the verdict. pytest reports
nothing and writes nothing (no terminal output, no cache, no conftest, no plugin but its own).

The same plugin serves the plain-pytest route (``autograder/checks/grader/conftest.py``): there
pytest reports the tests as usual.
"""

from __future__ import annotations

import os
import traceback
import warnings
from collections.abc import Hashable, Iterable
from contextlib import contextmanager
from pathlib import Path

import pytest

from . import HERE, Item
from .verdict import Verdict, conclude, measure, memory_cap, unobserved

# pytest's own plugins a verdict does without: output, files, and the per-session work (the
# unraisable-exception plugin alone runs gc.collect twice per session: ~0.5 s with torch loaded).
NOT_LOADED = (
    "terminal",
    "cacheprovider",
    "warnings",
    "logging",
    "faulthandler",
    "debugging",
    "unraisableexception",
    "threadexception",
    "doctest",
    "junitxml",
    "pastebin",
    "legacypath",
    "setuponly",
    "setupplan",
    "python_path",
    "stepwise",
)
# --import-mode=append: the check modules are imported already; sys.path is left alone.
ARGS = [
    "--rootdir",
    str(HERE / "grader"),
    "-c",
    os.devnull,
    "--noconftest",
    "--disable-plugin-autoload",
    "--import-mode=append",
    "--continue-on-collection-errors",
    "-s",
    *(arg for plugin in NOT_LOADED for arg in ("-p", f"no:{plugin}")),
]


class RunnerError(RuntimeError):
    """pytest itself could not run the grader-side tests (a bug of ours, not of a submission)."""


class ObservationPlugin:
    """Parametrizes each item's test with the observations of that item: `cases` is
    {(grader module, test name): [(key, data), ...]}. With `record`, each test's outcome is kept
    in `outcomes` (key -> the exception it raised, or None) instead of being reported as a failure."""

    def __init__(
        self,
        cases: dict[tuple[str, str], list[tuple[Hashable, object]]],
        record: bool = False,
        files: Iterable[str] = (),
    ):
        self.cases, self.record = cases, record
        self.wanted = {path for file in files for path in (Path(file), *Path(file).parents)}
        self.outcomes: dict[Hashable, tuple[BaseException | None, str]] = {}
        self.problems: dict[Hashable, str] = {}  # key -> why pytest did not run its test
        self.collection_errors: list[str] = []
        self._keys: dict[str, Hashable] = {}  # pytest's node id -> key

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path):
        """With `files`, pytest looks at nothing else (it would list every folder on their way)."""
        return True if self.wanted and collection_path not in self.wanted else None

    def pytest_generate_tests(self, metafunc):
        if "obs" not in metafunc.fixturenames:
            return
        cases = self.cases.get((metafunc.module.__name__, metafunc.definition.originalname), [])
        metafunc.parametrize("obs", [data for _, data in cases], ids=[str(key) for key, _ in cases])

    def pytest_collection_modifyitems(self, items):
        for item in items:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "obs" in callspec.params:
                cases = self.cases[(item.module.__name__, item.originalname)]
                self._keys[item.nodeid] = cases[callspec.indices["obs"]][0]

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        key = self._keys.get(pyfuncitem.nodeid)
        if not self.record or key is None:
            return (yield)
        # Each test its own memory headroom: one student's verdict never spends another's.
        with warnings.catch_warnings(), memory_cap():  # the checks' own warnings are not the student's business
            warnings.simplefilter("ignore")
            try:
                yield
            # The item boundary, as in verdict.verdict: anything the test raised is its outcome.
            except Exception as err:  # noqa: BLE001
                # Kept without its frames, which would keep the test's tensors alive.
                trace = _trace(err, pyfuncitem.obj)
                self.outcomes[key] = (err.with_traceback(None), trace)
            else:
                self.outcomes[key] = (None, "")
        return True

    def pytest_runtest_logreport(self, report):
        key = self._keys.get(report.nodeid)
        if key is not None and report.failed and report.when != "call":
            self.problems[key] = f"pytest: the {report.when} of {report.nodeid} failed\n{report.longreprtext}"

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"pytest could not collect {report.nodeid}\n{report.longreprtext}")


def _trace(err: BaseException, function) -> str:
    """The traceback of `err` from the test function down (pytest's and pluggy's frames left out)."""
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code is not getattr(function, "__code__", None):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(err), err, tb or err.__traceback__))


@contextmanager
def _own_options():
    """pytest.main reads PYTEST_ADDOPTS besides its arguments: none of a TA's options apply here."""
    saved = os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["PYTEST_ADDOPTS"] = saved


def run(cases: dict[Hashable, tuple[Item, object]]) -> tuple[dict, dict, list[str]]:
    """Run each case's test on its data (key -> (item, data)) in one pytest session:
    (key -> (exception raised or None, its traceback), key -> why it did not run, collection errors)."""
    by_test: dict[tuple[str, str], list[tuple[Hashable, object]]] = {}
    for key, (item, data) in cases.items():
        by_test.setdefault((item.grader_module.__name__, f"test_{item.grade_id}"), []).append((key, data))
    files = sorted({str(Path(item.grader_module.__file__).resolve()) for item, _ in cases.values()})
    plugin = ObservationPlugin(by_test, record=True, files=files)
    with _own_options():
        code = pytest.main([*ARGS, *files], plugins=[plugin])
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RunnerError(
            f"pytest could not run the grader-side tests (exit status {code!r}): "
            + ("; ".join(plugin.collection_errors) or "see the error above")
        )
    return plugin.outcomes, plugin.problems, plugin.collection_errors


def verdicts(observations: dict[Hashable, tuple[Item, dict]]) -> dict[Hashable, Verdict]:
    """The verdict on each observation (key -> (item, decoded observation)), the tests of those
    that were observed run in one pytest session. Each item's MEASURES are computed first, as
    verdict.verdict does, whatever the verdict."""
    found: dict[Hashable, Verdict] = {}
    measured: dict[Hashable, tuple[dict, str]] = {}
    for key, (item, observation) in observations.items():
        early = unobserved(observation)
        if early is not None:
            found[key] = early
        else:
            with memory_cap():
                measured[key] = measure(item, observation["data"])
    if not measured:
        return found
    outcomes, problems, collection_errors = run(
        {key: (observations[key][0], observations[key][1]["data"]) for key in measured}
    )
    for key, (metrics, log) in measured.items():
        item = observations[key][0]
        if key in outcomes:
            raised, trace = outcomes[key]
            found[key] = conclude(item, raised, trace, metrics, log)
        else:  # pytest did not call the test: its setup failed, or its file could not be collected
            why = problems.get(key) or "\n".join(collection_errors) or "pytest did not run the test"
            found[key] = conclude(item, RunnerError(why), why, metrics, log)
    return found
