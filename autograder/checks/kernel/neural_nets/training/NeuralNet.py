"""`NeuralNet` (03_training.ipynb): the lecture's 1 → 3 → 2 → 1 network of Linear + PReLU layers; observes
its modules, whether two instances share parameters, and its forward pass on hidden inputs and parameters."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain, type_name
from autograder.checks.kernel.neural_nets.training._shared import _is_tensor

LAYER_NAMES = ("layer1", "layer2", "layer_output")  # the attributes the notebook asks NeuralNet for

SEED_NET = 30_101


def _describe(module: torch.nn.Module) -> dict:
    """A leaf module as plain data: its class, whether that class is torch.nn's own class of that
    name (not a subclass or a look-alike), and its shape when it is a Linear."""
    cls = type(module)
    info = {"type": cls.__name__, "torch": getattr(torch.nn, cls.__name__, None) is cls}
    if isinstance(module, torch.nn.Linear):
        info["in"], info["out"] = int(module.in_features), int(module.out_features)
    return info


def _leaves(module: torch.nn.Module) -> list[dict]:
    """The modules without children, in order (a module used twice is listed twice)."""
    return [_describe(m) for _, m in module.named_modules(remove_duplicate=False) if not list(m.children())]


def _net_input() -> torch.Tensor:
    """The hidden inputs of NeuralNet's forward: 64 rows in [-3, 3]."""
    return torch.rand(64, 1, generator=torch.Generator().manual_seed(SEED_NET)) * 6 - 3


def observe(ns):
    cls = need(ns, "NeuralNet", type, "the class NeuralNet")
    expect(
        issubclass(cls, torch.nn.Module),
        "`NeuralNet` should inherit from torch.nn.Module: class NeuralNet(torch.nn.Module).",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED_NET)
        net = call("NeuralNet", cls)
        other = call("NeuralNet", cls)
    expect(
        isinstance(net, torch.nn.Module) and isinstance(other, torch.nn.Module),
        "NeuralNet() did not create a torch.nn.Module.",
    )
    shared = len({id(p) for p in net.parameters()} & {id(p) for p in other.parameters()})
    layers = {}
    for name in LAYER_NAMES:
        sub = getattr(net, name, None)
        layers[name] = _leaves(sub) if isinstance(sub, torch.nn.Module) else None
    x = _net_input()
    generator = torch.Generator().manual_seed(SEED_NET + 1)
    with torch.no_grad():
        # Parameters of our choosing (every slope and weight different), so the forward pass is
        # tested on more than the default initialization.
        for parameter in net.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 1.6 - 0.8)
        with torch.random.fork_rng(devices=[]):
            out = call("NeuralNet's forward", net, x)
    return {
        "leaves": _leaves(net),
        "layers": layers,
        "state": plain(net.state_dict()),
        "shared": shared,
        "output": plain(out) if _is_tensor(out) else None,
        "output_type": type_name(out),
    }
