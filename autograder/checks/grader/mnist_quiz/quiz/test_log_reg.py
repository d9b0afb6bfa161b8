"""`log_reg` (01_quiz.ipynb): one Linear(4, 1) with bias and nothing else to learn, whose output on hidden
inputs is sigmoid(x Wᵀ + b) of its own weight and bias."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.mnist_quiz.quiz import log_reg as kernel

LOG_REG_TOLERANCE = 1e-6  # stated in the notebook


def test_log_reg(obs):
    n_linear = obs["n_linear"]
    expect(
        n_linear > 0,
        "log_reg has no torch.nn.Linear layer: logistic regression is one Linear "
        "layer (4 inputs, 1 output) followed by torch.nn.Sigmoid().",
    )
    expect(
        n_linear == 1,
        f"log_reg has {n_linear} Linear layers: logistic regression has no hidden "
        "layer, just one Linear layer (4 inputs, 1 output) and a sigmoid.",
    )
    weight, bias = obs["weight"], obs["bias"]
    expect(isinstance(weight, torch.Tensor), "The weight of log_reg's Linear layer should be a tensor.")
    expect(
        tuple(weight.shape) == (1, 4),
        f"log_reg's Linear weight has shape {tuple(weight.shape)}; with 4 input features and one "
        "output node it should be (1, 4): PyTorch stores Linear weights as "
        "(out_features, in_features).",
    )
    expect(
        bias is not None,
        "log_reg's Linear layer has no bias: logistic regression has 4 weights "
        "and 1 bias (keep Linear's default bias=True).",
    )
    expect(
        isinstance(bias, torch.Tensor) and tuple(bias.shape) == (1,),
        "The bias of log_reg's Linear layer should be a tensor of shape (1,): one bias for the one output node.",
    )
    expect(
        obs["n_params"] == 5,
        f"log_reg has {obs['n_params']} parameters; logistic regression with 4 input features has "
        "5 (4 weights and 1 bias) and nothing else.",
    )
    out = obs.get("output")
    expect(isinstance(out, torch.Tensor), f"log_reg(x) should return a tensor, not a {type(out).__name__}.")
    x = kernel.log_reg_inputs()
    expect(
        tuple(out.shape) == (len(x), 1),
        f"log_reg maps a batch of shape (N, 4) to shape {tuple(out.shape)}; it should give (N, 1): "
        "one probability per sample.",
    )
    expect(out.is_floating_point(), "log_reg's outputs should be floating point probabilities.")
    expect(
        bool(((out >= 0) & (out <= 1)).all()),
        "Some outputs of log_reg are not between 0 and 1: logistic regression outputs "
        "probabilities, so its last step is torch.nn.Sigmoid().",
    )
    expected = torch.sigmoid(x.double() @ weight.double().T + bias.double())
    expect(
        close(out, expected, atol=LOG_REG_TOLERANCE),
        f"log_reg(x) differs from sigmoid(x Wᵀ + b), computed from its own weight and bias, by "
        f"more than {LOG_REG_TOLERANCE:g} on some inputs: apply torch.nn.Sigmoid() directly to the "
        "Linear layer's output, with nothing else before or after.",
    )
