"""`standardize` (03_training.ipynb): returns (data - mean) / std with the column means and sample standard
deviations, without changing its argument; observes it on hidden data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain, type_name
from autograder.checks.kernel.neural_nets.training._shared import _is_tensor

SEED_STANDARDIZE = 30_102


def _triple(out) -> dict:
    """A returned (a, b, c) as plain data, or a description of what came back instead."""
    if isinstance(out, (tuple, list)) and len(out) == 3 and all(_is_tensor(v) for v in out):
        return {"ok": True, "values": [plain(v) for v in out]}
    length = len(out) if isinstance(out, (tuple, list)) else None
    return {"ok": False, "type": type_name(out), "len": length}


def _standardize_inputs() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED_STANDARDIZE)
    scale = torch.tensor([0.5, 3.0, 20.0], dtype=torch.float64)
    shift = torch.tensor([-2.0, 5.0, 100.0], dtype=torch.float64)
    two_d = torch.randn(60, 3, generator=generator, dtype=torch.float64) * scale + shift
    one_d = torch.rand(45, generator=generator, dtype=torch.float64) * 8 - 1
    return [two_d, one_d]


def observe(ns):
    standardize = need(ns, "standardize", what="the function standardize")
    expect(callable(standardize), "`standardize` should be a function.")
    results = []
    for x in _standardize_inputs():
        given = x.clone()
        with torch.random.fork_rng(devices=[]):
            result = _triple(call("standardize", standardize, given))
        result["mutated"] = not torch.equal(given, x)
        results.append(result)
    return {"results": results}
