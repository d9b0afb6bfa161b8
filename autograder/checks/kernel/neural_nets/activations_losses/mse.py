"""`mse` (02_activations_losses.ipynb): the mean squared error from the formula, as a number that tracks
gradients. Observes its values on hidden (prediction, target) pairs, its gradient and the torch functions it runs."""

from __future__ import annotations

import torch

from autograder.checks.kernel.neural_nets.activations_losses._shared import _observe_loss

SEED = 5077


def loss_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Hidden (prediction, target) pairs: a vector, a matrix, and large values."""
    g = torch.Generator().manual_seed(SEED)
    return [
        (torch.randn(10, generator=g) * 3, torch.randn(10, generator=g) * 3),
        (torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)),
        (torch.randn(25, 1, generator=g) * 50, torch.randn(25, 1, generator=g) * 50),
    ]


def observe(ns: dict) -> dict:
    return _observe_loss(ns, "mse", loss_cases())
