"""`init_weights` (03_training.ipynb): Kaiming-uniform weights for every Linear and nothing else; observes the
parameters of a hidden model before and after model.apply(init_weights) from a known seed."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain

SEED_INIT = 30_105


def observe(ns):
    init_weights = need(ns, "init_weights", what="the function init_weights")
    expect(callable(init_weights), "`init_weights` should be a function.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED_INIT)
        linear, prelu, conv = torch.nn.Linear(5, 4), torch.nn.PReLU(), torch.nn.Conv1d(2, 3, 3)
        before = {
            "bias": plain(linear.bias),
            "weight": plain(linear.weight),
            "prelu": plain(prelu.weight),
            "conv": plain(conv.weight),
        }
        model = torch.nn.Sequential(linear, prelu, conv)
        # The Linear is the first module apply() visits: its weights are drawn right after this seed.
        torch.manual_seed(SEED_INIT + 1)
        call("init_weights", model.apply, init_weights)
    after = {
        "bias": plain(linear.bias),
        "weight": plain(linear.weight),
        "prelu": plain(prelu.weight),
        "conv": plain(conv.weight),
    }
    return {"before": before, "after": after}
