"""`loss_choice` (02_activations_losses.ipynb): "mse" or "bce" for each task description; reads the dict."""

from __future__ import annotations

from autograder.checks.kernel.api import need, type_name


def observe(ns: dict) -> dict:
    choice = need(ns, "loss_choice", dict, "task description → 'mse' or 'bce'")
    return {
        "choice": [
            [k if isinstance(k, str) else repr(k), v if isinstance(v, str) else f"<{type_name(v)}>"]
            for k, v in choice.items()
        ]
    }
