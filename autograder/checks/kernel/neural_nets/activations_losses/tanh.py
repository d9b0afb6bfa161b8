"""Kernel side of `tanh` (02_activations_losses.ipynb): runs in the student's kernel, returns plain data."""

from __future__ import annotations

from autograder.checks.kernel.neural_nets.activations_losses._shared import _observe_function


def observe(ns: dict) -> dict:
    return _observe_function(ns, "tanh")
