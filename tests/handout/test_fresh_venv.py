"""A fresh machine: a new venv (no system site-packages, not this project's venv) holding only what
the handout's README installs, where the README's commands work and `check` gives the same table
as in this project's venv (which test_roundtrip.py shows agrees with the grader's visible checks)
on the reference, the blank and a partly right notebook.

torch comes, as the README's first lines say, from PyTorch's CPU-only index; where that index
cannot be reached (this workplace reaches PyPI only), NN_COURSE_TORCH_WHEEL names a local CPU-only
torch wheel to install instead (e.g. /opt/wheels/torch-*+cpu-*.whl). The rest comes from PyPI by
`pip install -r requirements.txt`. Minutes of installing: slow, and skipped without a network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv

import pytest

from tests.handout.conftest import reference, student_copy, write

pytestmark = pytest.mark.slow
A = "neural_nets"
NB = "01_layers.ipynb"
LINE = re.compile(r"^  (PASS|FAIL)  (\S+) \(")


def pip(python, *args: str) -> None:
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *args], capture_output=True, text=True)
    if done.returncode != 0 and "Could not find a version" in done.stderr + done.stdout:
        pytest.skip(f"cannot install from here (no network?): {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]


def table(python, folder) -> dict[str, bool]:
    done = subprocess.run([str(python), "nncheck.py", "check", NB], cwd=folder, capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return {m.group(2): m.group(1) == "PASS" for m in map(LINE.match, done.stdout.splitlines()) if m}


def test_the_readmes_commands_work_in_a_fresh_venv(handouts, tmp_path):
    folder = student_copy(handouts, A, tmp_path)
    env_dir = folder / ".venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    wheel = os.environ.get("NN_COURSE_TORCH_WHEEL")
    if wheel:
        pip(python, wheel)
    else:
        pip(python, "torch", "--index-url", "https://download.pytorch.org/whl/cpu")
    pip(python, "-r", str(folder / "requirements.txt"))
    outside = subprocess.run([str(python), "-c", "import autograder"], capture_output=True, text=True, cwd=tmp_path)
    assert outside.returncode != 0  # nothing of the course is installed there
    wrong = {"answer_W": "W = w_weight", "answer_layer2": "layer2 = torch.nn.Linear(2, 3)"}
    for nb in (reference(A, NB), reference(A, NB, wrong), None):
        if nb is not None:
            write(folder, NB, nb)
        else:
            (folder / NB).write_bytes((handouts[A][0] / NB).read_bytes())  # the blank handout
        assert table(python, folder) == table(sys.executable, folder)
    done = subprocess.run(
        [str(python), "nncheck.py", "export", "--student", "fresh"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0 and (folder / f"{A}-fresh.zip").is_file(), done.stderr
