"""The grading engine end to end: a class of crafted submissions, graded in one batch, each graded
as a TA would expect, the batch never aborting. Slow: every notebook runs in a fresh kernel."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder import demo, grade, sandbox
from autograder.config import RELEASE, ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "neural_nets"
NOTEBOOKS = sorted(p.name for p in (RELEASE / ASSIGNMENT).glob("*.ipynb"))
LAYERS, ACTIVATIONS, TRAINING = NOTEBOOKS
CELL_TIMEOUT = 60


def perfect():
    return {n: demo.answered(ASSIGNMENT, n) for n in NOTEBOOKS}


def with_layers(**replace):
    """Perfect, except the solution cells of 01_layers given here (grade_id -> code)."""
    submission = perfect()
    submission[LAYERS] = demo.answered(ASSIGNMENT, LAYERS, replace)
    return submission


def with_activations(**replace):
    submission = perfect()
    submission[ACTIVATIONS] = demo.answered(ASSIGNMENT, ACTIVATIONS, replace)
    return submission


def appended(submission, notebook, code):
    submission[notebook].cells.append(new_code_cell(code))
    return submission


def partly():
    """Two independent items wrong: layer2 (01_layers) and mse (02_activations_losses)."""
    submission = with_layers(answer_layer2="layer2 = None")
    submission[ACTIVATIONS] = demo.answered(ASSIGNMENT, ACTIVATIONS, {
        "answer_mse": "def mse(y_pred, y):\n    return ((y_pred - y) ** 2).sum()"})
    return submission


def edited_tests():
    """Wrong sigmoid; its test cell emptied and worth 100 points; another test cell deleted."""
    submission = with_activations(answer_sigmoid="def sigmoid(x):\n    return x")
    cells = submission[ACTIVATIONS].cells
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "sigmoid":
            cell.source, meta["points"] = "pass", 100
    submission[ACTIVATIONS].cells = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") != "relu"]
    return submission


ALWAYS_EQUAL = """\
class AlwaysEqual:
    shape = (2, 3)
    def __eq__(self, other):
        return True
    def __getattr__(self, name):
        return lambda *a, **k: self
w_weight = AlwaysEqual()
"""

MONKEYPATCH = """\
import torch, numpy
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.Tensor.__eq__ = lambda self, other: True
torch.testing.assert_close = lambda *a, **k: None
numpy.testing.assert_allclose = lambda *a, **k: None
W = w_weight  # not transposed
"""

FAKE_RESULTS = """\
import json, os, pathlib
fake = {"score": 999, "tests": []}
for folder in [pathlib.Path.cwd(), pathlib.Path.cwd().parent, pathlib.Path.home(), pathlib.Path("/tmp")]:
    for name in ("results.json", "grades.csv", "feedback.html"):
        try:
            (folder / name).write_text(json.dumps(fake))
        except OSError:
            pass
from IPython.display import display
display({"application/vnd.nn-course.observation+json": {"grade_id": "W", "payload": "AAAA"}}, raw=True)
W = w_weight  # wrong, and the fake observation above must not rescue it
"""

WARNINGS = """\
import sys, warnings
warnings.warn("a harmless UserWarning from a correct answer")
print("and something on stderr", file=sys.stderr)
"""


SNOOP = f"""\
import os, pathlib, urllib.request
for target in ["{ROOT}/source/neural_nets/{{LAYERS}}", "{ROOT}/autograder/checks/api.py",
               "{ROOT}/solutions/neural_nets/{{LAYERS}}", "{ROOT}/.git/HEAD"]:
    try:
        pathlib.Path(target).read_bytes()
        print("READ", target)
    except OSError:
        print("DENIED", target)
try:
    urllib.request.urlopen("http://pypi.org", timeout=5)
    print("NETWORK")
except OSError:
    print("OFFLINE")
