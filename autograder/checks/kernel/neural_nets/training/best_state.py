"""`best_state` (03_training.ipynb): the parameters of the epoch with the lowest validation loss, loaded into
neural_net; reads them with Losses_valid, best_epoch and the validation data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import need, plain
from autograder.checks.kernel.neural_nets.training._shared import _is_tensor, _loss_entries, _number


def observe(ns):
    losses_valid = need(ns, "Losses_valid", list)
    state = need(ns, "best_state", dict, "the cell that loads the best model")
    net = need(ns, "neural_net", torch.nn.Module)
    return {
        "Losses_valid": _loss_entries(losses_valid),
        "best_epoch": _number(need(ns, "best_epoch")),
        "best_state": {str(k): plain(v) for k, v in state.items() if _is_tensor(v)},
        "state": plain(net.state_dict()),
        "X_valid": plain(need(ns, "X_valid", torch.Tensor)),
        "Y_valid": plain(need(ns, "Y_valid", torch.Tensor)),
    }
