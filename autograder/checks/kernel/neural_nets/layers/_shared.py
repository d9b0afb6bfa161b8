"""Kernel side of 01_layers.ipynb: helpers its items share, sent into the kernel with each of their
probes. No hidden inputs here: each item's own file holds its seeds and passes them in."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import StudentCodeError, call, expect, need, plain, type_name

BY_HAND = "hidden_layer1_by_hand"  # the name of the student's function that computes Z by hand


def seeded_randn(seed: int, rows: int, cols: int) -> torch.Tensor:
    """A (rows, cols) tensor from a local generator, so neither side touches the global random state."""
    return torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed))


def _kind(module) -> str:
    if isinstance(module, torch.nn.Linear):
        return "Linear"
    if isinstance(module, torch.nn.Sigmoid):
        return "Sigmoid"
    return type_name(module)


def _linear_of(layer):
    """layer[0] when `layer` is a Sequential starting with a Linear, else None."""
    if isinstance(layer, torch.nn.Sequential) and len(layer) >= 1 and isinstance(layer[0], torch.nn.Linear):
        return layer[0]
    return None


def _tensor_or_type(value):
    return plain(value) if type(value) in (torch.Tensor, torch.nn.Parameter) else type_name(value)


def _observe_sequential(ns: dict, name: str, x: torch.Tensor) -> dict:
    """Structure, parameters and output on `x` of a Sequential(Linear, Sigmoid)."""
    layer = need(ns, name, torch.nn.Module)
    expect(
        isinstance(layer, torch.nn.Sequential),
        f"`{name}` should be a torch.nn.Sequential (a Linear then a Sigmoid), but it is a {type_name(layer)}.",
    )
    modules = list(layer)
    obs = {"kinds": [_kind(m) for m in modules]}
    linear = _linear_of(layer)
    if linear is not None:
        obs["in_features"] = int(linear.in_features)
        obs["out_features"] = int(linear.out_features)
        obs["weight"] = plain(linear.weight)
        obs["bias"] = None if linear.bias is None else plain(linear.bias)
    # Called only when its structure lets it take `x` (the test reports the rest).
    if obs["kinds"] == ["Linear", "Sigmoid"] and obs["in_features"] == x.shape[1]:
        with torch.no_grad():
            obs["output"] = _tensor_or_type(call(name, layer, x))
    return obs


def _layer1_linear(ns: dict, item: str):
    """layer1[0] for the items that read layer1's parameters, or a failure that says to fix layer1."""
    linear = _linear_of(ns.get("layer1"))
    expect(
        linear is not None,
        f"`{item}` is compared with layer1's Linear (layer1[0]), but `layer1` is not a Sequential "
        "starting with a Linear yet: do the layer1 exercise first.",
    )
    return linear


def _by_hand_function(ns: dict):
    function = need(ns, BY_HAND, None, "the function that computes Z by hand")
    expect(callable(function), f"`{BY_HAND}` should be a function of X, W and w_b.")
    return function


def _runs_with_own_weights(ns: dict, function) -> bool:
    """Whether function(torch.ones(4, 3), W, w_bias) runs with the notebook's own W and w_bias
    (copies), as the visible checks call it."""
    own = [need(ns, name) for name in ("W", "w_bias")]
    own = [v.detach().clone() if isinstance(v, torch.Tensor) else v for v in own]
    try:
        call(BY_HAND, function, torch.ones(4, 3), *own)
    except StudentCodeError:
        return False
    return True
