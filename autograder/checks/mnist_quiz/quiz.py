"""Hidden checks of source/mnist_quiz/01_quiz.ipynb (the quiz).

Items: `log_reg` (logistic regression with 4 input features as a PyTorch module), `mnist_model`
(a digit classifier maps (N, 1, 28, 28) images to (N, 10) scores) and `mnist_accuracy_90` /
`mnist_accuracy_97` (its accuracy on the 10,000 MNIST test images, computed by the check).

The accuracy observers read the test images from the idx files in data/MNIST/raw themselves (the
data/ folder nearest the kernel's working directory, as the notebook's find_data does), never from
the student's objects; the tests read the labels from the course's own copy (autograder.config.DATA).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import torch

from autograder.checks.api import CheckFailed, StudentCodeError, call, close, expect, need, plain

# ----------------------------------------------------------------------------- log_reg
LOG_REG_SEED = 20240403
LOG_REG_N = 64
LOG_REG_TOLERANCE = 1e-6  # stated in the notebook


def _log_reg_inputs() -> torch.Tensor:
    """The hidden inputs: LOG_REG_N samples with 4 features each (both sides regenerate them)."""
    return 2.0 * torch.randn(LOG_REG_N, 4, generator=torch.Generator().manual_seed(LOG_REG_SEED))


def observe_log_reg(ns):
    model = need(ns, "log_reg", torch.nn.Module, "the cell of question 1b")
    linears = [m for m in call("log_reg.modules", lambda: list(model.modules()))
               if isinstance(m, torch.nn.Linear)]
    obs = {"n_linear": len(linears),
           "n_params": sum(p.numel() for p in call("log_reg.parameters", lambda: list(model.parameters())))}
    if len(linears) == 1:
        weight, bias = linears[0].weight, linears[0].bias
        obs["weight"] = plain(weight)
        obs["bias"] = None if bias is None else plain(bias)
        # Only a model whose Linear layer takes 4 features can take the check's inputs; for the
        # others the test reports the weight's shape, which says more than a shape error would.
        if isinstance(weight, torch.Tensor) and tuple(weight.shape) == (1, 4):
            with torch.no_grad():
                obs["output"] = plain(call("log_reg", model, _log_reg_inputs()))
    return obs


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
    x = _log_reg_inputs()
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
MNIST_RAW = Path("data") / "MNIST" / "raw"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
N_TEST = 10_000
BATCH = 1000
SHAPE_SEED = 1729
SHAPE_N = 7
THRESHOLDS = {"mnist_accuracy_90": 0.90, "mnist_accuracy_97": 0.97}
IMAGE_HINT = ("The check gives mnist_model a batch of images as one float32 tensor of shape "
              "(N, 1, 28, 28): N images, each 1 channel × 28 × 28 pixels with values in [0, 1], as "
              "ToTensor makes them. If your model starts with a Linear layer, flatten the images "
              "inside the model first (torch.nn.Flatten()).")


def read_idx(path: Path) -> tuple[torch.Tensor, str]:
    """An idx file of unsigned bytes (the MNIST format) as a uint8 tensor, and the file's MD5."""
    data = Path(path).read_bytes()
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise CheckFailed(f"{path} is not an MNIST idx file of bytes: run `python -m autograder data` "
                          "in the course repository to restore data/MNIST.")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    values = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    if values.numel() != torch.Size(dims).numel():
        raise CheckFailed(f"{path} is truncated: run `python -m autograder data` to restore data/MNIST.")
    return values.reshape(dims), hashlib.md5(data).hexdigest()


def _kernel_raw_dir() -> Path:
    """data/MNIST/raw in the working directory or the nearest folder above it (like find_data)."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / MNIST_RAW / TEST_IMAGES).exists():
            return folder / MNIST_RAW
    raise CheckFailed("The check could not find data/MNIST/raw/ in this notebook's folder or above "
                      "it: run `python -m autograder data` in the course repository first.")


def _course_raw_dir() -> Path:
    """The grader's own copy of the MNIST files (imported here: this runs in the grader only)."""
    from autograder.config import DATA

    return DATA / "MNIST" / "raw"


