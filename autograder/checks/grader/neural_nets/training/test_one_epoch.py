"""`one_epoch` (03_training.ipynb): the same parameters, losses and return value as a reference epoch of SGD, with
training and validation passes in the right modes."""

from __future__ import annotations

import math

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.training._shared import TOL, _close
from autograder.checks.kernel.neural_nets.training import one_epoch as kernel


def _reference_one_epoch(loader, x_valid, y_valid, model, optim, losses, losses_valid):
    for x_batch, y_batch in loader:
        optim.zero_grad()
        model.train()
        loss = torch.nn.functional.mse_loss(model(x_batch), y_batch)
        loss.backward()
        optim.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        loss_valid = torch.nn.functional.mse_loss(model(x_valid), y_valid).item()
    losses_valid.append(loss_valid)
    return loss_valid


def _expect_epoch_calls(obs, n_batches: int) -> None:
    """One optimizer step per batch; training passes in train mode with gradients, validation
    passes in eval mode without."""
    log = obs["log"]
    expect(len(log) > 0, "one_epoch never called the model it was given (the `model` argument).")
    steps = obs["calls"].count("step")
    expect(
        steps == n_batches,
        f"optim.step() ran {steps} time(s) during an epoch of {n_batches} batches: stochastic gradient "
        "descent takes one step per batch, inside the loop over train_dataloader.",
    )
    training = [entry for entry in log if entry[2] != kernel.EPOCH_VALID]
    validation = [entry for entry in log if entry[2] == kernel.EPOCH_VALID]
    expect(len(training) >= n_batches, "one_epoch did not run the model on every batch of train_dataloader.")
    expect(
        all(entry[0] for entry in training),
        "The model was in evaluation mode while training on a batch: call model.train() before the "
        "forward pass of each batch (validation leaves it in eval mode).",
    )
    expect(all(entry[1] for entry in training), "Gradient tracking was off while training on a batch.")
    expect(validation, "one_epoch never ran the model on X_valid: compute the validation loss after the batches.")
    expect(
        not any(entry[0] for entry in validation),
        "Validation ran with the model in training mode: call model.eval() before computing the validation loss.",
    )
    expect(
        not any(entry[1] for entry in validation),
        "Validation ran with gradient tracking on: compute the validation loss inside `with torch.no_grad():`.",
    )


def test_one_epoch(obs):
    model, loader, x_valid, y_valid = kernel._epoch_setup()  # the same seeded network and data
    n_batches = len(loader)
    optim = torch.optim.SGD(model.parameters(), lr=kernel.EPOCH_LR)
    ref_losses, ref_valid = [], []
    _reference_one_epoch(loader, x_valid, y_valid, model, optim, ref_losses, ref_valid)
    _expect_epoch_calls(obs, n_batches)

    losses, losses_valid = obs["Losses"], obs["Losses_valid"]
    expect(
        len(losses) == n_batches,
        f"Losses has {len(losses)} entries after an epoch of {n_batches} batches: append the training "
        "loss of each batch to the Losses list you are given (one entry per batch).",
    )
    expect(
        len(losses_valid) == 1,
        f"Losses_valid has {len(losses_valid)} entries after one epoch: append the validation loss "
        "once per epoch to the Losses_valid list you are given.",
    )
    expect(
        all(isinstance(v, float) for v in losses + losses_valid),
        "Losses and Losses_valid should hold numbers: append loss.item(), not the loss tensor.",
    )

    state, reference = obs["state"], model.state_dict()
    zero_grads = obs["calls"].count("zero_grad")
    expect(
        all(_close(state[k], reference[k]) for k in reference),
        "After one epoch the model's parameters differ from those of one SGD step per batch "
        "(zero_grad, forward, MSE loss, backward, step)"
        + (f"; optim.zero_grad() ran {zero_grads} time(s) for {n_batches} batches" if zero_grads != n_batches else "")
        + ": reset the gradients with optim.zero_grad() before each backward pass, otherwise they add up "
        "across batches.",
    )
    expect(
        close(torch.tensor(losses), torch.tensor(ref_losses), atol=TOL, rtol=TOL),
        "The entries of Losses are not the MSE training losses of the batches, taken before each step.",
    )
    expect(
        math.isclose(losses_valid[0], ref_valid[0], rel_tol=TOL, abs_tol=TOL),
        "Losses_valid's entry is not the MSE loss on (X_valid, Y_valid) after the epoch's steps.",
    )
    returned = obs["returned"]
    expect(
        returned is not None,
        f"one_epoch returned {'nothing' if obs['returned_type'] == 'NoneType' else 'a ' + obs['returned_type']}: "
        "it should return the validation loss of the epoch, the number it appends to Losses_valid.",
    )
    expect(
        obs["returned_type"] == "float",
        f"one_epoch returned a {obs['returned_type']}: return the validation loss as a number, "
        "loss_valid.item(), as it is appended to Losses_valid.",
    )
    expect(
        math.isclose(returned, ref_valid[0], rel_tol=TOL, abs_tol=TOL),
        "one_epoch's return value is not the validation loss after the epoch's steps: return the "
        "MSE loss on (X_valid, Y_valid), the number appended to Losses_valid (not a training loss).",
    )
