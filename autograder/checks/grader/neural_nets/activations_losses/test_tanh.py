"""`tanh` (02_activations_losses.ipynb): equals torch.tanh on hidden inputs (large |x| included), without
calling PyTorch's own tanh or sigmoid."""

from __future__ import annotations

import torch

from autograder.checks.grader.neural_nets.activations_losses._shared import _judge_tensor, _no_torch_version
from autograder.checks.kernel.neural_nets.activations_losses import tanh as kernel


def test_tanh(obs: dict) -> None:
    _no_torch_version("tanh", obs)
    hint = (
        "; e^{2x} overflows float32 for x above about 44 (inf/inf = nan): rewrite the formula "
        "with e^{-2|x|}, which never overflows"
    )
    for x, out in zip(kernel.activation_inputs(), obs["outputs"], strict=True):
        _judge_tensor("tanh", out, x, torch.tanh(x), "torch.tanh", nan_hint=hint)
