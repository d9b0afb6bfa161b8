"""Proofs of the checks of source/neural_nets/01_layers.ipynb (autograder/checks/kernel/neural_nets/layers/
and autograder/checks/grader/neural_nets/layers/): the reference passes every item, and realistic
wrong answers are rejected with a message that names the problem."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import items, judge
from autograder.course import notebooks
from autograder.paths import SOURCE

from . import support

ASSIGNMENT = "neural_nets"
NOTEBOOK = "01_layers.ipynb"
PATH = SOURCE / ASSIGNMENT / NOTEBOOK
POINTS = {
    "layer1": 1,
    "w_bias": 1,
    "w_weight": 1,
    "W": 1,
    "Z_by_hand": 2,
    "Z_by_hand_ones": 1,
    "layer2": 1,
    "layer_output": 1,
    "ExampleNN": 2,
    "Y_pred": 1,
}
# grade_ids of 03_training.ipynb (another notebook of the same assignment): must stay distinct.
TRAINING_IDS = {
    "standardize",
    "unstandardize",
    "X_all",
    "split",
    "NeuralNetData",
    "train_dataloader",
    "NeuralNet",
    "init_weights",
    "one_epoch",
    "training",
    "test_mse",
    "regression_plot",
}


def verdict(grade_id: str, replace: dict[str, str] | None = None) -> tuple[bool, str]:
    return support.verdict_upto(PATH, ASSIGNMENT, grade_id, replace)


def assert_rejected(grade_id: str, replace: dict[str, str], *words: str) -> str:
    return support.assert_rejected(verdict(grade_id, replace), grade_id, replace, *words)


# ----------------------------------------------------------------------------- the reference
def test_reference_passes_every_item(judge_source):
    results = judge_source(ASSIGNMENT, NOTEBOOK)
    assert set(results) == set(POINTS)
    failures = {gid: message for gid, (passed, message) in results.items() if not passed}
    assert not failures


def test_grading_metadata():
    nb = notebooks.read(PATH)
    cells = notebooks.test_cells(nb)
    assert {notebooks.grade_id(c): notebooks.points(c) for c in cells} == POINTS
    assert not set(POINTS) & TRAINING_IDS
    module_ids = {
        gid for gid, item in items(ASSIGNMENT).items() if item.grader_module.__name__.split(".")[-2] == "layers"
    }
    assert module_ids == set(POINTS)
    for c in cells:
        assert notebooks.hidden_part(c.source).strip() == (
            "### BEGIN HIDDEN TESTS\n"
            f'from autograder.checks import run; run("neural_nets", "{notebooks.grade_id(c)}", globals())\n'
            "### END HIDDEN TESTS"
        )
        if notebooks.grade_id(c) != "Z_by_hand_ones":  # a second test of answer_Z_by_hand
            notebooks.cell(nb, f"answer_{notebooks.grade_id(c)}")  # every item has its answer cell
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "\\bm" not in text and text.count("$$") % 2 == 0


# ----------------------------------------------------------------------------- layer1
def test_layer1_without_sigmoid():
    assert_rejected(
        "layer1",
        {"answer_layer1": "torch.manual_seed(0)\nlayer1 = torch.nn.Sequential(torch.nn.Linear(3, 2))"},
        "only a Linear",
        "Sigmoid",
    )


def test_layer1_sizes_swapped():
    assert_rejected(
        "layer1",
        {
            "answer_layer1": "torch.manual_seed(0)\nlayer1 = torch.nn.Sequential("
            "torch.nn.Linear(2, 3), torch.nn.Sigmoid())"
        },
        "maps 2 → 3",
        "should map 3 → 2",
    )


def test_layer1_random_draw_after_the_seed():
    assert_rejected(
        "layer1",
        {
            "answer_layer1": "torch.manual_seed(0)\nnoise = torch.randn(3)\n"
            "layer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), "
            "torch.nn.Sigmoid())"
        },
        "torch.manual_seed(0)",
    )


def test_layer1_other_activation():
    assert_rejected(
        "layer1",
        {"answer_layer1": "torch.manual_seed(0)\nlayer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())"},
        "Linear, ReLU",
    )


# ----------------------------------------------------------------------------- w_bias, w_weight, W
def test_w_bias_is_the_weight():
    assert_rejected("w_bias", {"answer_w_bias": "w_bias = layer1[0].weight.data"}, "shape (2, 3)", "(2,)")


def test_w_bias_wrong_values():
    assert_rejected("w_bias", {"answer_w_bias": "w_bias = torch.zeros(2)"}, "differs from the bias")


def test_w_weight_transposed():
    message = assert_rejected("w_weight", {"answer_w_weight": "w_weight = layer1[0].weight.data.T"})
    assert message == "w_weight has shape (3, 2): PyTorch stores Linear weights as (out_features, in_features)"


def test_w_weight_of_another_layer():
    assert_rejected(
        "w_weight",
        {"answer_w_weight": "w_weight = torch.nn.Linear(3, 2).weight.data"},
        "differs from the weights of layer1",
    )


def test_W_not_transposed():
    assert_rejected("W", {"answer_W": "W = w_weight"}, "shape (2, 3)", "transpose")


def test_W_reshaped_instead_of_transposed():
    assert_rejected("W", {"answer_W": "W = w_weight.reshape(3, 2)"}, "transpose", "reshape")


def test_W_right_but_not_the_transpose_of_a_transposed_w_weight():
    """The visible assert compares W with w_weight (W[i, j] is w_weight[j, i]); a hook that hides it
    must not earn the point (issue 21): the hidden check compares them too."""
    replace = {"answer_w_weight": "w_weight = layer1[0].weight.data.T", "answer_W": "W = w_weight"}
    assert visible("W", replace) == "W[i, j] is the weight from input i to node j"
    assert_rejected("W", replace, "not the transpose of your `w_weight`", "Fix w_weight first")


# ----------------------------------------------------------------------------- Z_by_hand
BY_HAND = """
def hidden_layer1_by_hand(X, W, w_b):
    {body}
