"""The vocabulary of the grader side of the hidden checks: reading an observation back, and
comparing values. Never sent into a kernel."""

from __future__ import annotations

import base64
import io
import pickle

import torch

from autograder.checks.kernel.api import CheckFailed, expect  # noqa: F401  (re-exported for the tests)

# An observation bigger than this is refused (a student's object cannot make the grader load
# gigabytes); the quiz's 10,000 predicted labels take about 100 KB.
MAX_PAYLOAD_CHARS = 64 * 1024 * 1024


def close(actual, expected, atol: float, rtol: float = 0.0) -> bool:
    """Both plain tensors of one shape, `actual` finite, and |actual - expected| <= atol + rtol*|expected|
    everywhere. Plain arithmetic, not torch.allclose: where a check runs inside the student's kernel
    (nbgrader's route), a monkeypatched torch.allclose does not fool it."""
    if not (isinstance(actual, torch.Tensor) and isinstance(expected, torch.Tensor)):
        return False
    a, e = actual.detach().to(torch.float64), expected.detach().to(torch.float64)
    if tuple(a.shape) != tuple(e.shape) or not bool(torch.isfinite(a).all()):
        return False
    return bool(((a - e).abs() <= atol + rtol * e.abs()).all())


def decode(payload: str) -> dict:
    """The only way an observation enters the grader: weights_only refuses anything but plain data."""
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise CheckFailed("The check's observation of your objects is too large to read: keep graded "
                          "values to the sizes the exercise asks for.")
    try:
        value = torch.load(io.BytesIO(base64.b64decode(payload, validate=True)), weights_only=True)
    # weights_only refuses tensor subclasses and custom classes with pickle.UnpicklingError.
    except (pickle.UnpicklingError, ValueError, RuntimeError, EOFError, TypeError) as err:
        raise CheckFailed(
            "The check could not read your objects back: use plain torch tensors, numbers and "
            "lists (not subclasses or custom objects) for graded values."
        ) from err
    if not isinstance(value, dict):
        raise CheckFailed("The check's observation was not readable.")
    return value
