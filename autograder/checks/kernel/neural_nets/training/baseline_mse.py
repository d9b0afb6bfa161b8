"""Kernel side of `baseline_mse` (03_training.ipynb): runs in the student's kernel, returns plain data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.training._shared import _number


# ============================================================================ baseline_mse
def observe(ns):
    obs = {name: plain(need(ns, name, torch.Tensor)) for name in ("X", "Y", "X_test", "Y_test")}
    value = need(ns, "baseline_mse", (torch.Tensor, float, int))
    obs["baseline_mse"] = _number(value)
    return obs
