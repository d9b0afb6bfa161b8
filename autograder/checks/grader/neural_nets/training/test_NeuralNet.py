"""`NeuralNet` (03_training.ipynb): exactly torch.nn's Linear + PReLU in each of the three layers, with
parameters of its own, and forward = layer_output(layer2(layer1(x))), judged on a reference network."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import TOL, _close, _predict
from autograder.checks.kernel.neural_nets.training import NeuralNet as kernel

LAYER_SHAPES = {"layer1": (1, 3), "layer2": (3, 2), "layer_output": (2, 1)}  # (in, out) features


def _expect_layer(name: str, leaves: list[dict] | None) -> None:
    """One of NeuralNet's layers is exactly torch.nn.Linear(in, out) then torch.nn.PReLU()."""
    n_in, n_out = LAYER_SHAPES[name]
    expect(
        leaves is not None,
        f"NeuralNet has no layer `{name}`: name its three layers self.layer1, self.layer2 and "
        "self.layer_output, as in the lecture.",
    )
    types = [leaf["type"] for leaf in leaves]
    expect(
        len(leaves) >= 1 and types[0] == "Linear",
        f"`{name}` should start with a torch.nn.Linear (found: {', '.join(types) or 'nothing'}).",
    )
    linear = leaves[0]
    expect(
        "in" in linear,  # a class of the student's own that is named Linear
        f"`{name}` should start with torch.nn.Linear itself, not a class of your own named Linear.",
    )
    expect(
        (linear["in"], linear["out"]) == (n_in, n_out),
        f"`{name}`'s Linear maps {linear['in']} → {linear['out']} features; the network is "
        f"1 → 3 → 2 → 1, so it should be Linear(in_features={n_in}, out_features={n_out}).",
    )
    expect(len(leaves) >= 2, f"`{name}` has no activation after its Linear: add torch.nn.PReLU().")
    expect(
        types[1] == "PReLU",
        f"`{name}` uses {types[1]} after its Linear; the lecture's network uses torch.nn.PReLU, "
        "a leaky ReLU whose negative slope is learned like a weight.",
    )
    expect(
        len(leaves) == 2,
        f"`{name}` has modules besides its Linear and PReLU ({', '.join(types[2:])}): "
        "each layer is exactly a Linear followed by a PReLU.",
    )
    expect(
        all(leaf["torch"] for leaf in leaves),
        f"`{name}` should use torch.nn.Linear and torch.nn.PReLU themselves, not subclasses.",
    )


def test_NeuralNet(obs):
    for name in kernel.LAYER_NAMES:
        _expect_layer(name, obs["layers"][name])
    expect(
        obs["shared"] == 0,
        "Two NeuralNet()s share parameters: create the layers inside __init__ "
        "(self.layer1 = torch.nn.Sequential(torch.nn.Linear(...), ...)), not outside the class, "
        "so that every network has weights of its own.",
    )
    expected = [leaf for name in kernel.LAYER_NAMES for leaf in obs["layers"][name]]
    expect(
        obs["leaves"] == expected,
        "NeuralNet has modules besides the three layers' Linear and PReLU (found: "
        + ", ".join(leaf["type"] for leaf in obs["leaves"])
        + "): the network is nothing else.",
    )
    out = obs["output"]
    expect(out is not None, f"NeuralNet's forward returned a {obs['output_type']}, not a tensor.")
    expect(
        out.shape == (64, 1),
        f"NeuralNet's forward on an (N, 1) input returned shape {tuple(out.shape)}; expected (N, 1).",
    )
    reference = _predict(obs["state"], kernel._net_input(), "NeuralNet")
    expect(
        _close(out, reference),
        "NeuralNet's forward differs from passing x through layer1, then layer2, then layer_output "
        f"(more than {TOL} on some inputs): forward should return self.layer_output(self.layer2(self.layer1(x))).",
    )
