"""`leaky_relu` (02_activations_losses.ipynb): leaky_relu(x, m=0.01) from the formula, without PyTorch's own
version. Observes its outputs on hidden inputs (default m, then other slopes), the torch functions it runs, and
whether it takes its slope as the argument m (the visible checks call leaky_relu(x, m=0.1))."""

from __future__ import annotations

import inspect

import torch

from autograder.checks.kernel.neural_nets.activations_losses._shared import _observe_function

# The hidden inputs, float32: the extremes and values near 0, then a matrix and a 3-D tensor of this seed.
SPECIAL = (-100.0, -88.0, -50.0, -20.0, -10.0, -1.0, -1e-3, -1e-7, 0.0, 1e-7, 1e-3, 1.0, 10.0, 20.0, 50.0, 88.0, 100.0)
SEED = 4021


def activation_inputs() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(SEED)
    return [torch.tensor(SPECIAL), torch.randn(4, 5, generator=g) * 5, torch.randn(2, 3, 4, generator=g) * 30]


SLOPES = (0.1, 0.3)  # leaky_relu is also called with these m


def _takes_m(function) -> bool:
    """Whether leaky_relu(x, m=...) binds to the function's signature (without calling it)."""
    try:
        inspect.signature(function).bind(torch.zeros(1), m=SLOPES[0])
    except TypeError:
        return False
    except ValueError:  # no signature to read: the calls decide
        return True
    return True


def observe(ns: dict) -> dict:
    obs = _observe_function(ns, "leaky_relu", activation_inputs(), SLOPES)
    obs["takes_m"] = _takes_m(ns["leaky_relu"])
    return obs
