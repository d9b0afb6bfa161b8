"""`Z_by_hand` (01_layers.ipynb): hidden_layer1_by_hand(X, W, w_b) computes sigmoid(X W + J w_b) itself,
without layer1 or a ready-made linear layer: its outputs on hidden cases, and on the student's own W, w_bias."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import TorchCalls, call, call_recording, global_names
from autograder.checks.kernel.neural_nets.layers._shared import (
    BY_HAND,
    _by_hand_function,
    _runs_with_own_weights,
    _tensor_or_type,
    seeded_randn,
)

BY_HAND_CASES = ((21, 7), (22, 1), (23, 20))  # (seed, N): several N, so J must follow X's rows
OWN_INPUTS = (24, 5, 3)  # (seed, rows, features) of the X compared with layer1(X)


def by_hand_case(seed: int, rows: int):
    """Hidden arguments (X, W, w_b) of hidden_layer1_by_hand."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(rows, 3, generator=g), torch.randn(3, 2, generator=g), torch.randn(2, generator=g))


def _shape(t) -> tuple:
    return tuple(t.shape)


def observe(ns: dict) -> dict:
    function = _by_hand_function(ns)
    calls = TorchCalls()  # the torch functions it runs: a ready-made linear layer shows as "linear"
    obs = {"uses_layer1": "layer1" in global_names(function), "outputs": []}
    for seed, rows in BY_HAND_CASES:
        X, W, w_b = by_hand_case(seed, rows)
        obs["outputs"].append(_tensor_or_type(call_recording(BY_HAND, calls, function, X, W, w_b)))
    obs["calls"] = calls.names
    obs["runs_with_own"] = _runs_with_own_weights(ns, function)  # what the visible checks call it on
    # With the student's own W and w_bias it should reproduce layer1 (compared only when their shapes
    # fit; when the function cannot run on them at all, runs_with_own says so, as the visible checks do).
    W, w_bias, layer1 = ns.get("W"), ns.get("w_bias"), ns.get("layer1")
    if (
        isinstance(W, torch.Tensor)
        and _shape(W) == (3, 2)
        and isinstance(w_bias, torch.Tensor)
        and _shape(w_bias) == (2,)
        and isinstance(layer1, torch.nn.Module)
    ):
        X = seeded_randn(*OWN_INPUTS)
        with torch.no_grad():
            obs["own"] = _tensor_or_type(call(BY_HAND, function, X, W.detach().clone(), w_bias.detach().clone()))
            obs["layer1"] = _tensor_or_type(call("layer1", layer1, X))
    return obs
