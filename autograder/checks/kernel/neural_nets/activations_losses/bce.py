"""`bce` (02_activations_losses.ipynb): the binary cross-entropy from the formula, each log clamped at -100,
as a number that tracks gradients. Observes its values on hidden pairs, its gradient and the torch functions it runs."""

from __future__ import annotations

import torch

from autograder.checks.kernel.neural_nets.activations_losses._shared import _observe_loss

SEED, SEED_INTERIOR = 5078, 5079


def loss_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Hidden (probability, target) pairs: two with probabilities of exactly 0 and 1 (with matching
    targets and with wrong ones), then one inside (0, 1), where the gradient is taken."""
    g = torch.Generator().manual_seed(SEED)
    cases = []
    for shape in ((12,), (3, 4)):
        p = torch.rand(shape, generator=g)
        y = (torch.rand(shape, generator=g) < 0.5).float()
        flat_p, flat_y = p.view(-1), y.view(-1)
        flat_p[:4] = torch.tensor([0.0, 1.0, 0.0, 1.0])
        flat_y[:4] = torch.tensor([0.0, 1.0, 1.0, 0.0])
        cases.append((p, y))
    g_interior = torch.Generator().manual_seed(SEED_INTERIOR)
    cases.append(
        (torch.rand(6, 2, generator=g_interior) * 0.98 + 0.01, (torch.rand(6, 2, generator=g_interior) < 0.5).float())
    )
    return cases


def observe(ns: dict) -> dict:
    return _observe_loss(ns, "bce", loss_cases())
