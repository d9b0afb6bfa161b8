"""`Z_by_hand_ones` (01_layers.ipynb): hidden_layer1_by_hand builds J with torch.ones (and runs on the
notebook's own W and w_bias, as the visible check calls it)."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.layers._shared import _judge_with_own_weights
from autograder.checks.kernel.neural_nets.layers._shared import BY_HAND

ONES = frozenset({"ones", "ones_like", "new_ones"})


def test_Z_by_hand_ones(obs: dict) -> None:
    expect(
        ONES & set(obs["calls"]),
        f"`{BY_HAND}` does not build J with torch.ones: make J = torch.ones(N, 1) with N = X.shape[0], "
        "then add J @ w_b.reshape(1, 2), which puts the bias on every row (J_{N,1} w_b).",
    )
    _judge_with_own_weights(obs["runs_with_own"])
