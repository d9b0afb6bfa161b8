"""Kernel side of the checks of 02_activations_losses.ipynb: helpers shared by its items (no hidden inputs here:
each item's own file holds them). Sent into the student's kernel with every probe of this notebook."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import TorchCalls, call, call_recording, expect, need, plain


def activation_inputs() -> list[torch.Tensor]:
    """Hidden inputs, float32: the extremes and values near 0, a matrix, a 3-D tensor."""
    g = torch.Generator().manual_seed(4021)
    special = torch.tensor([-100.0, -88.0, -50.0, -20.0, -10.0, -1.0, -1e-3, -1e-7, 0.0,
                            1e-7, 1e-3, 1.0, 10.0, 20.0, 50.0, 88.0, 100.0])
    return [special, torch.randn(4, 5, generator=g) * 5, torch.randn(2, 3, 4, generator=g) * 30]


SLOPES = (0.1, 0.3)         # leaky_relu is also called with these m


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


def _result(value):
    """A plain tensor result, or the name of its type (the grader then says what is wrong)."""
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        return plain(value)
    return type(value).__name__


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
