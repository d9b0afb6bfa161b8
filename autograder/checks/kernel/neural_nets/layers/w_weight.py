"""`w_weight` (01_layers.ipynb) is the weight of layer1's Linear: reads w_weight and layer1[0].weight."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.layers._shared import _layer1_linear


def observe(ns: dict) -> dict:
    w_weight = need(ns, "w_weight", torch.Tensor, "the weights of layer1's Linear")
    linear = _layer1_linear(ns, "w_weight")
    return {"w_weight": plain(w_weight), "weight": plain(linear.weight)}
