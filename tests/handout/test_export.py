"""`python nncheck.py export`: the zip to upload, and what it refuses (no kernel runs here)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.submission import unzip
from tests.handout.conftest import nncheck, reference, student_copy, write

NN = ("01_layers.ipynb", "02_activations_losses.ipynb", "03_training.ipynb")
DOCS = Path(__file__).parents[2] / "docs" / "handout.md"
# The named_regexp docs/handout.md gives for nbgrader's zip_collect (read from the page: the two agree).
ZIP_COLLECT_REGEXP = re.search(r"named_regexp = r\"([^\"]+)\"", DOCS.read_text()).group(1)


@pytest.fixture
def folder(handouts, tmp_path):
    return student_copy(handouts, "neural_nets", tmp_path)


def test_the_export_holds_the_notebooks_under_their_names_and_their_checksums(folder, tmp_path):
    write(folder, "01_layers.ipynb", reference("neural_nets", "01_layers.ipynb"))
    done = nncheck(folder, "export", "--student", "jdoe", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    target = tmp_path / "neural_nets-jdoe.zip"
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == sorted([*NN, "manifest.json"])
        manifest = json.loads(zf.read("manifest.json"))
        for name in NN:
            assert zf.read(name) == (folder / name).read_bytes()
            assert manifest["notebooks"][name]["sha256"] == hashlib.sha256(zf.read(name)).hexdigest()
    assert manifest["assignment"] == "neural_nets" and manifest["student"] == "jdoe"
    assert "warning" not in done.stderr  # a notebook never run has no counts out of order


def test_a_missing_notebook_is_refused_by_name(folder, tmp_path):
    (folder / "02_activations_losses.ipynb").unlink()
    done = nncheck(folder, "export", "--student", "jdoe", "--out", str(tmp_path))
    assert done.returncode == 2 and "02_activations_losses.ipynb is missing" in done.stderr
    assert not list(tmp_path.glob("*.zip"))


def test_a_notebook_that_is_not_json_is_refused(folder, tmp_path):
    (folder / "01_layers.ipynb").write_text('{"cells": [')
    done = nncheck(folder, "export", "--student", "jdoe", "--out", str(tmp_path))
    assert done.returncode == 2 and "01_layers.ipynb is not valid JSON (line 1" in done.stderr
    assert not list(tmp_path.glob("*.zip"))


def test_a_notebook_above_the_graders_size_limit_is_refused(folder, tmp_path):
    from autograder.submission.plan import MAX_NOTEBOOK_BYTES

    config = json.loads((folder / "nncheck.json").read_text())
    assert config["max_notebook_bytes"] == MAX_NOTEBOOK_BYTES  # the grader's limit, carried over
    nb = reference("neural_nets", "03_training.ipynb")
    nb.cells[0].outputs = [{"output_type": "stream", "name": "stdout", "text": "x" * (MAX_NOTEBOOK_BYTES + 10)}]
    nb.cells[0].execution_count = 1
    write(folder, "03_training.ipynb", nb)
    done = nncheck(folder, "export", "--student", "jdoe", "--out", str(tmp_path))
    assert done.returncode == 2, done.stdout
    assert f"above the {MAX_NOTEBOOK_BYTES // 2**20} MB the grader reads" in done.stderr
    assert not list(tmp_path.glob("*.zip"))


def test_outputs_out_of_order_are_warned_about_and_exported(folder, tmp_path):
    nb = reference("neural_nets", "01_layers.ipynb")
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].execution_count, code[1].execution_count, code[2].execution_count = 5, 2, 3
    write(folder, "01_layers.ipynb", nb)
    done = nncheck(folder, "export", "--student", "jdoe", "--out", str(tmp_path))
    assert done.returncode == 0
    assert "warning: 01_layers.ipynb's outputs do not come from one run from top to bottom" in done.stderr
    assert "02_activations_losses.ipynb" not in done.stderr
    assert (tmp_path / "neural_nets-jdoe.zip").is_file()


def test_a_bad_student_name_is_refused(folder, tmp_path):
    done = nncheck(folder, "export", "--student", "../x", "--out", str(tmp_path))
    assert done.returncode == 2 and "give your course login" in done.stderr


def test_the_grader_takes_the_export_out_of_a_students_folder(folder, tmp_path):
    done = nncheck(folder, "export", "--student", "jdoe", "--out", str(tmp_path))
    assert done.returncode == 0
    student = tmp_path / "class" / "jdoe"
    student.mkdir(parents=True)
    (tmp_path / "neural_nets-jdoe.zip").rename(student / "neural_nets-jdoe.zip")
    archive = unzip.export_of(student, "neural_nets", NN)
    assert archive == student / "neural_nets-jdoe.zip"
    assert sorted(unzip.unpack(archive, NN, tmp_path / "unpacked")) == sorted(NN)
    assert sorted(p.name for p in (tmp_path / "unpacked").iterdir()) == sorted(NN)  # no manifest.json
    (student / "01_layers.ipynb").write_text("{}")
    assert unzip.export_of(student, "neural_nets", NN) is None  # notebooks there: graded as they are


def test_a_zip_that_is_not_one_is_named(tmp_path):
    (tmp_path / "neural_nets-jdoe.zip").write_text("not a zip")
    with pytest.raises(unzip.UnreadableExport, match="neural_nets-jdoe.zip cannot be read as a zip"):
        unzip.unpack(tmp_path / "neural_nets-jdoe.zip", NN, tmp_path / "out")


def test_the_grader_refuses_a_notebook_above_its_size_limit(tmp_path):
    """The limit the export carries is the grader's own: read_submission refuses what is above it."""
    from autograder.submission.plan import MAX_NOTEBOOK_BYTES, InvalidNotebook, read_submission

    path = tmp_path / "01_layers.ipynb"
    path.write_bytes(b" " * (MAX_NOTEBOOK_BYTES + 1))
    with pytest.raises(InvalidNotebook, match="larger than the 20 MB the grader reads"):
        read_submission(path)
    path.write_bytes(b" " * MAX_NOTEBOOK_BYTES)  # at the limit: read (then refused as not JSON)
    with pytest.raises(InvalidNotebook, match="not valid JSON"):
        read_submission(path)


def test_nbgraders_zip_collect_takes_the_exports_as_they_are(folder, tmp_path):
    """A folder of exports (an LMS's download) -> nbgrader zip_collect, with the regular expression
    docs/handout.md gives -> submitted/<student>/neural_nets/<notebook>, the exported bytes."""
    course_dir = tmp_path / "course"
    archive = course_dir / "downloaded" / "neural_nets" / "archive"
    archive.mkdir(parents=True)
    for student in ("jdoe", "ada_l"):
        done = nncheck(folder, "export", "--student", student, "--out", str(archive))
        assert done.returncode == 0, done.stderr
    (course_dir / "source" / "neural_nets").mkdir(parents=True)
    (course_dir / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course_dir)!r}\n"
        f"c.FileNameCollectorPlugin.named_regexp = {ZIP_COLLECT_REGEXP!r}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "zip_collect", "neural_nets"],
        cwd=course_dir,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for student in ("jdoe", "ada_l"):
        for name in NN:
            assert (course_dir / "submitted" / student / "neural_nets" / name).read_bytes() == (
                folder / name
            ).read_bytes()
