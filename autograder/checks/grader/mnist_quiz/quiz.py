"""Grader side of the hidden checks of source/mnist_quiz/01_quiz.ipynb (the quiz): the verdicts.

Never sent into a kernel. Each `test_<grade_id>(obs)` judges what `observe_<grade_id>` of
autograder/checks/kernel/mnist_quiz/quiz.py observed in the student's kernel.

Items: `log_reg` (logistic regression with 4 input features as a PyTorch module), `mnist_model`
(a digit classifier maps (N, 1, 28, 28) images to (N, 10) scores) and `mnist_accuracy_90` /
`mnist_accuracy_97` (its accuracy on the 10,000 MNIST test images, computed here from the predicted
digits the kernel side observed and the labels of the course's own copy, autograder.config.DATA).
"""

from __future__ import annotations

import hashlib

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.kernel.mnist_quiz import quiz as kernel
from autograder.config import DATA

# ----------------------------------------------------------------------------- log_reg
LOG_REG_TOLERANCE = 1e-6  # stated in the notebook


def test_log_reg(obs):
    n_linear = obs["n_linear"]
    expect(n_linear > 0, "log_reg has no torch.nn.Linear layer: logistic regression is one Linear "
                         "layer (4 inputs, 1 output) followed by torch.nn.Sigmoid().")
    expect(n_linear == 1, f"log_reg has {n_linear} Linear layers: logistic regression has no hidden "
                          "layer, just one Linear layer (4 inputs, 1 output) and a sigmoid.")
    weight, bias = obs["weight"], obs["bias"]
    expect(isinstance(weight, torch.Tensor), "The weight of log_reg's Linear layer should be a tensor.")
    expect(tuple(weight.shape) == (1, 4),
           f"log_reg's Linear weight has shape {tuple(weight.shape)}; with 4 input features and one "
           "output node it should be (1, 4): PyTorch stores Linear weights as "
           "(out_features, in_features).")
    expect(bias is not None, "log_reg's Linear layer has no bias: logistic regression has 4 weights "
                             "and 1 bias (keep Linear's default bias=True).")
    expect(isinstance(bias, torch.Tensor) and tuple(bias.shape) == (1,),
           "The bias of log_reg's Linear layer should be a tensor of shape (1,): one bias for the "
           "one output node.")
    expect(obs["n_params"] == 5,
           f"log_reg has {obs['n_params']} parameters; logistic regression with 4 input features has "
           "5 (4 weights and 1 bias) and nothing else.")
    out = obs.get("output")
    expect(isinstance(out, torch.Tensor), f"log_reg(x) should return a tensor, not a {type(out).__name__}.")
    x = kernel.log_reg_inputs()
    expect(tuple(out.shape) == (len(x), 1),
           f"log_reg maps a batch of shape (N, 4) to shape {tuple(out.shape)}; it should give (N, 1): "
           "one probability per sample.")
    expect(out.is_floating_point(), "log_reg's outputs should be floating point probabilities.")
    expect(bool(((out >= 0) & (out <= 1)).all()),
           "Some outputs of log_reg are not between 0 and 1: logistic regression outputs "
           "probabilities, so its last step is torch.nn.Sigmoid().")
    expected = torch.sigmoid(x.double() @ weight.double().T + bias.double())
    expect(close(out, expected, atol=LOG_REG_TOLERANCE),
           f"log_reg(x) differs from sigmoid(x Wᵀ + b), computed from its own weight and bias, by "
           f"more than {LOG_REG_TOLERANCE:g} on some inputs: apply torch.nn.Sigmoid() directly to the "
           "Linear layer's output, with nothing else before or after.")


# ----------------------------------------------------------------------------- MNIST
COURSE_RAW = DATA / "MNIST" / "raw"  # the grader's own copy of the MNIST files
TEST_LABELS = "t10k-labels-idx1-ubyte"
N_TEST = 10_000
THRESHOLDS = {"mnist_accuracy_90": 0.90, "mnist_accuracy_97": 0.97}


def _judge_scores(desc: dict, n: int) -> None:
    expect(desc["type"] == "Tensor", f"mnist_model returned a {desc['type']}; it should return one "
                                     "tensor of scores.")
    shape = tuple(desc["shape"])
    expect(len(shape) == 2 and shape[1] == 10 and shape[0] == n,
           f"mnist_model maps a batch of {n} images of shape ({n}, 1, 28, 28) to a tensor of shape "
           f"{shape}; it should give ({n}, 10): one score per digit 0-9 for every image.")
    expect(desc["floating"], "mnist_model's scores should be floating point numbers.")


def test_mnist_model(obs):
    _judge_scores(obs, kernel.SHAPE_N)
    expect(obs["finite"], "mnist_model gives NaN or infinite scores on some images.")


def accuracy_from(obs: dict) -> float:
    """The share of the test images whose predicted digit is the true label."""
    images_md5 = hashlib.md5((COURSE_RAW / kernel.TEST_IMAGES).read_bytes()).hexdigest()
    expect(obs["images_md5"] == images_md5,
           "The MNIST test images the check read next to your notebook differ from the course's "
           "copy: do not modify data/MNIST (run `python -m autograder data` to restore it).")
    if "predictions" not in obs:
        _judge_scores(obs["scores"], obs["batch"])
    predictions = obs["predictions"]
    expect(isinstance(predictions, torch.Tensor) and predictions.dtype == torch.int64
           and tuple(predictions.shape) == (N_TEST,),
           "The check could not read mnist_model's predictions for the test images.")
    labels, _ = kernel.read_idx(COURSE_RAW / TEST_LABELS)
    return (predictions == labels.to(torch.int64)).double().mean().item()


def _judge_accuracy(obs: dict, threshold: float) -> None:
    accuracy = accuracy_from(obs)
    hint = ""
    if accuracy < 0.2:
        hint = (" That is about chance (10%): did your training cell run, and does it train "
                "mnist_model itself (not a copy of it)?")
    expect(accuracy >= threshold,
           f"mnist_model classifies {accuracy:.2%} of the 10,000 test images correctly (in eval mode); "
           f"this item needs at least {threshold:.0%}.{hint}")


def test_mnist_accuracy_90(obs):
    _judge_accuracy(obs, THRESHOLDS["mnist_accuracy_90"])


def test_mnist_accuracy_97(obs):
    _judge_accuracy(obs, THRESHOLDS["mnist_accuracy_97"])
