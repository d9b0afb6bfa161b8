"""Grader side of 01_layers.ipynb: tolerances, the lecture's layer sizes and judges its items share.
Never sent into a kernel."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.neural_nets.layers._shared import BY_HAND

ATOL = 1e-6  # tolerance stated in the notebook for computed values
EXACT = 1e-7  # "the same tensor": copies of parameters, seeded initial weights
# (in_features, out_features) of each layer of the lecture's ExampleNN
LAYERS = {"layer1": (3, 2), "layer2": (2, 3), "layer_output": (3, 2)}


def _sigmoid_layer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """What Sequential(Linear, Sigmoid) computes, with PyTorch's (out, in) weight layout."""
    return torch.sigmoid(x.to(torch.float64) @ weight.to(torch.float64).T + bias.to(torch.float64))


def _shape(t) -> tuple:
    return tuple(t.shape)


def _judge_sequential(obs: dict, name: str, x: torch.Tensor) -> None:
    """`name` is a Sequential(Linear, Sigmoid) of the lecture's sizes; `x` is what it was called on."""
    n_in, n_out = LAYERS[name]
    kinds = obs["kinds"]
    if kinds == ["Linear"]:
        expect(
            False,
            f"`{name}` holds only a Linear: add torch.nn.Sigmoid() after it "
            "(a layer is a linear operation followed by an activation function).",
        )
    expect(
        kinds == ["Linear", "Sigmoid"],
        f"`{name}` should hold exactly two modules, a Linear then a Sigmoid; yours holds: "
        f"{', '.join(kinds) if kinds else 'nothing'}.",
    )
    expect(
        (obs["in_features"], obs["out_features"]) == (n_in, n_out),
        f"`{name}`'s Linear maps {obs['in_features']} → {obs['out_features']} features; "
        f"it should map {n_in} → {n_out} (in_features={n_in}, out_features={n_out}).",
    )
    expect(
        isinstance(obs["bias"], torch.Tensor),
        f"`{name}`'s Linear has no bias: keep the default bias=True (the bias term of the formula).",
    )
    out = obs.get("output")
    expect(isinstance(out, torch.Tensor), f"`{name}` should return a tensor when called on a batch of inputs.")
    rows = len(x)
    expect(
        _shape(out) == (rows, n_out),
        f"`{name}` returned shape {_shape(out)} for {rows} examples; it should return ({rows}, {n_out}).",
    )
    expect(
        close(out, _sigmoid_layer(x, obs["weight"], obs["bias"]), ATOL),
        f"`{name}`'s output differs from sigmoid(linear operation) of its own weights by more than "
        "1e-6: check the Sigmoid after the Linear.",
    )


def _judge_with_own_weights(runs: bool) -> None:
    """hidden_layer1_by_hand(torch.ones(4, 3), W, w_bias) with the notebook's own W and w_bias, which
    the visible checks run, runs (its values are compared with layer1's where W and w_bias have the
    right shapes: test_Z_by_hand)."""
    expect(
        runs,
        f"`{BY_HAND}(X, W, w_bias)` raises an error with your own W and w_bias, as the visible checks "
        "call it: fix W (shape (3, 2), the transpose of w_weight) and w_bias (shape (2,)) first.",
    )
