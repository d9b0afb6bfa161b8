"""Grader side of `mse` (02_activations_losses.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_loss


def test_mse(obs: dict) -> None:
    _judge_loss(obs, "mse")
