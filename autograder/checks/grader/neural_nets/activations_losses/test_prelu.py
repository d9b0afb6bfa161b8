"""`prelu` (02_activations_losses.ipynb): PReLU is a module of its own whose slope m is a registered
Parameter starting at 0.25; forward equals F.prelu with m (also after m changes), and m gets the right gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.activations_losses._shared import (
    ATOL,
    GRAD_ATOL,
    RTOL,
    _judge_tensor,
    _no_torch_version,
)
from autograder.checks.kernel.neural_nets.activations_losses import prelu as kernel

PRELU_INITIAL = 0.25  # torch.nn.PReLU's initial slope


def test_prelu(obs: dict) -> None:
    expect(not obs["is_torch_prelu"], "`PReLU` is PyTorch's own torch.nn.PReLU: write the class yourself.")
    expect(obs["m_type"] != "NoneType", "PReLU has no attribute m: store the slope as self.m in __init__.")
    expect(
        obs["m_is_parameter"],
        f"PReLU's slope m is a plain {obs['m_type']}, not a torch.nn.Parameter: wrap it in "
        "torch.nn.Parameter so it shows up in model.parameters() and can be learned.",
    )
    expect(
        obs["m_registered"],
        "PReLU's m is a Parameter but not registered in the module: assign it as self.m after super().__init__().",
    )
    expect(
        obs["n_parameters"] == 1,
        f"PReLU has {obs['n_parameters']} parameters: it should have exactly one, its slope m "
        "(a PReLU layer learns nothing else).",
    )
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
        _judge_tensor(
            "PReLU",
            out,
            x,
            F.prelu(x, changed),
            "torch.nn.functional.prelu",
            " after the check changed m: forward should use self.m",
        )
    expect(
        obs["grad"] is not None,
        "PReLU's m received no gradient after backward: compute the output from self.m itself "
        "(not from m.item(), m.data or a copy).",
    )
    reference_weight = torch.tensor([PRELU_INITIAL], requires_grad=True)
    F.prelu(inputs[1], reference_weight).sum().backward()
    expect(
        obs["grad"].numel() == 1 and close(obs["grad"].reshape(1), reference_weight.grad, GRAD_ATOL, RTOL),
        "PReLU's m receives a wrong gradient: m should multiply exactly the negative inputs.",
    )
