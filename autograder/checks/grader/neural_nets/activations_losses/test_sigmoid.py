"""Grader side of `sigmoid` (02_activations_losses.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

import torch

from autograder.checks.kernel.neural_nets.activations_losses import sigmoid as kernel
from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_tensor, _no_torch_version


def test_sigmoid(obs: dict) -> None:
    _no_torch_version("sigmoid", obs)
    for x, out in zip(kernel.activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("sigmoid", out, x, torch.sigmoid(x), "torch.sigmoid")
