"""The students' tool of this handout: check a notebook, and export the file to upload.

    python nncheck.py check [NOTEBOOK ...]     run each notebook in a fresh kernel, then its visible checks
    python nncheck.py export --student NAME    write ASSIGNMENT-NAME.zip, the file to upload

From a notebook cell (save the notebook first: the saved file is what is checked):

    import nncheck
    nncheck.check("01_layers.ipynb")
    nncheck.export("jdoe")

It needs only what requirements.txt installs (nbformat, nbclient, ipykernel): nothing of the
course's grader. The limits, the notebooks' names and their visible checks are in nncheck.json,
written when the handout was built. Your code runs on your own machine without a sandbox: it is
your own code, and the grader's sandbox is there to keep submissions apart, which a check of your
own work does not need.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).absolute().parent
CONFIG = HERE / "nncheck.json"
RUNNING = "NNCHECK_RUNNING"  # set in the kernel of a check: a check cell does not check again
PASSED = "The visible checks pass (the hidden checks decide the points)."  # the grader's words
QUOTE_CHARS = 200  # of an exception's message, as the grader quotes it
STUDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# The grader seeds every generator before a notebook's first cell; so does the check.
SEED = """\
import random as _r
_r.seed(0)
try:
    import numpy as _np
    _np.random.seed(0)
except ImportError:
    pass
try:
    import torch as _t
    _t.manual_seed(0)
    _t.set_num_threads({threads})
except ImportError:
    pass
