"""`ExampleNN` (01_layers.ipynb): exactly the lecture's three layers, built by each instance itself, each
computing sigmoid(linear operation), and forward chaining them: judged against a reference network."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import ATOL, LAYERS, _shape
from autograder.checks.kernel.neural_nets.layers import ExampleNN as kernel


def _reference_example_nn() -> torch.nn.Module:
    """The lecture's architecture (its initial values do not matter: a state dict is loaded)."""
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Module()
        for name, (n_in, n_out) in LAYERS.items():
            setattr(model, name, torch.nn.Sequential(torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()))
    return model


def test_ExampleNN(obs: dict) -> None:
    missing = [name for name, present in obs["attributes"].items() if not present]
    expect(
        not missing,
        f"ExampleNN has no layer attribute(s) {', '.join(missing)}: create them in "
        "__init__ as self.layer1, self.layer2 and self.layer_output.",
    )
    shared = obs.get("shared") or []
    globals_used = [f"`{name}`" for name in shared if name != "another instance"]
    expect(
        not shared,
        "ExampleNN reuses "
        + (f"the notebook's {', '.join(globals_used)}" if globals_used else "the same layers in every instance")
        + " instead of building its own layers: create new torch.nn.Sequential layers inside __init__, "
        "so that each ExampleNN() has parameters of its own.",
    )
    reference = _reference_example_nn()
    expected_state = reference.state_dict()
    state = obs["state"]
    extra = sorted(set(state) - set(expected_state))
    absent = sorted(set(expected_state) - set(state))
    expect(
        not extra and not absent,
        "ExampleNN's parameters should be exactly those of layer1, layer2 and layer_output, each a "
        "Sequential of a Linear (with bias) then a Sigmoid"
        + (f"; unexpected: {', '.join(extra)}" if extra else "")
        + (f"; missing: {', '.join(absent)}" if absent else "")
        + ".",
    )
    for key, value in expected_state.items():
        name = key.split(".")[0]
        n_in, n_out = LAYERS[name]
        expect(
            isinstance(state[key], torch.Tensor) and _shape(state[key]) == _shape(value),
            f"ExampleNN.{name}'s Linear has {key.split('.')[-1]} of shape "
            f"{_shape(state[key]) if isinstance(state[key], torch.Tensor) else '?'}: "
            f"{name} should map {n_in} → {n_out} features.",
        )
    reference.load_state_dict(state)
    with torch.no_grad():
        for name, (n_in, n_out) in LAYERS.items():
            out = obs["layers"].get(name)
            expect(not isinstance(out, dict), out["error"] if isinstance(out, dict) else "")
            expected = getattr(reference, name)(kernel.layer_inputs(name))
            expect(
                isinstance(out, torch.Tensor) and _shape(out) == (6, n_out) and close(out, expected, ATOL),
                f"ExampleNN.{name} does not compute sigmoid(linear operation): it should be a "
                f"Sequential of Linear({n_in} → {n_out}) then Sigmoid.",
            )
        out = obs["forward"]
        expect(not isinstance(out, dict), out["error"] if isinstance(out, dict) else "")
        expect(isinstance(out, torch.Tensor), f"ExampleNN.forward should return a tensor, not a {out}.")
        expect(
            _shape(out) == (9, 2),
            f"ExampleNN's forward returned shape {_shape(out)} for 9 examples; it should return (9, 2).",
        )
        expected = reference.layer_output(reference.layer2(reference.layer1(kernel.forward_inputs())))
        expect(
            close(out, expected, ATOL),
            "ExampleNN's forward pass differs from x → layer1 → layer2 → layer_output (each layer "
            "applied once, in this order, and its result returned).",
        )
    for name in LAYERS:
        layer = obs["structure"][name]
        found = (
            f"it holds {layer['count']} module(s): "
            + ", ".join("another module" if kind == "other" else kind for kind in layer["kinds"])
            if layer["sequential"]
            else "it is not a torch.nn.Sequential"
        )
        expect(
            layer["sequential"] and layer["count"] == 2 and layer["kinds"] == ["Linear", "Sigmoid"],
            f"ExampleNN.{name} should be a torch.nn.Sequential of exactly two modules, a Linear then a "
            f"Sigmoid; {found}.",
        )
