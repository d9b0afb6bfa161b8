"""The hidden checks of source/mnist_quiz/01_quiz.ipynb accept the reference and reject wrong answers.

Fast tests run the notebook once up to the reference's (untrained) mnist_model and try wrong
answers in copies of that namespace. Accuracy items that should pass use a test-built
"oracle" that looks up each test image's label (cheap, and it also proves the observer scales the
images exactly as ToTensor does); the trained reference is judged in a slow test.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from autograder.checks import items, judge
from autograder.checks.grader.api import CheckFailed
from autograder.checks.grader.mnist_quiz.quiz import _shared as grader
from autograder.checks.grader.mnist_quiz.quiz import test_mnist_accuracy_90 as accuracy_90
from autograder.checks.grader.mnist_quiz.quiz import test_mnist_accuracy_97 as accuracy_97
from autograder.checks.kernel.mnist_quiz.quiz._shared import read_idx
from autograder.checks.kernel.mnist_quiz.quiz.mnist_accuracy_90 import TEST_IMAGES
from autograder.course import notebooks
from autograder.paths import DATA, SOURCE

ASSIGNMENT = "mnist_quiz"
NOTEBOOK = SOURCE / ASSIGNMENT / "01_quiz.ipynb"
ACCURACY_ITEMS = ("mnist_accuracy_90", "mnist_accuracy_97")


@pytest.fixture(scope="module")
def untrained_ns():
    """The notebook's namespace up to the reference's mnist_model, before any training."""
    return notebooks.run_in_process(NOTEBOOK, upto="answer_mnist_model")


def with_answer(ns: dict, source: str) -> dict:
    """A copy of the namespace after running `source` (a wrong answer) in it."""
    ns = dict(ns)
    exec(compile(source, "wrong-answer", "exec"), ns)
    return ns


def verdicts(ns: dict, grade_ids) -> dict[str, tuple[bool, str]]:
    return {gid: judge(ASSIGNMENT, gid, ns) for gid in grade_ids}


class Oracle(torch.nn.Module):
    """A stand-in for a trained classifier: it looks each image up among the MNIST test images
    (loaded here with torchvision, independently of the check) and scores its true label, except
    for the images whose index is a multiple of `wrong_every`, where it scores the next digit."""

    def __init__(self, wrong_every: int = 0):
        super().__init__()
        test = torchvision.datasets.MNIST(root=DATA, train=False, download=False)
        labels = test.targets.tolist()
        if wrong_every:
            labels = [(y + 1) % 10 if i % wrong_every == 0 else y for i, y in enumerate(labels)]
        self.table = dict(zip(self.keys(test.data.unsqueeze(1).float() / 255), labels))
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # so that it looks like a trained model

    @staticmethod
    def keys(images: torch.Tensor) -> list[bytes]:
        pixels = (images * 255).round().clamp(0, 255).to(torch.uint8).flatten(1).numpy()
        return [row.tobytes() for row in pixels]

    def forward(self, images):
        labels = torch.tensor([self.table.get(k, -1) for k in self.keys(images)])
        scores = torch.zeros(len(images), 10)
        known = labels >= 0
        scores[known, labels[known]] = 1.0  # an image the oracle does not know scores 0 everywhere
        return scores + self.anchor


# ----------------------------------------------------------------------------- the reference
def test_reference_passes_log_reg_and_mnist_model(untrained_ns):
    for gid, (passed, message) in verdicts(untrained_ns, ("log_reg", "mnist_model")).items():
        assert passed, f"{gid}: {message}"


def test_catalog_matches_the_notebook():
    thresholds = {
        gid: item.grader_module.THRESHOLD
        for gid, item in items(ASSIGNMENT).items()
        if hasattr(item.grader_module, "THRESHOLD")
    }
    assert set(thresholds) == set(ACCURACY_ITEMS)
    ids = [notebooks.grade_id(c) for c in notebooks.test_cells(notebooks.read(NOTEBOOK))]
    assert ids == ["log_reg", "mnist_model", *ACCURACY_ITEMS]
    points = {
        notebooks.grade_id(c): notebooks.points(c) for c in notebooks.read(NOTEBOOK).cells if notebooks.grade_id(c)
    }
    assert points["log_reg_diagram"] == 2 and points["log_reg"] == 2 and points["mnist_model"] == 1
    assert points["mnist_accuracy_90"] == points["mnist_accuracy_97"] == 3
    assert points["log_reg_diagram_rubric"] == 0  # the rubric adds no points of its own


# ----------------------------------------------------------------------------- log_reg
@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Sigmoid())", "(4, 4)"),
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Sigmoid())", "(4, 1)"),
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(4, 1))", "between 0 and 1"),
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(4, 1), torch.nn.ReLU())", "between 0 and 1"),
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(4, 1, bias=False), torch.nn.Sigmoid())", "no bias"),
        (
            "log_reg = torch.nn.Sequential(torch.nn.Linear(4, 1), torch.nn.Sigmoid(), torch.nn.Sigmoid())",
            "differs from sigmoid",
        ),
        (
            "log_reg = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1),"
            " torch.nn.Sigmoid())",
            "2 Linear layers",
        ),
        ("log_reg = torch.nn.Sigmoid()", "no torch.nn.Linear"),
        ("log_reg = torch.nn.Linear(4, 1).weight", "should be a Module"),
    ],
)
def test_log_reg_rejects(untrained_ns, answer, says):
    passed, message = verdicts(with_answer(untrained_ns, answer), ["log_reg"])["log_reg"]
    assert not passed
    assert says in message, message


def test_log_reg_messages_hide_the_hidden_inputs(untrained_ns):
    _, message = verdicts(with_answer(untrained_ns, "log_reg = torch.nn.Linear(4, 1)"), ["log_reg"])["log_reg"]
    assert "tensor(" not in message and len(message) < 300


# ----------------------------------------------------------------------------- mnist_model
FIVE_CLASSES = "mnist_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 5))"
FLAT_INPUT = "mnist_model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))"


def test_five_class_head_fails_every_mnist_item(untrained_ns):
    results = verdicts(with_answer(untrained_ns, FIVE_CLASSES), ["mnist_model", *ACCURACY_ITEMS])
    for gid, (passed, message) in results.items():
        assert not passed, gid
        assert "should give" in message and ", 10)" in message and ", 5)" in message, (gid, message)


def test_model_for_flattened_images_fails_with_a_clear_message(untrained_ns):
    results = verdicts(with_answer(untrained_ns, FLAT_INPUT), ["mnist_model", *ACCURACY_ITEMS])
    for gid, (passed, message) in results.items():
        assert not passed, gid
        assert "raised RuntimeError" in message and "(N, 1, 28, 28)" in message, (gid, message)
        assert "torch.nn.Flatten()" in message


def test_model_returning_a_tuple_fails(untrained_ns):
    wrong = with_answer(
        untrained_ns,
        (
            "class Pair(torch.nn.Module):\n"
            "    def forward(self, x):\n"
            "        return x.flatten(1)[:, :10], x\n"
            "mnist_model = Pair()\n"
        ),
    )
    passed, message = verdicts(wrong, ["mnist_model"])["mnist_model"]
    assert not passed and "returned a tuple" in message


def test_missing_model_is_named(untrained_ns):
    ns = {k: v for k, v in untrained_ns.items() if k != "mnist_model"}
    for gid, (passed, message) in verdicts(ns, ["mnist_model", *ACCURACY_ITEMS]).items():
        assert not passed and "`mnist_model` is not defined" in message, gid


# ----------------------------------------------------------------------------- accuracy
def test_untrained_model_gets_no_accuracy_points(untrained_ns):
    for gid, (passed, message) in verdicts(untrained_ns, ACCURACY_ITEMS).items():
        assert not passed, gid
        assert "of the 10,000 test images" in message and "chance" in message, message


def test_oracle_passes_both_accuracy_items(untrained_ns):
    ns = dict(untrained_ns, mnist_model=Oracle())
    for gid, (passed, message) in verdicts(ns, ACCURACY_ITEMS).items():
        assert passed, f"{gid}: {message}"


def test_partial_credit_between_90_and_97_percent(untrained_ns):
    ns = dict(untrained_ns, mnist_model=Oracle(wrong_every=20))  # 95% right
    results = verdicts(ns, ACCURACY_ITEMS)
    assert results["mnist_accuracy_90"] == (True, "")
    passed, message = results["mnist_accuracy_97"]
    assert not passed and "95.00%" in message and "at least 97%" in message, message


def test_check_restores_the_models_mode(untrained_ns):
    model = Oracle()
    model.train()
    verdicts(dict(untrained_ns, mnist_model=model), ["mnist_model", "mnist_accuracy_90"])
    assert model.training


def test_observer_reads_the_images_as_totensor_does():
    images, _ = read_idx(DATA / "MNIST" / "raw" / TEST_IMAGES)
    test = torchvision.datasets.MNIST(
        root=DATA, train=False, download=False, transform=torchvision.transforms.ToTensor()
    )
    for index in (0, 1234, 9999):
        assert torch.equal(images[index].unsqueeze(0).float() / 255, test[index][0])


def test_modified_test_images_are_refused():
    obs = {"images_md5": "0" * 32, "predictions": torch.zeros(grader.N_TEST, dtype=torch.int64)}
    with pytest.raises(CheckFailed, match="differ from the course's copy"):
        accuracy_90.test_mnist_accuracy_90(obs)


def test_predictions_of_the_wrong_kind_are_refused():
    images_md5 = read_idx(DATA / "MNIST" / "raw" / TEST_IMAGES)[1]
    for predictions in (torch.zeros(grader.N_TEST), torch.zeros(10, dtype=torch.int64), np.zeros(grader.N_TEST)):
        with pytest.raises(CheckFailed, match="could not read"):
            accuracy_97.test_mnist_accuracy_97({"images_md5": images_md5, "predictions": predictions})


# ----------------------------------------------------------------------------- slow: training
@pytest.fixture
def torch_settings():
    """The reference's training cell sets torch's threads and deterministic mode for the whole
    process: put them back for the other tests of the session."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


