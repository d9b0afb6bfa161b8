"""Students' self-check: the visible checks on their own notebook, from release/."""

from __future__ import annotations

import nbformat
import pytest

from autograder import check, demo
from autograder.course import notebooks
from autograder.paths import SOURCE

pytestmark = pytest.mark.slow
NOTEBOOK = "01_layers.ipynb"


def write(tmp_path, nb, name=NOTEBOOK):
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def test_a_right_notebook_passes_every_visible_check(tmp_path, capsys):
    assert check.main(write(tmp_path, demo.answered("neural_nets", NOTEBOOK))) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "10/10 items pass" in out


def test_a_wrong_answer_is_named_and_edited_visible_tests_do_not_hide_it(tmp_path, capsys):
    nb = demo.answered("neural_nets", NOTEBOOK, {"answer_W": "W = w_weight"})
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "W":
            cell.source = "pass"  # the student "fixed" the test
    assert check.main(write(tmp_path, nb)) == 1
    out = capsys.readouterr().out
    assert "FAIL  W (1 pt)" in out and "PASS  layer1" in out


def test_a_broken_rule_is_named_before_submission(tmp_path, capsys):
    """Rules the notebooks state fail a visible check, not only a hidden one: here, the bias added by
    broadcasting instead of J built with torch.ones (01), and relu through PyTorch's own (02)."""
    by_hand = "def hidden_layer1_by_hand(X, W, w_b):\n    return torch.sigmoid(X @ W + w_b)\n"
    assert check.main(write(tmp_path, demo.answered("neural_nets", NOTEBOOK, {"answer_Z_by_hand": by_hand}))) == 1
    out = capsys.readouterr().out
    assert "PASS  Z_by_hand (2 pts)" in out
    assert "FAIL  Z_by_hand_ones (1 pt): The visible checks failed" in out and "build J with torch.ones" in out
    relu = "def relu(x):\n    return torch.relu(x)\n"
    activations = "02_activations_losses.ipynb"
    answered = demo.answered("neural_nets", activations, {"answer_relu": relu})
    assert check.main(write(tmp_path, answered, activations)) == 1
    out = capsys.readouterr().out
    assert "FAIL  relu (1 pt): The visible checks failed" in out and "relu calls {'relu'}" in out
    assert "PASS  leaky_relu" in out


def test_a_notebook_of_another_name_is_refused_with_the_names_to_use(tmp_path, capsys):
    assert check.main(write(tmp_path, demo.blank("neural_nets", NOTEBOOK), "mine.ipynb")) == 2
    assert "01_layers.ipynb" in capsys.readouterr().err


def test_a_broken_rule_the_text_states_is_named_before_submission(tmp_path, capsys):
    """standardize with the lecture's assert, and one_epoch with its global epoch counter: both
    compute the right numbers, and `check` names the two rules they break (before grading does)."""
    name = "03_training.ipynb"
    source = notebooks.read(SOURCE / "neural_nets" / name)
    standardize = notebooks.without_solution_markers(notebooks.cell(source, "answer_standardize").source)
    one_epoch = notebooks.without_solution_markers(notebooks.cell(source, "answer_one_epoch").source)
    assert "raise TypeError(" in standardize and "    for X_batch" in one_epoch
    standardize = standardize.replace(
        "    if not isinstance(data, torch.Tensor):\n        raise TypeError(",
        "    assert isinstance(data, torch.Tensor)\n    if False:\n        raise TypeError(",
    )
    one_epoch = "epoch = 1\n" + one_epoch.replace(
        "    for X_batch", "    global epoch\n    epoch += 1\n    for X_batch"
    )
    nb = demo.answered("neural_nets", name, {"answer_standardize": standardize, "answer_one_epoch": one_epoch})
    assert check.main(write(tmp_path, nb, name)) == 1
    out = capsys.readouterr().out
    assert "PASS  standardize (2 pts)" in out and "PASS  one_epoch (3 pts)" in out
    assert "FAIL  type_errors (1 pt)" in out and "standardize on a list raised AssertionError" in out
    assert "FAIL  one_epoch_no_globals (1 pt)" in out and "one_epoch reads the global variable epoch" in out
