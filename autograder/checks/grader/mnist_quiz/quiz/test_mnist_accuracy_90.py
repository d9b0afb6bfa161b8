"""Grader side of `mnist_accuracy_90` (01_quiz.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

from autograder.checks.grader.mnist_quiz.quiz._shared import THRESHOLDS, _judge_accuracy, accuracy_from

# The leaderboard's figure (source/mnist_quiz/assignment.toml), measured by the grader from the
# predictions it observed, whatever the verdict.
MEASURES = {"test_accuracy": accuracy_from}


def test_mnist_accuracy_90(obs):
    _judge_accuracy(obs, THRESHOLDS["mnist_accuracy_90"])
