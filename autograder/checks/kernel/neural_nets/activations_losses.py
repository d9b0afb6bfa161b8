"""Kernel side of the checks of source/neural_nets/02_activations_losses.ipynb: runs in the
student's kernel. Activation functions written from their formulas, and the two loss functions.

Items: sigmoid, tanh, relu, leaky_relu, prelu, activation_grad, sigmoid_grad_max, mse, bce, loss_choice.

Each observer calls the student's code on the hidden inputs built here and returns its raw
outputs, with the names of the torch functions that ran meanwhile (`calls`: what the code really
called, however it reached them; the grader decides which of them are PyTorch's own version of the
exercise). It knows no right answer: the grader side (grader/neural_nets/activations_losses.py)
judges.
"""

from __future__ import annotations

import types

import torch

from autograder.checks.kernel.api import TorchCalls, call, call_recording, expect, need, plain

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
def _result(value):
    """A plain tensor result, or the name of its type (the grader then says what is wrong)."""
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        return plain(value)
    return type(value).__name__


# ----------------------------------------------------------------------------- activations
def _observe_function(ns: dict, name: str) -> dict:
    function = need(ns, name, None, f"the function {name}(x)")
    expect(callable(function), f"`{name}` should be a function.")
    calls = TorchCalls()
    inputs = activation_inputs()
    obs = {"outputs": [_result(call_recording(name, calls, function, x.clone())) for x in inputs]}
    if name == "leaky_relu":
        obs["slopes"] = [[_result(call_recording(name, calls, function, x.clone(), m)) for x in inputs]
                         for m in SLOPES]
    obs["calls"] = calls.names
    return obs


def observe_sigmoid(ns: dict) -> dict:
    return _observe_function(ns, "sigmoid")


def observe_tanh(ns: dict) -> dict:
    return _observe_function(ns, "tanh")


def observe_relu(ns: dict) -> dict:
    return _observe_function(ns, "relu")


def observe_leaky_relu(ns: dict) -> dict:
    return _observe_function(ns, "leaky_relu")  # with the default m, then with the SLOPES


# ----------------------------------------------------------------------------- PReLU
def observe_prelu(ns: dict) -> dict:
    cls = need(ns, "PReLU", type, "the class PReLU(torch.nn.Module)")
    expect(issubclass(cls, torch.nn.Module), "`PReLU` should be a class that inherits from torch.nn.Module.")
    obs = {"is_torch_prelu": issubclass(cls, torch.nn.PReLU)}
    if obs["is_torch_prelu"]:
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
    calls = TorchCalls()  # what forward calls
    with torch.no_grad():
        obs["outputs"] = [_result(call_recording("PReLU.forward", calls, model, x.clone())) for x in inputs]
    # A backward pass: the slope must receive a gradient, like any weight.
    out = call_recording("PReLU.forward", calls, model, inputs[1].clone())
    if isinstance(out, torch.Tensor) and out.requires_grad:
        call("PReLU.forward(...).sum().backward", lambda: out.sum().backward())
    obs["grad"] = None if m.grad is None else plain(m.grad)
    # Another slope: forward must follow m.
    with torch.no_grad():
        m.fill_(PRELU_CHANGED)
        obs["changed"] = [_result(call_recording("PReLU.forward", calls, model, x.clone())) for x in inputs]
    obs["calls"] = calls.names
    return obs


# ----------------------------------------------------------------------------- losses
def _observe_loss(ns: dict, name: str) -> dict:
    function = need(ns, name, None, f"the function {name}")
    expect(callable(function), f"`{name}` should be a function of two tensors.")
    calls = TorchCalls()
    cases = loss_cases(name)
    obs = {"values": [_result(call_recording(name, calls, function, a.clone(), b.clone())) for a, b in cases]}
    # The gradient with respect to the predictions, on the last case (inside (0, 1) for bce).
    a, b = cases[-1]
    a = a.clone().requires_grad_(True)
    value = call_recording(name, calls, function, a, b.clone())
    obs["calls"] = calls.names
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


# ----------------------------------------------------------------------------- activation_grad
# Element-wise functions the student has not seen, whose derivatives activation_grad must find.
UNSEEN = {
    "x ** 3": lambda x: x ** 3,
    "torch.sin": torch.sin,
    "a kink at 0": lambda x: torch.where(x > 0, x ** 2, 0.5 * x),
    "log(1 + e^x)": lambda x: torch.log1p(torch.exp(x)),
}
OWN = ("sigmoid", "tanh", "relu")   # the student's own activations (where they are right)


def grad_inputs() -> list[torch.Tensor]:
    """Hidden inputs of activation_grad, made anew for every call (student code may change them):
    a range with 0, a matrix, and a tensor that already requires gradients."""
    g = torch.Generator().manual_seed(6031)
    return [torch.linspace(-10.0, 10.0, 201), torch.randn(3, 4, generator=g) * 4,
            torch.linspace(-3.0, 3.0, 13).requires_grad_(True)]


def own_input() -> torch.Tensor:
    """Where the student's own activations are differentiated: no 0, where some are not differentiable."""
    return torch.linspace(-10.0, 10.0, 200)


def _twice(calls: TorchCalls, function, f, x: torch.Tensor, tracks: list) -> list:
    """activation_grad(f, x) twice on the same x (gradients must not add up from call to call)."""
    results = []
    for _ in range(2):
        value = call_recording("activation_grad", calls, function, f, x)
        tracks.append(isinstance(value, torch.Tensor) and value.requires_grad)
        results.append(_result(value))
    return results


def observe_activation_grad(ns: dict) -> dict:
    function = need(ns, "activation_grad", None, "the function activation_grad(f, x)")
    expect(callable(function), "`activation_grad` should be a function of f and x.")
    calls, tracks = TorchCalls(), []
    obs = {"unseen": {name: [_twice(calls, function, f, x, tracks) for x in grad_inputs()]
                      for name, f in UNSEEN.items()},
           "own": {}}
    for name in OWN:
        own = ns.get(name)
        if callable(own):
            values = call(name, own, own_input())
            obs["own"][name] = {"values": _result(values),
                                "grads": _twice(calls, function, own, own_input(), tracks)}
    obs["calls"], obs["tracks_gradient"] = calls.names, any(tracks)
    return obs


def observe_sigmoid_grad_max(ns: dict) -> dict:
    value = need(ns, "sigmoid_grad_max", None, "the largest value of the sigmoid's derivative")
    return {"type": type(value).__name__, "value": float(value) if type(value) in (float, int) else None}