def _scores(model, images: torch.Tensor):
    """mnist_model's output on `images`, in eval mode and without gradients; the model's
    train/eval mode is restored afterwards."""
    was_training = bool(model.training)
    call("mnist_model.eval", model.eval)
    try:
        with torch.no_grad():
            return call("mnist_model", model, images)
    except StudentCodeError as err:
        raise StudentCodeError(f"{err} {IMAGE_HINT}") from None
    finally:
        call("mnist_model.train", model.train, was_training)


def _describe(scores) -> dict:
    if not isinstance(scores, torch.Tensor):
        return {"type": type(scores).__name__}
    return {"type": "Tensor", "shape": list(scores.shape), "floating": scores.is_floating_point()}


def observe_mnist_model(ns):
    model = need(ns, "mnist_model", torch.nn.Module, "the cell that builds your classifier")
    images = torch.rand(SHAPE_N, 1, 28, 28, generator=torch.Generator().manual_seed(SHAPE_SEED))
    scores = _scores(model, images)
    obs = _describe(scores)
    if obs["type"] == "Tensor" and obs["shape"] == [SHAPE_N, 10] and obs["floating"]:
        obs["finite"] = bool(torch.isfinite(scores).all())
    return obs


def _judge_scores(desc: dict, n: int) -> None:
    expect(desc["type"] == "Tensor", f"mnist_model returned a {desc['type']}; it should return one "
                                     "tensor of scores.")
    shape = tuple(desc["shape"])
    expect(len(shape) == 2 and shape[1] == 10 and shape[0] == n,
           f"mnist_model maps a batch of {n} images of shape ({n}, 1, 28, 28) to a tensor of shape "
           f"{shape}; it should give ({n}, 10): one score per digit 0-9 for every image.")
    expect(desc["floating"], "mnist_model's scores should be floating point numbers.")


def test_mnist_model(obs):
    _judge_scores(obs, SHAPE_N)
    expect(obs["finite"], "mnist_model gives NaN or infinite scores on some images.")


def _observe_predictions(ns) -> dict:
    model = need(ns, "mnist_model", torch.nn.Module, "the cell that builds your classifier")
    images, md5 = read_idx(_kernel_raw_dir() / TEST_IMAGES)
    images = images.unsqueeze(1).float() / 255  # (N, 1, 28, 28) in [0, 1], exactly as ToTensor
    predictions = []
    for start in range(0, len(images), BATCH):
        batch = images[start:start + BATCH]
        scores = _scores(model, batch)
        desc = _describe(scores)
        if desc["type"] != "Tensor" or desc["shape"] != [len(batch), 10] or not desc["floating"]:
            return {"images_md5": md5, "scores": desc, "batch": len(batch)}
        predictions.append(scores.detach().argmax(dim=1).to(torch.int64))
    return {"images_md5": md5, "predictions": torch.cat(predictions)}


def accuracy_from(obs: dict) -> float:
    """The share of the test images whose predicted digit is the true label (grader side)."""
    images_md5 = hashlib.md5((_course_raw_dir() / TEST_IMAGES).read_bytes()).hexdigest()
    expect(obs["images_md5"] == images_md5,
           "The MNIST test images the check read next to your notebook differ from the course's "
           "copy: do not modify data/MNIST (run `python -m autograder data` to restore it).")
    if "predictions" not in obs:
        _judge_scores(obs["scores"], obs["batch"])
    predictions = obs["predictions"]
    expect(isinstance(predictions, torch.Tensor) and predictions.dtype == torch.int64
           and tuple(predictions.shape) == (N_TEST,),
           "The check could not read mnist_model's predictions for the test images.")
    labels, _ = read_idx(_course_raw_dir() / TEST_LABELS)
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


def observe_mnist_accuracy_90(ns):
    return _observe_predictions(ns)


def test_mnist_accuracy_90(obs):
    _judge_accuracy(obs, THRESHOLDS["mnist_accuracy_90"])


def observe_mnist_accuracy_97(ns):
    return _observe_predictions(ns)


def test_mnist_accuracy_97(obs):
    _judge_accuracy(obs, THRESHOLDS["mnist_accuracy_97"])
