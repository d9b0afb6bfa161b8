"""`keep_best` (03_training.ipynb): after each epoch, `best` holds the epoch and loss of the lowest validation
loss so far and a copy of the parameters of that epoch."""

from __future__ import annotations

import math

from autograder.checks.grader.api import CheckFailed, close, expect
from autograder.checks.kernel.neural_nets.training import keep_best as kernel


def test_keep_best(obs):
    lowest = math.inf
    for epoch, (loss, record) in enumerate(zip(kernel.BEST_LOSSES, obs["after"]), start=1):
        expect("keys" in record, f"keep_best's `best` is no longer a dict (it is a {record.get('type')}).")
        expect(
            record["returned"] == "NoneType" or record["keys"],
            "keep_best returned its result instead of storing it: change the dict best it is given.",
        )
        expect(
            record["keys"],
            "keep_best stored nothing in the dict `best` it was given: assign best['epoch'] = ..., "
            "best['loss'] = ..., best['state'] = ... (assigning best = {...} makes a new dict the loop never sees).",
        )
        if loss < lowest:
            lowest, lowest_epoch = loss, epoch
        expect(
            record["epoch"] == lowest_epoch
            and record["loss"] is not None
            and math.isclose(record["loss"], lowest, abs_tol=1e-12),
            "After an epoch, best['epoch'] and best['loss'] are not the epoch and the value of the lowest "
            "validation loss so far: update them only when Losses_valid[-1] is lower than best['loss'] "
            "(and always in the first epoch).",
        )
    state = obs["final"]["state"]
    expect(
        isinstance(state, dict) and state,
        f"best['state'] is a {state if isinstance(state, str) else 'dict without tensors'}: store "
        "copy.deepcopy(model.state_dict()), the model's parameters by name.",
    )
    model = kernel._best_model()
    expected = final = None
    for epoch in range(1, len(kernel.BEST_LOSSES) + 1):
        if epoch == lowest_epoch:
            expected = {k: v.detach().clone() for k, v in model.state_dict().items()}
        kernel._best_step(model, epoch)
    final = model.state_dict()
    expect(
        set(state) == set(expected),
        "best['state'] does not hold the model's parameters by name: store copy.deepcopy(model.state_dict()).",
    )
    if all(close(state[k], final[k], atol=1e-6) for k in final):
        raise CheckFailed(
            "best['state'] holds the model's latest parameters, not those of the best epoch: "
            "model.state_dict() gives the model's own tensors, which every optimizer step changes; "
            "store a copy, copy.deepcopy(model.state_dict())."
        )
    expect(
        all(close(state[k], expected[k], atol=1e-6) for k in expected),
        "best['state'] does not hold the parameters the model had at the best epoch: store "
        "copy.deepcopy(model.state_dict()) when you store that epoch.",
    )
