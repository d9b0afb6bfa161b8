"""Kernel side of `W` (01_layers.ipynb): runs in the student's kernel, returns plain data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.layers._shared import _layer1_linear


def observe(ns: dict) -> dict:
    W = need(ns, "W", torch.Tensor, "the lecture's W, of shape (3, 2)")
    linear = _layer1_linear(ns, "W")
    return {"W": plain(W), "weight": plain(linear.weight)}
