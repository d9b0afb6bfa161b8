"""Tampering, seen: hooks a notebook installed in its interpreter, found two ways, and reported to
course staff (status ``review``), never to the student in detail.

* In the kernel: before the student's first cell, and again before every hidden check, a silent
  execution (``INSPECT``) reports a *fingerprint* of the interpreter's hook points (numbers and
  identities only: no text of the student's). The grader compares each with the first one: what
  changed was installed by the notebook.
* In the code: the notebook's own cells are searched for the names of those hook points, and of
  the tools that reach into other code's frames.

Neither is proof against a student who knows both: code that rewrites every later cell can rewrite
the inspection too, and the names can be spelled at run time. What makes forging pointless is
elsewhere (every verdict is the grader's, docs/security.md); this makes attempts visible.
"""

from __future__ import annotations

import json
import re

from ..course import notebooks

INSPECTION_MIME = "application/vnd.nn-course.inspection+json"

# Runs in the kernel, in a namespace of its own (see probe.run_silent); `_nonce` marks its output.
INSPECT = """\
import builtins as _builtins, json as _json, sys as _sys, threading as _threading
from IPython import get_ipython as _get_ipython
from IPython.display import display as _display
_ip = _get_ipython()
def _id(f):  # a bound method is made anew on each access (IPython's run_code sets sys.excepthook so)
    return [id(getattr(f, "__func__", f)), id(getattr(f, "__self__", None))]
_libraries = tuple({_sys.prefix, _sys.base_prefix, _sys.exec_prefix})
def _mine(f):  # not a library's own function, found under its name in a module installed with Python
    f = getattr(f, "__func__", f)
    module = _sys.modules.get(getattr(f, "__module__", None) or "")
    where = str(getattr(module, "__file__", "") or "")
    return not (where.startswith(_libraries) and getattr(module, getattr(f, "__name__", ""), None) is f)
_shell_methods = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "transform_cell",
                  "showtraceback", "_showtraceback", "showsyntaxerror", "set_custom_exc")
_found = {
    "input transformer": [id(f) for f in (*_ip.input_transformers_cleanup, *_ip.input_transformers_post,
                          *_ip.input_transformer_manager.token_transformers) if _mine(f)]
                         + [id(_ip.input_transformer_manager)],
    "AST transformer": [id(f) for f in _ip.ast_transformers],
    "event callback": sorted((e, _id(f)) for e, fs in _ip.events.callbacks.items() for f in fs if _mine(f)),
    "custom exception handler": [id(c) for c in _ip.custom_exceptions],
    "replaced shell method": [n for n in _shell_methods if n in vars(_ip)]
                             + [id(getattr(type(_ip), n, None)) for n in _shell_methods],
    "trace function": [_id(_sys.gettrace()), _id(_threading.gettrace())],
    "profile function": [_id(_sys.getprofile()), _id(_threading.getprofile())],
    "replaced exception hook": [_id(_sys.excepthook), _id(_threading.excepthook)],
    "replaced display hook": [_id(_sys.displayhook), _id(_ip.displayhook)],
    "replaced built-in function": sorted((n, id(v)) for n, v in vars(_builtins).items()
                                         if type(v).__name__ == "builtin_function_or_method"),
    # what the grader's own silent code looks up in the notebook's namespace, or runs through
    "shadowed built-in": [n for n in ("exec", "globals", "compile", "__import__") if n in _ip.user_ns]
                         + [id(_ip.user_ns.get("__builtins__"))],
    "replaced shell part": [_id(x) for x in (_ip.compile, type(_ip.compile), _ip.display_pub,
                            _ip.display_pub.publish, getattr(_ip, "kernel", None),
                            getattr(getattr(_ip, "kernel", None), "do_execute", None), _json.dumps, _display)],
}
if "torch" in _sys.modules:
    _torch = _sys.modules["torch"]
    _modes = _torch.overrides._get_current_function_mode_stack()
    _found["torch function mode"] = [  # torch's own (set_default_device's DeviceContext) are not hooks
        [id(type(m)) for m in _modes if not type(m).__module__.startswith("torch.")],
        bool(_torch._C._is_torch_function_enabled()),
    ]
    _found["torch dispatch mode"] = [_torch._C._len_torch_dispatch_stack()]
_display({_mime: {"grade_id": _nonce, "payload": _json.dumps(_found)}}, raw=True)
"""

