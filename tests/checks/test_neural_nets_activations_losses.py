"""Proofs of the checks of source/neural_nets/02_activations_losses.ipynb
(autograder/checks/kernel/neural_nets/activations_losses/<item>.py observes,
autograder/checks/grader/neural_nets/activations_losses/test_<item>.py judges): the reference passes every item,
legitimate alternatives pass, realistic wrong answers are rejected with a message that names the
problem, and tampering with the comparison (always-equal results, a patched torch.allclose) does not help.

About tampering: these tests judge in-process, like nbgrader's hidden regions (which judge inside the
student's kernel). The check's test side compares with elementary tensor arithmetic, never with
torch.allclose / isclose / equal, so replacing those does not change a verdict. It cannot be safe
against every patch of torch in the same process (e.g. of torch.Tensor.__sub__ or torch.isfinite):
only the grading engine, which runs the test side in its own clean process, is."""

from __future__ import annotations

import pytest
import torch

from autograder.checks import items, judge
from autograder.checks.grader.neural_nets.activations_losses import _shared as grader
from autograder.course import notebooks
from autograder.paths import SOURCE

from . import support

# plotly warns when the notebook's plot cells hand it torch tensors (harmless, and not shown in Jupyter).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

ASSIGNMENT = "neural_nets"
NOTEBOOK = "02_activations_losses.ipynb"
PATH = SOURCE / ASSIGNMENT / NOTEBOOK
POINTS = {
    "sigmoid": 1,
    "tanh": 1,
    "relu": 1,
    "leaky_relu": 1,
    "prelu": 2,
    "activation_grad": 2,
    "sigmoid_grad_max": 1,
    "mse": 1,
    "bce": 1,
    "loss_choice": 1,
}
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


def function(grade_id: str, body: str, signature: str = "x") -> dict[str, str]:
    """A replacement answer cell: `def <grade_id>(<signature>):` with this body."""
    body = body.strip().replace("\n", "\n    ")
    return {f"answer_{grade_id}": f"def {grade_id}({signature}):\n    {body}\n"}


def assert_passes(grade_id: str, replace: dict[str, str]) -> None:
    assert verdict(grade_id, replace) == (True, "")


def assert_rejected(grade_id: str, replace: dict[str, str], *words: str) -> str:
    return support.assert_rejected(verdict(grade_id, replace), grade_id, replace, *words)


PRELU_TEMPLATE = """
class PReLU(torch.nn.Module):
    def __init__(self):
        super().__init__()
        {init}

    def forward(self, x):
        {forward}
"""
FORWARD_TEMPLATE = "return torch.where(x >= 0, x, self.m * x)"


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
        gid
        for gid, item in items(ASSIGNMENT).items()
        if item.grader_module.__name__.split(".")[-2] == "activations_losses"
    }
    assert module_ids == set(POINTS)
    for c in cells:
        notebooks.cell(nb, f"answer_{notebooks.grade_id(c)}")
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "\\bm" not in text and text.count("$$") % 2 == 0


# ----------------------------------------------------------------------------- visible checks
# Every rule the notebook states is checked by a visible assert too, so that students see it before
# they submit (`python -m autograder check` runs these asserts).
def visible(grade_id: str, replace: dict[str, str] | None = None) -> str | None:
    return support.visible_upto(PATH, ASSIGNMENT, grade_id, replace)


@pytest.mark.parametrize("grade_id", sorted(POINTS))
def test_the_reference_passes_every_visible_check(grade_id):
    assert visible(grade_id) is None


def test_the_visible_rule_and_the_hidden_rule_forbid_the_same_functions():
    ns = notebooks.run_in_process(PATH, upto="answer_sigmoid")
    assert {name: set(names) for name, names in grader.PYTORCH_VERSIONS.items()} == ns["NOT_ALLOWED"]
    assert ns["not_allowed_calls"]("relu", lambda x: x.numpy(), torch.zeros(2)) == set(grader.TO_NUMPY) & {"numpy"}


