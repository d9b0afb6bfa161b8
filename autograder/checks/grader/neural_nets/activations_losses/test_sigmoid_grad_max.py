"""`sigmoid_grad_max` (02_activations_losses.ipynb): the sigmoid's steepest slope, 0.25, as a Python number."""

from __future__ import annotations

from autograder.checks.grader.api import expect

SIGMOID_GRAD_MAX = 0.25  # σ'(0) = σ(0)(1 − σ(0))


def test_sigmoid_grad_max(obs: dict) -> None:
    expect(
        obs["value"] is not None, f"`sigmoid_grad_max` should be a Python number (use .item()), not a {obs['type']}."
    )
    expect(
        abs(obs["value"] - SIGMOID_GRAD_MAX) <= 1e-4,
        "`sigmoid_grad_max` is not the largest value of the sigmoid's derivative: take the maximum of "
        "activation_grad(sigmoid, x) over x from -10 to 10 (where in that range is the sigmoid steepest?); "
        "if activation_grad fails its own check, fix it first.",
    )
