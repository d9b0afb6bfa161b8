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

from autograder import demo, execute, grade, scrub, slots
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
for target in ["{ROOT}/source/neural_nets/{{LAYERS}}", "{ROOT}/autograder/checks/grader/api.py",
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


# ----------------------------------------------------------------------------- white-box attacks
# Looks everywhere a kernel keeps things for what earlier probes left: modules, history, IPython's
# and ipykernel's memory of the last request, linecache, live objects. The words it looks for (the
# checks' package, the observers of the items probed so far) are built at run time, so that this
# cell does not find itself.
SNOOP_KERNEL = """\
import gc, linecache, sys
GRADER, CHECKS = "auto" + "grader", "auto" + "grader.checks"
OBSERVERS = ["observe" + "_" + g for g in ("NeuralNet", "standardize", "unstandardize", "X_all", "split",
                                           "NeuralNetData", "train_dataloader")]
found = set()
def look(text, where):
    if CHECKS in text or "def " + "test_" in text or any(o in text for o in OBSERVERS):
        found.add(where)
found.update("sys.modules: " + n for n in sys.modules if n == GRADER or n.startswith(GRADER + "."))
ip = get_ipython()
for where, texts in [("In", In), ("_ih", _ih), ("Out", map(repr, Out.values())),
                     ("linecache", ("".join(e[2]) for e in linecache.cache.values() if len(e) > 2)),
                     ("last_execution_result", [str(ip.last_execution_result.info.raw_cell)]),
                     ("parent", [str(ip.kernel.get_parent())]), ("globals", list(globals()))]:
    for text in texts:
        look(text, where)
for obj in gc.get_objects():
    try:
        if getattr(obj, "__module__", "") and str(obj.__module__).startswith(GRADER):
            found.add("gc: " + repr(obj)[:80])
        code = getattr(obj, "__code__", None)
        if code is not None and code.co_filename.startswith("<" + GRADER):
            found.add("gc code: " + code.co_name)
        if isinstance(obj, dict) and any(k in obj for k in OBSERVERS):
            found.add("gc dict")
    except Exception:
        pass
for frame_globals in STASH:
    look(" ".join(map(str, frame_globals)), "stashed frame")
print("LEAK", sorted(found)) if found else print("CLEAN")
"""

# standardize, correct, that also keeps the frames of whoever calls it (the hidden check).
STASHING_STANDARDIZE = """\
import sys
STASH = []
def standardize(data):
    if not isinstance(data, torch.Tensor):
        raise TypeError("standardize expects a torch.Tensor")
    frame = sys._getframe(1)
    while frame is not None:
        STASH.append(frame.f_globals)
        frame = frame.f_back
    column_mu, column_sigma = data.mean(dim=0), data.std(dim=0)
    return (data - column_mu) / column_sigma, column_mu, column_sigma
"""

# What the old engine let through: the reference one_epoch, taken from the check module the probes
# had installed in sys.modules, or from any live object.
REFERENCE_THIEF = SNOOP_KERNEL + """\
import gc, sys
stolen = [o for o in gc.get_objects() if callable(o) and getattr(o, "__name__", "") == "_reference_one_epoch"]
stolen += [m._reference_one_epoch for n, m in list(sys.modules.items()) if hasattr(m, "_reference_one_epoch")]
def one_epoch(*args):
    if stolen:
        return stolen[0](*args)
    raise NotImplementedError
"""

# A wrong W (twice the right values) whose visible checks pass, then two cells that claim to be the
# grader's: a test cell for W and a probe cell that publishes a well-formed observation of a right W.
FORGED_PROBE = """\
import base64, io, torch
from IPython.display import display
buffer = io.BytesIO()
torch.save({"ok": True, "data": {"W": w_weight.detach().T.clone(), "weight": w_weight.detach().clone()}}, buffer)
display({"application/vnd.nn-course.observation+json":
         {"grade_id": "W", "payload": base64.b64encode(buffer.getvalue()).decode()}}, raw=True)
print("FORGED PROBE RAN")
"""


def forged_roles():
    submission = with_layers(answer_W="W = 2 * w_weight.T")
    cells = submission[LAYERS].cells
    cells.append(new_code_cell('print("FORGED TEST RAN")',
                               metadata={"autograder_probe": {"role": "test", "grade_id": "W"}}))
    cells.append(new_code_cell(FORGED_PROBE, metadata={"autograder_probe": {"role": "probe", "grade_id": "W"}}))
    return submission


# Attack 3: the message of an exception raised in a visible test cell carries all the kernel's
# history (where the old engine's probes were), many times over, under a class name of 10,000 letters.
EXFILTRATE = """\
class Exfiltrate(Exception):
    pass
Exfiltrate.__name__ = "E" * 10_000
def tanh(x):
    raise Exfiltrate("\\n".join(In) * 100)
"""

# A sigmoid whose every call publishes an observation of its own, from inside the hidden check.
FORGING_SIGMOID = """\
from IPython.display import display
def sigmoid(x):
    display({"application/vnd.nn-course.observation+json": {"grade_id": "sigmoid", "payload": "AAAA"}}, raw=True)
    return 1 / (1 + torch.exp(-x))
"""

# Messages that nbclient would trip on, sent the way ipykernel sends its own.
MALFORMED_MESSAGES = """\
kernel = get_ipython().kernel
for content in ({"name": "stdout", "text": 5}, {"data": [], "metadata": {}}, {"ename": "E", "evalue": "v", "traceback": 5}):
    kind = "stream" if "name" in content else "display_data" if "data" in content else "error"
    kernel.session.send(kernel.iopub_socket, kind, content, parent=kernel.get_parent("shell"))
print("SENT")
"""

PRINT_FLOOD = """\
for _ in range(40_000):
    print("x" * 1_000)
"""

TENSOR_SUBCLASS = """\
class Sneaky(torch.Tensor):
    pass
W = w_weight.detach().T.clone().as_subclass(Sneaky)
"""


def with_training(**replace):
    submission = perfect()
    submission[TRAINING] = demo.answered(ASSIGNMENT, TRAINING, replace)
    return submission


def symlinked(root: Path, student: str) -> None:
    """A student folder whose notebooks are links to another student's."""
    folder = root / student
    folder.mkdir(parents=True)
    for name in NOTEBOOKS:
        (folder / name).symlink_to(root / "perfect" / name)


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
    "reference_thief": lambda: with_training(answer_standardize=STASHING_STANDARDIZE,
                                             answer_one_epoch=REFERENCE_THIEF),
    "forged_roles": forged_roles,
    "exfiltrate": lambda: with_activations(answer_tanh=EXFILTRATE),
    "print_flood": lambda: appended(perfect(), LAYERS, PRINT_FLOOD),
    "tensor_subclass": lambda: with_layers(answer_W=TENSOR_SUBCLASS),
    "forging_sigmoid": lambda: with_activations(answer_sigmoid=FORGING_SIGMOID),
    "malformed_messages": lambda: appended(perfect(), LAYERS, MALFORMED_MESSAGES),
}
LINKED = ("symlinked",)  # made by `symlinked`, after the others


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for student, make in CLASS.items():
        demo.write_student(root / "submissions" / student, make())
    for student in LINKED:
        symlinked(root / "submissions", student)
    out = root / "out"
    code = grade.main(ASSIGNMENT, root / "submissions", out, jobs=2, cell_timeout=CELL_TIMEOUT, progress=False)
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    return code, rows, out