"""


def by_hand(body: str) -> dict[str, str]:
    return {"answer_Z_by_hand": BY_HAND.format(body=body.strip().replace("\n", "\n    "))}


def test_Z_by_hand_reference_formula_with_torch_sigmoid_passes():
    assert verdict(
        "Z_by_hand", by_hand("J = torch.ones(X.shape[0], 1)\nreturn torch.sigmoid(X @ W + J @ w_b.reshape(1, -1))")
    ) == (True, "")


def test_Z_by_hand_calls_layer1():
    assert_rejected("Z_by_hand", by_hand("J = torch.ones(X.shape[0], 1)\nreturn layer1(X)"), "uses layer1")


def test_Z_by_hand_broadcasting_without_J_has_the_values_but_not_the_ones():
    # Broadcasting adds w_b to every row too: the values (2 points) are right, J (1 point) is missing.
    replace = by_hand("return torch.sigmoid(X @ W + w_b)")
    assert verdict("Z_by_hand", replace) == (True, "")
    assert_rejected("Z_by_hand_ones", replace, "torch.ones", "J")


@pytest.mark.parametrize(
    "J",
    [
        "torch.ones(X.shape[0], 1)",
        "torch.ones_like(X[:, :1])",
        "X.new_ones(len(X), 1)",
        "torch.ones((X.shape[0], 1), dtype=X.dtype)",
    ],
)
def test_Z_by_hand_ones_every_way_to_call_torch_ones_passes(J):
    replace = by_hand(f"J = {J}\nreturn torch.sigmoid(X @ W + J @ w_b.reshape(1, 2))")
    assert verdict("Z_by_hand_ones", replace) == (True, "")


def test_Z_by_hand_ones_is_judged_on_calls_not_names():
    # The name `ones` is in the code, but J is made with torch.full: no torch.ones runs.
    replace = by_hand("ones = torch.full((X.shape[0], 1), 1.0)\nreturn torch.sigmoid(X @ W + ones @ w_b.reshape(1, 2))")
    assert verdict("Z_by_hand", replace) == (True, "")
    assert_rejected("Z_by_hand_ones", replace, "torch.ones")


def test_Z_by_hand_calling_a_linear_through_an_alias_is_rejected():
    replace = by_hand(
        "J = torch.ones(X.shape[0], 1)\nf = getattr(torch.nn.functional, 'lin' + 'ear')\n"
        "return torch.sigmoid(f(X, W.T, w_b))"
    )
    assert_rejected("Z_by_hand", replace, "ready-made linear layer")


def test_Z_by_hand_J_with_20_rows_hard_coded():
    assert_rejected(
        "Z_by_hand",
        by_hand("J = torch.ones(20, 1)\nreturn torch.sigmoid(X @ W + J @ w_b.reshape(1, 2))"),
        "hidden_layer1_by_hand",
        "raised RuntimeError",
    )


def test_Z_by_hand_on_a_W_it_cannot_take():
    """The visible checks call hidden_layer1_by_hand on the notebook's own W and w_bias: with W not
    transposed (shape (2, 3)) they raise, so the hidden checks of both items say so too (issue 21)."""
    ns = notebooks.run_in_process(PATH, replace={"answer_W": "W = w_weight"}, upto="answer_Z_by_hand")
    for grade_id in ("Z_by_hand", "Z_by_hand_ones"):
        support.assert_rejected(judge(ASSIGNMENT, grade_id, ns), grade_id, {"answer_W": "W = w_weight"}, "fix W")
    with pytest.raises(RuntimeError):
        visible("Z_by_hand", {"answer_W": "W = w_weight"})


def test_Z_by_hand_without_sigmoid():
    assert_rejected(
        "Z_by_hand",
        by_hand("J = torch.ones(X.shape[0], 1)\nreturn X @ W + J @ w_b.reshape(1, 2)"),
        "differs from sigmoid(X W + J w_b)",
    )


def test_Z_by_hand_ignores_its_weights():
    # Uses the notebook's own W and w_bias instead of its arguments: right for the visible demo only.
    assert_rejected(
        "Z_by_hand",
        by_hand("J = torch.ones(X.shape[0], 1)\nreturn torch.sigmoid(X @ globals()['W'] + J @ w_bias.reshape(1, 2))"),
        "differs from sigmoid(X W + J w_b)",
    )


# ----------------------------------------------------------------------------- layer2, layer_output
def test_layer2_sizes_swapped():
    assert_rejected(
        "layer2",
        {"answer_layer2": "layer2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())"},
        "should map 2 → 3",
    )


def test_layer2_without_sigmoid():
    assert_rejected("layer2", {"answer_layer2": "layer2 = torch.nn.Sequential(torch.nn.Linear(2, 3))"}, "Sigmoid")


def test_layer_output_not_a_sequential():
    assert_rejected(
        "layer_output",
        {"answer_layer_output": "layer_output = torch.nn.Linear(3, 2)"},
        "should be a torch.nn.Sequential",
    )


def test_layer_output_sigmoid_first():
    assert_rejected(
        "layer_output",
        {"answer_layer_output": "layer_output = torch.nn.Sequential(torch.nn.Sigmoid(), torch.nn.Linear(3, 2))"},
        "a Linear then a Sigmoid",
        "Sigmoid, Linear",
    )


# ----------------------------------------------------------------------------- ExampleNN
EXAMPLE_NN = """
class ExampleNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.{name1} = torch.nn.Sequential(torch.nn.Linear(3, {width1}), torch.nn.Sigmoid())
        self.layer2 = torch.nn.Sequential(torch.nn.Linear({width1}, 3){act2})
        self.layer_output = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())

    def forward(self, x):
        {forward}
