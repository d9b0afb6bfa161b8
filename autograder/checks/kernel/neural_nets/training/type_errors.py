"""`type_errors` (03_training.ipynb): standardize and unstandardize raise TypeError on data that is not a tensor;
observes what they raise on a list, a tuple and a number."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import exception_name, expect, need


def _raised(function, *args) -> str:
    """The name of the exception `function(*args)` raises, or "nothing"."""
    try:
        function(*args)
    # We want to know which exception student code raises, whatever it is.
    except Exception as err:  # noqa: BLE001
        return exception_name(err)
    return "nothing"


NON_TENSORS = ([[1.0, 2.0], [3.0, 4.0]], (0.5, 1.5, 2.5), 3.0)  # a list, a tuple, a number


def observe(ns):
    """What standardize and unstandardize raise on data that is not a tensor."""
    mu, sigma = torch.tensor(0.0), torch.tensor(1.0)
    obs = {}
    for name, extra in (("standardize", ()), ("unstandardize", (mu, sigma))):
        function = need(ns, name, what=f"the function {name}")
        expect(callable(function), f"`{name}` should be a function.")
        with torch.random.fork_rng(devices=[]):
            obs[name] = [_raised(function, value, *extra) for value in NON_TENSORS]
    return obs