def results(out, student):
    return json.loads((out / student / "results.json").read_text())


def test_the_batch_completes_with_a_row_per_student(graded):
    code, rows, _ = graded
    assert code == 0
    assert set(rows) == set(CLASS) | set(LINKED)


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


def test_student_code_cannot_read_hidden_files_or_reach_the_network(graded):
    _, rows, out = graded
    executed = nbformat.read(str(out / "snoop" / "executed" / LAYERS), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "DENIED" in printed and "READ " not in printed
    assert "OFFLINE" in printed and "NETWORK" not in printed
    assert "UID 0" not in printed and "UID " in printed
    assert rows["snoop"]["score"] == rows["perfect"]["score"]


def test_no_kernel_or_zygote_outlives_the_batch(graded):
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"kernel_factory" in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            continue
    assert left == []


def test_feedback_never_shows_hidden_tests(graded):
    _, _, out = graded
    for student in [*CLASS, *LINKED]:
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


# ----------------------------------------------------------------------------- the trust boundary
def executed_text(out, student, notebook):
    executed = nbformat.read(str(out / student / "executed" / notebook), as_version=4)
    return executed, "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))


def test_nothing_of_the_grader_stays_in_the_kernel_after_a_probe(graded):
    _, rows, out = graded
    _, printed = executed_text(out, "reference_thief", TRAINING)
    assert "CLEAN" in printed and "LEAK" not in printed, printed[-3000:]
    assert rows["reference_thief"]["one_epoch"] == "0"
    assert rows["reference_thief"]["standardize"] == rows["perfect"]["standardize"] != "0"


def test_student_cells_with_grader_metadata_change_nothing_and_stay_visible(graded):
    _, rows, out = graded
    assert rows["forged_roles"]["W"] == "0"
    assert rows["forged_roles"]["layer1"] == rows["perfect"]["layer1"] != "0"
    executed, printed = executed_text(out, "forged_roles", LAYERS)
    assert "FORGED TEST RAN" in printed and "FORGED PROBE RAN" in printed
    sources = [c.source for c in executed.cells]
    assert 'print("FORGED TEST RAN")' in sources and FORGED_PROBE in sources


def test_exception_text_reaching_the_student_is_bounded_and_carries_no_hidden_check(graded):
    _, rows, out = graded
    assert rows["exfiltrate"]["tanh"] == "0"
    tanh = next(t for t in results(out, "exfiltrate")["tests"] if t["name"] == "tanh")
    assert "The visible checks failed" in tanh["output"] and len(tanh["output"]) <= scrub.MESSAGE_CHARS
    page = (out / "exfiltrate" / "feedback.html").read_text()
    assert len(page) < 20_000
    for secret in ("observe_", "autograder", "def test_", "BEGIN HIDDEN"):
        assert secret not in page and secret not in json.dumps(results(out, "exfiltrate"))


def test_output_is_bounded_while_the_notebook_runs(graded):
    _, rows, out = graded
    assert rows["print_flood"]["score"] == rows["perfect"]["score"]
    _, printed = executed_text(out, "print_flood", LAYERS)
    assert "dropped by the grader" in printed
    assert (out / "print_flood" / "executed" / LAYERS).stat().st_size < 2 * execute.CELL_OUTPUT_CHARS


def test_a_tensor_subclass_fails_its_item_cleanly(graded):
    _, rows, out = graded
    row = rows["tensor_subclass"]
    assert row["status"] == "graded" and row["W"] == "0"
    assert row["layer1"] == rows["perfect"]["layer1"] != "0" and row["sigmoid"] == rows["perfect"]["sigmoid"]
    w = next(t for t in results(out, "tensor_subclass")["tests"] if t["name"] == "W")
    assert "plain torch tensors" in w["output"]


def test_a_symbolic_link_to_another_students_work_is_refused(graded):
    _, rows, _ = graded
    row = rows["symlinked"]
    assert row["status"] == "invalid notebook" and "symbolic link" in row["reason"]
    assert float(row["score"]) == 0


# ----------------------------------------------------------------------------- faults and re-runs
VICTIM = """\
import pathlib, time
pathlib.Path("VICTIM").touch()
time.sleep(120)
"""


def kill_workers_grading_the_victim(stop) -> None:
    """Kill (SIGKILL) the grading worker of any kernel whose working folder (seen through
    /proc/<pid>/cwd, which reaches into its sandbox) holds the victim's marker: the worker is the
    kernel's nearest ancestor that multiprocessing started."""
    import os
    import signal
    import time

    def parent(pid):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])

    while not stop.is_set():
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if not (proc / "cwd" / "VICTIM").exists():
                    continue
                pid = int(proc.name)
                while b"multiprocessing" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pid = parent(pid)
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.2)


