"""Kernel side of the checks of source/neural_nets/01_layers.ipynb: the layers of ExampleNN and
its forward pass. Sent into the student's kernel: it reads the student's objects and calls them on
hidden inputs, and never computes a right answer (the grader side,
``autograder/checks/grader/neural_nets/layers.py``, judges).

Items: layer1, w_bias, w_weight, W, Z_by_hand, Z_by_hand_ones, layer2, layer_output, ExampleNN, Y_pred.
"""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import (StudentCodeError, TorchCalls, call, call_recording, expect, global_names,
                                          need, plain)

SEED_EXAMPLE_NN = 20240     # seed the ExampleNN observer creates its instance with (fork_rng)
IN_FEATURES = {"layer1": 3, "layer2": 2, "layer_output": 3}  # input width of each layer's hidden inputs


# ----------------------------------------------------------------------------- hidden inputs
def hidden_inputs(seed: int, rows: int, cols: int) -> torch.Tensor:
    """Hidden inputs: a local generator, so neither side touches the global random state."""
    return torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed))


BY_HAND = "hidden_layer1_by_hand"
BY_HAND_CASES = ((21, 7), (22, 1), (23, 20))   # (seed, N): several N, so J must follow X's rows


def by_hand_case(seed: int, rows: int):
    """Hidden arguments (X, W, w_b) of hidden_layer1_by_hand."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(rows, 3, generator=g), torch.randn(3, 2, generator=g), torch.randn(2, generator=g))


# ----------------------------------------------------------------------------- reading student objects
def _shape(t) -> tuple:
    return tuple(t.shape)


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


def _attempt(name: str, function, *args):
    """The result of calling student code, or {"error": message} when it raises (so that the test
    can report a more basic problem first)."""
    try:
        return _tensor_or_type(call(name, function, *args))
    except StudentCodeError as error:
        return {"error": str(error)}


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


# ----------------------------------------------------------------------------- layer1, layer2, layer_output
def observe_layer1(ns: dict) -> dict:
    return _observe_sequential(ns, "layer1")


def observe_layer2(ns: dict) -> dict:
    return _observe_sequential(ns, "layer2")


def observe_layer_output(ns: dict) -> dict:
    return _observe_sequential(ns, "layer_output")


# ----------------------------------------------------------------------------- w_bias, w_weight, W
def observe_w_bias(ns: dict) -> dict:
    w_bias = need(ns, "w_bias", torch.Tensor, "the bias of layer1's Linear")
    linear = _layer1_linear(ns, "w_bias")
    expect(linear.bias is not None, "`layer1`'s Linear has no bias: keep the default bias=True.")
    return {"w_bias": plain(w_bias), "bias": plain(linear.bias)}


def observe_w_weight(ns: dict) -> dict:
    w_weight = need(ns, "w_weight", torch.Tensor, "the weights of layer1's Linear")
    linear = _layer1_linear(ns, "w_weight")
    return {"w_weight": plain(w_weight), "weight": plain(linear.weight)}


def observe_W(ns: dict) -> dict:
    W = need(ns, "W", torch.Tensor, "the lecture's W, of shape (3, 2)")
    linear = _layer1_linear(ns, "W")
    return {"W": plain(W), "weight": plain(linear.weight)}


# ----------------------------------------------------------------------------- Z_by_hand
def _by_hand_function(ns: dict):
    function = need(ns, BY_HAND, None, "the function that computes Z by hand")
    expect(callable(function), f"`{BY_HAND}` should be a function of X, W and w_b.")
    return function


def observe_Z_by_hand(ns: dict) -> dict:
    function = _by_hand_function(ns)
    calls = TorchCalls()   # the torch functions it runs: a ready-made linear layer shows as "linear"
    obs = {"uses_layer1": "layer1" in global_names(function), "outputs": []}
    for seed, rows in BY_HAND_CASES:
        X, W, w_b = by_hand_case(seed, rows)
        obs["outputs"].append(_tensor_or_type(call_recording(BY_HAND, calls, function, X, W, w_b)))
    obs["calls"] = calls.names
    # With the student's own W and w_bias it should reproduce layer1 (only when those are usable,
    # so that a wrong W is not counted twice).
    W, w_bias, layer1 = ns.get("W"), ns.get("w_bias"), ns.get("layer1")
    if (isinstance(W, torch.Tensor) and _shape(W) == (3, 2) and isinstance(w_bias, torch.Tensor)
            and _shape(w_bias) == (2,) and isinstance(layer1, torch.nn.Module)):
        X = hidden_inputs(24, 5, 3)
        with torch.no_grad():
            obs["own"] = _tensor_or_type(call(BY_HAND, function, X, W.detach().clone(), w_bias.detach().clone()))
            obs["layer1"] = _tensor_or_type(call("layer1", layer1, X))
    return obs


def observe_Z_by_hand_ones(ns: dict) -> dict:
    """The torch functions that run while the function computes Z on the hidden inputs."""
    function = _by_hand_function(ns)
    calls = TorchCalls()
    for seed, rows in BY_HAND_CASES:
        call_recording(BY_HAND, calls, function, *by_hand_case(seed, rows))
    return {"calls": calls.names}


# ----------------------------------------------------------------------------- ExampleNN
def observe_ExampleNN(ns: dict) -> dict:
    cls = need(ns, "ExampleNN", type, "the class of the whole network")
    expect(issubclass(cls, torch.nn.Module), "`ExampleNN` should inherit from torch.nn.Module.")
    # A seeded instance, without disturbing the random state of the student's notebook.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED_EXAMPLE_NN)
        model = call("ExampleNN()", cls)
    obs = {"attributes": {name: isinstance(getattr(model, name, None), torch.nn.Module) for name in IN_FEATURES},
           "state": {str(k): plain(v) for k, v in model.state_dict().items()},
           "shared": _shared_parameters(ns, cls, model),
           "layers": {}}
    with torch.no_grad():
        for i, (name, n_in) in enumerate(IN_FEATURES.items()):
            if obs["attributes"][name]:
                obs["layers"][name] = _attempt(f"ExampleNN.{name}", getattr(model, name), hidden_inputs(31 + i, 6, n_in))
        obs["forward"] = _attempt("ExampleNN.forward", model, hidden_inputs(30, 9, 3))
    return obs


def _shared_parameters(ns: dict, cls: type, model: torch.nn.Module) -> list[str]:
    """Where `model` gets parameters it does not own: the notebook's global modules (`self.layer1 =
    layer1`) by name, and "another instance" when two ExampleNN() share parameters (a module kept
    on the class, or one created once outside __init__)."""
    own = {id(p) for p in model.parameters()}
    shared = sorted(name for name, value in ns.items()
                    if isinstance(name, str) and name.isidentifier() and len(name) <= 40  # it is shown
                    and not name.startswith("_") and isinstance(value, torch.nn.Module) and value is not model
                    and any(id(p) in own for p in value.parameters()))[:5]
    with torch.random.fork_rng(devices=[]):
        other = call("ExampleNN()", cls)
    if any(id(p) in own for p in other.parameters()):
        shared.append("another instance")
    return shared


# ----------------------------------------------------------------------------- Y_pred
def observe_Y_pred(ns: dict) -> dict:
    Y_pred = need(ns, "Y_pred", torch.Tensor, "the forward pass of X through example_nn")
    example_nn = need(ns, "example_nn", torch.nn.Module, "example_nn = ExampleNN()")
    cls = ns.get("ExampleNN")
    expect(not isinstance(cls, type) or isinstance(example_nn, cls),
           "`example_nn` should be an instance of ExampleNN: run example_nn = ExampleNN() again.")
    with torch.no_grad():
        again = call("example_nn", example_nn, torch.ones(20, 3))
    return {"Y_pred": plain(Y_pred), "again": _tensor_or_type(again)}
