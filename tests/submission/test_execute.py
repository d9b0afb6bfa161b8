"""Executing a plan (submission/execute.py): a cell that runs too long, a kernel that dies and a
cell that prints too much each stop or cut the run where they should and say where; the items
judged after say why they were not run. Kernels here are local (no sandbox): slow-marked."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.course.items import source_tests
from autograder.submission import execute
from autograder.submission import plan as merge
from autograder.vocabulary import CRASHED, GRADED, TIMEOUT
from tests.submission.test_plan import graded_cell, solution

SOURCE = new_notebook(
    cells=[
        solution("answer_a", "a = 1"),
        graded_cell("a", "assert a == 1"),
        solution("answer_b", "b = 2"),
        graded_cell("b", "assert b == 2"),
    ]
)
W_SOURCE = new_notebook(
    cells=[solution("answer_W", "W = layer1[0].weight.T"), graded_cell("W", "assert W.shape == (3, 2)", points=2)]
)


def plan_of(*cells, source=SOURCE, assignment="toy", probes=False) -> merge.Plan:
    """The plan of a student notebook made of `cells` (code, or cells made with solution())."""
    student = new_notebook(cells=[c if isinstance(c, dict) else new_code_cell(c) for c in cells])
    return merge.build(
        merge.Context(assignment, source_tests(source, "toy.ipynb"), probes=probes), student, "toy.ipynb"
    )


def run(plan, cell_timeout=30.0, seconds=120.0, torch=False) -> execute.NotebookRun:
    """Run `plan` in a local kernel. The seed before the first cell imports torch (seconds, on a busy
    machine) within the cell timeout and the deadline: unless `torch`, torch and numpy are hidden
    from the kernel, so that short limits are spent on the cells, not on the seed."""
    cwd = Path(tempfile.mkdtemp(prefix="cwd-"))
    if not torch:
        for name in ("torch", "numpy"):
            (cwd / f"{name}.py").write_text("raise ImportError('not in this test')\n")
    km = execute.local_kernel_manager(tempfile.mkdtemp(prefix="execute-"))
    return execute.run_plan(
        plan, km, cwd=str(cwd), env=None, cell_timeout=cell_timeout, deadline=time.monotonic() + seconds
    )


def by_id(run):
    return {i.grade_id: i for i in run.items}


# ----------------------------------------------------------------------------- without a kernel
def test_a_cell_is_named_by_its_place_among_the_students_cells():
    plan = plan_of(solution("answer_a", "a = 1"), "scratch = 0", solution("answer_b", "b = 2"))
    assert [execute.where(plan, i) for i in range(len(plan.nb.cells))] == [
        "toy.ipynb, cell 1 (answer_a)",
        "toy.ipynb, the test cell of a",
        "toy.ipynb, cell 2",
        "toy.ipynb, cell 3 (answer_b)",
        "toy.ipynb, the test cell of b",
    ]


def test_messages_nbclient_would_trip_on_are_not_well_formed():
    good = {"parent_header": {}, "content": {"name": "stdout", "text": "hi", "execution_count": None}}
    assert execute.well_formed(good)
    for bad in (
        {**good, "content": "text"},
        {**good, "parent_header": None},
        {**good, "content": {"text": ["a", "list"]}},
        {**good, "content": {"data": "not a dict"}},
        {**good, "content": {"execution_count": "1"}},
    ):
        assert not execute.well_formed(bad), bad


def test_output_size_counts_text_traceback_and_data():
    assert execute.output_size({"text": "abc"}) == 3
    assert execute.output_size({"evalue": "e", "traceback": ["12", "345"]}) == 6
    assert execute.output_size({"data": {"text/plain": "1234", "image/png": "xx"}}) == 6
    assert execute.output_size({"data": {}, "metadata": {"k": "x" * 10}}) == 11  # metadata counts too


def test_the_copy_for_reading_cuts_long_streams_only():
    nb = new_notebook(cells=[new_code_cell("x")])
    long = "y" * (execute.MAX_OUTPUT_CHARS + 10)
    nb.cells[0].outputs = [
        new_output("stream", name="stdout", text=long),
        new_output("execute_result", data={"text/plain": long}, execution_count=1),
    ]
    copy = execute.for_reading(nb)
    stream, result = copy.cells[0].outputs
    assert stream.text == "y" * execute.MAX_OUTPUT_CHARS + "\n[... output cut by the grader ...]\n"
    assert result.data["text/plain"] == long and nb.cells[0].outputs[0].text == long  # the original is kept


# ----------------------------------------------------------------------------- in a kernel
@pytest.mark.slow
def test_a_cell_that_runs_past_the_cell_timeout_is_a_timeout_naming_the_cell():
    result = run(
        plan_of(solution("answer_a", "a = 1"), "import time\ntime.sleep(60)", solution("answer_b", "b = 2")),
        cell_timeout=2,
    )
    assert result.status == TIMEOUT
    assert result.reason == "toy.ipynb, cell 2 ran longer than the 2 s a cell may run"
    assert result.slowest_cell == "toy.ipynb, cell 2" and 2 <= result.slowest_seconds < 20
    items = by_id(result)
    assert items["a"].passed and items["a"].score == 1
    assert items["b"].message == (
        "Not run: the notebook stopped before this item (toy.ipynb, cell 2 ran longer than the 2 s a cell may run)."
    )


@pytest.mark.slow
def test_a_cell_running_when_the_total_time_runs_out_is_a_timeout_of_the_submission():
    result = run(plan_of("import time\ntime.sleep(120)", solution("answer_a", "a = 1")), cell_timeout=60, seconds=6)
    assert result.status == TIMEOUT and "the submission's total time limit ran out" in result.reason
    assert result.seconds < 40 and not any(i.passed for i in result.items)


@pytest.mark.slow
def test_a_cell_that_kills_its_kernel_is_a_crash_and_earlier_items_keep_their_points():
    result = run(plan_of(solution("answer_a", "a = 1"), "import os\nos._exit(1)", solution("answer_b", "b = 2")))
    assert result.status == CRASHED
    assert result.reason == ("the kernel died in toy.ipynb, cell 2 (exit(), os._exit(), a crash, or the memory limit)")
    items = by_id(result)
    assert items["a"].passed and not items["b"].passed and "Not run" in items["b"].message
    assert result.executed.cells[1].execution_count is not None  # the executed copy shows what ran


@pytest.mark.slow
def test_output_is_bounded_per_cell_and_per_notebook_while_it_runs_and_errors_are_kept(monkeypatch):
    monkeypatch.setattr(execute, "CELL_OUTPUT_CHARS", 50_000)
    monkeypatch.setattr(execute, "NOTEBOOK_OUTPUT_CHARS", 120_000)
    loud = "for _ in range(200):\n    print('x' * 999, flush=True)"
    plan = plan_of(loud, loud, "raise ValueError('still shown')", solution("answer_a", "a = 1"))
    result = run(plan)
    assert result.status == GRADED and by_id(result)["a"].passed  # the notebook went on
    first, second, third = plan.nb.cells[:3]
    stdout = "".join(o.text for o in first.outputs if o.output_type == "stream" and o.name == "stdout")
    assert 0 < len(stdout) < 50_000
    assert first.outputs[-1].text == "\n[... further output of this cell dropped by the grader ...]\n"
    assert second.outputs == []  # the notebook's share was spent (the first cell printed 200,000 characters)
    assert [(o.output_type, o.ename, o.evalue) for o in third.outputs] == [("error", "ValueError", "still shown")]
    assert nbformat.validate(result.executed) is None


@pytest.mark.slow
def test_a_seed_that_outlasts_the_cell_timeout_is_a_timeout_not_a_grader_error():
    """The grader seeds the random generators (importing torch) before the first cell, under the same
    limits: a kernel too slow for that ends the notebook as a timeout, saying where."""
    cwd = Path(tempfile.mkdtemp(prefix="cwd-"))
    (cwd / "torch.py").write_text("import time\ntime.sleep(60)\n")  # what the seed imports
    km = execute.local_kernel_manager(tempfile.mkdtemp(prefix="execute-"))
    result = execute.run_plan(
        plan_of("a = 1"), km, cwd=str(cwd), env=None, cell_timeout=3, deadline=time.monotonic() + 120
    )
    assert result.status == TIMEOUT
    assert result.reason == (
        "toy.ipynb, before its first cell (the grader seeds the random generators) ran "
        "longer than the 3 s a cell may run"
    )
    assert not any(i.passed for i in result.items)


@pytest.mark.slow
def test_display_updates_and_output_metadata_count_toward_the_bounds(monkeypatch):
    """Issue 21's red team grew an executed notebook to 150 MB through display updates and output
    metadata, which were not counted. Both are now."""
    monkeypatch.setattr(execute, "CELL_OUTPUT_CHARS", 50_000)
    monkeypatch.setattr(execute, "NOTEBOOK_OUTPUT_CHARS", 120_000)
    updates = (
        "from IPython.display import display, update_display\n"
        "display({'text/plain': 'start'}, raw=True, display_id='grow')\n"
        "for i in range(300):\n"
        "    update_display({'text/plain': 'y' * 999}, raw=True, display_id='grow')\n"
    )
    metadata = (
        "from IPython.display import display\n"
        "for i in range(300):\n"
        "    display({'text/plain': 'z'}, metadata={'pad': 'm' * 999}, raw=True)\n"
    )
    result = run(plan_of(updates, metadata, solution("answer_a", "a = 1")))
    assert result.status == GRADED
    assert len(nbformat.writes(result.executed)) < 200_000  # unbounded, it would hold 600,000 and more
    first, second = result.executed.cells[:2]
    assert "dropped by the grader" in first.outputs[-1].text
    assert len(second.outputs) < 100  # the notebook's share was spent after some of the 300 displays


@pytest.mark.slow
def test_a_test_cell_is_followed_by_its_probe_and_judged_from_its_observation():
    answer = (
        "import torch\ntorch.manual_seed(0)\n"
        "layer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())\n"
        "w_weight = layer1[0].weight.data\nW = w_weight.T"
    )
    result = run(
        plan_of(solution("answer_W", answer), source=W_SOURCE, assignment="neural_nets", probes=True), torch=True
    )
    assert result.status == GRADED
    assert result.probes["W"].payload is not None and result.probes["W"].error == ""
    assert (by_id(result)["W"].score, by_id(result)["W"].passed) == (2.0, True)
    # the probe left no cell in the executed copy
    assert [c.source for c in result.executed.cells] == [answer, "assert W.shape == (3, 2)"]
