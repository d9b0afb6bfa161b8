"""`Y_pred` (01_layers.ipynb) is example_nn(X) for X = torch.ones(20, 3): reads Y_pred and calls example_nn
again on that X."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain
from autograder.checks.kernel.neural_nets.layers._shared import _tensor_or_type


def observe(ns: dict) -> dict:
    Y_pred = need(ns, "Y_pred", torch.Tensor, "the forward pass of X through example_nn")
    example_nn = need(ns, "example_nn", torch.nn.Module, "example_nn = ExampleNN()")
    cls = ns.get("ExampleNN")
    expect(
        not isinstance(cls, type) or isinstance(example_nn, cls),
        "`example_nn` should be an instance of ExampleNN: run example_nn = ExampleNN() again.",
    )
    with torch.no_grad():
        again = call("example_nn", example_nn, torch.ones(20, 3))
    return {"Y_pred": plain(Y_pred), "again": _tensor_or_type(again)}