"""
FORWARD = "return self.layer_output(self.layer2(self.layer1(x)))"


def example_nn(name1="layer1", width1=2, act2=", torch.nn.Sigmoid()", forward=FORWARD) -> dict[str, str]:
    return {"answer_ExampleNN": EXAMPLE_NN.format(name1=name1, width1=width1, act2=act2, forward=forward)}


def test_ExampleNN_template_is_right():
    assert verdict("ExampleNN", example_nn()) == (True, "")


def test_ExampleNN_layer2_without_sigmoid():
    assert_rejected("ExampleNN", example_nn(act2=""), "ExampleNN.layer2", "Linear(2 → 3) then Sigmoid")


def test_ExampleNN_forward_skips_layer2():
    assert_rejected(
        "ExampleNN",
        example_nn(forward="return self.layer_output(self.layer1(x))"),
        "ExampleNN.forward",
        "raised RuntimeError",
    )


def test_ExampleNN_forward_returns_hidden_layer_2():
    assert_rejected("ExampleNN", example_nn(forward="return self.layer2(self.layer1(x))"), "shape (9, 3)")


def test_ExampleNN_forward_extra_sigmoid():
    assert_rejected(
        "ExampleNN",
        example_nn(forward=f"return torch.sigmoid({FORWARD[len('return ') :]})"),
        "x → layer1 → layer2 → layer_output",
    )


def test_ExampleNN_wrong_width():
    assert_rejected("ExampleNN", example_nn(width1=3), "ExampleNN.layer1", "should map 3 → 2")


def test_ExampleNN_with_a_module_after_the_sigmoid():
    """ReLU after a sigmoid changes nothing (its outputs are positive), but the visible assert wants
    exactly a Linear then a Sigmoid in each layer; a hook that hides it must not earn the points."""
    replace = example_nn(act2=", torch.nn.Sigmoid(), torch.nn.ReLU()")
    assert visible("ExampleNN", replace) == "each layer: a Linear, then a Sigmoid"
    assert_rejected("ExampleNN", replace, "ExampleNN.layer2", "exactly two modules", "3 module(s)", "another module")


def test_ExampleNN_attribute_misnamed():
    assert_rejected(
        "ExampleNN",
        example_nn(name1="hidden1", forward="return self.layer_output(self.layer2(self.hidden1(x)))"),
        "no layer attribute(s) layer1",
    )


def test_ExampleNN_observer_keeps_the_random_state():
    ns = notebooks.run_in_process(PATH, upto="answer_ExampleNN")
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    assert judge(ASSIGNMENT, "ExampleNN", ns) == (True, "")
    assert torch.equal(torch.random.get_rng_state(), before)


# ----------------------------------------------------------------------------- Y_pred
def test_Y_pred_from_the_first_layer_only():
    # Right shape (20, 2) by coincidence: hidden layer 1 also has 2 nodes.
    assert_rejected("Y_pred", {"answer_Y_pred": "Y_pred = example_nn.layer1(X)"}, "differs from example_nn(X)")


def test_Y_pred_from_another_instance():
    assert_rejected("Y_pred", {"answer_Y_pred": "Y_pred = ExampleNN()(X)"}, "differs from example_nn(X)")


def test_Y_pred_transposed():
    assert_rejected("Y_pred", {"answer_Y_pred": "Y_pred = example_nn(X).T"}, "shape (2, 20)")


@pytest.mark.parametrize("patched", ["allclose", "isclose", "equal"])
def test_Y_pred_patched_torch_comparison_does_not_help(patched):
    """A student cell that replaces a torch comparison in the (shared) process, then a wrong Y_pred:
    the test side does not use torch's comparison functions, so it still rejects."""
    original = getattr(torch, patched)
    try:
        passed, _ = verdict(
            "Y_pred", {"answer_Y_pred": f"torch.{patched} = lambda *a, **k: True\nY_pred = example_nn.layer1(X)"}
        )
        assert getattr(torch, patched)(torch.zeros(1), torch.ones(1)) is True  # the patch was live
    finally:
        setattr(torch, patched, original)
    assert not passed


