"""`Z_by_hand_ones` (01_layers.ipynb): hidden_layer1_by_hand builds J with torch.ones; records the torch
functions it runs on hidden cases (the same cases as Z_by_hand's, in a copy of their own), and whether it
runs on the notebook's own W and w_bias, as the visible check calls it."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import TorchCalls, call_recording
from autograder.checks.kernel.neural_nets.layers._shared import BY_HAND, _by_hand_function, _runs_with_own_weights

BY_HAND_CASES = ((21, 7), (22, 1), (23, 20))  # (seed, N) of the hidden arguments


def by_hand_case(seed: int, rows: int):
    """Hidden arguments (X, W, w_b) of hidden_layer1_by_hand."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(rows, 3, generator=g), torch.randn(3, 2, generator=g), torch.randn(2, generator=g))


def observe(ns: dict) -> dict:
    function = _by_hand_function(ns)
    calls = TorchCalls()
    for seed, rows in BY_HAND_CASES:
        call_recording(BY_HAND, calls, function, *by_hand_case(seed, rows))
    return {"calls": calls.names, "runs_with_own": _runs_with_own_weights(ns, function)}
