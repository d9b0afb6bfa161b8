"""`w_bias` (01_layers.ipynb) is the bias of layer1's Linear: reads w_bias and layer1[0].bias."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import expect, need, plain
from autograder.checks.kernel.neural_nets.layers._shared import _layer1_linear


def observe(ns: dict) -> dict:
    w_bias = need(ns, "w_bias", torch.Tensor, "the bias of layer1's Linear")
    linear = _layer1_linear(ns, "w_bias")
    expect(linear.bias is not None, "`layer1`'s Linear has no bias: keep the default bias=True.")
    return {"w_bias": plain(w_bias), "bias": plain(linear.bias)}