@pytest.mark.parametrize(
    "grade_id,replace,used",
    [
        ("sigmoid", function("sigmoid", "return torch.special.expit(x)"), "expit"),
        ("tanh", function("tanh", "return 2 * torch.sigmoid(2 * x) - 1"), "sigmoid"),
        ("tanh", {"answer_tanh": "def tanh(x, f=torch.tanh):\n    return f(x)\n"}, "tanh"),
        (
            "tanh",
            {"answer_tanh": "import numpy as np\n\ndef tanh(x):\n    return torch.from_numpy(np.tanh(x.numpy()))\n"},
            "numpy",
        ),
        ("relu", function("relu", "return torch.relu(x)"), "relu"),
        ("relu", function("relu", "return torch.nn.functional.hardtanh(x, 0.0, 3e38)"), "hardtanh"),
        (
            "leaky_relu",
            function("leaky_relu", "return torch.nn.functional.leaky_relu(x, m)", "x, m=0.01"),
            "leaky_relu",
        ),
        (
            "prelu",
            {
                "answer_prelu": PRELU_TEMPLATE.format(
                    init="self.m = torch.nn.Parameter(torch.tensor(0.25))",
                    forward="return torch.nn.functional.prelu(x, self.m.reshape(1))",
                )
            },
            "prelu",
        ),
        ("mse", function("mse", "return torch.nn.functional.mse_loss(y_pred, y)", "y_pred, y"), "mse_loss"),
        (
            "bce",
            function("bce", "return torch.nn.MSELoss()(p, p) + torch.nn.BCELoss()(p, y)", "p, y"),
            "binary_cross_entropy",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_visible_assert_names_each_not_allowed_call(grade_id, replace, used):
    message = visible(grade_id, replace)
    assert (
        message is not None and f"{grade_id if grade_id != 'prelu' else 'PReLU'} calls" in message and used in message
    )
    assert not verdict(grade_id, replace)[0]  # and the hidden check agrees


@pytest.mark.parametrize(
    "grade_id,replace,words",
    [
        ("relu", function("relu", "return x >= 0"), "dtype"),
        ("leaky_relu", function("leaky_relu", "return torch.where(x >= 0, x, m * x)", "x, m=0.1"), "default slope"),
        ("sigmoid", function("sigmoid", "return 1 / (1 + torch.exp(-x.double()))"), "dtype"),
        ("mse", function("mse", "return ((y_pred - y) ** 2).mean().detach()", "y_pred, y"), "gradients"),
        ("mse", function("mse", "return ((y_pred - y) ** 2).mean(dim=0)", "y_pred, y"), "one number"),
        ("bce", function("bce", "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()", "p, y"), "clamp"),
    ],
)
def test_visible_asserts_state_the_other_rules(grade_id, replace, words):
    message = visible(grade_id, replace)
    assert message is not None and words in message, message


@pytest.mark.parametrize(
    "init,forward,words",
    [
        ("self.m = torch.nn.Parameter(torch.tensor(0.01))", FORWARD_TEMPLATE, "0.25"),
        ("self.m = torch.nn.Parameter(torch.tensor(0.25))", "return torch.where(x >= 0, x, 0.25 * x)", "self.m"),
        (
            "self.m = torch.nn.Parameter(torch.tensor(0.25))",
            "return torch.where(x >= 0, x, self.m.item() * x)",
            "gradient",
        ),
    ],
)
def test_visible_asserts_state_the_rules_of_prelu(init, forward, words):
    message = visible("prelu", {"answer_prelu": PRELU_TEMPLATE.format(init=init, forward=forward)})
    assert message is not None and words in message, message


# ----------------------------------------------------------------------------- static pictures
def picture_cell(monkeypatch, pictures: str | None) -> dict:
    """Run the given cell that chooses plotly's renderers, with NN_COURSE_PICTURES set or not; plotly's
    default renderer is restored afterwards."""
    import plotly.io as pio

    monkeypatch.setattr(pio.renderers, "default", "plotly_mimetype")  # restored at the end of the test
    if pictures is None:
        monkeypatch.delenv("NN_COURSE_PICTURES", raising=False)
    else:
        monkeypatch.setenv("NN_COURSE_PICTURES", pictures)
    ns: dict = {}
    cell = next(c for c in notebooks.read(PATH).cells if c.get("id") == "static-pictures")
    exec(cell.source, ns)
    return ns


def test_plotly_figures_also_carry_a_picture_unless_the_grader_says_no(monkeypatch):
    import plotly.io as pio

    picture_cell(monkeypatch, None)
    assert pio.renderers.default == "plotly_mimetype+also_picture"
    picture_cell(monkeypatch, "0")  # what the grader and `python -m autograder check` set
    assert pio.renderers.default == "plotly_mimetype"


def test_no_chromium_means_no_picture_and_no_error(monkeypatch):
    import plotly.graph_objects as go

    ns = picture_cell(monkeypatch, None)
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    assert ns["AlsoPicture"]().to_mimebundle(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).to_dict()) == {}


# ----------------------------------------------------------------------------- sigmoid
def test_sigmoid_sign_error():
    assert_rejected("sigmoid", function("sigmoid", "return 1 / (1 + torch.exp(x))"), "differs from torch.sigmoid")


@pytest.mark.parametrize(
    "body",
    [
        "return torch.sigmoid(x)",
        "return x.sigmoid()",
        "return torch.nn.functional.sigmoid(x)",
        "return torch.special.expit(x)",
        "return torch.nn.Sigmoid()(x)",
    ],
)
def test_sigmoid_uses_torch_sigmoid(body):
    assert_rejected("sigmoid", function("sigmoid", body), "PyTorch's own")


def test_sigmoid_through_an_alias_of_torch_sigmoid():
    replace = {"answer_sigmoid": "from torch import sigmoid as squash\n\ndef sigmoid(x):\n    return squash(x)\n"}
    assert_rejected("sigmoid", replace, "PyTorch's own `sigmoid`")


def test_sigmoid_in_float64():
    assert_rejected("sigmoid", function("sigmoid", "return 1 / (1 + torch.exp(-x.double()))"), "dtype")


def test_sigmoid_stable_two_branch_form_passes():
    assert_passes(
        "sigmoid",
        function("sigmoid", "e = torch.exp(-torch.abs(x))\nreturn torch.where(x >= 0, 1 / (1 + e), e / (1 + e))"),
    )


# ----------------------------------------------------------------------------- tanh
def test_tanh_naive_formula_gives_nan():
    assert_rejected(
        "tanh", function("tanh", "e = torch.exp(2 * x)\nreturn (e - 1) / (e + 1)"), "nan or inf", "e^{-2|x|}"
    )


def test_tanh_sinh_over_cosh_gives_nan():
    assert_rejected("tanh", function("tanh", "return torch.sinh(x) / torch.cosh(x)"), "nan or inf")


def test_tanh_uses_torch_tanh():
    assert_rejected("tanh", function("tanh", "return torch.nn.functional.tanh(x)"), "PyTorch's own `tanh`")


def test_tanh_through_torch_sigmoid():
    assert_rejected("tanh", function("tanh", "return 2 * torch.sigmoid(2 * x) - 1"), "PyTorch's own `sigmoid`")


def test_tanh_through_the_students_own_sigmoid_passes():
    # Calling the notebook's own sigmoid is fine (it is followed, and uses only torch.exp).
    assert_passes("tanh", function("tanh", "return 2 * sigmoid(2 * x) - 1"))


def test_tanh_forgets_the_sign():
    assert_rejected(
        "tanh",
        function("tanh", "e = torch.exp(-2 * torch.abs(x))\nreturn (1 - e) / (1 + e)"),
        "differs from torch.tanh",
    )


# ----------------------------------------------------------------------------- relu
def test_relu_returns_the_step():
    assert_rejected("relu", function("relu", "return x >= 0"), "torch.bool", "dtype")


def test_relu_forgets_the_half():
    assert_rejected("relu", function("relu", "return x + torch.abs(x)"), "differs from torch.nn.functional.relu")


@pytest.mark.parametrize("body", ["return torch.nn.functional.relu(x)", "return torch.relu(x)", "return x.relu()"])
def test_relu_uses_torch_relu(body):
    assert_rejected("relu", function("relu", body), "PyTorch's own")


@pytest.mark.parametrize(
    "body", ["return torch.clamp(x, min=0)", "return x * (x > 0)", "return torch.maximum(x, torch.zeros_like(x))"]
)
def test_relu_other_element_wise_forms_pass(body):
    assert_passes("relu", function("relu", body))


@pytest.mark.parametrize("body", ["return x.clamp(min=0)", "return torch.nn.ReLU()(x)"])
def test_relu_method_and_module_forms(body):
    passed, message = verdict("relu", function("relu", body))
    assert passed == ("ReLU" not in body), message


# ----------------------------------------------------------------------------- calls, not names
# The rule "do not call PyTorch's own version" is judged on the torch functions that run while the
# check calls the student's function (a TorchFunctionMode), not on the names its code mentions.
def test_numpy_and_math_names_off_the_tensor_path_are_not_pytorchs_own():
    replace = {
        "answer_tanh": "import math\nimport numpy as np\n\n"
        "def tanh(x):\n"
        "    if not isinstance(x, torch.Tensor):  # a plain number: math's tanh\n"
        "        return math.tanh(x) if np.ndim(x) == 0 else np.tanh(x)\n"
        "    e = torch.exp(-2 * torch.abs(x))\n"
        "    return torch.sign(x) * (1 - e) / (1 + e)\n"
    }
    assert_passes("tanh", replace)


def test_a_helper_method_called_relu_is_not_pytorchs_own():
    replace = {
        "answer_relu": "class Rectifier:\n"
        "    def relu(self, x):\n"
        "        return torch.where(x >= 0, x, torch.zeros_like(x))\n\n"
        "def relu(x):\n"
        "    return Rectifier().relu(x)\n"
    }
    assert_passes("relu", replace)


def test_numpy_tanh_on_the_tensor_is_named_as_numpy_not_as_pytorchs_own():
    message = assert_rejected(
        "tanh",
        {"answer_tanh": "import numpy as np\n\ndef tanh(x):\n    return torch.from_numpy(np.tanh(x.numpy()))\n"},
        "NumPy",
        "torch's element-wise operations",
    )
    assert "PyTorch's own" not in message


@pytest.mark.parametrize(
    "replace",
    [
        {"answer_tanh": "def tanh(x, f=torch.tanh):\n    return f(x)\n"},
        {"answer_tanh": "def tanh(x):\n    return getattr(torch, 'ta' + 'nh')(x)\n"},
        {"answer_tanh": "squash = torch.nn.Tanh()\n\ndef tanh(x):\n    return squash(x)\n"},
    ],
    ids=["default-argument", "getattr", "module-instance"],
)
def test_tanh_calling_torch_tanh_however_reached_is_rejected(replace):
    assert_rejected("tanh", replace, "PyTorch's own `tanh`")


@pytest.mark.parametrize(
    "body,used",
    [
        ("return torch.nn.functional.hardtanh(x, 0.0, 3e38)", "hardtanh"),
        ("return torch.nn.functional.threshold(x, 0.0, 0.0)", "threshold"),
        ("return torch.nn.functional.relu6(x) + torch.nn.functional.relu(x - 6)", "relu6"),
    ],
)
def test_relu_through_other_torch_activations_is_rejected(body, used):
    assert_rejected("relu", function("relu", body), f"PyTorch's own `{used}`")


def test_sigmoid_mentioning_torch_sigmoid_without_calling_it_passes():
    assert_passes(
        "sigmoid", function("sigmoid", "unused = torch.sigmoid  # only a name\nreturn 1 / (1 + torch.exp(-x))")
    )


# ----------------------------------------------------------------------------- leaky_relu
def test_leaky_relu_ignores_m():
    assert_rejected(
        "leaky_relu", function("leaky_relu", "return torch.where(x >= 0, x, 0.01 * x)", "x, m=0.01"), "ignores m"
    )


def test_leaky_relu_slope_on_the_wrong_side():
    assert_rejected(
        "leaky_relu",
        function("leaky_relu", "return torch.where(x >= 0, m * x, x)", "x, m=0.01"),
        "differs from torch.nn.functional.leaky_relu",
    )


def test_leaky_relu_wrong_default():
    assert_rejected(
        "leaky_relu", function("leaky_relu", "return torch.where(x >= 0, x, m * x)", "x, m=0.1"), "default m=0.01"
    )


def test_leaky_relu_with_its_slope_under_another_name():
    """The visible asserts call leaky_relu(x, m=0.1); a hook that hides their TypeError must not earn
    the point (issue 21): the hidden check asks for the argument m too."""
    replace = function("leaky_relu", "return torch.where(x >= 0, x, slope * x)", "x, slope=0.01")
    with pytest.raises(TypeError):
        visible("leaky_relu", replace)
    assert_rejected("leaky_relu", replace, "no argument named m", "leaky_relu(x, m=0.01)")


def test_leaky_relu_with_a_keyword_only_m_passes_the_name_rule_but_not_the_calls():
    # m keyword-only: leaky_relu(x, m=0.1) works, leaky_relu(x, 0.1) (the visible not_allowed_calls) does not.
    replace = function("leaky_relu", "return torch.where(x >= 0, x, m * x)", "x, *, m=0.01")
    assert_rejected("leaky_relu", replace, "raised TypeError")


def test_leaky_relu_uses_torch():
    assert_rejected(
        "leaky_relu",
        function("leaky_relu", "return torch.nn.functional.leaky_relu(x, m)", "x, m=0.01"),
        "PyTorch's own `leaky_relu`",
    )


# ----------------------------------------------------------------------------- prelu
PRELU, FORWARD = PRELU_TEMPLATE, FORWARD_TEMPLATE


def prelu(init: str = "self.m = torch.nn.Parameter(torch.tensor(0.25))", forward: str = FORWARD) -> dict[str, str]:
    return {"answer_prelu": PRELU.format(init=init, forward=forward)}


def test_prelu_template_is_right():
    assert_passes("prelu", prelu())


def test_prelu_one_element_vector_slope_passes():
    assert_passes("prelu", prelu(init="self.m = torch.nn.Parameter(torch.full((1,), 0.25))"))


def test_prelu_slope_is_a_plain_float():
    assert_rejected("prelu", prelu(init="self.m = 0.25"), "plain float", "torch.nn.Parameter")


def test_prelu_slope_is_a_plain_tensor():
    assert_rejected(
        "prelu", prelu(init="self.m = torch.tensor(0.25, requires_grad=True)"), "plain Tensor", "torch.nn.Parameter"
    )


def test_prelu_forward_ignores_m():
    assert_rejected(
        "prelu", prelu(forward="return torch.where(x >= 0, x, 0.25 * x)"), "after the check changed m", "self.m"
    )


def test_prelu_forward_cuts_the_gradient():
    assert_rejected("prelu", prelu(forward="return torch.where(x >= 0, x, self.m.item() * x)"), "no gradient")


def test_prelu_with_a_second_parameter():
    """The visible assert says "exactly one parameter"; a hook that hides a failing assert must not
    earn the points (issue 21): the hidden check counts the parameters too."""
    extra = "self.m = torch.nn.Parameter(torch.tensor(0.25))\n        self.bias = torch.nn.Parameter(torch.zeros(1))"
    assert_rejected("prelu", prelu(init=extra), "PReLU has 2 parameters", "exactly one")


def test_prelu_wrong_initial_slope():
    assert_rejected("prelu", prelu(init="self.m = torch.nn.Parameter(torch.tensor(0.01))"), "start at 0.25")


def test_prelu_uses_torch_prelu():
    assert_rejected(
        "prelu", prelu(forward="return torch.nn.functional.prelu(x, self.m.reshape(1))"), "PyTorch's own `prelu`"
    )


def test_prelu_wraps_torch_prelu():
    assert_rejected("prelu", {"answer_prelu": "PReLU = torch.nn.PReLU"}, "torch.nn.PReLU")


# ----------------------------------------------------------------------------- activation_grad
def grad_answer(body: str) -> dict[str, str]:
    return function("activation_grad", body, "f, x")


@pytest.mark.parametrize(
    "body",
    [
        "x = x.detach().clone().requires_grad_(True)\nf(x).sum().backward()\nreturn x.grad",
        "return torch.func.vmap(torch.func.grad(f))(x.detach().reshape(-1)).reshape(x.shape)",
        "x = x.detach().requires_grad_()\nreturn torch.autograd.grad(f(x), x, torch.ones_like(x))[0]",
        "x = x.detach().clone().requires_grad_(True)\ny = f(x)\ny.backward(torch.ones_like(y))\nreturn x.grad.detach()",
    ],
    ids=["backward-on-sum", "torch.func", "grad-outputs", "backward-with-ones"],
)
def test_activation_grad_every_autograd_way_passes(body):
    assert_passes("activation_grad", grad_answer(body))


def test_activation_grad_returns_f_of_x():
    assert_rejected(
        "activation_grad",
        grad_answer("x = x.detach().clone().requires_grad_(True)\ny = f(x)\ny.sum().backward()\nreturn y.detach()"),
        "differs from the derivative of f",
        "not f(x) itself",
    )


def test_activation_grad_accumulates_across_calls():
    assert_rejected(
        "activation_grad",
        grad_answer("x.requires_grad_(True)\nf(x).sum().backward()\nreturn x.grad"),
        "called again on the same x",
        "add up",
        "fresh copy",
    )


def test_activation_grad_by_finite_differences():
    assert_rejected("activation_grad", grad_answer("return (f(x + 1.0) - f(x)) / 1.0"), "no autograd")
    assert visible("activation_grad", grad_answer("return (f(x + 1.0) - f(x)) / 1.0")) is not None


def test_activation_grad_by_fine_central_differences_in_float64():
    # Close on smooth functions, but no autograd runs (and a kink is where it shows).
    assert_rejected(
        "activation_grad",
        grad_answer("h = 1e-6\nx = x.detach().double()\nreturn ((f(x + h) - f(x - h)) / (2 * h)).float()"),
        "no autograd",
    )


def test_activation_grad_detached_so_grad_is_none():
    assert_rejected(
        "activation_grad",
        grad_answer("x = x.detach().clone().requires_grad_(True) * 1\nf(x).sum().backward()\nreturn x.grad"),
        "not a NoneType",
        "x.grad",
    )


def test_activation_grad_summed_to_a_scalar():
    assert_rejected(
        "activation_grad",
        grad_answer("x = x.detach().clone().requires_grad_(True)\nf(x).sum().backward()\nreturn x.grad.sum()"),
        "one number",
        "not its sum",
    )


def test_activation_grad_that_keeps_the_graph():
    assert_rejected(
        "activation_grad",
        grad_answer(
            "x = x.detach().clone().requires_grad_(True)\n"
            "return torch.autograd.grad(f(x).sum(), x, create_graph=True)[0]"
        ),
        "still tracks gradients",
        "detached",
    )


def test_activation_grad_is_not_judged_on_a_wrong_own_activation():
    # A wrong sigmoid is the sigmoid exercise's failure: activation_grad still passes.
    replace = dict(function("sigmoid", "return 1 / (1 + torch.exp(x))"))
    assert_passes("activation_grad", replace)


def test_sigmoid_grad_max_as_a_tensor():
    assert_rejected(
        "sigmoid_grad_max",
        {"answer_sigmoid_grad_max": "sigmoid_grad_max = activation_grad(sigmoid, X).max()"},
        "Python number",
        "Tensor",
    )


def test_sigmoid_grad_max_of_the_sigmoid_itself():
    assert_rejected(
        "sigmoid_grad_max",
        {"answer_sigmoid_grad_max": "sigmoid_grad_max = sigmoid(X).max().item()"},
        "largest value of the sigmoid's derivative",
    )


# ----------------------------------------------------------------------------- mse
def test_mse_sum_instead_of_mean():
    assert_rejected(
        "mse",
        function("mse", "return ((y_pred - y) ** 2).sum()", "y_pred, y"),
        "differs from torch.nn.functional.mse_loss",
    )


def test_mse_returns_a_python_number():
    assert_rejected(
        "mse", function("mse", "return ((y_pred - y) ** 2).mean().item()", "y_pred, y"), "torch.Tensor", "not a float"
    )


def test_mse_detached():
    assert_rejected(
        "mse", function("mse", "return ((y_pred - y) ** 2).mean().detach()", "y_pred, y"), "keep track of gradients"
    )


def test_mse_per_column():
    assert_rejected("mse", function("mse", "return ((y_pred - y) ** 2).mean(dim=0)", "y_pred, y"), "single number")


def test_mse_uses_torch():
    assert_rejected(
        "mse",
        function("mse", "return torch.nn.functional.mse_loss(y_pred, y)", "y_pred, y"),
        "PyTorch's own `mse_loss`",
    )


# ----------------------------------------------------------------------------- bce
def test_bce_without_clamp_gives_nan():
    assert_rejected(
        "bce",
        function("bce", "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()", "p, y"),
        "nan or inf",
        "clamp",
    )


def test_bce_epsilon_instead_of_clamp():
    assert_rejected(
        "bce",
        function(
            "bce", "eps = 1e-7\nreturn -(y * torch.log(p + eps) + (1 - y) * torch.log(1 - p + eps)).mean()", "p, y"
        ),
        "differs from torch.nn.functional.binary_cross_entropy",
    )


def test_bce_without_the_minus_sign():
    assert_rejected(
        "bce",
        function(
            "bce",
            "return (y * torch.clamp(torch.log(p), min=-100)"
            " + (1 - y) * torch.clamp(torch.log(1 - p), min=-100)).mean()",
            "p, y",
        ),
        "differs from torch.nn.functional.binary_cross_entropy",
    )


def test_bce_uses_torch():
    assert_rejected(
        "bce",
        function("bce", "return torch.nn.functional.binary_cross_entropy(p, y)", "p, y"),
        "PyTorch's own `binary_cross_entropy`",
    )


# ----------------------------------------------------------------------------- loss_choice
CHOICE = {
    "house price in dollars": "mse",
    "spam or not spam": "bce",
    "tomorrow's temperature": "mse",
    "which of several tags apply to a photo": "bce",
    "minutes until a delivery arrives": "mse",
    "whether a tumour is malignant": "bce",
}


def test_loss_choice_classes_swapped():
    swapped = {task: {"mse": "bce", "bce": "mse"}[loss] for task, loss in CHOICE.items()}
    assert_rejected("loss_choice", {"answer_loss_choice": f"loss_choice = {swapped!r}"}, "6 of the 6")


def test_loss_choice_multi_label_as_mse():
    wrong = dict(CHOICE, **{"which of several tags apply to a photo": "mse"})
    assert_rejected("loss_choice", {"answer_loss_choice": f"loss_choice = {wrong!r}"}, "1 of the 6")


def test_loss_choice_unanswered():
    assert_rejected(
        "loss_choice",
        {"answer_loss_choice": f"loss_choice = {dict(CHOICE, **{'spam or not spam': None})!r}"},
        "not answered yet",
    )


def test_loss_choice_in_capitals_with_spaces():
    """The visible assert wants exactly "mse" or "bce"; a hook that hides it must not earn the point
    (issue 21): the hidden check no longer forgives case and spaces."""
    shouting = {task: f" {loss.upper()} " for task, loss in CHOICE.items()}
    replace = {"answer_loss_choice": f"loss_choice = {shouting!r}"}
    assert visible("loss_choice", replace) == 'answer each task with "mse" or "bce"'
    assert_rejected("loss_choice", replace, 'exactly "mse" or "bce"', "lower case")


def test_loss_choice_reference_spelling_passes():
    assert_passes("loss_choice", {"answer_loss_choice": f"loss_choice = {CHOICE!r}"})


# ----------------------------------------------------------------------------- tampering
@pytest.fixture(scope="module")
def reference_ns():
    return notebooks.run_in_process(PATH, upto="answer_sigmoid")


class AlwaysEqual:
    """Equal to everything, close to everything."""

    shape = dtype = None

    def __eq__(self, other):
        return True

    __le__ = __ge__ = __eq__

    def __bool__(self):
        return True


class AlwaysEqualTensor(torch.Tensor):
    """A tensor whose comparisons are all True."""

    def __eq__(self, other):
        return torch.ones(self.shape, dtype=torch.bool)

    __le__ = __ge__ = __eq__


@pytest.mark.parametrize(
    "result",
    [lambda x: AlwaysEqual(), lambda x: torch.zeros_like(x).as_subclass(AlwaysEqualTensor)],
    ids=["object", "tensor-subclass"],
)
def test_sigmoid_returning_an_always_equal_result_fails(reference_ns, result):
    ns = dict(reference_ns, sigmoid=result)
    passed, message = judge(ASSIGNMENT, "sigmoid", ns)
    assert not passed
    assert "torch.Tensor" in message


COMPARISONS = ("allclose", "isclose", "equal")


def test_sigmoid_with_torch_allclose_patched_before_the_check_fails(reference_ns):
    originals = {name: getattr(torch, name) for name in COMPARISONS}
    ns = dict(reference_ns, sigmoid=lambda x: torch.zeros_like(x))  # wrong everywhere
    try:
        for name in COMPARISONS:
            setattr(torch, name, lambda *args, **kwargs: True)
        assert torch.allclose(torch.zeros(1), torch.ones(1)) is True  # the patch is live
        passed, message = judge(ASSIGNMENT, "sigmoid", ns)
    finally:
        for name, original in originals.items():
            setattr(torch, name, original)
    assert not passed
    assert "differs from torch.sigmoid" in message


def test_sigmoid_that_patches_torch_allclose_when_called_fails(reference_ns):
    """The patch happens inside the student's function, i.e. while the observer runs, before the test."""
    originals = {name: getattr(torch, name) for name in COMPARISONS}

    def sigmoid(x):
        for name in COMPARISONS:
            setattr(torch, name, lambda *args, **kwargs: True)
        return x  # the identity: wrong

    try:
        passed, message = judge(ASSIGNMENT, "sigmoid", dict(reference_ns, sigmoid=sigmoid))
        assert torch.allclose is not originals["allclose"]  # the patch was live during the test
    finally:
        for name, original in originals.items():
            setattr(torch, name, original)
    assert not passed
    assert "differs from torch.sigmoid" in message
