"""Feedback that points at the cause (issue 13): each failed item says what the student should do
first, decided from what the grader observed. Pure logic on small fabricated executed notebooks,
then one slow end-to-end grading of a blank notebook and of one with only w_weight unanswered."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder import demo, grade, vocabulary
from autograder.course import notebooks
from autograder.course.items import item_names, source_tests
from autograder.outputs import results
from autograder.paths import SOURCE as SOURCE_DIR
from autograder.submission import cause, judge, scrub
from autograder.submission import plan as merge
from autograder.vocabulary import GRADED, MISSING, TIMEOUT, ItemResult
from tests.corpus import ASSIGNMENT, CELL_TIMEOUT, LAYERS
from tests.submission.test_plan import graded_cell, solution

SOURCE = new_notebook(
    cells=[
        new_code_cell("import torch"),
        solution("answer_layer", "layer = [torch.ones(2, 3)]\nlayer"),
        graded_cell("layer", "assert len(layer) == 1"),
        solution("answer_w_weight", "### BEGIN SOLUTION\nw_weight = layer[0]\n### END SOLUTION\nprint(w_weight)"),
        graded_cell("w_weight", "assert w_weight.shape == (2, 3)"),
        solution("answer_W", "helper = 3\nW = w_weight.T\nprint(W)"),
        graded_cell("W", "assert W.shape == (3, 2)"),
        solution("answer_by_hand", "def by_hand(X):\n    return X @ W"),
        graded_cell("by_hand", "assert by_hand(torch.ones(1, 3)).shape == (1, 2)"),
    ]
)
STUBS = {
    "answer_layer": "# YOUR CODE HERE\nraise NotImplementedError()\nlayer",
    "answer_w_weight": "# YOUR CODE HERE\nraise NotImplementedError()\nprint(w_weight)",
    "answer_W": "# YOUR CODE HERE\nraise NotImplementedError()\nprint(W)",
    "answer_by_hand": "def by_hand(X):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
}


def submission(**code):
    """The toy notebook as a student saved it: the solution cells given here, stubs otherwise."""
    cells = []
    for cell in SOURCE.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        copy = nbformat.from_dict(cell)
        if gid in STUBS:
            copy.source = code.get(gid, STUBS[gid])
        cells.append(copy)
    return new_notebook(cells=cells)


def plan_for(student) -> merge.Plan:
    return merge.build(merge.Context("toy", source_tests(SOURCE, "toy.ipynb"), probes=False), student, "toy.ipynb")


def index_of(plan, source_start: str) -> int:
    return next(i for i, c in enumerate(plan.nb.cells) if c.source.startswith(source_start))


def error(ename, evalue, frames=()):
    """An error output as IPython sends it: colored frames "Cell In[n], line k"."""
    traceback = [f"\x1b[0;31m{'-' * 20}\x1b[0m", f"\x1b[0;31m{ename}\x1b[0m Traceback (most recent call last)"]
    traceback += [f"Cell \x1b[0;32mIn[{count}], line {line}\x1b[0m\n----> {line} ..." for count, line in frames]
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback + [f"{ename}: {evalue}"])


def executed(plan, errors: dict[int, dict], upto: int | None = None):
    """Give every code cell (up to `upto`) an execution count, in order, and the errors given."""
    for count, (index, cell) in enumerate(enumerate(plan.nb.cells), 1):
        if upto is not None and index > upto:
            break
        cell.execution_count = count
        if index in errors:
            cell.outputs = [errors[index]]
    return plan


def messages(plan, status=GRADED, reason="") -> dict[str, ItemResult]:
    return {r.grade_id: r for r in judge.judge(plan, {}, reason, [])}


def blank_run():
    """The toy notebook blank: every answer cell raises NotImplementedError at its line 2, every
    test cell a NameError (by_hand's test raises NotImplementedError in the answer cell's code)."""
    plan = plan_for(submission())
    errors = {}
    for gid in ("layer", "w_weight", "W"):
        answer = plan.answer_at[gid]
        errors[answer] = error("NotImplementedError", "", [(answer + 1, 2)])
        errors[answer + 1] = error("NameError", f"name '{gid}' is not defined", [(answer + 2, 1)])
    answer = plan.answer_at["by_hand"]
    errors[answer + 1] = error("NameError", "name 'W' is not defined", [(answer + 2, 1)])
    return executed(plan, errors)


# ----------------------------------------------------------------------------- the plan
def test_an_items_names_are_what_its_answer_defines_and_its_visible_test_reads():
    names = {t.grade_id: t.names for t in source_tests(SOURCE, "toy.ipynb")}
    assert names == {"layer": ("layer",), "w_weight": ("w_weight",), "W": ("W",), "by_hand": ("by_hand",)}
    # a release stub shows its object on the last line; a helper the test does not read is no name
    assert item_names(STUBS["answer_w_weight"], "assert w_weight.shape") == ("w_weight",)
    assert item_names("helper = 3\nW = 1", "assert W == 1") == ("W",)
    assert item_names("%time x = 1", "assert x") == ()


def test_answer_cells_are_known_by_position_in_the_plan():
    plan = plan_for(submission())
    for index, test in plan.test_at.items():
        assert plan.answer_at[test.grade_id] == index - 1
        assert plan.nb.cells[index - 1].source == STUBS[f"answer_{test.grade_id}"]
    # a test whose cell before it in source/ is not its solution cell has no answer cell
    source = new_notebook(cells=[solution("answer_a", "a = 1"), new_code_cell("x = 2"), graded_cell("a", "a")])
    plan = merge.build(
        merge.Context("toy", source_tests(source, "t.ipynb"), probes=False), nbformat.from_dict(source), "t.ipynb"
    )
    assert plan.answer_at == {}


# ----------------------------------------------------------------------------- the causes
def test_a_blank_notebook_names_not_implemented_error_in_each_answer_cell_not_name_errors():
    items = messages(blank_run())
    for gid in ("layer", "w_weight", "W"):
        assert items[gid].message == (
            f"Your answer cell for `{gid}` raised NotImplementedError at line 2 "
            "(`raise NotImplementedError()`): replace `raise NotImplementedError()` "
            "with your code."
        )
    by_hand = items["by_hand"].message
    assert by_hand.startswith("Fix `W` first: `by_hand` uses `W`")
    assert "at line 3 (`raise NotImplementedError()`), replace `raise NotImplementedError()`" in by_hand
    assert not any("NameError" in i.message for i in items.values())


def test_an_item_missing_an_earlier_items_object_points_at_that_item_first():
    plan = plan_for(
        submission(
            answer_layer="layer = [torch.ones(2, 3)]",
            answer_W="W = w_weight.T",
            answer_by_hand="def by_hand(X):\n    return X @ W",
        )
    )
    w_weight, W = plan.answer_at["w_weight"], plan.answer_at["W"]
    executed(
        plan,
        {
            w_weight: error("NotImplementedError", "", [(w_weight + 1, 2)]),
            w_weight + 1: error("NameError", "name 'w_weight' is not defined"),
            W: error("NameError", "name 'w_weight' is not defined", [(W + 1, 1)]),
            W + 1: error("NameError", "name 'W' is not defined"),
            W + 3: error("NameError", "name 'W' is not defined"),
        },
    )
    items = messages(plan)
    assert items["layer"].passed
    assert items["layer"].message == "The visible checks pass (the hidden checks decide the points)."
    assert items["W"].message == (
        "Fix `w_weight` first: `W` uses `w_weight`, which was never defined because your answer for `w_weight` failed."
    )
    # a chain is followed back to the item to fix first
    assert items["by_hand"].message.startswith("Fix `w_weight` first: `by_hand` uses `W`")
    assert "(and `W` needs `w_weight`)" in items["by_hand"].message


def test_a_name_error_for_a_name_no_failed_item_owns_is_the_answer_cells_own_error():
    plan = plan_for(
        submission(
            answer_layer="layer = [torch.ones(2, 3)]", answer_w_weight="w_weight = layer[0]", answer_W="W = w_wieght.T"
        )
    )
    W = plan.answer_at["W"]
    executed(
        plan,
        {
            W: error("NameError", "name 'w_wieght' is not defined", [(W + 1, 1)]),
            W + 1: error("NameError", "name 'W' is not defined"),
        },
        upto=W + 1,
    )
    message = messages(plan)["W"].message
    assert message.startswith(
        "Your answer cell for `W` raised NameError at line 1 (`W = w_wieght.T`): "
        "name 'w_wieght' is not defined. Fix that line first"
    )
    assert "w_weight" not in message.replace("w_wieght", "")


def test_another_exception_names_the_line_and_the_earlier_failed_item_it_uses():
    plan = plan_for(
        submission(
            answer_layer="layer = [torch.ones(2, 3)]",
            answer_w_weight="w_weight = None",
            answer_W="x = 1\nW = w_weight.T",
        )
    )
    w_weight, W = plan.answer_at["w_weight"], plan.answer_at["W"]
    executed(
        plan,
        {
            w_weight + 1: error("AttributeError", "'NoneType' object has no attribute 'shape'"),
            W: error("AttributeError", "'NoneType' object has no attribute 'T'", [(W + 1, 2)]),
            W + 1: error("NameError", "name 'W' is not defined"),
        },
        upto=W + 1,
    )
    items = messages(plan)
    assert items["w_weight"].message.startswith("The visible checks failed: AttributeError")
    assert items["W"].message == (
        "Your answer cell for `W` raised AttributeError at line 2 (`W = w_weight.T`): "
        "'NoneType' object has no attribute 'T'. That line uses the object of "
        "`w_weight`, which failed: fix `w_weight` first."
    )


def test_an_exception_raised_in_the_answer_cells_code_when_the_checks_call_it():
    plan = plan_for(
        submission(
            answer_layer="layer = [torch.ones(2, 3)]",
            answer_w_weight="w_weight = layer[0]",
            answer_W="W = w_weight.T",
            answer_by_hand="def by_hand(X):\n    return X @ W.T",
        )
    )
    answer = plan.answer_at["by_hand"]
    # frames: the test cell (count answer + 2), then the answer cell's function (count answer + 1)
    executed(
        plan,
        {
            answer + 1: error(
                "RuntimeError", "mat1 and mat2 shapes cannot be multiplied", [(answer + 2, 1), (answer + 1, 2)]
            )
        },
    )
    message = messages(plan)["by_hand"].message
    assert message == (
        "The visible checks failed: the code of your answer cell for `by_hand` raised "
        "RuntimeError at line 2 (`return X @ W.T`) when they called it: mat1 and mat2 shapes "
        "cannot be multiplied."
    )


def test_a_placeholder_left_in_a_function_the_checks_did_not_reach_is_named():
    plan = plan_for(
        submission(
            answer_layer="layer = [torch.ones(2, 3)]", answer_w_weight="w_weight = layer[0]", answer_W="W = w_weight.T"
        )
    )
    answer = plan.answer_at["by_hand"]
    executed(plan, {answer + 1: error("AssertionError", "", [(answer + 2, 1)])})
    assert messages(plan)["by_hand"].message == (
        "Your answer cell for `by_hand` still raises NotImplementedError at line 3 (`raise NotImplementedError()`): "
        "replace `raise NotImplementedError()` with your code."
    )


def test_a_frame_of_another_cell_never_gives_the_line():
    plan = plan_for(submission())
    answer = plan.answer_at["layer"]
    executed(
        plan,
        {
            answer: error("NotImplementedError", "", [(99, 1)]),
            answer + 1: error("NameError", "name 'layer' is not defined"),
        },
        upto=answer + 1,
    )
    message = messages(plan)["layer"].message
    assert message == (
        "Your answer cell for `layer` raised NotImplementedError: replace `raise NotImplementedError()` with your code."
    )


def test_student_text_in_a_cause_is_bounded_and_scrubbed():
    hidden = next(iter(scrub.hidden_windows()))
    plan = plan_for(submission(answer_layer=f"layer = f('{hidden}')"))
    answer = plan.answer_at["layer"]
    executed(
        plan,
        {
            answer: error("E" * 10_000, hidden * 50, [(answer + 1, 1)]),
            answer + 1: error("NameError", "name 'layer' is not defined"),
        },
        upto=answer + 1,
    )
    message = messages(plan)["layer"].message
    assert len(message) <= scrub.MESSAGE_CHARS and "E" * (scrub.QUOTE_CHARS + 1) not in message
    assert hidden not in message and scrub.WITHHELD in message


def test_items_not_run_say_why_the_notebook_stopped():
    plan = executed(plan_for(submission()), {}, upto=2)
    items = messages(plan, TIMEOUT, "toy.ipynb, cell 4 ran longer than the 60 s a cell may run")
    assert items["W"].message == (
        "Not run: the notebook stopped before this item (toy.ipynb, cell 4 ran longer than the 60 s a cell may run)."
    )


def test_only_failed_items_whose_cause_was_seen_get_a_new_message():
    plan = blank_run()
    passed = {"layer": True, "w_weight": False, "W": False, "by_hand": False}
    said = {gid: "judged" for gid in passed}
    better = cause.explain(plan, passed, said)
    assert "layer" not in better and set(better) == {"w_weight", "W", "by_hand"}


def test_an_item_that_failed_only_its_hidden_check_keeps_that_checks_message():
    plan = plan_for(submission(answer_layer="layer = [torch.ones(2, 3)]\nraise NotImplementedError()"))
    answer = plan.answer_at["layer"]
    executed(plan, {answer: error("NotImplementedError", "", [(answer + 1, 2)])}, upto=answer + 1)
    said = {"layer": "layer has the wrong shape", "w_weight": "", "W": "", "by_hand": ""}
    assert cause.explain(plan, {"layer": False, "w_weight": True, "W": True, "by_hand": True}, said) == {}


# ----------------------------------------------------------------------------- the page
def page_result():
    r = results.SubmissionResult("s1", "neural_nets", execution_time=3.0, submission_sha256="abc")
    r.items = [
        ItemResult("layer1", "01_layers.ipynb", 1, 1, True, ""),
        ItemResult("W", "01_layers.ipynb", 2, 0, False, "Fix `w_weight` first: <b>"),
        ItemResult("sigmoid", "02_activations_losses.ipynb", 3, 0, False, "Not run: the notebook stopped"),
    ]
    r.worsen(TIMEOUT, "02_activations_losses.ipynb, cell 4 ran longer than the 60 s a cell may run")
    return r


def test_feedback_groups_items_by_notebook_with_subtotals_and_states_the_status_first():
    page = results.feedback_html(page_result())
    assert page.index("Out of time: 02_activations_losses.ipynb, cell 4 ran longer") < page.index("<h2>")
    assert "<h2>01_layers.ipynb: 1 / 3</h2>" in page and "<h2>02_activations_losses.ipynb: 0 / 3</h2>" in page
    assert page.index("01_layers.ipynb: 1 / 3") < page.index(">W<") < page.index("02_activations_losses.ipynb: 0")
    assert "Fix <code>w_weight</code> first: &lt;b&gt;" in page
    assert 'name="viewport"' in page and "@media (max-width" in page


def test_results_json_carries_the_same_messages_and_status_words():
    data = results.results_json(page_result())
    assert data["output"] == results.status_words(TIMEOUT, page_result().reason)
    assert [t["output"] for t in data["tests"]] == [
        "Passed.",
        "Fix `w_weight` first: <b>",
        "Not run: the notebook stopped",
    ]
    back = results.from_results_json(json.loads(json.dumps(data)))
    assert back.items == page_result().items and (back.status, back.reason) == (TIMEOUT, page_result().reason)


def test_every_status_has_words_with_its_reason():
    for status in vocabulary.SEVERITY:
        text = results.status_words(status, "REASON")
        assert text and (status in (GRADED, vocabulary.REVIEW) or "REASON" in text)
    # what was found in a notebook put up for review stays with staff
    assert "REASON" not in results.status_words(vocabulary.REVIEW, "REASON")
    assert "save it" in results.status_words(vocabulary.INVALID, "x is not valid JSON")
    assert "file names" in results.status_words(MISSING, "02.ipynb not submitted")


# ----------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_graded_feedback_of_a_blank_notebook_and_of_a_missing_w_weight(tmp_path):
    submissions = tmp_path / "submissions"
    demo.write_student(submissions / "blank", {LAYERS: demo.blank(ASSIGNMENT, LAYERS)})
    demo.write_student(
        submissions / "no_w_weight",
        {
            LAYERS: demo.answered(
                ASSIGNMENT,
                LAYERS,
                {"answer_w_weight": "# YOUR CODE HERE\nraise NotImplementedError()\nprint(w_weight)"},
            )
        },
    )
    out = tmp_path / "out"
    assert grade.main(ASSIGNMENT, submissions, out, cell_timeout=CELL_TIMEOUT, progress=False, jobs=2) == 0

    def outputs(student):
        data = json.loads((out / student / "results.json").read_text())
        layers = {i["grade_id"] for i in data["extra_data"]["items"] if i["notebook"] == LAYERS}
        return data, {t["name"]: t for t in data["tests"] if t["name"] in layers}

    data, blank = outputs("blank")
    assert data["extra_data"]["status"] == MISSING and data["output"].startswith("Missing: ")
    items = notebooks.test_cells(notebooks.read(SOURCE_DIR / ASSIGNMENT / LAYERS))
    assert len(blank) == len(items) and all(t["status"] == "failed" for t in blank.values())
    for name, test in blank.items():
        assert test["output"].startswith(("Your answer cell", "Fix ", "The visible checks failed: the code")), test
        assert "NameError" not in test["output"], (name, test)
        if not test["output"].startswith("Fix "):  # else it names the earlier item to fix first
            assert "NotImplementedError" in test["output"] and "answer cell" in test["output"], (name, test)
    page = (out / "blank" / "feedback.html").read_text()
    assert f"<h2>{LAYERS}: 0 / " in page and "NameError" not in page

    _, no_w_weight = outputs("no_w_weight")
    failed = {name for name, t in no_w_weight.items() if t["status"] == "failed"}
    assert {"w_weight", "W"} <= failed and "layer1" not in failed
    assert "raised NotImplementedError at line 2" in no_w_weight["w_weight"]["output"]
    assert no_w_weight["W"]["output"].startswith("Fix `w_weight` first: `W` uses `w_weight`")
    for name in failed - {"w_weight"}:
        assert no_w_weight[name]["output"].startswith("Fix `w_weight` first"), (name, no_w_weight[name])


def test_a_rule_item_without_an_answer_cell_names_the_answer_cell_its_checks_called():
    """An item that checks a rule on an earlier item's function (03's type_errors, one_epoch_no_globals)
    has no answer cell: its message names the answer cell whose code raised."""
    source = nbformat.from_dict(SOURCE)
    source.cells.append(graded_cell("by_hand_rule", "assert by_hand(torch.ones(2, 3)).shape == (2, 2)"))
    context = merge.Context("toy", source_tests(source, "toy.ipynb"), probes=False)
    plan = merge.build(
        context,
        submission(
            answer_layer="layer = [torch.ones(2, 3)]", answer_w_weight="w_weight = layer[0]", answer_W="W = w_weight.T"
        ),
        "toy.ipynb",
    )
    assert "by_hand_rule" not in plan.answer_at
    answer = plan.answer_at["by_hand"]
    rule = next(i for i, t in plan.test_at.items() if t.grade_id == "by_hand_rule")
    executed(
        plan,
        {
            answer + 1: error("NotImplementedError", "", [(answer + 2, 1), (answer + 1, 3)]),
            rule: error("NotImplementedError", "", [(rule + 1, 1), (answer + 1, 3)]),
        },
    )
    found = messages(plan)
    assert found["by_hand_rule"].message == (
        "The visible checks of `by_hand_rule` failed: the code of your answer cell for `by_hand` raised "
        "NotImplementedError at line 3 (`raise NotImplementedError()`) when they called it: "
        "replace `raise NotImplementedError()` with your code."
    )
    assert found["by_hand"].message.startswith("The visible checks failed: the code of your answer cell for `by_hand`")
