"""`mnist_accuracy_90` (01_quiz.ipynb): mnist_model classifies at least 90% of the 10,000 MNIST test images
correctly, counted by the grader against its own copy of the labels."""

from __future__ import annotations

from autograder.checks.grader.mnist_quiz.quiz._shared import _judge_accuracy, accuracy
from autograder.checks.kernel.mnist_quiz.quiz import mnist_accuracy_90 as kernel

THRESHOLD = 0.90


def accuracy_from(obs: dict) -> float:
    """The share of the test images whose predicted digit is the true label."""
    return accuracy(obs, kernel.TEST_IMAGES)


# The leaderboard's figure (source/mnist_quiz/assignment.toml), measured by the grader from the
# predictions it observed, whatever the verdict.
MEASURES = {"test_accuracy": accuracy_from}


def test_mnist_accuracy_90(obs):
    _judge_accuracy(accuracy_from(obs), THRESHOLD)
