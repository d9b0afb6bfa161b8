"""`w_bias` (01_layers.ipynb): the bias of layer1's Linear, of shape (2,)."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.layers._shared import EXACT, _shape


def test_w_bias(obs: dict) -> None:
    w_bias = obs["w_bias"]
    expect(isinstance(w_bias, torch.Tensor), "`w_bias` should be a torch.Tensor.")
    expect(
        _shape(w_bias) == (2,),
        f"`w_bias` has shape {_shape(w_bias)}; the bias of a Linear with 2 outputs has shape (2,) "
        "(one bias per node of hidden layer 1: w_01, w_02).",
    )
    expect(close(w_bias, obs["bias"], EXACT), "`w_bias` differs from the bias of layer1's Linear (layer1[0]).")
