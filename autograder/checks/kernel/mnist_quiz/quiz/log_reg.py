"""`log_reg` (01_quiz.ipynb): logistic regression, one Linear(4, 1) then a sigmoid; observes its Linear layers,
parameters and output on hidden inputs."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, need, plain

LOG_REG_SEED = 20240403

LOG_REG_N = 64


def log_reg_inputs() -> torch.Tensor:
    """The hidden inputs: LOG_REG_N samples with 4 features each (both sides regenerate them)."""
    return 2.0 * torch.randn(LOG_REG_N, 4, generator=torch.Generator().manual_seed(LOG_REG_SEED))


def observe(ns):
    model = need(ns, "log_reg", torch.nn.Module, "the cell of question 1b")
    linears = [m for m in call("log_reg.modules", lambda: list(model.modules())) if isinstance(m, torch.nn.Linear)]
    obs = {
        "n_linear": len(linears),
        "n_params": sum(p.numel() for p in call("log_reg.parameters", lambda: list(model.parameters()))),
    }
    if len(linears) == 1:
        weight, bias = linears[0].weight, linears[0].bias
        obs["weight"] = plain(weight)
        obs["bias"] = None if bias is None else plain(bias)
        # Only a model whose Linear layer takes 4 features can take the check's inputs; for the
        # others the test reports the weight's shape, which says more than a shape error would.
        if isinstance(weight, torch.Tensor) and tuple(weight.shape) == (1, 4):
            with torch.no_grad():
                obs["output"] = plain(call("log_reg", model, log_reg_inputs()))
    return obs