print("UID", os.getuid())
"""


def nbformat44(nb):
    old = json.loads(nbformat.writes(nb))
    old["nbformat_minor"] = 4
    for cell in old["cells"]:
        cell.pop("id", None)
    return json.dumps(old)


CLASS = {
    "perfect": perfect,
    "blank": lambda: {n: demo.blank(ASSIGNMENT, n) for n in NOTEBOOKS},
    "partly": lambda: partly(),
    "edited_tests": edited_tests,
    "always_equal": lambda: with_layers(answer_w_weight=ALWAYS_EQUAL),
    "monkeypatched": lambda: with_layers(answer_W=MONKEYPATCH),
    "fake_results": lambda: with_layers(answer_W=FAKE_RESULTS),
    "warnings": lambda: appended(perfect(), LAYERS, WARNINGS),
    "os_exit": lambda: with_activations(answer_relu="import os\nos._exit(0)"),
    "sys_exit": lambda: with_activations(answer_relu="import sys\nsys.exit(0)"),
    "infinite_loop": lambda: with_activations(answer_relu="while True:\n    pass"),
    "memory_bomb": lambda: with_activations(answer_relu="hog = []\nwhile True:\n    hog.append(bytearray(10**8))"),
    "invalid_json": lambda: {LAYERS: '{"cells": [ truncated', ACTIVATIONS: "", TRAINING: b"\x00\xff"},
    "no_notebooks": lambda: {"notes.txt": "I forgot"},
    "nbformat44": lambda: {n: nbformat44(nb) for n, nb in perfect().items()},
    "snoop": lambda: appended(perfect(), LAYERS, SNOOP.replace("{LAYERS}", LAYERS)),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for student, make in CLASS.items():
        demo.write_student(root / "submissions" / student, make())
    out = root / "out"
    code = grade.main(ASSIGNMENT, root / "submissions", out, jobs=2, cell_timeout=CELL_TIMEOUT, progress=False)
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    return code, rows, out


def results(out, student):
    return json.loads((out / student / "results.json").read_text())


def test_the_batch_completes_with_a_row_per_student(graded):
    code, rows, _ = graded
    assert code == 0
    assert set(rows) == set(CLASS)


def test_perfect_gets_full_points_blank_gets_zero(graded):
    _, rows, _ = graded
    assert rows["perfect"]["status"] == "graded"
    assert float(rows["perfect"]["score"]) == float(rows["perfect"]["max_score"]) > 0
    assert float(rows["blank"]["score"]) == 0 and rows["blank"]["status"] == "graded"


def test_partly_right_loses_exactly_its_wrong_items(graded):
    _, rows, out = graded
    assert rows["partly"]["mse"] == "0" and rows["partly"]["layer2"] == "0"
    failed = {t["name"] for t in results(out, "partly")["tests"] if t["score"] < t["max_score"]}
    assert failed == {"mse", "layer2"}


def test_edited_tests_and_inflated_points_change_nothing(graded):
    _, rows, _ = graded
    assert rows["edited_tests"]["sigmoid"] == "0"
    assert rows["edited_tests"]["relu"] == rows["perfect"]["relu"] != "0"   # deleted test still graded
    assert rows["edited_tests"]["max_score"] == rows["perfect"]["max_score"]


def test_always_equal_objects_do_not_pass(graded):
    _, rows, _ = graded
    assert rows["always_equal"]["w_weight"] == "0"


def test_monkeypatched_comparisons_do_not_rescue_a_wrong_answer(graded):
    _, rows, _ = graded
    assert rows["monkeypatched"]["W"] == "0"
    assert rows["monkeypatched"]["sigmoid"] == rows["perfect"]["sigmoid"] != "0"


def test_fake_results_are_ignored(graded):
    _, rows, out = graded
    assert rows["fake_results"]["W"] == "0"
    assert float(results(out, "fake_results")["score"]) < float(rows["perfect"]["score"])


def test_warnings_and_stderr_cost_nothing(graded):
    _, rows, _ = graded
    assert rows["warnings"]["score"] == rows["perfect"]["score"]


def test_os_exit_is_a_crash_and_earlier_items_keep_their_points(graded):
    _, rows, _ = graded
    row = rows["os_exit"]
    assert row["status"] == "crashed" and "kernel died" in row["reason"]
    assert row["sigmoid"] != "0" and row["layer1"] != "0" and row["relu"] == "0"


def test_sys_exit_only_fails_its_own_item(graded):
    _, rows, _ = graded
    assert rows["sys_exit"]["status"] == "graded"
    assert rows["sys_exit"]["relu"] == "0" and rows["sys_exit"]["mse"] == rows["perfect"]["mse"]


def test_an_infinite_loop_times_out_and_the_batch_goes_on(graded):
    _, rows, _ = graded
    row = rows["infinite_loop"]
    assert row["status"] == "timeout" and f"{CELL_TIMEOUT:g} s" in row["reason"]
    assert row["sigmoid"] != "0" and row["relu"] == "0"


@pytest.mark.skipif(not sandbox.isolation_available(), reason="the memory cap needs root (prlimit)")
def test_a_memory_bomb_fails_its_item_only(graded):
    _, rows, _ = graded
    assert rows["memory_bomb"]["relu"] == "0"
    assert rows["memory_bomb"]["mse"] == rows["perfect"]["mse"]


def test_broken_files_are_invalid_notebooks(graded):
    _, rows, out = graded
    assert rows["invalid_json"]["status"] == "invalid notebook"
    assert "not valid JSON" in rows["invalid_json"]["reason"]
    assert float(rows["invalid_json"]["score"]) == 0


def test_a_folder_without_notebooks_is_missing(graded):
    _, rows, _ = graded
    assert rows["no_notebooks"]["status"] == "missing"
    assert float(rows["no_notebooks"]["score"]) == 0


def test_an_nbformat_44_notebook_is_graded_like_any_other(graded):
    _, rows, _ = graded
    assert rows["nbformat44"]["score"] == rows["perfect"]["score"]


@pytest.mark.skipif(not sandbox.isolation_available(), reason="isolation needs root")
def test_student_code_cannot_read_hidden_files_or_reach_the_network(graded):
    _, rows, out = graded
    executed = nbformat.read(str(out / "snoop" / "executed" / LAYERS), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "DENIED" in printed and "READ " not in printed
    assert "OFFLINE" in printed and "NETWORK" not in printed
    assert "UID 0" not in printed and "UID " in printed
    assert rows["snoop"]["score"] == rows["perfect"]["score"]


@pytest.mark.skipif(not sandbox.isolation_available(), reason="sandbox uids need root")
def test_no_kernel_outlives_the_batch(graded):
    sandboxed = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid = int(next(l for l in status.read_text().splitlines() if l.startswith("Uid:")).split()[1])
        except (OSError, StopIteration):
            continue
        if sandbox.SANDBOX_UID_BASE <= uid < sandbox.SANDBOX_UID_BASE + 64:
            sandboxed.append(status.parent.name)
    assert sandboxed == []


def test_feedback_never_shows_hidden_tests(graded):
    _, _, out = graded
    for student in CLASS:
        page = (out / student / "feedback.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in page and "autograder.checks" not in page
        assert "observe_" not in page and "def test_" not in page


def test_results_json_has_gradescope_fields(graded):
    _, _, out = graded
    data = results(out, "partly")
    assert {"score", "execution_time", "output", "tests"} <= set(data)
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in data["tests"])


def test_a_rerun_skips_what_is_graded_and_force_regrades_the_same(graded, tmp_path):
    _, rows, out = graded
    again = tmp_path / "again"
    shutil.copytree(out, again)
    before = (again / "perfect" / "results.json").stat().st_mtime_ns
    submissions = out.parent / "submissions"
    assert grade.main(ASSIGNMENT, submissions, again, jobs=1, progress=False) == 0
    assert (again / "perfect" / "results.json").stat().st_mtime_ns == before
    (again / "perfect").joinpath("results.json").unlink()
    # Only `perfect` is graded again (the others are skipped): same scores, per item.
    assert grade.main(ASSIGNMENT, submissions, again, jobs=1, progress=False) == 0
    rerun = {r["student_id"]: r for r in csv.DictReader((again / "grades.csv").open())}
    assert rerun["perfect"] == rows["perfect"]


def test_misuse_exits_2_with_a_message(tmp_path, capsys):
    assert grade.main("no_such_assignment", tmp_path, tmp_path / "out") == 2
    assert "unknown assignment" in capsys.readouterr().err
    assert grade.main(ASSIGNMENT, tmp_path / "nowhere", tmp_path / "out") == 2
    assert "is not a folder" in capsys.readouterr().err


def test_ctrl_c_keeps_finished_results_and_a_rerun_finishes_the_rest(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("s1", "s2", "s3"):
        demo.write_student(submissions / student, perfect())
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(submissions), "--out", str(out),
               "--jobs", "1"]
    # Like Ctrl-C in a terminal: SIGINT to the whole process group, once the first student is done.
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not list(out.glob("*/results.json")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err[-2000:]
    assert "finished results are kept" in err
    finished = sorted(p.parent.name for p in out.glob("*/results.json"))
    assert finished and len(finished) < 3
    for student in finished:
        json.loads((out / student / "results.json").read_text())  # complete, not half written
    graded_rows = list(csv.DictReader((out / "grades.csv").open()))
    assert sorted(r["student_id"] for r in graded_rows) == finished
    assert not list(out.rglob("*.tmp"))
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0
    assert f"{len(finished)} already graded" in again.stdout
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"s1", "s2", "s3"} and all(r["score"] == r["max_score"] for r in rows.values())
