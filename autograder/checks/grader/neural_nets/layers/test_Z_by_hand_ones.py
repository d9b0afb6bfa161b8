"""`Z_by_hand_ones` (01_layers.ipynb): hidden_layer1_by_hand builds J with torch.ones."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.kernel.neural_nets.layers._shared import BY_HAND

ONES = frozenset({"ones", "ones_like", "new_ones"})


def test_Z_by_hand_ones(obs: dict) -> None:
    expect(
        ONES & set(obs["calls"]),
        f"`{BY_HAND}` does not build J with torch.ones: make J = torch.ones(N, 1) with N = X.shape[0], "
        "then add J @ w_b.reshape(1, 2), which puts the bias on every row (J_{N,1} w_b).",
    )
