"""`layer1` (01_layers.ipynb): Sequential(Linear(3, 2), Sigmoid), its output sigmoid(x Wᵀ + b) on the
hidden inputs, and the initial weights torch.manual_seed(0) gives."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import EXACT, _judge_sequential
from autograder.checks.kernel.neural_nets.layers import layer1 as kernel


def _seeded_linear() -> torch.nn.Linear:
    """What torch.manual_seed(0) followed by Linear(3, 2) gives, without touching our random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.nn.Linear(in_features=3, out_features=2)


def test_layer1(obs: dict) -> None:
    _judge_sequential(obs, "layer1", kernel.layer_inputs())
    reference = _seeded_linear()
    expect(
        close(obs["weight"], reference.weight, EXACT) and close(obs["bias"], reference.bias, EXACT),
        "layer1's initial weights are not those that torch.manual_seed(0) followed by "
        "Linear(in_features=3, out_features=2) gives: create layer1 right after the seed, "
        "with nothing random in between, and do not change its weights.",
    )
