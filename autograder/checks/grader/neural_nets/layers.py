"""Grader side of the checks of source/neural_nets/01_layers.ipynb: the layers of ExampleNN and its
forward pass. Runs in the grader's process only: the references, tolerances and verdicts. The
observations come from ``autograder/checks/kernel/neural_nets/layers.py``; the hidden inputs are
rebuilt here from the same seeds.

Items: layer1, w_bias, w_weight, W, Z_by_hand, Z_by_hand_ones, layer2, layer_output, ExampleNN, Y_pred.

Values are compared with `close` (elementary tensor arithmetic) rather than torch.allclose: when
a check runs in the student's own process (nbgrader's hidden region, the in-process tests) student
code may have replaced torch.allclose before the test runs.
"""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.neural_nets import layers as kernel

ATOL = 1e-6                 # tolerance stated in the notebook for computed values
EXACT = 1e-7                # "the same tensor": copies of parameters, seeded initial weights
OUT_FEATURES = {"layer1": 2, "layer2": 3, "layer_output": 2}
# (in_features, out_features) of each layer of the lecture's ExampleNN
LAYERS = {name: (n_in, OUT_FEATURES[name]) for name, n_in in kernel.IN_FEATURES.items()}
BY_HAND = kernel.BY_HAND
# Torch functions (as the kernel side records their calls) of a ready-made linear layer: layer1(X)
# and torch.nn.Linear run "linear"; and the ways to build the all-ones J.
READY_MADE_LINEAR = frozenset({"linear", "addmm", "bilinear"})
ONES = frozenset({"ones", "ones_like", "new_ones"})


# ----------------------------------------------------------------------------- shared helpers
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


def _seeded_linear() -> torch.nn.Linear:
    """What torch.manual_seed(0) followed by Linear(3, 2) gives, without touching our random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.nn.Linear(in_features=3, out_features=2)


# ----------------------------------------------------------------------------- layer1
def test_layer1(obs: dict) -> None:
    _judge_sequential(obs, "layer1")
    reference = _seeded_linear()
    expect(close(obs["weight"], reference.weight, EXACT) and close(obs["bias"], reference.bias, EXACT),
           "layer1's initial weights are not those that torch.manual_seed(0) followed by "
           "Linear(in_features=3, out_features=2) gives: create layer1 right after the seed, "
           "with nothing random in between, and do not change its weights.")


# ----------------------------------------------------------------------------- w_bias
def test_w_bias(obs: dict) -> None:
    w_bias = obs["w_bias"]
    expect(isinstance(w_bias, torch.Tensor), "`w_bias` should be a torch.Tensor.")
    expect(_shape(w_bias) == (2,),
           f"`w_bias` has shape {_shape(w_bias)}; the bias of a Linear with 2 outputs has shape (2,) "
           "(one bias per node of hidden layer 1: w_01, w_02).")
    expect(close(w_bias, obs["bias"], EXACT),
           "`w_bias` differs from the bias of layer1's Linear (layer1[0]).")


# ----------------------------------------------------------------------------- w_weight
def test_w_weight(obs: dict) -> None:
    w_weight = obs["w_weight"]
    expect(isinstance(w_weight, torch.Tensor), "`w_weight` should be a torch.Tensor.")
    expect(_shape(w_weight) != (3, 2),
           "w_weight has shape (3, 2): PyTorch stores Linear weights as (out_features, in_features)")
    expect(_shape(w_weight) == (2, 3),
           f"`w_weight` has shape {_shape(w_weight)}; layer1's weights as PyTorch stores them have "
           "shape (2, 3) = (out_features, in_features).")
    expect(close(w_weight, obs["weight"], EXACT),
           "`w_weight` differs from the weights of layer1's Linear (layer1[0]).")


# ----------------------------------------------------------------------------- W
def test_W(obs: dict) -> None:
    W = obs["W"]
    expect(isinstance(W, torch.Tensor), "`W` should be a torch.Tensor.")
    expect(_shape(W) != (2, 3),
           "W has shape (2, 3), the way PyTorch stores the weights (w_weight); the lecture's W is "
           "its transpose, of shape (3, 2) = (inputs, nodes).")
    expect(_shape(W) == (3, 2), f"`W` has shape {_shape(W)}; the lecture's W has shape (3, 2).")
    expect(close(W, obs["weight"].T, EXACT),
           "`W` has the right shape but differs from the transpose of layer1's weights: "
           "transpose w_weight (do not reshape it: reshape keeps the order of the numbers).")


# ----------------------------------------------------------------------------- Z_by_hand
def test_Z_by_hand(obs: dict) -> None:
    expect(not obs["uses_layer1"],
           f"`{BY_HAND}` uses layer1: compute Z by hand from its arguments X, W and w_b.")
    expect(not READY_MADE_LINEAR & set(obs["calls"]),
           f"`{BY_HAND}` uses a ready-made linear layer: write the matrix product X @ W and the bias "
           "term yourself.")
    for (seed, rows), out in zip(kernel.BY_HAND_CASES, obs["outputs"]):
        X, W, w_b = kernel.by_hand_case(seed, rows)
        expect(isinstance(out, torch.Tensor), f"`{BY_HAND}` should return a torch.Tensor, not a {out}.")
        expect(_shape(out) == (rows, 2),
               f"`{BY_HAND}` returned shape {_shape(out)} for X with {rows} rows; Z has shape (N, 2): "
               "take N from X (X.shape[0]) and use the X you are given.")
        expect(bool(torch.isfinite(out).all()), f"`{BY_HAND}` returned nan or inf on some inputs.")
        expected = torch.sigmoid(X.to(torch.float64) @ W.to(torch.float64) + w_b.to(torch.float64))
        expect(close(out, expected, ATOL),
               f"`{BY_HAND}` differs from sigmoid(X W + J w_b) by more than 1e-6 on inputs you do "
               "not see: use the W and w_b it is given, the matrix product @, and the sigmoid.")
        # Linear's semantics (weight stored transposed) must agree: the same numbers, another route.
        expect(close(out, _sigmoid_layer(X, W.T, w_b), ATOL),
               f"`{BY_HAND}` does not compute what a Linear + Sigmoid layer with these weights computes.")
    if "own" in obs:
        own, reference = obs["own"], obs["layer1"]
        expect(isinstance(own, torch.Tensor) and isinstance(reference, torch.Tensor)
               and _shape(own) == _shape(reference) and close(own, reference, ATOL),
               f"`{BY_HAND}(X, W, w_bias)` differs from layer1(X): check that W is w_weight.T and "
               "w_bias is layer1's bias.")


def test_Z_by_hand_ones(obs: dict) -> None:
    expect(ONES & set(obs["calls"]),
           f"`{BY_HAND}` does not build J with torch.ones: make J = torch.ones(N, 1) with N = X.shape[0], "
           "then add J @ w_b.reshape(1, 2), which puts the bias on every row (J_{N,1} w_b).")


# ----------------------------------------------------------------------------- layer2, layer_output
def test_layer2(obs: dict) -> None:
    _judge_sequential(obs, "layer2")


def test_layer_output(obs: dict) -> None:
    _judge_sequential(obs, "layer_output")


# ----------------------------------------------------------------------------- ExampleNN
def _reference_example_nn() -> torch.nn.Module:
    """The lecture's architecture (its initial values do not matter: a state dict is loaded)."""
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Module()
        for name, (n_in, n_out) in LAYERS.items():
            setattr(model, name, torch.nn.Sequential(torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()))
    return model


