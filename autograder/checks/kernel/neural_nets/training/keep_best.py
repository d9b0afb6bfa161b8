"""`keep_best` (03_training.ipynb): records the epoch, loss and a copy of the parameters of the best epoch so far
in the dict it is given; observes that dict after each call on hidden losses and a hidden model."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain, type_name
from autograder.checks.kernel.neural_nets.training._shared import _is_tensor, _number

SEED_BEST = 30_107

# the validation losses keep_best is called with, epoch by epoch (no two equal: no ties to decide)
BEST_LOSSES = (0.93, 0.71, 0.78, 0.52, 0.61, 0.49, 0.55, 0.58)


def _best_model() -> torch.nn.Module:
    generator = torch.Generator().manual_seed(SEED_BEST)
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) - 0.5)
    return model


def _best_step(model: torch.nn.Module, epoch: int) -> None:
    """What an optimizer step does to the parameters between two calls: change them in place."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.1 * epoch)


def _record(best) -> dict:
    if not isinstance(best, dict):
        return {"type": type_name(best)}
    state = best.get("state")
    return {
        "keys": sorted(str(k) for k in best),
        "epoch": _number(best.get("epoch")),
        "loss": _number(best.get("loss")),
        "state": (
            {str(k): plain(v) for k, v in state.items() if _is_tensor(v)}
            if isinstance(state, dict)
            else type_name(state)
        ),
    }


def observe(ns):
    keep_best = need(ns, "keep_best", what="the function keep_best")
    expect(callable(keep_best), "`keep_best` should be a function.")
    model, best, losses_valid, after = _best_model(), {}, [], []
    for epoch, loss in enumerate(BEST_LOSSES, start=1):
        losses_valid.append(loss)
        with torch.random.fork_rng(devices=[]):
            returned = call("keep_best", keep_best, model, epoch, list(losses_valid), best)
        record = _record(best)
        record.pop("state")
        record["returned"] = type_name(returned)
        after.append(record)
        _best_step(model, epoch)
    return {"after": after, "final": _record(best)}