def test_Z_by_hand_with_torch_nn_sigmoid_passes():
    assert verdict(
        "Z_by_hand", by_hand("J = torch.ones(X.shape[0], 1)\nreturn torch.nn.Sigmoid()(X @ W + J @ w_b.reshape(1, 2))")
    ) == (True, "")


def test_Z_by_hand_with_a_ready_made_linear():
    assert_rejected(
        "Z_by_hand",
        by_hand("J = torch.ones(X.shape[0], 1)\nreturn torch.sigmoid(torch.nn.functional.linear(X, W.T, w_b))"),
        "ready-made linear layer",
    )


REUSES_GLOBALS = """
class ExampleNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = layer1
        self.layer2 = layer2
        self.layer_output = layer_output

    def forward(self, x):
        return self.layer_output(self.layer2(self.layer1(x)))
"""

SHARED_ON_THE_CLASS = """
SHARED = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())

class ExampleNN(torch.nn.Module):
    def __init__(self, first=SHARED):
        super().__init__()
        self.layer1 = first
        self.layer2 = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())
        self.layer_output = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())

    def forward(self, x):
        return self.layer_output(self.layer2(self.layer1(x)))
"""


def test_ExampleNN_reusing_the_global_layers():
    assert_rejected(
        "ExampleNN",
        {"answer_ExampleNN": REUSES_GLOBALS},
        "reuses the notebook's `layer1`, `layer2`, `layer_output`",
        "inside __init__",
    )


