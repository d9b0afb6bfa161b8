"""`leaky_relu` (02_activations_losses.ipynb): equals F.leaky_relu on hidden inputs, with the default
m=0.01 and with other slopes, takes the slope as the argument m, without calling PyTorch's own ReLU-like
functions."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.activations_losses._shared import ATOL, RTOL, _judge_tensor, _no_torch_version
from autograder.checks.kernel.neural_nets.activations_losses import leaky_relu as kernel


def test_leaky_relu(obs: dict) -> None:
    _no_torch_version("leaky_relu", obs)
    expect(
        obs["takes_m"],
        "`leaky_relu` has no argument named m: keep the signature leaky_relu(x, m=0.01), so that "
        "leaky_relu(x, m=0.1) sets the slope.",
    )
    inputs = kernel.activation_inputs()
    for x, out in zip(inputs, obs["outputs"], strict=True):
        _judge_tensor(
            "leaky_relu",
            out,
            x,
            F.leaky_relu(x, 0.01),
            "torch.nn.functional.leaky_relu(x, negative_slope=0.01)",
            " (with the default m=0.01)",
        )
    for m, outputs in zip(kernel.SLOPES, obs["slopes"], strict=True):
        for x, out in zip(inputs, outputs, strict=True):
            if isinstance(out, torch.Tensor) and tuple(out.shape) == tuple(x.shape):
                expect(
                    not close(out, F.leaky_relu(x, 0.01), ATOL, RTOL) or bool((x >= 0).all()),
                    "`leaky_relu(x, m)` ignores m: it gives the same output for every slope; "
                    "multiply the negative inputs by the m it is given.",
                )
            _judge_tensor(
                "leaky_relu",
                out,
                x,
                F.leaky_relu(x, m),
                "torch.nn.functional.leaky_relu(x, negative_slope=m)",
                " (with m other than 0.01)",
            )
