"""Grader side of the checks of 01_layers.ipynb: helpers shared by its items. Never sent into a kernel."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.neural_nets.layers import _shared as kernel


ATOL = 1e-6                 # tolerance stated in the notebook for computed values


EXACT = 1e-7                # "the same tensor": copies of parameters, seeded initial weights


OUT_FEATURES = {"layer1": 2, "layer2": 3, "layer_output": 2}


# (in_features, out_features) of each layer of the lecture's ExampleNN
LAYERS = {name: (n_in, OUT_FEATURES[name]) for name, n_in in kernel.IN_FEATURES.items()}


BY_HAND = kernel.BY_HAND


def _sigmoid_layer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """What Sequential(Linear, Sigmoid) computes, with PyTorch's (out, in) weight layout."""
    return torch.sigmoid(x.to(torch.float64) @ weight.to(torch.float64).T + bias.to(torch.float64))


def _shape(t) -> tuple:
    return tuple(t.shape)


def _judge_sequential(obs: dict, name: str) -> None:
    n_in, n_out = LAYERS[name]
    kinds = obs["kinds"]
    if kinds == ["Linear"]:
        expect(False, f"`{name}` holds only a Linear: add torch.nn.Sigmoid() after it "
                      "(a layer is a linear operation followed by an activation function).")
    expect(kinds == ["Linear", "Sigmoid"],
           f"`{name}` should hold exactly two modules, a Linear then a Sigmoid; yours holds: "
           f"{', '.join(kinds) if kinds else 'nothing'}.")
    expect((obs["in_features"], obs["out_features"]) == (n_in, n_out),
           f"`{name}`'s Linear maps {obs['in_features']} → {obs['out_features']} features; "
           f"it should map {n_in} → {n_out} (in_features={n_in}, out_features={n_out}).")
    expect(isinstance(obs["bias"], torch.Tensor),
           f"`{name}`'s Linear has no bias: keep the default bias=True (the bias term of the formula).")
    out = obs.get("output")
    expect(isinstance(out, torch.Tensor), f"`{name}` should return a tensor when called on a batch of inputs.")
    x = kernel.hidden_inputs(11, 6, n_in)
    expect(_shape(out) == (6, n_out),
           f"`{name}` returned shape {_shape(out)} for 6 examples; it should return (6, {n_out}).")
    expect(close(out, _sigmoid_layer(x, obs["weight"], obs["bias"]), ATOL),
           f"`{name}`'s output differs from sigmoid(linear operation) of its own weights by more than "
           "1e-6: check the Sigmoid after the Linear.")