def test_ExampleNN_sharing_one_layer_between_instances():
    # A default argument evaluated once: every ExampleNN() gets the same layer1 (here under the
    # global name SHARED too, which the message names).
    assert_rejected(
        "ExampleNN", {"answer_ExampleNN": SHARED_ON_THE_CLASS}, "reuses", "`SHARED`", "parameters of its own"
    )


def test_ExampleNN_copying_a_global_layer_is_its_own():
    # copy.deepcopy of a global layer gives the instance parameters of its own: that is allowed.
    own_copy = (
        REUSES_GLOBALS.replace("self.layer1 = layer1", "self.layer1 = copy.deepcopy(layer1)")
        .replace("self.layer2 = layer2", "self.layer2 = copy.deepcopy(layer2)")
        .replace("self.layer_output = layer_output", "self.layer_output = copy.deepcopy(layer_output)")
    )
    assert verdict("ExampleNN", {"answer_ExampleNN": "import copy\n" + own_copy}) == (True, "")


# ----------------------------------------------------------------------------- visible checks
# Every rule the notebook states is checked by a visible assert too (what `python -m autograder check`
# shows before students submit).
def visible(grade_id: str, replace: dict[str, str] | None = None) -> str | None:
    return support.visible_upto(PATH, ASSIGNMENT, grade_id, replace)


@pytest.mark.parametrize("grade_id", sorted(POINTS))
def test_the_reference_passes_every_visible_check(grade_id):
    assert visible(grade_id) is None


@pytest.mark.parametrize(
    "grade_id,body,words",
    [
        ("Z_by_hand_ones", "return torch.sigmoid(X @ W + w_b)", "torch.ones"),
        ("Z_by_hand", "J = torch.ones(X.shape[0], 1)\nreturn layer1(X)", "do not call layer1"),
        ("Z_by_hand", "return torch.sigmoid(torch.nn.functional.linear(X, W.T, w_b))", "nor any Linear"),
    ],
)
def test_visible_asserts_state_the_rules_of_Z_by_hand(grade_id, body, words):
    message = visible(grade_id, by_hand(body))
    assert message is not None and words in message, message


@pytest.mark.parametrize(
    "grade_id,replace,words",
    [
        (
            "layer1",
            {
                "answer_layer1": "torch.manual_seed(0)\nnoise = torch.randn(3)\n"
                "layer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())"
            },
            "right after torch.manual_seed(0)",
        ),
        (
            "layer1",
            {
                "answer_layer1": "torch.manual_seed(0)\n"
                "layer1 = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())"
            },
            "in_features=3",
        ),
        ("w_bias", {"answer_w_bias": "w_bias = torch.zeros(2)"}, "bias of layer1's Linear"),
        ("w_weight", {"answer_w_weight": "w_weight = torch.nn.Linear(3, 2).weight.data"}, "weights of layer1's Linear"),
        ("W", {"answer_W": "W = w_weight.reshape(3, 2)"}, "from input i to node j"),
        (
            "layer_output",
            {"answer_layer_output": "layer_output = torch.nn.Sequential(torch.nn.Sigmoid(), torch.nn.Linear(3, 2))"},
            "a Linear, then a Sigmoid",
        ),
        ("ExampleNN", {"answer_ExampleNN": REUSES_GLOBALS}, "two ExampleNN() share layers"),
        ("ExampleNN", {"answer_ExampleNN": SHARED_ON_THE_CLASS}, "build new layers in __init__"),
        (
            "ExampleNN",
            example_nn(forward="return self.layer_output(self.layer2(torch.sigmoid(self.layer1(x))))"),
            "through layer1, then layer2, then layer_output",
        ),
        ("Y_pred", {"answer_Y_pred": "Y_pred = example_nn.layer1(X)"}, "the whole network"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_visible_asserts_state_the_rules_of_every_item(grade_id, replace, words):
    message = visible(grade_id, replace)
    assert message is not None and words in message, message
    assert not verdict(grade_id, replace)[0]  # the hidden check agrees


def test_the_visible_check_of_layer1_keeps_the_random_state():
    ns = notebooks.run_in_process(PATH, upto="answer_layer1")
    before = torch.random.get_rng_state()
    test = next(c for c in notebooks.test_cells(notebooks.read(PATH)) if notebooks.grade_id(c) == "layer1")
    exec(notebooks.visible_part(test.source), ns)
    assert torch.equal(torch.random.get_rng_state(), before)
