"""Kernel side of `layer1` (01_layers.ipynb): runs in the student's kernel, returns plain data."""

from __future__ import annotations

from autograder.checks.kernel.neural_nets.layers._shared import _observe_sequential


def observe(ns: dict) -> dict:
    return _observe_sequential(ns, "layer1")
