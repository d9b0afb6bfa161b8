"""`one_epoch` (03_training.ipynb): one SGD step per batch in training mode, then the validation loss in eval
mode without gradients; observes a hidden network, optimizer and data through one call."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, need, plain, type_name
from autograder.checks.kernel.neural_nets.training._shared import _is_tensor, _loss_entries, _number

SEED_EPOCH = 30_106

# one_epoch is watched on this many rows, in batches of this size (4 batches: 16, 16, 16, 12)
EPOCH_TRAIN, EPOCH_BATCH, EPOCH_VALID, EPOCH_LR = 60, 16, 23, 0.05


def _epoch_setup():
    """A small seeded network, a DataLoader of 4 batches in a fixed order, and validation data: the
    grader builds the same ones. The network is deliberately not the lecture's NeuralNet (one_epoch
    must train whatever model it is given, and the kernel must not hold an answer)."""
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(SEED_EPOCH)
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 1.6 - 0.8)
    x = torch.rand(EPOCH_TRAIN, 1, generator=generator) * 4 - 2
    y = x.abs() - 0.5 + 0.1 * torch.randn(EPOCH_TRAIN, 1, generator=generator)
    x_valid = torch.rand(EPOCH_VALID, 1, generator=generator) * 4 - 2
    y_valid = x_valid.abs() - 0.5 + 0.1 * torch.randn(EPOCH_VALID, 1, generator=generator)
    loader = DataLoader(TensorDataset(x, y), batch_size=EPOCH_BATCH, shuffle=False)
    return model, loader, x_valid, y_valid


class _CountingSGD(torch.optim.SGD):
    """SGD that records the order of its step and zero_grad calls."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.calls = []

    def step(self, closure=None):
        self.calls.append("step")
        return super().step(closure)

    def zero_grad(self, set_to_none=True):
        self.calls.append("zero_grad")
        return super().zero_grad(set_to_none=set_to_none)


class _Watched(torch.nn.Module):
    """The network, recording (training mode, gradients on, rows) at each forward pass."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.log = []

    def forward(self, x):
        rows = int(x.shape[0]) if _is_tensor(x) and x.dim() > 0 else -1
        self.log.append([bool(self.training), bool(torch.is_grad_enabled()), rows])
        return self.inner(x)


def _on_a_copy_of_the_globals(function, ns):
    """`function` (a plain Python function) with globals of its own, a shallow copy of the
    notebook's: a `global` assignment inside it then changes the copy, not the notebook."""
    import types

    if not isinstance(function, types.FunctionType):
        return function
    copy = types.FunctionType(
        function.__code__, dict(function.__globals__), function.__name__, function.__defaults__, function.__closure__
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy


def observe(ns):
    one_epoch = need(ns, "one_epoch", what="the function one_epoch")
    expect(callable(one_epoch), "`one_epoch` should be a function.")
    one_epoch = _on_a_copy_of_the_globals(one_epoch, ns)
    inner, loader, x_valid, y_valid = _epoch_setup()
    model = _Watched(inner)
    model.eval()  # as after the previous epoch's validation: one_epoch must switch to training itself
    optim = _CountingSGD(model.parameters(), lr=EPOCH_LR)
    losses, losses_valid = [], []
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        returned = call("one_epoch", one_epoch, loader, x_valid, y_valid, model, optim, losses, losses_valid)
    return {
        "log": model.log,
        "calls": list(optim.calls),
        "state": plain(inner.state_dict()),
        "Losses": _loss_entries(losses),
        "Losses_valid": _loss_entries(losses_valid),
        "returned": _number(returned),
        "returned_type": type_name(returned),
    }