def test_ExampleNN(obs: dict) -> None:
    missing = [name for name, present in obs["attributes"].items() if not present]
    expect(not missing, f"ExampleNN has no layer attribute(s) {', '.join(missing)}: create them in "
                        "__init__ as self.layer1, self.layer2 and self.layer_output.")
    shared = obs.get("shared") or []
    globals_used = [f"`{name}`" for name in shared if name != "another instance"]
    expect(not shared,
           "ExampleNN reuses "
           + (f"the notebook's {', '.join(globals_used)}" if globals_used else "the same layers in every instance")
           + " instead of building its own layers: create new torch.nn.Sequential layers inside __init__, "
             "so that each ExampleNN() has parameters of its own.")
    reference = _reference_example_nn()
    expected_state = reference.state_dict()
    state = obs["state"]
    extra = sorted(set(state) - set(expected_state))
    absent = sorted(set(expected_state) - set(state))
    expect(not extra and not absent,
           "ExampleNN's parameters should be exactly those of layer1, layer2 and layer_output, each a "
           "Sequential of a Linear (with bias) then a Sigmoid"
           + (f"; unexpected: {', '.join(extra)}" if extra else "")
           + (f"; missing: {', '.join(absent)}" if absent else "") + ".")
    for key, value in expected_state.items():
        name = key.split(".")[0]
        n_in, n_out = LAYERS[name]
        expect(isinstance(state[key], torch.Tensor) and _shape(state[key]) == _shape(value),
               f"ExampleNN.{name}'s Linear has {key.split('.')[-1]} of shape "
               f"{_shape(state[key]) if isinstance(state[key], torch.Tensor) else '?'}: "
               f"{name} should map {n_in} → {n_out} features.")
    reference.load_state_dict(state)
    with torch.no_grad():
        for i, (name, (n_in, n_out)) in enumerate(LAYERS.items()):
            out = obs["layers"].get(name)
            expect(not isinstance(out, dict), out["error"] if isinstance(out, dict) else "")
            expected = getattr(reference, name)(kernel.hidden_inputs(31 + i, 6, n_in))
            expect(isinstance(out, torch.Tensor) and _shape(out) == (6, n_out) and close(out, expected, ATOL),
                   f"ExampleNN.{name} does not compute sigmoid(linear operation): it should be a "
                   f"Sequential of Linear({n_in} → {n_out}) then Sigmoid.")
        out = obs["forward"]
        expect(not isinstance(out, dict), out["error"] if isinstance(out, dict) else "")
        expect(isinstance(out, torch.Tensor), f"ExampleNN.forward should return a tensor, not a {out}.")
        expect(_shape(out) == (9, 2),
               f"ExampleNN's forward returned shape {_shape(out)} for 9 examples; it should return (9, 2).")
        expected = reference.layer_output(reference.layer2(reference.layer1(kernel.hidden_inputs(30, 9, 3))))
        expect(close(out, expected, ATOL),
               "ExampleNN's forward pass differs from x → layer1 → layer2 → layer_output (each layer "
               "applied once, in this order, and its result returned).")


# ----------------------------------------------------------------------------- Y_pred
def test_Y_pred(obs: dict) -> None:
    Y_pred, again = obs["Y_pred"], obs["again"]
    expect(_shape(Y_pred) == (20, 2),
           f"`Y_pred` has shape {_shape(Y_pred)}; 20 examples through ExampleNN give a 20 × 2 matrix.")
    expect(isinstance(again, torch.Tensor) and _shape(again) == (20, 2),
           "example_nn(X) does not return a 20 × 2 tensor for X = torch.ones(20, 3): fix ExampleNN first.")
    expect(close(Y_pred, again, ATOL),
           "`Y_pred` differs from example_nn(X) with X = torch.ones(20, 3): pass X through the "
           "whole network example_nn (created before Y_pred, and not re-created after it).")
