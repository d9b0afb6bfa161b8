"""The crafted class: one submission per behaviour, honest or hostile, that the grader must
handle as a TA would expect. Shared by the tests of local grading (test_grade.py) and of grading
on a Dask cluster (test_cluster.py)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from autograder import demo
from autograder.paths import RELEASE, ROOT

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
    submission[ACTIVATIONS] = demo.answered(
        ASSIGNMENT, ACTIVATIONS, {"answer_mse": "def mse(y_pred, y):\n    return ((y_pred - y) ** 2).sum()"}
    )
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
REFERENCE_THIEF = (
    SNOOP_KERNEL
    + """\
import gc, sys
stolen = [o for o in gc.get_objects() if callable(o) and getattr(o, "__name__", "") == "_reference_one_epoch"]
stolen += [m._reference_one_epoch for n, m in list(sys.modules.items()) if hasattr(m, "_reference_one_epoch")]
def one_epoch(*args):
    if stolen:
        return stolen[0](*args)
    raise NotImplementedError
"""
)

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
    cells.append(
        new_code_cell('print("FORGED TEST RAN")', metadata={"autograder_probe": {"role": "test", "grade_id": "W"}})
    )
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

# Messages that nbclient would trip on, sent the way ipykernel sends its own (the backslash joins
# two lines here: the cell has the `for` on one line).
MALFORMED_MESSAGES = """\
kernel = get_ipython().kernel
for content in ({"name": "stdout", "text": 5}, {"data": [], "metadata": {}},\
 {"ename": "E", "evalue": "v", "traceback": 5}):
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
    "reference_thief": lambda: with_training(answer_standardize=STASHING_STANDARDIZE, answer_one_epoch=REFERENCE_THIEF),
    "forged_roles": forged_roles,
    "exfiltrate": lambda: with_activations(answer_tanh=EXFILTRATE),
    "print_flood": lambda: appended(perfect(), LAYERS, PRINT_FLOOD),
    "tensor_subclass": lambda: with_layers(answer_W=TENSOR_SUBCLASS),
    "forging_sigmoid": lambda: with_activations(answer_sigmoid=FORGING_SIGMOID),
    "malformed_messages": lambda: appended(perfect(), LAYERS, MALFORMED_MESSAGES),
}
LINKED = ("symlinked",)  # made by `symlinked`, after the others


def marked(marker: str) -> str:
    """An answer cell that leaves `marker` in its working folder, then waits (for a killer)."""
    return f"import pathlib, time\npathlib.Path({marker!r}).touch()\ntime.sleep(120)\n"


VICTIM = marked("VICTIM")


def kill_workers_grading(marker: str, stop, times: int | None = None, killed: set | None = None) -> None:
    """Kill (SIGKILL) the grading worker of any kernel whose working folder (seen through
    /proc/<pid>/cwd, which reaches into its sandbox) holds `marker`, at most `times` times: the
    worker is the kernel's nearest ancestor that multiprocessing started (a pool worker, or a Dask
    worker process started by its nanny). The pids killed are added to `killed`."""
    import os
    import signal
    import time

    def parent(pid):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])

    killed = set() if killed is None else killed
    while not stop.is_set() and (times is None or len(killed) < times):
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if not (proc / "cwd" / marker).exists():
                    continue
                pid = int(proc.name)
                while b"multiprocessing" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pid = parent(pid)
                if pid not in killed:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.2)
