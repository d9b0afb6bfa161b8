"""`W` (01_layers.ipynb) is the lecture's W, the transpose of layer1's weights: reads W, layer1[0].weight and
w_weight (the visible checks compare W with it)."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.layers._shared import _layer1_linear


def observe(ns: dict) -> dict:
    W = need(ns, "W", torch.Tensor, "the lecture's W, of shape (3, 2)")
    linear = _layer1_linear(ns, "W")
    w_weight = ns.get("w_weight")
    return {
        "W": plain(W),
        "weight": plain(linear.weight),
        "w_weight": plain(w_weight) if isinstance(w_weight, torch.Tensor) else None,
    }
