"""Grader side of `relu` (02_activations_losses.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

import torch.nn.functional as F

from autograder.checks.kernel.neural_nets.activations_losses import relu as kernel
from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_tensor, _no_torch_version


def test_relu(obs: dict) -> None:
    _no_torch_version("relu", obs)
    for x, out in zip(kernel.activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("relu", out, x, F.relu(x), "torch.nn.functional.relu")
