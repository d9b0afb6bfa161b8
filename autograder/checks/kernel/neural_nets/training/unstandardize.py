"""`unstandardize` (03_training.ipynb): data_stand * column_sigma + column_mu; observes it on hidden data, and
unstandardize(*standardize(data)) with the notebook's own standardize (which the visible check runs)."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain, type_name
from autograder.checks.kernel.neural_nets.training._shared import _is_tensor

SEED_UNSTANDARDIZE = 30_103
SEED_ROUND_TRIP = 30_108


def _unstandardize_inputs() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(data_stand, column_mu, column_sigma) twice: random 2-D values, then 1-D data standardized
    with its own mean and standard deviation (so that unstandardize should give that data back)."""
    generator = torch.Generator().manual_seed(SEED_UNSTANDARDIZE)
    f64 = torch.float64
    two_d = (
        torch.randn(50, 3, generator=generator, dtype=f64),
        torch.randn(3, generator=generator, dtype=f64) * 10,
        torch.rand(3, generator=generator, dtype=f64) * 5 + 0.5,
    )
    x = torch.rand(45, generator=generator, dtype=f64) * 8 - 1  # a round trip on 1-D data
    mu, sigma = x.mean(dim=0), x.std(dim=0)
    return [two_d, ((x - mu) / sigma, mu, sigma)]


def observe(ns):
    unstandardize = need(ns, "unstandardize", what="the function unstandardize")
    expect(callable(unstandardize), "`unstandardize` should be a function.")
    outputs = []
    for args in _unstandardize_inputs():
        with torch.random.fork_rng(devices=[]):
            out = call("unstandardize", unstandardize, *(a.clone() for a in args))
        outputs.append(plain(out) if _is_tensor(out) else type_name(out))
    return {"outputs": outputs, "round_trip": _round_trip(ns, unstandardize)}


def _round_trip(ns, unstandardize) -> dict:
    """unstandardize(*standardize(data)) on hidden 2-D data, and `data` after it (standardize may have
    changed it): "back" is None when standardize gives no three values or unstandardize no tensor."""
    standardize = need(ns, "standardize", what="the function standardize")
    data = torch.randn(12, 2, generator=torch.Generator().manual_seed(SEED_ROUND_TRIP), dtype=torch.float64) * 4 + 1
    back = None
    with torch.random.fork_rng(devices=[]):
        result = call("standardize", standardize, data)
        if isinstance(result, (tuple, list)) and len(result) == 3:
            back = call("unstandardize", unstandardize, *result)
    return {"data": plain(data), "back": plain(back) if _is_tensor(back) else None}
