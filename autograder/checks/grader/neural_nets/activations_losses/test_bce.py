"""`bce` (02_activations_losses.ipynb): equals F.binary_cross_entropy on hidden pairs (probabilities of 0
and 1 included), in value and gradient, tracks gradients, and calls no PyTorch loss of its own."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_loss
from autograder.checks.kernel.neural_nets.activations_losses import bce as kernel


def test_bce(obs: dict) -> None:
    _judge_loss(
        obs,
        "bce",
        kernel.loss_cases(),
        hint=" (look at the sign, the mean, and probabilities of exactly 0 or 1, where torch clamps each log at -100)",
        nan_hint=" (probabilities of exactly 0 or 1 make log give -inf: clamp each log at -100, as torch does)",
    )
