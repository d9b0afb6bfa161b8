"""Kernel side of 02_activations_losses.ipynb: helpers its items share, sent into the kernel with each of
their probes. No hidden inputs here: each item's own file holds them and passes them in."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import TorchCalls, call, call_recording, expect, need, plain, type_name


def _result(value):
    """A plain tensor result, or the name of its type (the grader then says what is wrong)."""
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        return plain(value)
    return type_name(value)


def _observe_function(ns: dict, name: str, inputs: list[torch.Tensor], slopes: tuple = ()) -> dict:
    """The outputs of the activation `name` on `inputs` (then with each of `slopes` as its second
    argument), and the torch functions it runs."""
    function = need(ns, name, None, f"the function {name}(x)")
    expect(callable(function), f"`{name}` should be a function.")
    calls = TorchCalls()
    obs = {"outputs": [_result(call_recording(name, calls, function, x.clone())) for x in inputs]}
    if slopes:
        obs["slopes"] = [[_result(call_recording(name, calls, function, x.clone(), m)) for x in inputs] for m in slopes]
    obs["calls"] = calls.names
    return obs


def _observe_loss(ns: dict, name: str, cases: list[tuple[torch.Tensor, torch.Tensor]]) -> dict:
    """The loss `name` on each (prediction, target) of `cases`, the torch functions it runs, and its
    gradient with respect to the predictions of the last case."""
    function = need(ns, name, None, f"the function {name}")
    expect(callable(function), f"`{name}` should be a function of two tensors.")
    calls = TorchCalls()
    obs = {"values": [_result(call_recording(name, calls, function, a.clone(), b.clone())) for a, b in cases]}
    a, b = cases[-1]
    a = a.clone().requires_grad_(True)
    value = call_recording(name, calls, function, a, b.clone())
    obs["calls"] = calls.names
    obs["tracks_gradient"] = isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1
    if obs["tracks_gradient"]:
        call(f"{name}(...).backward", lambda: value.reshape(()).backward())
    obs["grad"] = None if a.grad is None else plain(a.grad)
    return obs
