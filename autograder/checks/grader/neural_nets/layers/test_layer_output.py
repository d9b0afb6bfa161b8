"""Grader side of `layer_output` (01_layers.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.layers._shared import _judge_sequential


def test_layer_output(obs: dict) -> None:
    _judge_sequential(obs, "layer_output")
