"""Kernel side of the checks of source/neural_nets/02_activations_losses.ipynb: runs in the
student's kernel. Activation functions written from their formulas, and the two loss functions.

Items: sigmoid, tanh, relu, leaky_relu, prelu, mse, bce, loss_choice.

Each observer calls the student's code on the hidden inputs built here and returns its raw
outputs, with the facts the verdict needs (which of PyTorch's own versions the code looks up). It
knows no right answer: the grader side (grader/neural_nets/activations_losses.py) judges.
"""

from __future__ import annotations

import dis
import types

import torch

from autograder.checks.kernel.api import call, expect, need, plain

# The names of PyTorch's own versions of what the student writes; the observers report the first
# one the student's code looks up (the grader fails the item on it).
_SIGMOID = ("sigmoid", "sigmoid_", "expit", "Sigmoid", "logsigmoid", "LogSigmoid", "silu", "SiLU")
_TANH = ("tanh", "tanh_", "Tanh", "Tanhshrink", "hardtanh") + _SIGMOID
_RELU = ("relu", "relu_", "ReLU", "relu6", "ReLU6", "leaky_relu", "leaky_relu_", "LeakyReLU",
         "prelu", "PReLU", "_prelu_kernel", "rrelu", "RReLU", "threshold", "Threshold")
TORCH_VERSIONS = {
    "sigmoid": _SIGMOID,
    "tanh": _TANH,
    "relu": _RELU,
    "leaky_relu": _RELU,
    "PReLU": _RELU,
    "mse": ("mse_loss", "MSELoss"),
    "bce": ("binary_cross_entropy", "BCELoss", "binary_cross_entropy_with_logits", "BCEWithLogitsLoss"),
}


# ----------------------------------------------------------------------------- hidden inputs
def activation_inputs() -> list[torch.Tensor]:
    """Hidden inputs, float32: the extremes and values near 0, a matrix, a 3-D tensor."""
    g = torch.Generator().manual_seed(4021)
    special = torch.tensor([-100.0, -88.0, -50.0, -20.0, -10.0, -1.0, -1e-3, -1e-7, 0.0,
                            1e-7, 1e-3, 1.0, 10.0, 20.0, 50.0, 88.0, 100.0])
    return [special, torch.randn(4, 5, generator=g) * 5, torch.randn(2, 3, 4, generator=g) * 30]


SLOPES = (0.1, 0.3)         # leaky_relu is also called with these m
PRELU_CHANGED = 0.1         # the observer sets PReLU's m to this, to see that forward follows m


def loss_cases(kind: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Hidden (prediction, target) pairs of the loss `kind` ("mse" or "bce")."""
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


# ----------------------------------------------------------------------------- reading student code
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


def _torch_version_used(name: str, *functions) -> str | None:
    """The first of PyTorch's own versions of `name` that one of `functions` uses, or None."""
    for function in functions:
        used = _uses_torch_version(function, TORCH_VERSIONS[name])
        if used is not None:
            return used
    return None


def _result(value):
    """A plain tensor result, or the name of its type (the grader then says what is wrong)."""
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        return plain(value)
    return type(value).__name__


# ----------------------------------------------------------------------------- activations
def _observe_function(ns: dict, name: str) -> dict:
    function = need(ns, name, None, f"the function {name}(x)")
    expect(callable(function), f"`{name}` should be a function.")
    obs = {"torch_version": _torch_version_used(name, function)}
    if obs["torch_version"] is None:  # otherwise that alone decides the item: nothing to call
        obs["outputs"] = [_result(call(name, function, x.clone())) for x in activation_inputs()]
    return obs


def observe_sigmoid(ns: dict) -> dict:
    return _observe_function(ns, "sigmoid")


def observe_tanh(ns: dict) -> dict:
    return _observe_function(ns, "tanh")


def observe_relu(ns: dict) -> dict:
    return _observe_function(ns, "relu")


def observe_leaky_relu(ns: dict) -> dict:
    obs = _observe_function(ns, "leaky_relu")  # with the default m
    if obs["torch_version"] is None:
        function = ns["leaky_relu"]
        obs["slopes"] = [[_result(call("leaky_relu", function, x.clone(), m)) for x in activation_inputs()]
                         for m in SLOPES]
    return obs


# ----------------------------------------------------------------------------- PReLU
def observe_prelu(ns: dict) -> dict:
    cls = need(ns, "PReLU", type, "the class PReLU(torch.nn.Module)")
    expect(issubclass(cls, torch.nn.Module), "`PReLU` should be a class that inherits from torch.nn.Module.")
    methods = [v for v in vars(cls).values() if isinstance(v, types.FunctionType)]
    obs = {"is_torch_prelu": issubclass(cls, torch.nn.PReLU),
           "torch_version": _torch_version_used("PReLU", *methods)}
    if obs["is_torch_prelu"] or obs["torch_version"] is not None:
        return obs  # that alone decides the item: nothing to call
    with torch.random.fork_rng(devices=[]):
        model = call("PReLU()", cls)
    m = getattr(model, "m", None)
    obs.update(m_type=type(m).__name__,
               m_is_parameter=isinstance(m, torch.nn.Parameter),
               m_registered=any(p is m for p in model.parameters()),
               n_parameters=len(list(model.parameters())))
    if not (obs["m_is_parameter"] and obs["m_registered"]):
        return obs
    obs["m_initial"] = plain(m)
    inputs = activation_inputs()
    with torch.no_grad():
        obs["outputs"] = [_result(call("PReLU.forward", model, x.clone())) for x in inputs]
    # A backward pass: the slope must receive a gradient, like any weight.
    out = call("PReLU.forward", model, inputs[1].clone())
    if isinstance(out, torch.Tensor) and out.requires_grad:
        call("PReLU.forward(...).sum().backward", lambda: out.sum().backward())
    obs["grad"] = None if m.grad is None else plain(m.grad)
    # Another slope: forward must follow m.
    with torch.no_grad():
        m.fill_(PRELU_CHANGED)
        obs["changed"] = [_result(call("PReLU.forward", model, x.clone())) for x in inputs]
    return obs


# ----------------------------------------------------------------------------- losses
def _observe_loss(ns: dict, name: str) -> dict:
    function = need(ns, name, None, f"the function {name}")
    expect(callable(function), f"`{name}` should be a function of two tensors.")
    obs = {"torch_version": _torch_version_used(name, function)}
    if obs["torch_version"] is not None:
        return obs  # that alone decides the item: nothing to call
    cases = loss_cases(name)
    obs["values"] = [_result(call(name, function, a.clone(), b.clone())) for a, b in cases]
    # The gradient with respect to the predictions, on the last case (inside (0, 1) for bce).
    a, b = cases[-1]
    a = a.clone().requires_grad_(True)
    value = call(name, function, a, b.clone())
    obs["tracks_gradient"] = isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1
    if obs["tracks_gradient"]:
        call(f"{name}(...).backward", lambda: value.reshape(()).backward())
    obs["grad"] = None if a.grad is None else plain(a.grad)
    return obs


def observe_mse(ns: dict) -> dict:
    return _observe_loss(ns, "mse")


def observe_bce(ns: dict) -> dict:
    return _observe_loss(ns, "bce")


# ----------------------------------------------------------------------------- loss_choice
def observe_loss_choice(ns: dict) -> dict:
    choice = need(ns, "loss_choice", dict, "task description → 'mse' or 'bce'")
    return {"choice": [[k if isinstance(k, str) else repr(k), v if isinstance(v, str) else f"<{type(v).__name__}>"]
                       for k, v in choice.items()]}
