"""Checks of source/neural_nets/02_activations_losses.ipynb: activation functions written from their
formulas, and the two loss functions.

Items: sigmoid, tanh, relu, leaky_relu, prelu, mse, bce, loss_choice.

Values are compared with `api.close` (elementary tensor arithmetic) rather than torch.allclose: when
a check runs in the student's own process (nbgrader's hidden region, the in-process tests) student
code may have replaced torch.allclose before the test runs.
"""

from __future__ import annotations

import dis
import types

import torch
import torch.nn.functional as F

from autograder.checks.api import call, close, expect, need, plain

ATOL, RTOL = 1e-6, 1e-5     # the tolerance the notebook states
TOLERANCE = "atol=1e-6, rtol=1e-5"
GRAD_ATOL = 1e-5            # gradients are sums of many terms: a little more room

# PyTorch's own versions of what the student writes: looking any of these up fails the item.
_SIGMOID = ("sigmoid", "sigmoid_", "expit", "Sigmoid", "logsigmoid", "LogSigmoid", "silu", "SiLU")
_TANH = ("tanh", "tanh_", "Tanh", "Tanhshrink", "hardtanh") + _SIGMOID
_RELU = ("relu", "relu_", "ReLU", "relu6", "ReLU6", "leaky_relu", "leaky_relu_", "LeakyReLU",
         "prelu", "PReLU", "_prelu_kernel", "rrelu", "RReLU", "threshold", "Threshold")
FORBIDDEN = {
    "sigmoid": _SIGMOID,
    "tanh": _TANH,
    "relu": _RELU,
    "leaky_relu": _RELU,
    "PReLU": _RELU,
    "mse": ("mse_loss", "MSELoss"),
    "bce": ("binary_cross_entropy", "BCELoss", "binary_cross_entropy_with_logits", "BCEWithLogitsLoss"),
}
WHAT_TO_USE = {
    "sigmoid": "torch.exp and arithmetic",
    "tanh": "torch.exp, torch.abs, torch.sign and arithmetic",
    "relu": "torch.where (or a comparison) and arithmetic",
    "leaky_relu": "torch.where (or a comparison) and arithmetic",
    "PReLU": "torch.where (or a comparison), arithmetic and self.m",
    "mse": "arithmetic and .mean()",
    "bce": "torch.log, torch.clamp, arithmetic and .mean()",
}


# ----------------------------------------------------------------------------- shared helpers
def _from_torch(value) -> bool:
    module = getattr(value, "__module__", None) or getattr(type(value), "__module__", "") or ""
    return module == "torch" or module.startswith("torch.")


def _uses_torch_version(function, names) -> str | None:
    """The first of `names` that `function` looks up as an attribute (torch.sigmoid, x.sigmoid(),
    F.relu, torch.nn.PReLU...) or as a global bound to PyTorch's function of that name; functions of
    the notebook that it calls are followed too. None when it uses none of them."""
    seen, todo = set(), [function]
    while todo:
        current = todo.pop()
        code = getattr(current, "__code__", None)
        if code is None or code in seen:
            continue
        seen.add(code)
        scope = getattr(current, "__globals__", {})
        codes = [code]
        while codes:
            c = codes.pop()
            for ins in dis.get_instructions(c):
                if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and ins.argval in names:
                    return str(ins.argval)
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval in scope:
                    value = scope[ins.argval]
                    if getattr(value, "__name__", None) in names and _from_torch(value):
                        return str(value.__name__)
                    if isinstance(value, types.FunctionType) and value.__globals__ is scope:
                        todo.append(value)
                    elif isinstance(value, type) and value.__module__ == scope.get("__name__"):
                        todo.extend(v for v in vars(value).values() if isinstance(v, types.FunctionType))
            codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return None


def _no_torch_version(name: str, *functions) -> None:
    for function in functions:
        used = _uses_torch_version(function, FORBIDDEN[name])
        expect(used is None,
               f"`{name}` uses PyTorch's own `{used}`: implement it from the formula with "
               f"{WHAT_TO_USE[name]}.")


def _result(name: str, value):
    """A plain tensor result, or the name of its type (the test then says what is wrong)."""
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        return plain(value)
    return type(value).__name__


def _activation_inputs() -> list[torch.Tensor]:
    """Hidden inputs, float32: the extremes and values near 0, a matrix, a 3-D tensor."""
    g = torch.Generator().manual_seed(4021)
    special = torch.tensor([-100.0, -88.0, -50.0, -20.0, -10.0, -1.0, -1e-3, -1e-7, 0.0,
                            1e-7, 1e-3, 1.0, 10.0, 20.0, 50.0, 88.0, 100.0])
    return [special, torch.randn(4, 5, generator=g) * 5, torch.randn(2, 3, 4, generator=g) * 30]


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


