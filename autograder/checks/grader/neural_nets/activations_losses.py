"""Grader side of the checks of source/neural_nets/02_activations_losses.ipynb: runs in the grader's
process. Judges what kernel/neural_nets/activations_losses.py observed against PyTorch's own
activation and loss functions, on the same hidden inputs (rebuilt here from the kernel side's seeds).

Items: sigmoid, tanh, relu, leaky_relu, prelu, activation_grad, sigmoid_grad_max, mse, bce, loss_choice.

Values are compared with `close` (elementary tensor arithmetic) rather than torch.allclose: where a
check runs in the student's own process (nbgrader's hidden region, the in-process tests) student
code may have replaced torch.allclose before the test runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.neural_nets import activations_losses as kernel

ATOL, RTOL = 1e-6, 1e-5     # the tolerance the notebook states
TOLERANCE = "atol=1e-6, rtol=1e-5"
GRAD_ATOL = 1e-5            # gradients are sums of many terms: a little more room

WHAT_TO_USE = {
    "sigmoid": "torch.exp and arithmetic",
    "tanh": "torch.exp, torch.abs, torch.sign and arithmetic",
    "relu": "torch.where (or a comparison) and arithmetic",
    "leaky_relu": "torch.where (or a comparison) and arithmetic",
    "PReLU": "torch.where (or a comparison), arithmetic and self.m",
    "mse": "arithmetic and .mean()",
    "bce": "torch.log, torch.clamp, arithmetic and .mean()",
}


# PyTorch's own versions of what each exercise writes, by the short name the kernel side records
# for a call (torch.tanh, x.tanh(), torch.nn.Tanh()(x) and F.tanh all record "tanh"). Element-wise
# primitives (exp, abs, sign, where, clamp, maximum, comparisons, arithmetic, log, mean) are allowed.
_SIGMOID = frozenset({"sigmoid", "expit", "logsigmoid", "silu"})
_TANH = frozenset({"tanh", "hardtanh", "tanhshrink"}) | _SIGMOID
_RELU = frozenset({"relu", "relu6", "hardtanh", "threshold", "leaky_relu", "prelu", "prelu_kernel",
                   "rrelu", "elu", "selu", "celu"})
PYTORCH_VERSIONS = {
    "sigmoid": _SIGMOID,
    "tanh": _TANH,
    "relu": _RELU,
    "leaky_relu": _RELU,
    "PReLU": _RELU,
    "mse": frozenset({"mse_loss", "smooth_l1_loss", "huber_loss"}),
    "bce": frozenset({"binary_cross_entropy", "binary_cross_entropy_with_logits"}),
}

# What a tensor goes through on its way into NumPy (np.tanh(x), x.numpy()): the exercises compute
# with torch's element-wise operations.
TO_NUMPY = frozenset({"array", "numpy"})  # x.__array__(), x.numpy()


# ----------------------------------------------------------------------------- shared helpers
def pytorch_version_called(name: str, calls) -> str | None:
    """The first of PyTorch's own versions of `name` among the torch functions `calls` records."""
    return next((c for c in calls if c in PYTORCH_VERSIONS[name]), None)


def _no_torch_version(name: str, obs: dict) -> None:
    used = pytorch_version_called(name, obs["calls"])
    expect(used is None,
           f"`{name}` calls PyTorch's own `{used}`: implement it from the formula with "
           f"{WHAT_TO_USE[name]}.")
    expect(not TO_NUMPY & set(obs["calls"]),
           f"`{name}` turns its tensor into a NumPy array (np.tanh(x), x.numpy()...): compute with "
           f"torch's element-wise operations, {WHAT_TO_USE[name]}.")