# Names in the notebook's own code that install a hook, or reach into other code's frames.
IN_CODE = {
    "input transformer": r"input_transformers?_(cleanup|post)|input_transformer_manager|transform_cell",
    "AST transformer": r"ast_transformers",
    "event callback": r"\bevents\s*\.\s*register\b",
    "custom exception handler": r"set_custom_exc|CustomTB|showtraceback",
    "trace function": r"settrace",
    "profile function": r"setprofile",
    "audit hook": r"addaudithook",
    "replaced exception hook": r"excepthook",
    "replaced display hook": r"displayhook",
    "torch function mode": r"TorchFunctionMode|_push_mode|_pop_mode|DisableTorchFunction|_disabled_torch_function",
    "torch dispatch mode": r"TorchDispatchMode",
    "shadowed built-in": r"\bdef\s+(exec|globals|compile|__import__)\b|^\s*(exec|globals|compile|__builtins__)\s*=[^=]",
    "replaced shell part": r"display_pub|do_execute|shell_handlers"
    r"|^\s*[\w.]+\.compile\s*=[^=]|^\s*json\s*\.\s*dumps\s*=[^=]",
    "frame walking": r"_getframe|currentframe|\bf_back\b|\bf_locals\b|\bf_globals\b|get_referrers|get_objects\b"
    r"|inspect\s*\.\s*stack|\btb_frame\b|gi_frame|cr_frame",
}
_PATTERNS = {name: re.compile(pattern, re.M) for name, pattern in IN_CODE.items()}
KNOWN = tuple(dict.fromkeys([*IN_CODE, "replaced shell method", "replaced built-in function"]))


def inspect_code(nonce: str, guarded: bool = False) -> str:
    """The inspection, one statement, in a namespace of its own. `guarded`: an inspection that
    fails publishes nothing (the grader then counts it as withheld) and lets the probe after it
    run."""
    scope = {"_nonce": nonce, "_mime": INSPECTION_MIME}
    run = f"exec({INSPECT!r}, {{'__builtins__': __builtins__, **{scope!r}}})"
    if not guarded:
        return run + "\n"
    return f"try:\n    {run}\nexcept Exception:\n    pass\n"


def fingerprint(payloads: list[str]) -> dict | None:
    """The one inspection a silent execution published, as the grader reads it (None: none, or
    more than one, which is itself a sign of tampering)."""
    if len(payloads) != 1:
        return None
    try:
        found = json.loads(payloads[0])
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def changed(before: dict | None, now: dict | None) -> list[str]:
    """The hook points (names of KNOWN) whose fingerprint differs from the first one; a missing or
    malformed inspection counts as "inspection withheld"."""
    if before is None or now is None:
        return ["inspection withheld"]
    return [name for name in KNOWN if name in before and before.get(name) != now.get(name)]


def in_code(sources: list[str]) -> list[str]:
    """The hook points the notebook's own cells name."""
    text = "\n".join(sources)
    return [name for name, pattern in _PATTERNS.items() if pattern.search(text)]


def own_code(plan, source_nb) -> list[str]:
    """The lines the student wrote: not the grader's test cells, and not a line the assignment
    gives (the lesson's own tools may use a hook point: 01_layers's TorchCalls is a torch function
    mode, and a student may copy it or comment a given cell)."""
    given = {
        line.strip()
        for c in source_nb.cells
        if c.cell_type == "code" and not notebooks.is_solution_cell(c)
        for line in c.source.splitlines()
    }
    return [
        "\n".join(line for line in c.source.splitlines() if line.strip() not in given)
        for i, c in enumerate(plan.nb.cells)
        if c.cell_type == "code" and i not in plan.test_at
    ]
