"""`loss_choice` (02_activations_losses.ipynb): "mse" for the regression tasks, "bce" for the yes/no ones, written
exactly so (as the visible checks ask)."""

from __future__ import annotations

from autograder.checks.grader.api import expect

LOSS_CHOICE = {
    "house price in dollars": "mse",
    "spam or not spam": "bce",
    "tomorrow's temperature": "mse",
    "which of several tags apply to a photo": "bce",
    "minutes until a delivery arrives": "mse",
    "whether a tumour is malignant": "bce",
}


def test_loss_choice(obs: dict) -> None:
    choice = dict(obs["choice"])
    missing = [k for k in LOSS_CHOICE if k not in choice]
    extra = [k for k in choice if k not in LOSS_CHOICE]
    expect(
        not missing and not extra,
        "`loss_choice` should have exactly the given task descriptions as keys"
        + (f"; missing: {missing}" if missing else "")
        + (f"; unknown: {extra}" if extra else "")
        + ".",
    )
    unanswered = [k for k in LOSS_CHOICE if choice[k].strip().lower() not in ("mse", "bce")]
    expect(not unanswered, f'Answer every task with "mse" or "bce"; not answered yet: {unanswered}.')
    spelled = [k for k in LOSS_CHOICE if choice[k] not in ("mse", "bce")]
    expect(
        not spelled,
        f'Write each answer exactly "mse" or "bce" (lower case, no spaces), as the visible checks ask: {spelled}.',
    )
    wrong = sum(choice[k] != v for k, v in LOSS_CHOICE.items())
    expect(
        wrong == 0,
        f"{wrong} of the {len(LOSS_CHOICE)} choices {'is' if wrong == 1 else 'are'} wrong: is the output "
        "a continuous number, "
        "or one or more classes (yes/no for each)?",
    )