def _judge_tensor(name: str, out, x: torch.Tensor, expected: torch.Tensor, reference: str,
                  hint: str = "", nan_hint: str = "") -> None:
    """Type, shape, dtype, finiteness, then values, for an element-wise function's output."""
    expect(isinstance(out, torch.Tensor), f"`{name}` should return a plain torch.Tensor, not a {out}.")
    expect(tuple(out.shape) == tuple(x.shape),
           f"`{name}` returned shape {tuple(out.shape)} for an input of shape {tuple(x.shape)}: an "
           "activation function works element by element and keeps the input's shape.")
    expect(out.dtype == x.dtype,
           f"`{name}` returned {out.dtype} for a {x.dtype} input: keep the input's dtype.")
    expect(bool(torch.isfinite(out).all()),
           f"`{name}` returned nan or inf on some inputs (look at large |x|, up to 100){nan_hint}.")
    expect(close(out, expected, ATOL, RTOL),
           f"`{name}` differs from {reference} by more than {TOLERANCE} on some inputs{hint}.")


# ----------------------------------------------------------------------------- sigmoid
def test_sigmoid(obs: dict) -> None:
    _no_torch_version("sigmoid", obs)
    for x, out in zip(kernel.activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("sigmoid", out, x, torch.sigmoid(x), "torch.sigmoid")


# ----------------------------------------------------------------------------- tanh
def test_tanh(obs: dict) -> None:
    _no_torch_version("tanh", obs)
    hint = ("; e^{2x} overflows float32 for x above about 44 (inf/inf = nan): rewrite the formula "
            "with e^{-2|x|}, which never overflows")
    for x, out in zip(kernel.activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("tanh", out, x, torch.tanh(x), "torch.tanh", nan_hint=hint)


# ----------------------------------------------------------------------------- relu
def test_relu(obs: dict) -> None:
    _no_torch_version("relu", obs)
    for x, out in zip(kernel.activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("relu", out, x, F.relu(x), "torch.nn.functional.relu")


# ----------------------------------------------------------------------------- leaky_relu
def test_leaky_relu(obs: dict) -> None:
    _no_torch_version("leaky_relu", obs)
    inputs = kernel.activation_inputs()
    for x, out in zip(inputs, obs["outputs"], strict=True):
        _judge_tensor("leaky_relu", out, x, F.leaky_relu(x, 0.01),
                      "torch.nn.functional.leaky_relu(x, negative_slope=0.01)", " (with the default m=0.01)")
    for m, outputs in zip(kernel.SLOPES, obs["slopes"], strict=True):
        for x, out in zip(inputs, outputs, strict=True):
            if isinstance(out, torch.Tensor) and tuple(out.shape) == tuple(x.shape):
                expect(not close(out, F.leaky_relu(x, 0.01), ATOL, RTOL) or bool((x >= 0).all()),
                       "`leaky_relu(x, m)` ignores m: it gives the same output for every slope; "
                       "multiply the negative inputs by the m it is given.")
            _judge_tensor("leaky_relu", out, x, F.leaky_relu(x, m),
                          "torch.nn.functional.leaky_relu(x, negative_slope=m)", " (with m other than 0.01)")


# ----------------------------------------------------------------------------- PReLU
PRELU_INITIAL = 0.25        # torch.nn.PReLU's initial slope


def test_prelu(obs: dict) -> None:
    expect(not obs["is_torch_prelu"], "`PReLU` is PyTorch's own torch.nn.PReLU: write the class yourself.")
    expect(obs["m_type"] != "NoneType",
           "PReLU has no attribute m: store the slope as self.m in __init__.")
    expect(obs["m_is_parameter"],
           f"PReLU's slope m is a plain {obs['m_type']}, not a torch.nn.Parameter: wrap it in "
           "torch.nn.Parameter so it shows up in model.parameters() and can be learned.")
    expect(obs["m_registered"],
           "PReLU's m is a Parameter but not registered in the module: assign it as self.m after "
           "super().__init__().")
    _no_torch_version("PReLU", obs)
    m = obs["m_initial"]
    expect(m.numel() == 1, f"PReLU's m should hold one number (one slope for the layer), not {m.numel()}.")
    weight = torch.tensor([PRELU_INITIAL])
    expect(close(m.reshape(1), weight, ATOL), "PReLU's m should start at 0.25, like torch.nn.PReLU.")
    inputs = kernel.activation_inputs()
    for x, out in zip(inputs, obs["outputs"], strict=True):
        _judge_tensor("PReLU", out, x, F.prelu(x, weight), "torch.nn.functional.prelu (with m = 0.25)")
    changed = torch.tensor([kernel.PRELU_CHANGED])
    for x, out in zip(inputs, obs["changed"], strict=True):
        _judge_tensor("PReLU", out, x, F.prelu(x, changed), "torch.nn.functional.prelu",
                      " after the check changed m: forward should use self.m")
    expect(obs["grad"] is not None,
           "PReLU's m received no gradient after backward: compute the output from self.m itself "
           "(not from m.item(), m.data or a copy).")
    reference_weight = torch.tensor([PRELU_INITIAL], requires_grad=True)
    F.prelu(inputs[1], reference_weight).sum().backward()
    expect(obs["grad"].numel() == 1 and close(obs["grad"].reshape(1), reference_weight.grad, GRAD_ATOL, RTOL),
           "PReLU's m receives a wrong gradient: m should multiply exactly the negative inputs.")


# ----------------------------------------------------------------------------- losses
REFERENCES = {"mse": (F.mse_loss, "torch.nn.functional.mse_loss"),
              "bce": (F.binary_cross_entropy, "torch.nn.functional.binary_cross_entropy")}


def _judge_loss(obs: dict, name: str, hint: str = "", nan_hint: str = "") -> None:
    _no_torch_version(name, obs)
    reference, reference_name = REFERENCES[name]
    cases = kernel.loss_cases(name)
    for (a, b), value in zip(cases, obs["values"], strict=True):
        expect(isinstance(value, torch.Tensor),
               f"`{name}` should return a torch.Tensor (a single number that keeps track of gradients), "
               f"not a {value}.")
        expect(value.numel() == 1,
               f"`{name}` returned {value.numel()} numbers; a loss is a single number: take the mean "
               "over all elements.")
        expect(bool(torch.isfinite(value).all()), f"`{name}` returned nan or inf on some inputs{nan_hint}.")
        expect(close(value.reshape(()), reference(a, b), ATOL, RTOL),
               f"`{name}` differs from {reference_name} by more than {TOLERANCE} on some inputs{hint}.")
    expect(obs["tracks_gradient"],
           f"`{name}`'s result does not keep track of gradients: return the tensor itself (no .item(), "
           "float(...) or .detach()), or training could not learn from it.")
    a, b = cases[-1]
    a = a.clone().requires_grad_(True)
    reference(a, b).backward()
    expect(isinstance(obs["grad"], torch.Tensor) and close(obs["grad"], a.grad, GRAD_ATOL, RTOL),
           f"The gradient of `{name}` with respect to the predictions differs from {reference_name}'s.")


def test_mse(obs: dict) -> None:
    _judge_loss(obs, "mse")


def test_bce(obs: dict) -> None:
    _judge_loss(obs, "bce",
                hint=" (look at the sign, the mean, and probabilities of exactly 0 or 1, where torch "
                     "clamps each log at -100)",
                nan_hint=" (probabilities of exactly 0 or 1 make log give -inf: clamp each log at -100, "
                         "as torch does)")


# ----------------------------------------------------------------------------- loss_choice
LOSS_CHOICE = {
    "house price in dollars": "mse",
    "spam or not spam": "bce",
    "tomorrow's temperature": "mse",
    "which of several tags apply to a photo": "bce",
    "minutes until a delivery arrives": "mse",
    "whether a tumour is malignant": "bce",
}


def test_loss_choice(obs: dict) -> None:
    choice = {k: v.strip().lower() for k, v in obs["choice"]}
    missing = [k for k in LOSS_CHOICE if k not in choice]
    extra = [k for k in choice if k not in LOSS_CHOICE]
    expect(not missing and not extra,
           "`loss_choice` should have exactly the given task descriptions as keys"
           + (f"; missing: {missing}" if missing else "") + (f"; unknown: {extra}" if extra else "") + ".")
    unanswered = [k for k in LOSS_CHOICE if choice[k] not in ("mse", "bce")]
    expect(not unanswered, f"Answer every task with \"mse\" or \"bce\"; not answered yet: {unanswered}.")
    wrong = sum(choice[k] != v for k, v in LOSS_CHOICE.items())
    expect(wrong == 0,
           f"{wrong} of the {len(LOSS_CHOICE)} choices {'is' if wrong == 1 else 'are'} wrong: is the output "
           "a continuous number, "
           "or one or more classes (yes/no for each)?")


# ----------------------------------------------------------------------------- activation_grad
AUTOGRAD = frozenset({"grad", "backward"})   # torch.autograd.grad (also inside torch.func), .backward()
DERIVATIVES = {   # of the true activations, in float64: the student's own are compared with these
    "sigmoid": ("σ(x)(1 − σ(x))", lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": ("1 − tanh(x)²", lambda x: 1 - torch.tanh(x) ** 2),
    "relu": ("1 for x > 0 and 0 for x < 0", lambda x: (x > 0).to(x.dtype)),
}
TRUE_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu}


def _autograd_derivative(f, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(f(x).sum(), x)[0]


def _judge_grad(first, second, x: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    for out in (first, second):
        expect(isinstance(out, torch.Tensor),
               f"`activation_grad` should return a torch.Tensor, not a {out}: the gradient autograd puts in "
               "x.grad (None when x does not require gradients or is not the tensor backward reached).")
    expect(not (first.numel() == 1 and x.numel() > 1),
           "`activation_grad` returned one number: return the gradient itself, one derivative per element "
           "of x (the shape of x), not its sum or mean.")
    expect(tuple(first.shape) == tuple(x.shape),
           f"`activation_grad` returned shape {tuple(first.shape)} for an x of shape {tuple(x.shape)}: "
           "return one derivative per element of x.")
    expect(first.dtype == x.dtype, f"`activation_grad` returned {first.dtype} for a {x.dtype} x: keep x's dtype.")
    expect(close(first, expected, ATOL, RTOL),
           f"`activation_grad(f, x)` differs from the derivative of f by more than {TOLERANCE} for {what}: "
           "return the gradient of f(x).sum() with respect to x (x.grad after backward), not f(x) itself "
           "or a finite difference.")
    expect(close(second, expected, ATOL, RTOL),
           "`activation_grad` is right the first time and wrong when called again on the same x: the "
           "gradients add up in x.grad from one call to the next. Work on a fresh copy, "
           "x = x.detach().clone().requires_grad_(True), in every call.")


def test_activation_grad(obs: dict) -> None:
    expect(AUTOGRAD & set(obs["calls"]),
           "`activation_grad` runs no autograd (neither torch.autograd.grad nor .backward()): compute "
           "the derivative with autograd, as the exercise says.")
    for name, results in obs["unseen"].items():
        for x, (first, second) in zip(kernel.grad_inputs(), results, strict=True):
            _judge_grad(first, second, x, _autograd_derivative(kernel.UNSEEN[name], x), "functions you do not see")
    expect(not obs["tracks_gradient"],
           "`activation_grad` returns a tensor that still tracks gradients: return it detached "
           "(.detach(), or no create_graph=True), so that it can be plotted and used as a number.")
    x = kernel.own_input()
    for name, own in obs["own"].items():
        formula, derivative = DERIVATIVES[name]
        values = own["values"]
        if not (isinstance(values, torch.Tensor) and close(values, TRUE_ACTIVATIONS[name](x), ATOL, RTOL)):
            continue  # a wrong activation is that exercise's failure, not this one's
        _judge_grad(*own["grads"], x, derivative(x.to(torch.float64)), f"your {name} (its derivative is {formula})")


SIGMOID_GRAD_MAX = 0.25     # σ'(0) = σ(0)(1 − σ(0))


def test_sigmoid_grad_max(obs: dict) -> None:
    expect(obs["value"] is not None,
           f"`sigmoid_grad_max` should be a Python number (use .item()), not a {obs['type']}.")
    expect(abs(obs["value"] - SIGMOID_GRAD_MAX) <= 1e-4,
           "`sigmoid_grad_max` is not the largest value of the sigmoid's derivative: take the maximum of "
           "activation_grad(sigmoid, x) over x from -10 to 10 (where in that range is the sigmoid steepest?); "
           "if activation_grad fails its own check, fix it first.")
