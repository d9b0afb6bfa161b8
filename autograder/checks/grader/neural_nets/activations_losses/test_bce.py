"""Grader side of `bce` (02_activations_losses.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_loss


def test_bce(obs: dict) -> None:
    _judge_loss(obs, "bce",
                hint=" (look at the sign, the mean, and probabilities of exactly 0 or 1, where torch "
                     "clamps each log at -100)",
                nan_hint=" (probabilities of exactly 0 or 1 make log give -inf: clamp each log at -100, "
                         "as torch does)")