del _r
"""


class Refused(Exception):
    """The command cannot go on; the message says what is wrong and what to do."""


def config() -> dict:
    try:
        return json.loads(CONFIG.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise Refused(f"cannot read {CONFIG.name} ({err}): unpack the handout's zip again, whole") from None


# ----------------------------------------------------------------------------- reading
def read_notebook(path: Path, max_bytes: int):
    """A submitted notebook as the grader reads it, or Refused naming what is wrong with it."""
    import nbformat

    if not path.is_file():
        raise Refused(f"{path.name} is missing (looked for {path}): keep the file name you were given")
    size = path.stat().st_size
    if size > max_bytes:
        raise Refused(
            f"{path.name} is {size / 2**20:.1f} MB, above the {max_bytes / 2**20:.0f} MB the grader reads: "
            "clear large outputs (Edit > Clear Outputs of All Cells), save, and try again"
        )
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise Refused(f"{path.name} is not UTF-8 text ({err.reason}): open it in JupyterLab and save it") from None
    except json.JSONDecodeError as err:
        raise Refused(
            f"{path.name} is not valid JSON (line {err.lineno}: {err.msg}): open it in JupyterLab, "
            "save it, and try again (or start again from the handout's copy)"
        ) from None
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        raise Refused(f"{path.name} is not a Jupyter notebook in format 4: save it from JupyterLab")
    try:
        return nbformat.reads(json.dumps(raw), as_version=4)
    except (nbformat.ValidationError, KeyError, TypeError) as err:
        raise Refused(f"{path.name} is not a valid notebook ({type(err).__name__}): save it from JupyterLab") from None


def is_test_cell(cell, ids: set[str]) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    graded_code = cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution")
    return bool(graded_code) or meta.get("grade_id") in ids


# ----------------------------------------------------------------------------- the plan
def locate(cells: list, item: dict, start: int) -> int | None:
    """Where the item's test goes, found as the grader finds it: after the student's copy of the
    cell before it (same id, else same grade_id, else same code, else the exercise's answer cell)."""
    cell_id, gid, code = item["before"]
    gids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
    rules = (
        lambda i: cell_id is not None and cells[i].get("id") == cell_id,
        lambda i: gid is not None and gids[i] == gid,
        lambda i: bool(code.strip()) and cells[i].source == code,
        lambda i: item["anchor"] is not None and gids[i] == item["anchor"],
    )
    for rule in rules:
        found = [i for i in range(len(cells)) if rule(i)]
        if found:
            return next((i for i in found if i >= start), found[0])
    return None


def plan(nb, items: list[dict]) -> dict[int, dict]:
    """The student's cells with the handout's own test cells put back in place (edits to the test
    cells change nothing); returns cell index -> item."""
    from nbformat.v4 import new_code_cell

    ids = {item["grade_id"] for item in items}
    nb.cells = [c for c in nb.cells if not is_test_cell(c, ids)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    placed, last = [], -1.0
    for order, item in enumerate(items):
        where = locate(nb.cells, item, int(last) + 1)
        last = max(last, float(where) if where is not None else last)
        placed.append((last + 0.5, order, new_code_cell(item["code"]), item))
    cells = [(float(i), -1, c, None) for i, c in enumerate(nb.cells)] + placed
    cells.sort(key=lambda t: (t[0], t[1]))
    nb.cells = [c for _, _, c, _ in cells]
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    nb.nbformat_minor = max(nb.get("nbformat_minor", 5), 5)
    return {index: item for index, (_, _, _, item) in enumerate(cells) if item is not None}


# ----------------------------------------------------------------------------- running
def kernel_manager(folder: str):
    """A kernel of this very Python (not whatever `python3` kernel Jupyter knows of)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = Path(folder) / "nncheck"
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "nncheck", "language": "python"}))
    # Over local sockets where there are some (not on Windows): no unencrypted TCP port.
    sockets = {} if sys.platform == "win32" else {"transport": "ipc", "ip": f"{folder}/kernel"}
    specs = KernelSpecManager(kernel_dirs=[folder])
    return AsyncKernelManager(kernel_name="nncheck", kernel_spec_manager=specs, **sockets)


def kernel_env(cores: int) -> dict[str, str]:
    threads = str(cores)
    return {
        **os.environ,
        RUNNING: "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "CUDA_VISIBLE_DEVICES": "",
        "NN_COURSE_PICTURES": "0",  # the notebooks' static pictures: the grader draws none either
    }


def pin(cores: int) -> str:
    """Keep this process and its kernel on `cores` CPU cores, as the grader does (Linux only;
    elsewhere torch's threads are limited and the cores are not)."""
    if not hasattr(os, "sched_setaffinity"):
        return f"{cores} torch thread(s)"
    mine = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, mine[:cores])
    return f"{min(cores, len(mine))} core(s), {cores} torch thread(s)"


def run(path: Path, cfg: dict, deadline: float) -> tuple[list[tuple[dict, bool, str]], str]:
    """Run one notebook under the grader's limits: [(item, passed, message)], and why it stopped."""
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = read_notebook(path, cfg["max_notebook_bytes"])
    items = cfg["items"][path.name]
    test_at = plan(nb, items)
    limits = cfg["limits"]
    cell_timeout = float(limits["cell_timeout"])
    stopped, what = "", f"{path.name}, before its first cell (the grader seeds the random generators)"

    def limit() -> int:
        return max(1, int(min(cell_timeout, deadline - time.monotonic()) + 0.999))

    with tempfile.TemporaryDirectory(prefix="nncheck-") as folder:
        km = kernel_manager(folder)
        client = NotebookClient(nb, km=km, timeout=limit(), allow_errors=True, interrupt_on_timeout=False)
        try:
            with client.setup_kernel(cwd=str(path.parent), env=kernel_env(int(limits["cores"]))):
                try:
                    seed = SEED.format(threads=int(limits["cores"]))
                    run_sync(client.kc.execute_interactive)(seed, silent=True, store_history=False, timeout=limit())
                    for index, cell in enumerate(nb.cells):
                        if cell.cell_type != "code":
                            continue
                        if deadline <= time.monotonic():
                            cell_name = where(nb, test_at, index, path.name)
                            stopped = f"the submission's total time limit ran out before {cell_name}"
                            break
                        client.timeout = limit()
                        what = where(nb, test_at, index, path.name)
                        client.execute_cell(cell, index)
                except (CellTimeoutError, TimeoutError):
                    stopped = (
                        f"{what} was still running when the submission's total time limit ran out"
                        if client.timeout < cell_timeout
                        else f"{what} ran longer than the {cell_timeout:g} s a cell may run"
                    )
                except DeadKernelError:
                    stopped = f"the kernel died in {what} (exit(), os._exit(), a crash, or the memory limit)"
        finally:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
    return [(item, *verdict(nb.cells[index], stopped)) for index, item in sorted(test_at.items())], stopped


def where(nb, test_at: dict, index: int, name: str = "") -> str:
    """A cell's name in the grader's words: the test cell of an item, or the student's cell number."""
    prefix = f"{name}, " if name else ""
    if index in test_at:
        return f"{prefix}the test cell of {test_at[index]['grade_id']}"
    number = sum(1 for i in range(index + 1) if i not in test_at)
    gid = nb.cells[index].get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"{prefix}cell {number}" + (f" ({gid})" if gid else "")


def quote(text) -> str:
    shown = " ".join(str(text).split())
    return shown if len(shown) <= QUOTE_CHARS else shown[: QUOTE_CHARS - 1].rstrip() + "…"


def verdict(cell, stopped: str) -> tuple[bool, str]:
    """(passed, message) of an item's test cell after the run, in the grader's words."""
    if cell.get("execution_count") is None:
        return False, "Not run: the notebook stopped before this item " + (
            f"({stopped})." if stopped else "(see the submission's status)."
        )
    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
    if error is not None:
        text = f"The visible checks failed: {quote(error.get('ename', ''))}: {quote(error.get('evalue', ''))}"
        return False, text.strip()
    return True, PASSED


# ----------------------------------------------------------------------------- the commands
def notebooks_given(names: list[str] | None, cfg: dict) -> list[Path]:
    known = cfg["notebooks"]
    paths = [Path(n) for n in names] if names else [HERE / n for n in known]
    for path in paths:
        if path.name not in known:
            raise Refused(f"{path.name} is not one of this assignment's notebooks ({', '.join(known)})")
    return paths


def check_main(names: list[str] | None = None) -> int:
    cfg = config()
    paths = notebooks_given(names, cfg)
    limits = cfg["limits"]
    where_run = pin(int(limits["cores"]))
    print(
        f"checking {len(paths)} notebook(s) of {cfg['assignment']} in a fresh kernel, with the grader's limits: "
        f"{limits['cell_timeout']:g} s per cell, {limits['total_timeout']:g} s in all, {where_run}",
        flush=True,
    )
    started = time.monotonic()
    deadline = started + float(limits["total_timeout"])
    total = passed = points = max_points = 0
    for path in paths:
        results, stopped = run(path, cfg, deadline)
        print(f"\n{path.name}" + (f"  (stopped: {stopped})" if stopped else ""))
        for item, ok, message in results:
            pts = f"{item['points']:g} pt" + ("s" if item["points"] != 1 else "")
            print(f"  {'PASS' if ok else 'FAIL'}  {item['grade_id']} ({pts})" + ("" if ok else f": {message}"))
            total, passed = total + 1, passed + ok
            max_points, points = max_points + item["points"], points + (item["points"] if ok else 0)
    print(
        f"\n{passed}/{total} items pass their visible checks ({points:g}/{max_points:g} points) "
        f"in {time.monotonic() - started:.0f} s; the hidden checks decide the points when the course grades"
    )
    return 0 if passed == total else 1


def out_of_order(nb) -> bool:
    """Outputs that do not come from one top-to-bottom run: execution counts not increasing."""
    counts = [c.get("execution_count") for c in nb.cells if c.get("cell_type") == "code"]
    ran = [c for c in counts if c is not None]
    return any(b <= a for a, b in zip(ran, ran[1:])) or (bool(ran) and None in counts[: counts.index(ran[-1])])


def export_main(student: str, folder: Path | None = None, out: Path | None = None) -> int:
    cfg = config()
    if not STUDENT.fullmatch(student or ""):
        raise Refused(
            f"--student {student!r}: give your course login (letters, digits, '.', '_' or '-'), "
            "e.g. python nncheck.py export --student jdoe"
        )
    folder = Path(folder or HERE)
    manifest = {"assignment": cfg["assignment"], "student": student, "notebooks": {}}
    contents = {}
    for name in cfg["notebooks"]:
        nb = read_notebook(folder / name, cfg["max_notebook_bytes"])
        data = (folder / name).read_bytes()
        contents[name] = data
        manifest["notebooks"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        if out_of_order(nb):
            print(
                f"warning: {name}'s outputs do not come from one run from top to bottom (execution counts out "
                "of order): the grader runs it from the top in a fresh kernel; Kernel > Restart Kernel and "
                "Run All Cells, then save, shows what it will see",
                file=sys.stderr,
            )
    manifest["created_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    target = Path(out or Path.cwd()) / f"{cfg['assignment']}-{student}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {target}: upload this file ({', '.join(contents)} and manifest.json)")
    return 0


# ----------------------------------------------------------------------------- from a notebook cell
def _in_subprocess(args: list[str]) -> int:
    """Run a command in a process of its own (a fresh kernel is started from there, not from
    the notebook's), printing what it prints."""
    if os.environ.get(RUNNING):
        print("nncheck: skipped inside a check run (this cell calls nncheck itself)")
        return 0
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True)
    print(done.stdout + done.stderr, end="")
    return done.returncode


def check(*notebooks: str) -> int:
    """From a cell: check the saved notebooks (default: all of the assignment's) and print the table."""
    return _in_subprocess(["check", *notebooks])


def export(student: str) -> int:
    """From a cell: write ASSIGNMENT-STUDENT.zip next to the notebooks (save them first)."""
    return _in_subprocess(["export", "--student", student, "--out", str(Path.cwd())])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python nncheck.py", description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="verb", required=True)
    c = verbs.add_parser("check", help="run notebooks in a fresh kernel, then their visible checks")
    c.add_argument("notebooks", nargs="*", help="default: every notebook of the assignment, next to nncheck.py")
    e = verbs.add_parser("export", help="write ASSIGNMENT-STUDENT.zip, the file to upload")
    e.add_argument("--student", required=True, help="your course login, as in the file's name")
    e.add_argument("--dir", type=Path, help="where your notebooks are (default: next to nncheck.py)")
    e.add_argument("--out", type=Path, help="where the zip goes (default: the current folder)")
    args = p.parse_args(argv)
    try:
        if args.verb == "check":
            return check_main(args.notebooks)
        return export_main(args.student, args.dir, args.out)
    except Refused as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
