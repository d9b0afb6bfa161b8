"""Kernel side of `Z_by_hand_ones` (01_layers.ipynb): runs in the student's kernel, returns plain data."""

from __future__ import annotations

from autograder.checks.kernel.api import TorchCalls, call_recording
from autograder.checks.kernel.neural_nets.layers._shared import BY_HAND, BY_HAND_CASES, _by_hand_function, by_hand_case


def observe(ns: dict) -> dict:
    """The torch functions that run while the function computes Z on the hidden inputs."""
    function = _by_hand_function(ns)
    calls = TorchCalls()
    for seed, rows in BY_HAND_CASES:
        call_recording(BY_HAND, calls, function, *by_hand_case(seed, rows))
    return {"calls": calls.names}
