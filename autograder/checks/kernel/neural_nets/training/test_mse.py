"""`test_mse` (03_training.ipynb): the trained network's MSE on the held-out test rows, below the item's
threshold; reads it with neural_net's parameters and the data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.training._shared import _number


def observe(ns):
    net = need(ns, "neural_net", torch.nn.Module)
    obs = {"state": plain(net.state_dict())}
    for name in ("X_test", "Y_test", "X", "Y"):
        obs[name] = plain(need(ns, name, torch.Tensor))
    value = need(ns, "test_mse", (torch.Tensor, float, int))
    obs["test_mse"] = _number(value)
    return obs
