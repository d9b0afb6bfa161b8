"""The data step: deterministic regression data that loads on current torch, verified MNIST."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
import torch

from autograder.data import recipes
from autograder.paths import DATA, ROOT

make_data = recipes()


def test_regression_generator_is_deterministic():
    first, first_trend = make_data.make_regression_frames()
    second, second_trend = make_data.make_regression_frames()
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first_trend, second_trend)
    other, _ = make_data.make_regression_frames(make_data.RegressionSpec(seed=1))
    assert not other.equals(first)


def test_regression_data_matches_its_recipe():
    samples, trend = make_data.make_regression_frames()
    spec = make_data.SPEC
    assert list(samples.columns) == ["x", "y"] and len(samples) == spec.n_samples
    assert samples["x"].between(spec.x_low, spec.x_high).all()
    residual_var = (samples["y"] - spec.trend(samples["x"].to_numpy())).var()
    assert residual_var == pytest.approx(spec.noise_variance, rel=0.15)  # 1000 draws of N(0, 0.25)
    assert trend["x"].is_monotonic_increasing and len(trend) == spec.n_trend_points


def test_committed_files_are_what_the_generator_makes():
    samples, trend = make_data.make_regression_frames()
    assert make_data.load_frame(DATA / "nn_dataframe.pt").equals(samples)
    assert make_data.load_frame(DATA / "nn_dataframe_trend.pt").equals(trend)


def test_plain_torch_load_refuses_the_dataframe_which_is_why_load_frame_exists():
    with pytest.raises(Exception, match="weights_only"):
        torch.load(DATA / "nn_dataframe.pt")


def test_noise_floor_in_standardized_units():
    y = make_data.load_frame(DATA / "nn_dataframe.pt")["y"]
    assert make_data.noise_floor_standardized() == pytest.approx(0.25 / y.var(ddof=1))
    assert 0.05 < make_data.noise_floor_standardized() < 0.1


def test_mnist_files_are_verified():
    assert make_data.mnist_problems(DATA / "MNIST" / "raw") == []


@pytest.fixture
def mnist_copy(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(DATA / "MNIST" / "raw", raw)
    return tmp_path


def test_a_corrupt_mnist_file_is_named(mnist_copy):
    labels = mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    data = bytearray(labels.read_bytes())
    data[100] ^= 0xFF
    labels.write_bytes(bytes(data))
    (problem,) = make_data.mnist_problems(mnist_copy / "MNIST" / "raw")
    assert "t10k-labels-idx1-ubyte is corrupt" in problem


def test_ensure_mnist_keeps_verified_files(mnist_copy):
    def must_not_run(_):
        raise AssertionError("fetched although the files were there")

    assert make_data.ensure_mnist(mnist_copy, sources=(("never", must_not_run),)) == "already there"


def test_ensure_mnist_tries_sources_in_order(mnist_copy):
    (mnist_copy / "MNIST" / "raw" / "train-images-idx3-ubyte").unlink()
    tried = []

    def offline(_):
        tried.append("offline")
        raise OSError("no network")

    def copy_back(data_dir):
        tried.append("copy")
        shutil.copyfile(
            DATA / "MNIST" / "raw" / "train-images-idx3-ubyte", data_dir / "MNIST" / "raw" / "train-images-idx3-ubyte"
        )

    assert make_data.ensure_mnist(mnist_copy, sources=(("offline", offline), ("copy", copy_back))) == "copy"
    assert tried == ["offline", "copy"]


def test_when_nothing_works_the_message_says_which_files_go_where(tmp_path):
    def offline(_):
        raise OSError("no network")

    with pytest.raises(make_data.DataError) as err:
        make_data.ensure_mnist(tmp_path, sources=(("offline", offline),))
    message = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    for name, md5 in make_data.MNIST_MD5.items():
        assert name in message and md5 in message
    assert "tried offline: OSError: no network" in message


def test_the_data_step_is_idempotent():
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "data"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "wrote" not in run.stdout
    assert "MNIST: 4 files verified (already there)" in run.stdout


def test_the_setup_target_is_idempotent():
    """After `make` set up once (as `make test` does before running this suite), the install
    step is up to date: make --question exits 0 without running anything."""
    run = subprocess.run(["make", "--question", "setup"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
