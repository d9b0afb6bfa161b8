"""Kernel side of 03_training.ipynb: helpers its items share, sent into the kernel with each of their
probes. No hidden inputs here: each item's own file holds them."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import plain, type_name


def _number(value):
    """A Python float for a number or a one-element tensor, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(()).item())
    return None


def _is_tensor(value) -> bool:
    return isinstance(value, torch.Tensor)


def _column(value) -> torch.Tensor | None:
    """A (n,) or (n, 1) tensor as a float64 vector, else None."""
    if not _is_tensor(value) or value.dim() not in (1, 2) or (value.dim() == 2 and value.shape[1] != 1):
        return None
    return value.detach().reshape(-1).double()


def _pair(item) -> dict:
    """A returned (x, y) as plain data, or the type of what came back instead."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and all(_is_tensor(v) for v in item):
        return {"ok": True, "values": [plain(v) for v in item], "dtypes": [str(v.dtype) for v in item]}
    return {"ok": False, "type": type_name(item)}


def _loss_entries(values) -> list:
    """Loss lists as plain data: numbers as floats, anything else described by its type."""
    out = []
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(float(value))
        elif _is_tensor(value):
            out.append({"tensor": plain(value)})
        else:
            out.append({"type": type_name(value)})
    return out
