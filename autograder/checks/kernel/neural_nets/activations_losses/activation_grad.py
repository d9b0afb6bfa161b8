"""`activation_grad` (02_activations_losses.ipynb): activation_grad(f, x) is the derivative of f at x by
autograd, detached, fresh on every call. Observes it on unseen functions and on the student's own activations."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import TorchCalls, call, call_recording, expect, need
from autograder.checks.kernel.neural_nets.activations_losses._shared import _result

# Element-wise functions the student has not seen, whose derivatives activation_grad must find.
UNSEEN = {
    "x ** 3": lambda x: x**3,
    "torch.sin": torch.sin,
    "a kink at 0": lambda x: torch.where(x > 0, x**2, 0.5 * x),
    "log(1 + e^x)": lambda x: torch.log1p(torch.exp(x)),
}

OWN = ("sigmoid", "tanh", "relu")  # the student's own activations (where they are right)


def grad_inputs() -> list[torch.Tensor]:
    """Hidden inputs of activation_grad, made anew for every call (student code may change them):
    a range with 0, a matrix, and a tensor that already requires gradients."""
    g = torch.Generator().manual_seed(6031)
    return [
        torch.linspace(-10.0, 10.0, 201),
        torch.randn(3, 4, generator=g) * 4,
        torch.linspace(-3.0, 3.0, 13).requires_grad_(True),
    ]


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


def observe(ns: dict) -> dict:
    function = need(ns, "activation_grad", None, "the function activation_grad(f, x)")
    expect(callable(function), "`activation_grad` should be a function of f and x.")
    calls, tracks = TorchCalls(), []
    obs = {
        "unseen": {name: [_twice(calls, function, f, x, tracks) for x in grad_inputs()] for name, f in UNSEEN.items()},
        "own": {},
    }
    for name in OWN:
        own = ns.get(name)
        if callable(own):
            values = call(name, own, own_input())
            obs["own"][name] = {"values": _result(values), "grads": _twice(calls, function, own, own_input(), tracks)}
    obs["calls"], obs["tracks_gradient"] = calls.names, any(tracks)
    return obs