@pytest.mark.slow
def test_trained_reference_passes_every_item(judge_source, torch_settings):
    results = judge_source(ASSIGNMENT, NOTEBOOK.name)
    assert set(results) == {"log_reg", "mnist_model", *ACCURACY_ITEMS}
    for gid, (passed, message) in results.items():
        assert passed, f"{gid}: {message}"


# ----------------------------------------------------------------------------- what the text promises
def visible_fails(ns: dict, grade_id: str) -> str | None:
    """The AssertionError message of an item's visible asserts run in `ns`, or None when they pass."""
    cell = notebooks.cell(notebooks.read(NOTEBOOK), grade_id)
    try:
        exec(compile(notebooks.visible_part(cell.source), f"test {grade_id}", "exec"), dict(ns))
    except AssertionError as err:
        return str(err)
    return None


def test_the_visible_checks_of_log_reg_state_its_rules(untrained_ns):
    assert visible_fails(untrained_ns, "log_reg") is None
    for answer, says in [
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(4, 1, bias=False), torch.nn.Sigmoid())", "bias"),
        (
            "log_reg = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1),"
            " torch.nn.Sigmoid())",
            "2 Linear layers",
        ),
        (
            "log_reg = torch.nn.Sequential(torch.nn.Linear(4, 1), torch.nn.Sigmoid(), torch.nn.Sigmoid())",
            "sigmoid(x Wᵀ + b)",
        ),
        ("log_reg = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Sigmoid())", "weight of shape (1, 4)"),
    ]:
        message = visible_fails(with_answer(untrained_ns, answer), "log_reg")
        assert message is not None and says in message, (answer, message)


def test_the_visible_check_of_mnist_model_wants_finite_scores(untrained_ns):
    assert visible_fails(untrained_ns, "mnist_model") is None
    wrong = with_answer(
        untrained_ns,
        "class Nan(torch.nn.Module):\n    def forward(self, x):\n"
        "        return torch.full((len(x), 10), float('nan'))\nmnist_model = Nan()",
    )
    assert "finite" in visible_fails(wrong, "mnist_model")


def test_the_time_budget_the_quiz_states_is_the_graders():
    from autograder.course import settings  # limits: settings(name).limits

    limits = settings(ASSIGNMENT).limits
    intro = notebooks.read(NOTEBOOK).cells[0].source
    assert f"**{limits.cores} CPU cores of its own**" in intro
    assert f"**torch set to {limits.cores} threads**" in intro
    assert limits.total_timeout == limits.cell_timeout  # "any one cell may use all of it"
    assert f"**{limits.total_timeout / 60:g} minutes** ({limits.total_timeout:g} s" in intro
    assert "does not strip" not in intro and "plain Python" not in intro  # cells run in IPython
