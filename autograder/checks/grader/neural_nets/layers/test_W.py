"""`W` (01_layers.ipynb): the lecture's W, of shape (3, 2), is the transpose of layer1's weights, and of
w_weight (as the visible checks say: W[i, j] is w_weight[j, i])."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import EXACT, _shape


def test_W(obs: dict) -> None:
    W = obs["W"]
    expect(isinstance(W, torch.Tensor), "`W` should be a torch.Tensor.")
    expect(
        _shape(W) != (2, 3),
        "W has shape (2, 3), the way PyTorch stores the weights (w_weight); the lecture's W is "
        "its transpose, of shape (3, 2) = (inputs, nodes).",
    )
    expect(_shape(W) == (3, 2), f"`W` has shape {_shape(W)}; the lecture's W has shape (3, 2).")
    expect(
        close(W, obs["weight"].T, EXACT),
        "`W` has the right shape but differs from the transpose of layer1's weights: "
        "transpose w_weight (do not reshape it: reshape keeps the order of the numbers).",
    )
    w_weight = obs["w_weight"]
    expect(
        isinstance(w_weight, torch.Tensor) and _shape(w_weight) == (2, 3) and close(W, w_weight.T, EXACT),
        "`W` is not the transpose of your `w_weight`: W[i, j], the weight from input i to node j, is "
        "w_weight[j, i]. Fix w_weight first (layer1's weights as PyTorch stores them), then W = w_weight.T.",
    )
