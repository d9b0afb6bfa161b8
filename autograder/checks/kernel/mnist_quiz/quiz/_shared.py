"""Kernel side of 01_quiz.ipynb: helpers its items share, sent into the kernel with each of their probes.
No hidden inputs here: each item's own file says which images it uses and passes them in."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import torch

from autograder.checks.kernel.api import CheckFailed, StudentCodeError, call, need, type_name

IMAGE_HINT = (
    "The check gives mnist_model a batch of images as one float32 tensor of shape "
    "(N, 1, 28, 28): N images, each 1 channel × 28 × 28 pixels with values in [0, 1], as "
    "ToTensor makes them. If your model starts with a Linear layer, flatten the images "
    "inside the model first (torch.nn.Flatten())."
)


def read_idx(path: Path) -> tuple[torch.Tensor, str]:
    """An idx file of unsigned bytes (the MNIST format) as a uint8 tensor, and the file's MD5."""
    data = Path(path).read_bytes()
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise CheckFailed(
            f"{path} is not an MNIST idx file of bytes: run `python -m autograder data` "
            "in the course repository to restore data/MNIST."
        )
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    values = torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8)
    if values.numel() != torch.Size(dims).numel():
        raise CheckFailed(f"{path} is truncated: run `python -m autograder data` to restore data/MNIST.")
    return values.reshape(dims), hashlib.md5(data).hexdigest()


def _kernel_raw_dir(raw: Path, name: str) -> Path:
    """The folder `raw` (data/MNIST/raw) that holds the file `name`, in the working directory or the
    nearest folder above it (like find_data)."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / raw / name).exists():
            return folder / raw
    raise CheckFailed(
        f"The check could not find {raw.as_posix()}/ in this notebook's folder or above "
        "it: run `python -m autograder data` in the course repository first."
    )


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
    """What the grader needs to know of the scores' form (not of their values)."""
    if not isinstance(scores, torch.Tensor):
        return {"type": type_name(scores)}
    return {"type": "Tensor", "shape": list(scores.shape), "floating": scores.is_floating_point()}


def _is_scores(desc: dict, n: int) -> bool:
    """Whether the scores have the form the notebook asks for ((n, 10) floats), so that the
    observer can read them further; the grader judges the form itself from `desc`."""
    return desc["type"] == "Tensor" and desc["shape"] == [n, 10] and desc["floating"]


def _observe_predictions(ns, raw: Path, name: str, batch_size: int) -> dict:
    """The predicted digit (argmax of the scores) of every image of the idx file `raw`/`name`, in
    batches of `batch_size`, with the images' MD5; or, when the scores of a batch do not have the
    asked form, their description and the batch size."""
    model = need(ns, "mnist_model", torch.nn.Module, "the cell that builds your classifier")
    images, md5 = read_idx(_kernel_raw_dir(raw, name) / name)
    images = images.unsqueeze(1).float() / 255  # (N, 1, 28, 28) in [0, 1], exactly as ToTensor
    predictions = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        scores = _scores(model, batch)
        desc = _describe(scores)
        if not _is_scores(desc, len(batch)):
            return {"images_md5": md5, "scores": desc, "batch": len(batch)}
        predictions.append(scores.detach().argmax(dim=1).to(torch.int64))
    return {"images_md5": md5, "predictions": torch.cat(predictions)}
