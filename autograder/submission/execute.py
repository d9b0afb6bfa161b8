"""Execute one planned notebook in a sandboxed kernel, each test cell followed by its item's probe;
then judge (judge.py) every item from what ran.

Limits are explicit: a per-cell timeout, a deadline for the whole submission, a dead-kernel check
after every cell (nbclient's CellTimeoutError and DeadKernelError become the statuses).
"""

from __future__ import annotations

import contextlib
import math
import secrets
import time
from dataclasses import dataclass, field

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..checks import items
from ..vocabulary import CRASHED, GRADED, TIMEOUT, ItemResult
from . import hooks, scrub
from .judge import judge
from .plan import Plan
from .probe import ProbeResult, probe_code, run_silent, seed_code

MAX_OUTPUT_CHARS = 20_000  # per stream output kept in the executed copy TAs read
CELL_OUTPUT_CHARS = 1_000_000  # what one cell's outputs may hold while it runs
NOTEBOOK_OUTPUT_CHARS = 5_000_000  # what all of a notebook's outputs may hold while it runs
ERROR_CHARS = 2_000  # of an exception's message, and of each traceback line
# Every message that adds to or replaces a cell's outputs counts toward the bounds: display updates
# (`update_display_data`, which nbclient writes into every output of that display_id) included.
OUTPUT_MESSAGES = ("stream", "display_data", "execute_result", "update_display_data")


@dataclass
class NotebookRun:
    notebook: str
    status: str = GRADED
    reason: str = ""
    seconds: float = 0.0
    items: list[ItemResult] = field(default_factory=list)
    executed: nbformat.NotebookNode | None = None
    slowest_cell: str = ""  # where(), of the longest execution
    slowest_seconds: float = 0.0
    probes: dict[str, ProbeResult] = field(default_factory=dict)  # grade_id -> what its probe saw
    log: list[str] = field(default_factory=list)  # for grading.log (course staff)
    hooks: list[str] = field(default_factory=list)  # hook points the notebook changed (hooks.py)
    failed_cells: set[int] = field(default_factory=set)  # cells whose execute_reply said "error"


def output_size(content: dict) -> int:
    """About how many characters an output message adds to a notebook: its text, traceback, data
    and metadata (a student controls every one of them)."""
    size = len(str(content.get("text", ""))) + len(str(content.get("evalue", "")))
    size += sum(len(str(line)) for line in content.get("traceback", []) or [])
    size += sum(len(str(value)) for value in (content.get("data") or {}).values())
    return size + sum(len(str(key)) + len(str(value)) for key, value in (content.get("metadata") or {}).items())


def well_formed(msg: dict) -> bool:
    """The fields nbclient reads have the types it expects."""
    content = msg.get("content")
    if not isinstance(content, dict) or not isinstance(msg.get("parent_header"), dict):
        return False
    expected = {
        "text": str,
        "data": dict,
        "metadata": dict,
        "traceback": list,
        "ename": str,
        "evalue": str,
        "transient": dict,
        "execution_count": (int, type(None)),
        "execution_state": str,
    }
    return all(isinstance(content[key], kind) for key, kind in expected.items() if key in content)


