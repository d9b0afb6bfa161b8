"""`mse` (02_activations_losses.ipynb): equals F.mse_loss on hidden pairs, in value and gradient, tracks
gradients, and calls no PyTorch loss of its own."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_loss
from autograder.checks.kernel.neural_nets.activations_losses import mse as kernel


def test_mse(obs: dict) -> None:
    _judge_loss(obs, "mse", kernel.loss_cases())
