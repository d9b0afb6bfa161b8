"""Execute one planned notebook in a sandboxed kernel and judge its items.

Limits are explicit: a per-cell timeout, a deadline for the whole submission, a dead-kernel check
after every cell. The judging happens here, in the grader's process, from observations only.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .checks import items, verdict
from .checks.api import OBSERVATION_MIME, CheckFailed, decode
from .merge import PROBE, Plan

# Statuses, from best to worst; a submission gets the worst of its notebooks'.
GRADED, MISSING, INVALID, CRASHED, TIMEOUT, ERROR = (
    "graded", "missing", "invalid notebook", "crashed", "timeout", "grader error")
SEVERITY = (GRADED, MISSING, INVALID, CRASHED, TIMEOUT, ERROR)
MAX_OUTPUT_CHARS = 20_000  # per output kept in the executed copy TAs read


@dataclass
class ItemResult:
    grade_id: str
    notebook: str
    max_score: float
    score: float = 0.0
    passed: bool = False
    message: str = ""


@dataclass
class NotebookRun:
    notebook: str
    status: str = GRADED
    reason: str = ""
    seconds: float = 0.0
    items: list[ItemResult] = field(default_factory=list)
    executed: nbformat.NotebookNode | None = None


@contextlib.contextmanager
def kernel_session(client: NotebookClient, **kwargs):
    """Run `client`'s kernel for the duration of the block. nbclient leaves a kernel manager it
    was given (and its kernel) running: shut the kernel down here, whatever happened."""
    try:
        with client.setup_kernel(**kwargs):
            yield
    finally:
        if client.km is not None and client.km.has_kernel:
            run_sync(client.km.shutdown_kernel)(now=True)


def local_kernel_manager(socket_dir: str) -> AsyncKernelManager:
    """A kernel for unsandboxed runs (students' checks, reference solutions), over ipc sockets in
    `socket_dir` rather than unencrypted TCP. Async, as nbclient needs: a blocking client's
    output polling would stall nbclient's timeout and dead-kernel checks."""
    return AsyncKernelManager(transport="ipc", ip=f"{socket_dir}/kernel")


def run_plan(plan: Plan, km: AsyncKernelManager, *, cwd: str, env: dict | None, cell_timeout: float,
             deadline: float, startup_timeout: float = 120.0) -> NotebookRun:
    """Execute `plan` cell by cell until it ends, a cell times out, the deadline passes or the
    kernel dies; then judge every item from what ran."""
    run = NotebookRun(plan.notebook)
    started = time.monotonic()
    client = NotebookClient(plan.nb, km=km, timeout=cell_timeout, startup_timeout=startup_timeout,
                            allow_errors=True, interrupt_on_timeout=False, record_timing=True,
                            shutdown_kernel="immediate")
    # env=None: the kernel inherits this process's environment (a student's own check).
    with kernel_session(client, cwd=cwd, **({} if env is None else {"env": env})):
        for index, cell in enumerate(plan.nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                run.status, run.reason = TIMEOUT, "the submission ran out of its total time limit"
                break
            client.timeout = max(1, math.ceil(min(cell_timeout, remaining)))  # nbclient takes whole seconds
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                total = client.timeout < cell_timeout
                run.status = TIMEOUT
                run.reason = (f"{where(plan, index)} was still running when the submission's total "
                              "time limit ran out" if total else
                              f"{where(plan, index)} ran longer than the {cell_timeout:g} s a cell may run")
                break
            except DeadKernelError:
                run.status = CRASHED
                run.reason = (f"the kernel died in {where(plan, index)} (exit(), os._exit(), a crash, "
                              "or the memory limit)")
                break
    run.seconds = time.monotonic() - started
    run.items = judge(plan, run)
    run.executed = for_reading(plan.nb)
    return run


def where(plan: Plan, index: int) -> str:
    """A cell's name for a message: the graded item it belongs to, or its position."""
    meta = plan.nb.cells[index].metadata
    gid = meta.get(PROBE, {}).get("grade_id") or meta.get("nbgrader", {}).get("grade_id")
    student_cells = [c for c in plan.nb.cells[: index + 1] if PROBE not in c.metadata]
    return f"{plan.notebook}, cell {len(student_cells)}" + (f" ({gid})" if gid else "")


def role_cells(plan: Plan, role: str) -> dict:
    return {c.metadata[PROBE]["grade_id"]: c for c in plan.nb.cells
            if c.metadata.get(PROBE, {}).get("role") == role}


def first_error(cell) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)


def observation(cell, grade_id: str) -> dict | None:
    """The first observation for this item in its probe cell's outputs (later ones are ignored)."""
    for output in cell.get("outputs", []):
        data = output.get("data", {}).get(OBSERVATION_MIME) if output.output_type == "display_data" else None
        if isinstance(data, dict) and data.get("grade_id") == grade_id:
            return decode(str(data.get("payload", "")))
    return None


def judge_item(test, test_cell, probe_cell, catalog, hidden: bool = True) -> tuple[bool, str]:
    if test_cell is None or test_cell.get("execution_count") is None:
        return False, "Not run: the notebook stopped before this item (see the submission's status)."
    error = first_error(test_cell)
    if error is not None:
        return False, f"The visible checks failed: {error.get('ename')}: {error.get('evalue')}".strip()
    if not hidden:
        return True, "The visible checks pass (the hidden checks decide the points)."
    if probe_cell is None or probe_cell.get("execution_count") is None:
        return False, "Not run: the notebook stopped before this item's hidden check."
    try:
        observed = observation(probe_cell, test.grade_id)
    except CheckFailed as failure:
        return False, str(failure)
    if observed is None:
        reason = first_error(probe_cell)
        return False, ("The hidden check could not run after your code"
                       + (f" ({reason.get('ename')})" if reason else "")
                       + ": did your code replace or delete parts of Python, IPython or torch?")
    return verdict(catalog[test.grade_id], observed)


def judge(plan: Plan, run: NotebookRun) -> list[ItemResult]:
    catalog = items(plan.assignment) if plan.probes else {}
    tests, probes = role_cells(plan, "test"), role_cells(plan, "probe")
    results = []
    for test in plan.tests:
        passed, message = judge_item(test, tests.get(test.grade_id), probes.get(test.grade_id), catalog,
                                     hidden=plan.probes)
        results.append(ItemResult(test.grade_id, plan.notebook, test.points,
                                  test.points if passed else 0.0, passed, message))
    return results


def for_reading(nb) -> nbformat.NotebookNode:
    """The executed notebook as a TA reads it: the grader's probe and seed cells removed, long
    outputs cut."""
    copy = nbformat.from_dict(nb)
    copy.cells = [c for c in copy.cells if c.metadata.get(PROBE, {}).get("role") not in ("probe", "seed")]
    for cell in copy.cells:
        cell.metadata.pop(PROBE, None)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > MAX_OUTPUT_CHARS:
                output["text"] = output["text"][:MAX_OUTPUT_CHARS] + "\n[... output cut by the grader ...]\n"
    return copy
