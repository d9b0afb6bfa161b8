"""`init_weights` (03_training.ipynb): Kaiming-uniform (relu) weights for a Linear from torch's generator;
biases and other modules untouched."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.neural_nets.training import init_weights as kernel


def test_init_weights(obs):
    before, after = obs["before"], obs["after"]
    expected = torch.empty(4, 5)
    torch.nn.init.kaiming_uniform_(
        expected, nonlinearity="relu", generator=torch.Generator().manual_seed(kernel.SEED_INIT + 1)
    )
    weight = after["weight"]
    expect(
        not close(weight, before["weight"], 0.0),
        "init_weights did not change the weight of a torch.nn.Linear: when isinstance(m, torch.nn.Linear), "
        "call torch.nn.init.kaiming_uniform_(m.weight, nonlinearity='relu').",
    )
    expect(
        close(weight, expected, atol=1e-7, rtol=1e-5),
        "The Linear's new weights are not those of torch.nn.init.kaiming_uniform_(m.weight, "
        "nonlinearity='relu') (Kaiming/He uniform initialization, drawn from torch's random generator).",
    )
    expect(
        close(after["bias"], before["bias"], 0.0),
        "init_weights changed the bias of the Linear: the lecture initializes only its weights.",
    )
    expect(
        close(after["prelu"], before["prelu"], 0.0) and close(after["conv"], before["conv"], 0.0),
        "init_weights changed a module that is not a torch.nn.Linear: initialize m.weight only when "
        "isinstance(m, torch.nn.Linear).",
    )
