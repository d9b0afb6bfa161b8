"""`baseline_mse` (03_training.ipynb): the test MSE of the least-squares line fitted on the training data;
reads it with X, Y, X_test and Y_test."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.training._shared import _number


def observe(ns):
    obs = {name: plain(need(ns, name, torch.Tensor)) for name in ("X", "Y", "X_test", "Y_test")}
    value = need(ns, "baseline_mse", (torch.Tensor, float, int))
    obs["baseline_mse"] = _number(value)
    return obs
