"""Kernel side of the checks of 01_layers.ipynb: helpers shared by its items (no hidden inputs here:
each item's own file holds them). Sent into the student's kernel with every probe of this notebook."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain


IN_FEATURES = {"layer1": 3, "layer2": 2, "layer_output": 3}  # input width of each layer's hidden inputs


def hidden_inputs(seed: int, rows: int, cols: int) -> torch.Tensor:
    """Hidden inputs: a local generator, so neither side touches the global random state."""
    return torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed))


BY_HAND = "hidden_layer1_by_hand"


BY_HAND_CASES = ((21, 7), (22, 1), (23, 20))   # (seed, N): several N, so J must follow X's rows


def by_hand_case(seed: int, rows: int):
    """Hidden arguments (X, W, w_b) of hidden_layer1_by_hand."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(rows, 3, generator=g), torch.randn(3, 2, generator=g), torch.randn(2, generator=g))


def _kind(module) -> str:
    if isinstance(module, torch.nn.Linear):
        return "Linear"
    if isinstance(module, torch.nn.Sigmoid):
        return "Sigmoid"
    return type(module).__name__


def _linear_of(layer):
    """layer[0] when `layer` is a Sequential starting with a Linear, else None."""
    if isinstance(layer, torch.nn.Sequential) and len(layer) >= 1 and isinstance(layer[0], torch.nn.Linear):
        return layer[0]
    return None


def _tensor_or_type(value):
    return plain(value) if type(value) in (torch.Tensor, torch.nn.Parameter) else type(value).__name__


def _observe_sequential(ns: dict, name: str) -> dict:
    """Structure, parameters and outputs (on hidden inputs) of a Sequential(Linear, Sigmoid)."""
    layer = need(ns, name, torch.nn.Module)
    expect(isinstance(layer, torch.nn.Sequential),
           f"`{name}` should be a torch.nn.Sequential (a Linear then a Sigmoid), "
           f"but it is a {type(layer).__name__}.")
    modules = list(layer)
    obs = {"kinds": [_kind(m) for m in modules]}
    linear = _linear_of(layer)
    if linear is not None:
        obs["in_features"] = int(linear.in_features)
        obs["out_features"] = int(linear.out_features)
        obs["weight"] = plain(linear.weight)
        obs["bias"] = None if linear.bias is None else plain(linear.bias)
    # Called only when its structure lets it take the hidden inputs (the test reports the rest).
    n_in = IN_FEATURES[name]
    if obs["kinds"] == ["Linear", "Sigmoid"] and obs["in_features"] == n_in:
        with torch.no_grad():
            obs["output"] = _tensor_or_type(call(name, layer, hidden_inputs(11, 6, n_in)))
    return obs


def _layer1_linear(ns: dict, item: str):
    """layer1[0] for the items that read layer1's parameters, or a failure that says to fix layer1."""
    linear = _linear_of(ns.get("layer1"))
    expect(linear is not None,
           f"`{item}` is compared with layer1's Linear (layer1[0]), but `layer1` is not a Sequential "
           "starting with a Linear yet: do the layer1 exercise first.")
    return linear


def _by_hand_function(ns: dict):
    function = need(ns, BY_HAND, None, "the function that computes Z by hand")
    expect(callable(function), f"`{BY_HAND}` should be a function of X, W and w_b.")
    return function
