"""`w_weight` (01_layers.ipynb): the weights of layer1's Linear as PyTorch stores them, of shape (2, 3)."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import EXACT, _shape


def test_w_weight(obs: dict) -> None:
    w_weight = obs["w_weight"]
    expect(isinstance(w_weight, torch.Tensor), "`w_weight` should be a torch.Tensor.")
    expect(
        _shape(w_weight) != (3, 2),
        "w_weight has shape (3, 2): PyTorch stores Linear weights as (out_features, in_features)",
    )
    expect(
        _shape(w_weight) == (2, 3),
        f"`w_weight` has shape {_shape(w_weight)}; layer1's weights as PyTorch stores them have "
        "shape (2, 3) = (out_features, in_features).",
    )
    expect(close(w_weight, obs["weight"], EXACT), "`w_weight` differs from the weights of layer1's Linear (layer1[0]).")
