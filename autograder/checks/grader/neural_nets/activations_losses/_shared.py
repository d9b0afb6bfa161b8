"""Grader side of 02_activations_losses.ipynb: tolerances, the PyTorch functions each exercise may not call,
and judges its items share. Never sent into a kernel."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.checks.grader.api import close, expect

ATOL, RTOL = 1e-6, 1e-5  # the tolerance the notebook states

TOLERANCE = "atol=1e-6, rtol=1e-5"

GRAD_ATOL = 1e-5  # gradients are sums of many terms: a little more room

WHAT_TO_USE = {
    "sigmoid": "torch.exp and arithmetic",
    "tanh": "torch.exp, torch.abs, torch.sign and arithmetic",
    "relu": "torch.where (or a comparison) and arithmetic",
    "leaky_relu": "torch.where (or a comparison) and arithmetic",
    "PReLU": "torch.where (or a comparison), arithmetic and self.m",
    "mse": "arithmetic and .mean()",
    "bce": "torch.log, torch.clamp, arithmetic and .mean()",
}

# PyTorch's own versions of what each exercise writes, by the short name the kernel side records
# for a call (torch.tanh, x.tanh(), torch.nn.Tanh()(x) and F.tanh all record "tanh"). Element-wise
# primitives (exp, abs, sign, where, clamp, maximum, comparisons, arithmetic, log, mean) are allowed.
_SIGMOID = frozenset({"sigmoid", "expit", "logsigmoid", "silu"})

_TANH = frozenset({"tanh", "hardtanh", "tanhshrink"}) | _SIGMOID

_RELU = frozenset(
    {"relu", "relu6", "hardtanh", "threshold", "leaky_relu", "prelu", "prelu_kernel", "rrelu", "elu", "selu", "celu"}
)

PYTORCH_VERSIONS = {
    "sigmoid": _SIGMOID,
    "tanh": _TANH,
    "relu": _RELU,
    "leaky_relu": _RELU,
    "PReLU": _RELU,
    "mse": frozenset({"mse_loss", "smooth_l1_loss", "huber_loss"}),
    "bce": frozenset({"binary_cross_entropy", "binary_cross_entropy_with_logits"}),
}

# What a tensor goes through on its way into NumPy (np.tanh(x), x.numpy()): the exercises compute
# with torch's element-wise operations.
TO_NUMPY = frozenset({"array", "numpy"})  # x.__array__(), x.numpy()


def pytorch_version_called(name: str, calls) -> str | None:
    """The first of PyTorch's own versions of `name` among the torch functions `calls` records."""
    return next((c for c in calls if c in PYTORCH_VERSIONS[name]), None)


def _no_torch_version(name: str, obs: dict) -> None:
    used = pytorch_version_called(name, obs["calls"])
    expect(
        used is None, f"`{name}` calls PyTorch's own `{used}`: implement it from the formula with {WHAT_TO_USE[name]}."
    )
    expect(
        not TO_NUMPY & set(obs["calls"]),
        f"`{name}` turns its tensor into a NumPy array (np.tanh(x), x.numpy()...): compute with "
        f"torch's element-wise operations, {WHAT_TO_USE[name]}.",
    )


def _judge_tensor(
    name: str, out, x: torch.Tensor, expected: torch.Tensor, reference: str, hint: str = "", nan_hint: str = ""
) -> None:
    """Type, shape, dtype, finiteness, then values, for an element-wise function's output."""
    expect(isinstance(out, torch.Tensor), f"`{name}` should return a plain torch.Tensor, not a {out}.")
    expect(
        tuple(out.shape) == tuple(x.shape),
        f"`{name}` returned shape {tuple(out.shape)} for an input of shape {tuple(x.shape)}: an "
        "activation function works element by element and keeps the input's shape.",
    )
    expect(out.dtype == x.dtype, f"`{name}` returned {out.dtype} for a {x.dtype} input: keep the input's dtype.")
    expect(
        bool(torch.isfinite(out).all()),
        f"`{name}` returned nan or inf on some inputs (look at large |x|, up to 100){nan_hint}.",
    )
    expect(
        close(out, expected, ATOL, RTOL),
        f"`{name}` differs from {reference} by more than {TOLERANCE} on some inputs{hint}.",
    )


REFERENCES = {
    "mse": (F.mse_loss, "torch.nn.functional.mse_loss"),
    "bce": (F.binary_cross_entropy, "torch.nn.functional.binary_cross_entropy"),
}


def _judge_loss(obs: dict, name: str, cases: list, hint: str = "", nan_hint: str = "") -> None:
    """The loss `name`'s values on `cases` (prediction, target) and its gradient on the last one."""
    _no_torch_version(name, obs)
    reference, reference_name = REFERENCES[name]
    for (a, b), value in zip(cases, obs["values"], strict=True):
        expect(
            isinstance(value, torch.Tensor),
            f"`{name}` should return a torch.Tensor (a single number that keeps track of gradients), not a {value}.",
        )
        expect(
            value.numel() == 1,
            f"`{name}` returned {value.numel()} numbers; a loss is a single number: take the mean over all elements.",
        )
        expect(bool(torch.isfinite(value).all()), f"`{name}` returned nan or inf on some inputs{nan_hint}.")
        expect(
            close(value.reshape(()), reference(a, b), ATOL, RTOL),
            f"`{name}` differs from {reference_name} by more than {TOLERANCE} on some inputs{hint}.",
        )
    expect(
        obs["tracks_gradient"],
        f"`{name}`'s result does not keep track of gradients: return the tensor itself (no .item(), "
        "float(...) or .detach()), or training could not learn from it.",
    )
    a, b = cases[-1]
    a = a.clone().requires_grad_(True)
    reference(a, b).backward()
    expect(
        isinstance(obs["grad"], torch.Tensor) and close(obs["grad"], a.grad, GRAD_ATOL, RTOL),
        f"The gradient of `{name}` with respect to the predictions differs from {reference_name}'s.",
    )
