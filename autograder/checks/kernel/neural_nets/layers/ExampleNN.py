"""`ExampleNN` (01_layers.ipynb) builds layer1, layer2 and layer_output of its own and chains them in
forward: a seeded instance's parameters, and its layers' and forward pass's outputs on hidden inputs."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import StudentCodeError, call, expect, need, plain
from autograder.checks.kernel.neural_nets.layers._shared import _tensor_or_type, seeded_randn

SEED_EXAMPLE_NN = 20240  # seed the ExampleNN observer creates its instance with (fork_rng)
# (seed, rows, features) of the hidden inputs each layer, then the whole network, is called on
LAYER_INPUTS = {"layer1": (31, 6, 3), "layer2": (32, 6, 2), "layer_output": (33, 6, 3)}
FORWARD_INPUTS = (30, 9, 3)


def layer_inputs(name: str) -> torch.Tensor:
    return seeded_randn(*LAYER_INPUTS[name])


def forward_inputs() -> torch.Tensor:
    return seeded_randn(*FORWARD_INPUTS)


def _attempt(name: str, function, *args):
    """The result of calling student code, or {"error": message} when it raises (so that the test
    can report a more basic problem first)."""
    try:
        return _tensor_or_type(call(name, function, *args))
    except StudentCodeError as error:
        return {"error": str(error)}


def observe(ns: dict) -> dict:
    cls = need(ns, "ExampleNN", type, "the class of the whole network")
    expect(issubclass(cls, torch.nn.Module), "`ExampleNN` should inherit from torch.nn.Module.")
    # A seeded instance, without disturbing the random state of the student's notebook.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED_EXAMPLE_NN)
        model = call("ExampleNN()", cls)
    obs = {
        "attributes": {name: isinstance(getattr(model, name, None), torch.nn.Module) for name in LAYER_INPUTS},
        "state": {str(k): plain(v) for k, v in model.state_dict().items()},
        "shared": _shared_parameters(ns, cls, model),
        "structure": {name: _structure(getattr(model, name, None)) for name in LAYER_INPUTS},
        "layers": {},
    }
    with torch.no_grad():
        for name in LAYER_INPUTS:
            if obs["attributes"][name]:
                obs["layers"][name] = _attempt(f"ExampleNN.{name}", getattr(model, name), layer_inputs(name))
        obs["forward"] = _attempt("ExampleNN.forward", model, forward_inputs())
    return obs


def _structure(layer) -> dict:
    """What the visible checks ask of a layer, as codes: a Sequential, and the kind of each of its
    modules ("Linear", "Sigmoid" or "other"; at most 10 of them, with their count)."""
    if not isinstance(layer, torch.nn.Sequential):
        return {"sequential": False, "count": 0, "kinds": []}
    modules = list(layer)
    kinds = [
        "Linear" if isinstance(m, torch.nn.Linear) else "Sigmoid" if isinstance(m, torch.nn.Sigmoid) else "other"
        for m in modules[:10]
    ]
    return {"sequential": True, "count": len(modules), "kinds": kinds}


def _shared_parameters(ns: dict, cls: type, model: torch.nn.Module) -> list[str]:
    """Where `model` gets parameters it does not own: the notebook's global modules (`self.layer1 =
    layer1`) by name, and "another instance" when two ExampleNN() share parameters (a module kept
    on the class, or one created once outside __init__)."""
    own = {id(p) for p in model.parameters()}
    shared = sorted(
        name
        for name, value in ns.items()
        if isinstance(name, str)
        and name.isidentifier()
        and len(name) <= 40  # it is shown
        and not name.startswith("_")
        and isinstance(value, torch.nn.Module)
        and value is not model
        and any(id(p) in own for p in value.parameters())
    )[:5]
    with torch.random.fork_rng(devices=[]):
        other = call("ExampleNN()", cls)
    if any(id(p) in own for p in other.parameters()):
        shared.append("another instance")
    return shared
