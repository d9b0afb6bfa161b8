"""`prelu` (02_activations_losses.ipynb): a PReLU(torch.nn.Module) of its own whose slope m is a learned
Parameter starting at 0.25. Observes m, forward's outputs on hidden inputs (before and after m changes) and
m's gradient."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import TorchCalls, call, call_recording, expect, need, plain, type_name
from autograder.checks.kernel.neural_nets.activations_losses._shared import _result

# The hidden inputs, float32: the extremes and values near 0, then a matrix and a 3-D tensor of this seed.
SPECIAL = (-100.0, -88.0, -50.0, -20.0, -10.0, -1.0, -1e-3, -1e-7, 0.0, 1e-7, 1e-3, 1.0, 10.0, 20.0, 50.0, 88.0, 100.0)
SEED = 4021


def activation_inputs() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(SEED)
    return [torch.tensor(SPECIAL), torch.randn(4, 5, generator=g) * 5, torch.randn(2, 3, 4, generator=g) * 30]


PRELU_CHANGED = 0.1  # the observer sets PReLU's m to this, to see that forward follows m


def observe(ns: dict) -> dict:
    cls = need(ns, "PReLU", type, "the class PReLU(torch.nn.Module)")
    expect(issubclass(cls, torch.nn.Module), "`PReLU` should be a class that inherits from torch.nn.Module.")
    obs = {"is_torch_prelu": issubclass(cls, torch.nn.PReLU)}
    if obs["is_torch_prelu"]:
        return obs  # that alone decides the item: nothing to call
    with torch.random.fork_rng(devices=[]):
        model = call("PReLU()", cls)
    m = getattr(model, "m", None)
    obs.update(
        m_type=type_name(m),
        m_is_parameter=isinstance(m, torch.nn.Parameter),
        m_registered=any(p is m for p in model.parameters()),
        n_parameters=len(list(model.parameters())),
    )
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
