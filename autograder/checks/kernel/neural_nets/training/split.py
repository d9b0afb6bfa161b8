"""`split` (03_training.ipynb): a shuffled 70 / 15 / 15 split of X_all, Y_all into training, validation and
test rows; reads the parts as columns, with the shapes and dtypes of X_all and of the X parts."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import expect, need, plain
from autograder.checks.kernel.neural_nets.training._shared import _column

PARTS = (("X", "Y", "training"), ("X_valid", "Y_valid", "validation"), ("X_test", "Y_test", "test"))


def observe(ns):
    obs = {"layout": {}}
    for name in ("X_all", "Y_all") + tuple(n for pair in PARTS for n in pair[:2]):
        value = need(ns, name, torch.Tensor)
        column = _column(value)
        expect(
            column is not None,
            f"`{name}` has shape {tuple(value.shape)}: it should hold one value per row, "
            "shape (N,) (or (N, 1) after the unsqueeze).",
        )
        obs[name] = plain(column)
        if name.startswith("X"):  # the visible checks compare the X parts with X_all itself
            obs["layout"][name] = [[int(d) for d in value.shape], str(value.dtype)]
    return obs
