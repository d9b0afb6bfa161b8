"""`sigmoid_grad_max` (02_activations_losses.ipynb): the largest value of the sigmoid's derivative, as a
Python number; reads it."""

from __future__ import annotations

from autograder.checks.kernel.api import need, type_name


def observe(ns: dict) -> dict:
    value = need(ns, "sigmoid_grad_max", None, "the largest value of the sigmoid's derivative")
    return {"type": type_name(value), "value": float(value) if type(value) in (float, int) else None}