class BoundedClient(NotebookClient):
    """nbgrader's LimitOutput, applied while the notebook runs rather than when it is saved: once
    a cell (or the notebook) has produced its share of output, further output is dropped, so a
    print loop cannot grow the grader's memory without limit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_chars: dict[int, int] = {}
        self.failed_cells: set[int] = set()  # by the execute_reply, whatever outputs the cell shows

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        content = exec_reply.get("content") if isinstance(exec_reply, dict) else None
        if isinstance(content, dict) and content.get("status") != "ok":
            self.failed_cells.add(cell_index)
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    def process_message(self, msg, cell, cell_index):
        if not well_formed(msg):
            return None  # a kernel's messages are the student's: nbclient would trip on these
        if msg["msg_type"] == "error":  # always kept (it decides whether a test cell failed), cut
            content = msg["content"]
            content["ename"] = str(content.get("ename", ""))[:ERROR_CHARS]
            content["evalue"] = str(content.get("evalue", ""))[:ERROR_CHARS]
            content["traceback"] = [str(line)[:ERROR_CHARS] for line in (content.get("traceback") or [])[-20:]]
        elif msg["msg_type"] in OUTPUT_MESSAGES:
            before = self.output_chars.get(cell_index, 0)
            total = sum(self.output_chars.values())
            self.output_chars[cell_index] = before + output_size(msg["content"])
            if before >= CELL_OUTPUT_CHARS or total >= NOTEBOOK_OUTPUT_CHARS:
                return None
            if self.output_chars[cell_index] >= CELL_OUTPUT_CHARS:
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "stream", name="stderr", text="\n[... further output of this cell dropped by the grader ...]\n"
                    )
                )
                return None
        return super().process_message(msg, cell, cell_index)


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


def run_plan(
    plan: Plan,
    km: AsyncKernelManager,
    *,
    cwd: str,
    env: dict | None,
    cell_timeout: float,
    deadline: float,
    startup_timeout: float = 120.0,
) -> NotebookRun:
    """Execute `plan` cell by cell, each test cell followed by its item's probe, until it ends, a
    cell times out, the deadline passes or the kernel dies; then judge every item from what ran."""
    run = NotebookRun(plan.notebook)
    started = time.monotonic()
    client = BoundedClient(
        plan.nb,
        km=km,
        timeout=cell_timeout,
        startup_timeout=startup_timeout,
        allow_errors=True,
        interrupt_on_timeout=False,
        record_timing=True,
        shutdown_kernel="immediate",
    )
    catalog = items(plan.assignment) if plan.probes else {}

    def limit() -> float:
        """Seconds the next execution may take (nbclient takes whole seconds)."""
        return max(1, math.ceil(min(cell_timeout, deadline - time.monotonic())))

    # env=None: the kernel inherits this process's environment (a student's own check).
    with kernel_session(client, cwd=cwd, **({} if env is None else {"env": env})):
        # One try for the whole run: the grader's seeding before the first cell counts against the
        # same limits, and a kernel that cannot even be seeded is a timeout or a crash, never ours.
        what = f"{plan.notebook}, before its first cell (the grader seeds the random generators)"
        try:
            client.timeout = limit()
            run_silent(client, seed_code(), client.timeout)
            nonce = secrets.token_hex(16)
            found = run_silent(client, hooks.inspect_code(nonce), client.timeout, nonce, hooks.INSPECTION_MIME)
            first = hooks.fingerprint(found.payloads)
            for index, cell in enumerate(plan.nb.cells):
                if cell.cell_type != "code":
                    continue
                if deadline - time.monotonic() <= 0:
                    run.status = TIMEOUT
                    run.reason = f"the submission's total time limit ran out before {where(plan, index)}"
                    break
                test = plan.test_at.get(index)
                client.timeout = limit()
                what = where(plan, index)
                with timed(run, what):
                    client.execute_cell(cell, index)
                if test is not None and plan.probes:
                    client.timeout = limit()
                    what = f"the hidden check of {test.grade_id}"
                    nonce = secrets.token_hex(16)
                    with timed(run, what):
                        probe = run.probes[test.grade_id] = run_silent(
                            client,
                            hooks.inspect_code(nonce, guarded=True) + probe_code(catalog[test.grade_id]),
                            client.timeout,
                            test.grade_id,
                            nonce=nonce,
                        )
                    for name in hooks.changed(first, hooks.fingerprint(probe.inspections)):
                        if name not in run.hooks:
                            run.hooks.append(name)
                            run.log.append(f"{plan.notebook}: {name} found in the kernel before {what}")
        except CellTimeoutError:
            run.status = TIMEOUT
            run.reason = (
                f"{what} was still running when the submission's total time limit ran out"
                if client.timeout < cell_timeout
                else f"{what} ran longer than the {cell_timeout:g} s a cell may run"
            )
        except DeadKernelError:
            run.status = CRASHED
            run.reason = f"the kernel died in {what} (exit(), os._exit(), a crash, or the memory limit)"
    run.seconds = time.monotonic() - started
    run.failed_cells = client.failed_cells
    run.items = judge(plan, run.probes, run.reason, run.log, run.failed_cells)
    run.executed = for_reading(plan.nb)
    return run


@contextlib.contextmanager
def timed(run: NotebookRun, what: str):
    """Keep the longest execution of the notebook (a cell, or a hidden check) in `run`."""
    started = time.monotonic()
    try:
        yield
    finally:
        seconds = time.monotonic() - started
        if seconds > run.slowest_seconds:
            run.slowest_cell, run.slowest_seconds = what, seconds


def where(plan: Plan, index: int) -> str:
    """A cell's name for a message: its position among the student's cells, and the graded item
    it tests when it is one of the grader's test cells."""
    student_cells = sum(1 for i in range(index + 1) if i not in plan.test_at)
    test = plan.test_at.get(index)
    if test is not None:
        return f"{plan.notebook}, the test cell of {test.grade_id}"
    gid = plan.nb.cells[index].metadata.get("nbgrader", {}).get("grade_id")
    return f"{plan.notebook}, cell {student_cells}" + (f" ({scrub.quote(gid)})" if gid else "")


def for_reading(nb) -> nbformat.NotebookNode:
    """The executed notebook as a TA reads it: every cell that ran (the student's and the
    grader's test cells, which say so in their metadata), long stream outputs cut."""
    copy = nbformat.from_dict(nb)
    for cell in copy.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > MAX_OUTPUT_CHARS:
                output["text"] = output["text"][:MAX_OUTPUT_CHARS] + "\n[... output cut by the grader ...]\n"
    return copy
