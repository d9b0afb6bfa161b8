"""The vocabulary of the grader side of the hidden checks: reading an observation back, and
comparing values. Never sent into a kernel."""

from __future__ import annotations

import base64
import io
import pickle
import zipfile

import torch

from autograder.checks.kernel.api import CheckFailed, expect  # noqa: F401  (re-exported for the tests)

# An observation bigger than this is refused (a student's object cannot make the grader load
# gigabytes); the quiz's 10,000 predicted labels take about 100 KB.
MAX_PAYLOAD_CHARS = 64 * 1024 * 1024
MAX_ELEMENTS = 16 * 1024 * 1024  # per tensor: 128 MB in float64, the grader's widest working type
TOO_LARGE = (
    "The check's observation of your objects is too large to read: keep graded values to the sizes "
    "the exercise asks for."
)


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


def stored_within(raw: bytes, limit: int) -> bool:
    """torch.save writes an uncompressed zip: refuse any compressed record (a small archive could
    expand a thousandfold when read) and any archive whose records add up to more than `limit`."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            records = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return True  # not an archive: torch.load refuses it below, with the usual message
    return all(r.compress_type == zipfile.ZIP_STORED for r in records) and sum(r.file_size for r in records) <= limit


def decode(payload: str) -> dict:
    """The only way an observation enters the grader: weights_only refuses anything but plain data."""
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise CheckFailed(TOO_LARGE)
    try:
        raw = base64.b64decode(payload, validate=True)
        if not stored_within(raw, MAX_PAYLOAD_CHARS):
            raise CheckFailed(TOO_LARGE)
        value = torch.load(io.BytesIO(raw), weights_only=True)
    # weights_only refuses tensor subclasses and custom classes with pickle.UnpicklingError.
    except (pickle.UnpicklingError, ValueError, RuntimeError, EOFError, TypeError) as err:
        raise CheckFailed(
            "The check could not read your objects back: use plain torch tensors, numbers and "
            "lists (not subclasses or custom objects) for graded values."
        ) from err
    if not isinstance(value, dict):
        raise CheckFailed("The check's observation was not readable.")
    if not all(dense(t) for t in tensors(value)):
        raise CheckFailed(TOO_LARGE)
    return value


def tensors(value, depth: int = 0):
    """The tensors in an observation (nested in lists, tuples and dicts)."""
    if depth > 100:
        raise CheckFailed("The check's observation was not readable.")
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from tensors(v, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            yield from tensors(v, depth + 1)


def dense(t: torch.Tensor) -> bool:
    """A tensor the grader may compute on: at most MAX_ELEMENTS, each held by its own bytes (a
    view that repeats a small storage, e.g. stride 0, would turn into gigabytes once copied)."""
    return (
        t.numel() <= MAX_ELEMENTS
        and t.numel() * t.element_size() <= t.untyped_storage().nbytes()
        and all(stride != 0 for stride, size in zip(t.stride(), t.shape) if size > 1)
    )
