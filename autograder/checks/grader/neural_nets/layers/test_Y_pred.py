"""`Y_pred` (01_layers.ipynb): example_nn(X) for X = torch.ones(20, 3), of shape (20, 2)."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import ATOL, _shape


def test_Y_pred(obs: dict) -> None:
    Y_pred, again = obs["Y_pred"], obs["again"]
    expect(
        _shape(Y_pred) == (20, 2),
        f"`Y_pred` has shape {_shape(Y_pred)}; 20 examples through ExampleNN give a 20 × 2 matrix.",
    )
    expect(
        isinstance(again, torch.Tensor) and _shape(again) == (20, 2),
        "example_nn(X) does not return a 20 × 2 tensor for X = torch.ones(20, 3): fix ExampleNN first.",
    )
    expect(
        close(Y_pred, again, ATOL),
        "`Y_pred` differs from example_nn(X) with X = torch.ones(20, 3): pass X through the "
        "whole network example_nn (created before Y_pred, and not re-created after it).",
    )