def _observe_function(ns: dict, name: str, *extra_args) -> list:
    function = need(ns, name, None, f"the function {name}(x)")
    expect(callable(function), f"`{name}` should be a function.")
    _no_torch_version(name, function)
    return [_result(name, call(name, function, x.clone(), *extra_args)) for x in _activation_inputs()]


# ----------------------------------------------------------------------------- sigmoid
def observe_sigmoid(ns: dict) -> dict:
    return {"outputs": _observe_function(ns, "sigmoid")}


def test_sigmoid(obs: dict) -> None:
    for x, out in zip(_activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("sigmoid", out, x, torch.sigmoid(x), "torch.sigmoid")


# ----------------------------------------------------------------------------- tanh
def observe_tanh(ns: dict) -> dict:
    return {"outputs": _observe_function(ns, "tanh")}


def test_tanh(obs: dict) -> None:
    hint = ("; e^{2x} overflows float32 for x above about 44 (inf/inf = nan): rewrite the formula "
            "with e^{-2|x|}, which never overflows")
    for x, out in zip(_activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("tanh", out, x, torch.tanh(x), "torch.tanh", nan_hint=hint)


# ----------------------------------------------------------------------------- relu
def observe_relu(ns: dict) -> dict:
    return {"outputs": _observe_function(ns, "relu")}


def test_relu(obs: dict) -> None:
    for x, out in zip(_activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("relu", out, x, F.relu(x), "torch.nn.functional.relu")


# ----------------------------------------------------------------------------- leaky_relu
SLOPES = (0.1, 0.3)


def observe_leaky_relu(ns: dict) -> dict:
    obs = {"default": _observe_function(ns, "leaky_relu")}
    function = ns["leaky_relu"]
    obs["slopes"] = [[_result("leaky_relu", call("leaky_relu", function, x.clone(), m))
                      for x in _activation_inputs()] for m in SLOPES]
    return obs


def test_leaky_relu(obs: dict) -> None:
    for x, out in zip(_activation_inputs(), obs["default"], strict=True):
        _judge_tensor("leaky_relu", out, x, F.leaky_relu(x, 0.01),
                      "torch.nn.functional.leaky_relu(x, negative_slope=0.01)", " (with the default m=0.01)")
    for m, outputs in zip(SLOPES, obs["slopes"], strict=True):
        for x, out in zip(_activation_inputs(), outputs, strict=True):
            if isinstance(out, torch.Tensor) and tuple(out.shape) == tuple(x.shape):
                expect(not close(out, F.leaky_relu(x, 0.01), ATOL, RTOL) or bool((x >= 0).all()),
                       "`leaky_relu(x, m)` ignores m: it gives the same output for every slope; "
                       "multiply the negative inputs by the m it is given.")
            _judge_tensor("leaky_relu", out, x, F.leaky_relu(x, m),
                          "torch.nn.functional.leaky_relu(x, negative_slope=m)", " (with m other than 0.01)")


# ----------------------------------------------------------------------------- PReLU
PRELU_CHANGED = 0.1         # the observer sets m to this, to see that forward follows m


def observe_prelu(ns: dict) -> dict:
    cls = need(ns, "PReLU", type, "the class PReLU(torch.nn.Module)")
    expect(issubclass(cls, torch.nn.Module), "`PReLU` should be a class that inherits from torch.nn.Module.")
    expect(not issubclass(cls, torch.nn.PReLU),
           "`PReLU` is PyTorch's own torch.nn.PReLU: write the class yourself.")
    _no_torch_version("PReLU", *[v for v in vars(cls).values() if isinstance(v, types.FunctionType)])
    with torch.random.fork_rng(devices=[]):
        model = call("PReLU()", cls)
    m = getattr(model, "m", None)
    obs = {"m_type": type(m).__name__,
           "m_is_parameter": isinstance(m, torch.nn.Parameter),
           "m_registered": any(p is m for p in model.parameters()),
           "n_parameters": len(list(model.parameters()))}
    if not (obs["m_is_parameter"] and obs["m_registered"]):
        return obs
    obs["m_initial"] = plain(m)
    inputs = _activation_inputs()
    with torch.no_grad():
        obs["outputs"] = [_result("PReLU", call("PReLU.forward", model, x.clone())) for x in inputs]
    # A backward pass: the slope must receive a gradient, like any weight.
    out = call("PReLU.forward", model, inputs[1].clone())
    if isinstance(out, torch.Tensor) and out.requires_grad:
        call("PReLU.forward(...).sum().backward", lambda: out.sum().backward())
    obs["grad"] = None if m.grad is None else plain(m.grad)
    # Another slope: forward must follow m.
    with torch.no_grad():
        m.fill_(PRELU_CHANGED)
        obs["changed"] = [_result("PReLU", call("PReLU.forward", model, x.clone())) for x in inputs]
    return obs


def test_prelu(obs: dict) -> None:
    expect(obs["m_type"] != "NoneType",
           "PReLU has no attribute m: store the slope as self.m in __init__.")
    expect(obs["m_is_parameter"],
           f"PReLU's slope m is a plain {obs['m_type']}, not a torch.nn.Parameter: wrap it in "
           "torch.nn.Parameter so it shows up in model.parameters() and can be learned.")
    expect(obs["m_registered"],
           "PReLU's m is a Parameter but not registered in the module: assign it as self.m after "
           "super().__init__().")
    m = obs["m_initial"]
    expect(m.numel() == 1, f"PReLU's m should hold one number (one slope for the layer), not {m.numel()}.")
    expect(close(m.reshape(1), torch.tensor([0.25]), ATOL), "PReLU's m should start at 0.25, like torch.nn.PReLU.")
    weight = torch.tensor([0.25])
    for x, out in zip(_activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("PReLU", out, x, F.prelu(x, weight), "torch.nn.functional.prelu (with m = 0.25)")
    changed = torch.tensor([PRELU_CHANGED])
    for x, out in zip(_activation_inputs(), obs["changed"], strict=True):
        _judge_tensor("PReLU", out, x, F.prelu(x, changed), "torch.nn.functional.prelu",
                      " after the check changed m: forward should use self.m")
    expect(obs["grad"] is not None,
           "PReLU's m received no gradient after backward: compute the output from self.m itself "
           "(not from m.item(), m.data or a copy).")
    reference_weight = torch.tensor([0.25], requires_grad=True)
    F.prelu(_activation_inputs()[1], reference_weight).sum().backward()
    expect(obs["grad"].numel() == 1 and close(obs["grad"].reshape(1), reference_weight.grad, GRAD_ATOL, RTOL),
           "PReLU's m receives a wrong gradient: m should multiply exactly the negative inputs.")


# ----------------------------------------------------------------------------- losses
def _loss_cases(kind: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(5077 if kind == "mse" else 5078)
    if kind == "mse":
        return [(torch.randn(10, generator=g) * 3, torch.randn(10, generator=g) * 3),
                (torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)),
                (torch.randn(25, 1, generator=g) * 50, torch.randn(25, 1, generator=g) * 50)]
    cases = []
    for shape in ((12,), (3, 4)):
        p = torch.rand(shape, generator=g)
        y = (torch.rand(shape, generator=g) < 0.5).float()
        flat_p, flat_y = p.view(-1), y.view(-1)
        # Probabilities of exactly 0 and 1, with matching targets and with wrong ones.
        flat_p[:4] = torch.tensor([0.0, 1.0, 0.0, 1.0])
        flat_y[:4] = torch.tensor([0.0, 1.0, 1.0, 0.0])
        cases.append((p, y))
    g_interior = torch.Generator().manual_seed(5079)
    cases.append((torch.rand(6, 2, generator=g_interior) * 0.98 + 0.01,
                  (torch.rand(6, 2, generator=g_interior) < 0.5).float()))
    return cases


REFERENCES = {"mse": (F.mse_loss, "torch.nn.functional.mse_loss"),
              "bce": (F.binary_cross_entropy, "torch.nn.functional.binary_cross_entropy")}


def _observe_loss(ns: dict, name: str) -> dict:
    function = need(ns, name, None, f"the function {name}")
    expect(callable(function), f"`{name}` should be a function of two tensors.")
    _no_torch_version(name, function)
    cases = _loss_cases(name)
    obs = {"values": [_result(name, call(name, function, a.clone(), b.clone())) for a, b in cases]}
    # The gradient with respect to the predictions, on the last case (inside (0, 1) for bce).
    a, b = cases[-1]
    a = a.clone().requires_grad_(True)
    value = call(name, function, a, b.clone())
    obs["tracks_gradient"] = isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1
    if obs["tracks_gradient"]:
        call(f"{name}(...).backward", lambda: value.reshape(()).backward())
    obs["grad"] = None if a.grad is None else plain(a.grad)
    return obs


def _judge_loss(obs: dict, name: str, hint: str = "", nan_hint: str = "") -> None:
    reference, reference_name = REFERENCES[name]
    cases = _loss_cases(name)
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


def observe_mse(ns: dict) -> dict:
    return _observe_loss(ns, "mse")


def test_mse(obs: dict) -> None:
    _judge_loss(obs, "mse")


def observe_bce(ns: dict) -> dict:
    return _observe_loss(ns, "bce")


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


def observe_loss_choice(ns: dict) -> dict:
    choice = need(ns, "loss_choice", dict, "task description → 'mse' or 'bce'")
    return {"choice": [[k if isinstance(k, str) else repr(k), v if isinstance(v, str) else f"<{type(v).__name__}>"]
                       for k, v in choice.items()]}


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
