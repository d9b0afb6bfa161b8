"""`layer1` (01_layers.ipynb) is Sequential(Linear(3, 2), Sigmoid) with the seeded initial weights: its
modules, parameters and output on hidden inputs, read in the kernel."""

from __future__ import annotations

import torch

from autograder.checks.kernel.neural_nets.layers._shared import _observe_sequential, seeded_randn

LAYER_INPUTS = (11, 6, 3)  # (seed, rows, features) of the hidden inputs layer1 is called on


def layer_inputs() -> torch.Tensor:
    return seeded_randn(*LAYER_INPUTS)


def observe(ns: dict) -> dict:
    return _observe_sequential(ns, "layer1", layer_inputs())
