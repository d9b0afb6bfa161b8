"""`layer_output` (01_layers.ipynb): Sequential(Linear(3, 2), Sigmoid), its output sigmoid(x Wᵀ + b) on
the hidden inputs."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.layers._shared import _judge_sequential
from autograder.checks.kernel.neural_nets.layers import layer_output as kernel


def test_layer_output(obs: dict) -> None:
    _judge_sequential(obs, "layer_output", kernel.layer_inputs())
