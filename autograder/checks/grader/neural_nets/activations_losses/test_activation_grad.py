"""`activation_grad` (02_activations_losses.ipynb): runs autograd and returns the detached derivative,
right on repeated calls, for functions the student has not seen and for the student's own activations."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.activations_losses._shared import ATOL, RTOL, TOLERANCE
from autograder.checks.kernel.neural_nets.activations_losses import activation_grad as kernel

AUTOGRAD = frozenset({"grad", "backward"})  # torch.autograd.grad (also inside torch.func), .backward()

DERIVATIVES = {  # of the true activations, in float64: the student's own are compared with these
    "sigmoid": ("σ(x)(1 − σ(x))", lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": ("1 − tanh(x)²", lambda x: 1 - torch.tanh(x) ** 2),
    "relu": ("1 for x > 0 and 0 for x < 0", lambda x: (x > 0).to(x.dtype)),
}

TRUE_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu}


def _autograd_derivative(f, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(f(x).sum(), x)[0]


def _judge_grad(first, second, x: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    for out in (first, second):
        expect(
            isinstance(out, torch.Tensor),
            f"`activation_grad` should return a torch.Tensor, not a {out}: the gradient autograd puts in "
            "x.grad (None when x does not require gradients or is not the tensor backward reached).",
        )
    expect(
        not (first.numel() == 1 and x.numel() > 1),
        "`activation_grad` returned one number: return the gradient itself, one derivative per element "
        "of x (the shape of x), not its sum or mean.",
    )
    expect(
        tuple(first.shape) == tuple(x.shape),
        f"`activation_grad` returned shape {tuple(first.shape)} for an x of shape {tuple(x.shape)}: "
        "return one derivative per element of x.",
    )
    expect(first.dtype == x.dtype, f"`activation_grad` returned {first.dtype} for a {x.dtype} x: keep x's dtype.")
    expect(
        close(first, expected, ATOL, RTOL),
        f"`activation_grad(f, x)` differs from the derivative of f by more than {TOLERANCE} for {what}: "
        "return the gradient of f(x).sum() with respect to x (x.grad after backward), not f(x) itself "
        "or a finite difference.",
    )
    expect(
        close(second, expected, ATOL, RTOL),
        "`activation_grad` is right the first time and wrong when called again on the same x: the "
        "gradients add up in x.grad from one call to the next. Work on a fresh copy, "
        "x = x.detach().clone().requires_grad_(True), in every call.",
    )


def test_activation_grad(obs: dict) -> None:
    expect(
        AUTOGRAD & set(obs["calls"]),
        "`activation_grad` runs no autograd (neither torch.autograd.grad nor .backward()): compute "
        "the derivative with autograd, as the exercise says.",
    )
    for name, results in obs["unseen"].items():
        for x, (first, second) in zip(kernel.grad_inputs(), results, strict=True):
            _judge_grad(first, second, x, _autograd_derivative(kernel.UNSEEN[name], x), "functions you do not see")
    expect(
        not obs["tracks_gradient"],
        "`activation_grad` returns a tensor that still tracks gradients: return it detached "
        "(.detach(), or no create_graph=True), so that it can be plotted and used as a number.",
    )
    x = kernel.own_input()
    for name, own in obs["own"].items():
        formula, derivative = DERIVATIVES[name]
        values = own["values"]
        if not (isinstance(values, torch.Tensor) and close(values, TRUE_ACTIVATIONS[name](x), ATOL, RTOL)):
            continue  # a wrong activation is that exercise's failure, not this one's
        _judge_grad(*own["grads"], x, derivative(x.to(torch.float64)), f"your {name} (its derivative is {formula})")
