"""`layer2` (01_layers.ipynb): Sequential(Linear(2, 3), Sigmoid), its output sigmoid(x Wᵀ + b) on the
hidden inputs."""

from __future__ import annotations

from autograder.checks.grader.neural_nets.layers._shared import _judge_sequential
from autograder.checks.kernel.neural_nets.layers import layer2 as kernel


def test_layer2(obs: dict) -> None:
    _judge_sequential(obs, "layer2", kernel.layer_inputs())
