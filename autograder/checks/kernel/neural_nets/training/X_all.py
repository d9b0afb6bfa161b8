"""Kernel side of `X_all` (03_training.ipynb): runs in the student's kernel, returns plain data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain


# ============================================================================ X_all, split
STANDARDIZED_NAMES = ("X_all", "x_mu", "x_sigma", "Y_all", "y_mu", "y_sigma")


def observe(ns):
    return {name: plain(need(ns, name, torch.Tensor)) for name in STANDARDIZED_NAMES}
