"""Probes: the grader's executions in a student's kernel, outside the notebook.

A probe installs the kernel half of one item's check (``checks/kernel/api.py`` and one notebook's
module, as source text), runs that item's observer on the student's namespace, publishes the
observation, and removes every trace of itself before the student's next cell runs:

* it is a *silent* execution (``silent=True, store_history=False``): no execution count, no entry
  in ``In``/``_ih``/``Out``/``_oh``, no ``pre_run_cell``/``post_run_cell`` events;
* its names live in a private namespace, never in the student's globals;
* the modules it installed leave ``sys.modules`` (a student module of the same name is put back),
  their namespaces are cleared, and the young garbage they leave is collected;
* IPython keeps every cell's text in ``linecache`` for tracebacks: the probe drops its own entry;
* a second silent execution (``FLUSH``) replaces what IPython and ipykernel remember of the last
  request (``last_execution_result``, the parent message).

What this cannot stop is code that deliberately hooks the interpreter *before* the probe runs
(input transformers, ``pre_execute`` events, audit hooks, ``sys.settrace``, background threads, or
a student function that walks up the stack while the observer calls it): such code can see the
kernel half of the check and its hidden inputs while the probe runs. It never sees a reference or
an expected value: those are in ``checks/grader/``, which no probe carries.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field
from queue import Empty

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..checks import Item
from ..checks.kernel.api import OBSERVATION_MIME
from .hooks import INSPECTION_MIME

# Runs in the kernel, in a namespace of its own; `_ns` is the student's namespace.
BOOTSTRAP = """\
import gc as _gc, linecache as _linecache, sys as _sys, types as _types
_installed, _previous = [], {}
try:
    for _name in _packages + list(_sources):
        _previous[_name] = _sys.modules.get(_name)
        _module = _types.ModuleType(_name)
        if _name in _packages:
            _module.__path__ = []
        _sys.modules[_name] = _module
        _installed.append(_module)
    for _name, _source in _sources.items():
        exec(compile(_source, "<" + _name + ">", "exec"), _sys.modules[_name].__dict__)
    _sys.modules[_api].emit(_grade_id, _sys.modules[_module_name].observe, _ns)
finally:
    for _name, _module in _previous.items():
        if _module is None:
            _sys.modules.pop(_name, None)
        else:
            _sys.modules[_name] = _module
    for _module in _installed:
        _module.__dict__.clear()
    for _key, _entry in list(_linecache.cache.items()):
        if len(_entry) > 2 and _nonce in "".join(_entry[2] or ()):
            _linecache.cache.pop(_key, None)
    _installed = _previous = _module = _sources = _ns = None
    _gc.collect(1)
"""

SEED_CODE = """\
import random as _random
_random.seed(0)
try:
    import numpy as _np
    _np.random.seed(0)
except ImportError:
    pass
try:
    import torch as _torch
    _torch.manual_seed(0)
except ImportError:
    pass
"""

FLUSH = "pass"


def seed_code() -> str:
    """Seed every generator, in a namespace of its own, before the student's first cell."""
    return f"exec({SEED_CODE!r}, {{'__builtins__': __builtins__}})\n"


def probe_code(item: Item) -> str:
    """The code of one probe: a single expression that runs BOOTSTRAP in a fresh namespace."""
    sources = item.kernel_sources()
    module_name = item.kernel_module.__name__
    parts = module_name.split(".")
    packages = [".".join(parts[:i]) for i in range(1, len(parts))]
    nonce = secrets.token_hex(16)
    scope = {
        "_packages": packages,
        "_sources": sources,
        "_api": next(iter(sources)),
        "_module_name": module_name,
        "_grade_id": item.grade_id,
        "_nonce": nonce,
    }
    return (
        f"# probe {nonce}\n"
        f"(lambda _g: exec({BOOTSTRAP!r}, {{'__builtins__': __builtins__, '_ns': _g, **{scope!r}}}))(globals())\n"
    )


@dataclass
class ProbeResult:
    payloads: list[str] = field(default_factory=list)  # observations of the item published meanwhile
    inspections: list[str] = field(default_factory=list)  # the kernel's hook points, just before (hooks.py)
    error: str = ""  # the name of the exception the probe raised, if any
    output_chars: int = 0  # what the student's code printed meanwhile (counted, not kept)

    @property
    def payload(self) -> str | None:
        """The observation, when there is exactly one: a student function that the check calls
        can publish output in the observation's format too, and then none counts."""
        return self.payloads[0] if len(self.payloads) == 1 else None


async def _run_silent(kc, km, code: str, timeout: float, grade_id: str | None, mime: str, nonce: str | None):
    """Execute `code` silently and read its messages until the kernel is idle again; keep what it
    published as `mime` for `grade_id`, and the inspection marked `nonce`. Raises CellTimeoutError
    after `timeout` seconds and DeadKernelError when the kernel dies."""
    result = ProbeResult()
    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CellTimeoutError(f"a hidden check ran longer than {timeout:g} s")
        try:
            msg = await kc.get_iopub_msg(timeout=min(1.0, remaining))
        except Empty:
            if not await km.is_alive():
                raise DeadKernelError("the kernel died during a hidden check") from None
            continue
        if not isinstance(msg.get("parent_header"), dict) or msg["parent_header"].get("msg_id") != msg_id:
            continue  # left over from an earlier request
        kind, content = msg["msg_type"], msg["content"]
        if not isinstance(content, dict):
            continue  # a kernel's messages are the student's: take nothing for granted
        if kind == "status" and content.get("execution_state") == "idle":
            break
        if kind == "error":
            result.error = result.error or str(content.get("ename", "an error"))
        elif kind == "stream":
            result.output_chars += len(str(content.get("text", "")))
        elif kind == "display_data" and isinstance(content.get("data"), dict):
            data, inspection = content["data"].get(mime), content["data"].get(INSPECTION_MIME)
            if grade_id is not None and isinstance(data, dict) and data.get("grade_id") == grade_id:
                result.payloads.append(str(data.get("payload", "")))
            if nonce is not None and isinstance(inspection, dict) and inspection.get("grade_id") == nonce:
                result.inspections.append(str(inspection.get("payload", "")))
    return result


def run_silent(
    client,
    code: str,
    timeout: float,
    grade_id: str | None = None,
    mime: str = OBSERVATION_MIME,
    nonce: str | None = None,
) -> ProbeResult:
    """Run `code` silently in `client`'s kernel (nbclient's NotebookClient, set up), then a
    FLUSH, so the kernel keeps no memory of `code`."""

    async def both():
        result = await _run_silent(client.kc, client.km, code, timeout, grade_id, mime, nonce)
        await _run_silent(client.kc, client.km, FLUSH, max(1.0, math.ceil(timeout)), None, mime, None)
        return result

    return run_sync(both)()
