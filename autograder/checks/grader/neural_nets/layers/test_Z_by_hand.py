"""`Z_by_hand` (01_layers.ipynb): hidden_layer1_by_hand(X, W, w_b) is sigmoid(X W + J w_b) on hidden cases,
computed by hand (no layer1, no ready-made linear layer), and reproduces layer1 with W and w_bias."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import ATOL, _judge_with_own_weights, _shape, _sigmoid_layer
from autograder.checks.kernel.neural_nets.layers import Z_by_hand as kernel
from autograder.checks.kernel.neural_nets.layers._shared import BY_HAND

# Torch functions (as the kernel side records their calls) of a ready-made linear layer: layer1(X)
# and torch.nn.Linear run "linear"; and the ways to build the all-ones J.
READY_MADE_LINEAR = frozenset({"linear", "addmm", "bilinear"})


def test_Z_by_hand(obs: dict) -> None:
    expect(not obs["uses_layer1"], f"`{BY_HAND}` uses layer1: compute Z by hand from its arguments X, W and w_b.")
    expect(
        not READY_MADE_LINEAR & set(obs["calls"]),
        f"`{BY_HAND}` uses a ready-made linear layer: write the matrix product X @ W and the bias term yourself.",
    )
    for (seed, rows), out in zip(kernel.BY_HAND_CASES, obs["outputs"]):
        X, W, w_b = kernel.by_hand_case(seed, rows)
        expect(isinstance(out, torch.Tensor), f"`{BY_HAND}` should return a torch.Tensor, not a {out}.")
        expect(
            _shape(out) == (rows, 2),
            f"`{BY_HAND}` returned shape {_shape(out)} for X with {rows} rows; Z has shape (N, 2): "
            "take N from X (X.shape[0]) and use the X you are given.",
        )
        expect(bool(torch.isfinite(out).all()), f"`{BY_HAND}` returned nan or inf on some inputs.")
        expected = torch.sigmoid(X.to(torch.float64) @ W.to(torch.float64) + w_b.to(torch.float64))
        expect(
            close(out, expected, ATOL),
            f"`{BY_HAND}` differs from sigmoid(X W + J w_b) by more than 1e-6 on inputs you do "
            "not see: use the W and w_b it is given, the matrix product @, and the sigmoid.",
        )
        # Linear's semantics (weight stored transposed) must agree: the same numbers, another route.
        expect(
            close(out, _sigmoid_layer(X, W.T, w_b), ATOL),
            f"`{BY_HAND}` does not compute what a Linear + Sigmoid layer with these weights computes.",
        )
    _judge_with_own_weights(obs["runs_with_own"])
    if "own" in obs:
        own, reference = obs["own"], obs["layer1"]
        expect(
            isinstance(own, torch.Tensor)
            and isinstance(reference, torch.Tensor)
            and _shape(own) == _shape(reference)
            and close(own, reference, ATOL),
            f"`{BY_HAND}(X, W, w_bias)` differs from layer1(X): check that W is w_weight.T and "
            "w_bias is layer1's bias.",
        )