def test_a_dead_worker_costs_only_the_submission_it_was_grading(tmp_path):
    import threading

    submissions, out = tmp_path / "submissions", tmp_path / "out"
    demo.write_student(submissions / "victim", with_layers(answer_layer1=VICTIM))
    for student in ("bystander1", "bystander2"):
        demo.write_student(submissions / student, perfect())
    stop = threading.Event()
    killer = threading.Thread(target=kill_workers_grading_the_victim, args=(stop,), daemon=True)
    killer.start()
    try:
        assert grade.main(ASSIGNMENT, submissions, out, jobs=2, progress=False) == 0
    finally:
        stop.set()
        killer.join()
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["victim"]["status"] == "crashed" and "worker died" in rows["victim"]["reason"]
    for student in ("bystander1", "bystander2"):
        assert rows[student]["status"] == "graded" and rows[student]["score"] == rows[student]["max_score"]


def test_the_digest_that_skips_graded_work_covers_the_whole_engine(tmp_path, monkeypatch):
    spec = grade.load_assignment(ASSIGNMENT)
    engine = tmp_path / "autograder"
    shutil.copytree(grade.ENGINE, engine, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(grade, "ENGINE", engine)
    before = spec.digest()
    for changed in ("checks/kernel/api.py", "checks/grader/api.py", "config.py", "probe.py", "scrub.py"):
        path = engine / changed
        path.write_text(path.read_text() + "\n# changed\n")
        assert spec.digest() != before, changed
        before = spec.digest()


# ----------------------------------------------------------------------------- cores per slot
# 64 torch threads, and 4 spinning processes, each in a session of its own (so that the kernel's
# scheduler does not group them with the notebook's kernel), on every core it can get.
HOG = """\
import os, subprocess, sys, time, torch
print("THREADS", torch.get_num_threads(), "CORES", sorted(os.sched_getaffinity(0)))
torch.set_num_threads(64)
spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(4)]
print("SPINNER CORES", sorted(os.sched_getaffinity(spinners[0].pid)))
a = torch.randn(800, 800)
end = time.monotonic() + 45
while time.monotonic() < end:
    a @ a
for spinner in spinners:
    spinner.kill()
"""


def test_a_notebook_that_asks_for_every_core_slows_only_its_own_slot(tmp_path):
    """The victim (a perfect submission) graded beside a hog (64 torch threads and 4 spinning
    processes) takes about as long as graded alone, each with one core of its own. The bound is a
    ratio of the same machine's two runs, with room for noise; bench/ records the figure."""
    hog = perfect()
    hog[LAYERS].cells.insert(0, new_code_cell(HOG))
    demo.write_student(tmp_path / "batch" / "hog", hog)
    demo.write_student(tmp_path / "batch" / "victim", perfect())
    demo.write_student(tmp_path / "alone" / "victim", perfect())
    assert grade.main(ASSIGNMENT, tmp_path / "batch", tmp_path / "batch_out", jobs=2, progress=False) == 0
    assert grade.main(ASSIGNMENT, tmp_path / "alone", tmp_path / "alone_out", jobs=1, progress=False) == 0
    beside_hog = results(tmp_path / "batch_out", "victim")
    alone = results(tmp_path / "alone_out", "victim")
    assert beside_hog["score"] == alone["score"] == beside_hog["max_score"]
    ratio = beside_hog["execution_time"] / alone["execution_time"]
    assert ratio < 1.5, f"graded beside the hog: {beside_hog['execution_time']} s, alone: {alone['execution_time']} s"
    _, printed = executed_text(tmp_path / "batch_out", "hog", LAYERS)
    cores = slots.machine_cores()
    assert f"THREADS 1 CORES [{cores[0]}]" in printed or f"THREADS 1 CORES [{cores[1]}]" in printed, printed
    hog_core = printed.split("CORES ")[1].split("\n")[0]
    assert f"SPINNER CORES {hog_core}" in printed
    timing = beside_hog["extra_data"]["timing"]
    assert set(timing) == set(NOTEBOOKS) and all(t["seconds"] >= t["slowest_cell_seconds"] > 0 for t in timing.values())


def test_an_observation_published_by_student_code_during_a_check_makes_the_item_fail(graded):
    _, rows, out = graded
    assert rows["forging_sigmoid"]["sigmoid"] == "0" and rows["forging_sigmoid"]["tanh"] == rows["perfect"]["tanh"]
    sigmoid = next(t for t in results(out, "forging_sigmoid")["tests"] if t["name"] == "sigmoid")
    assert "published output in the format" in sigmoid["output"]


def test_malformed_kernel_messages_are_dropped_not_fatal(graded):
    _, rows, out = graded
    _, printed = executed_text(out, "malformed_messages", LAYERS)
    assert "SENT" in printed
    assert rows["malformed_messages"]["status"] == "graded"
    assert rows["malformed_messages"]["score"] == rows["perfect"]["score"]
