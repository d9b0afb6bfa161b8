"""The vocabulary of the kernel side of every hidden check.

A graded item `<grade_id>` of a notebook has two halves, one file on each side:

* ``kernel/<assignment>/<notebook>/<grade_id>.py: observe(ns) -> dict``  runs *inside the student's
  kernel*, after the item's test cell. It reads the student's objects from the namespace ``ns``,
  calls them on the item's hidden inputs, and returns plain data only: tensors, numbers, strings,
  lists, tuples, dicts. It never computes what the right answer is.
* ``grader/<assignment>/<notebook>/test_<grade_id>.py: test_<grade_id>(obs)``  is a pytest-style
  test that runs in the *grader's own process*. It receives the observation after a round trip
  through ``torch.save`` / ``torch.load(weights_only=True)`` (see ``grader/api.py``), so it only ever
  sees plain tensors (no student classes, no always-equal objects, no patched methods), and judges
  it with the grader's own, untouched torch.

Sent into the kernel as source text with each probe (with ``_shared.py`` and the item's file).
"""

from __future__ import annotations

import base64
import dis
import io
import re
import sys
import types

import torch
from torch.overrides import TorchFunctionMode

# The mime type an observation travels under, from the kernel to the grader.
OBSERVATION_MIME = "application/vnd.nn-course.observation+json"


class CheckFailed(AssertionError):
    """A verdict: the message is shown to the student, so it speaks the course's language and
    never reveals hidden inputs or expected values."""


class Missing(CheckFailed):
    """The student's notebook does not define an object the check needs."""


class StudentCodeError(CheckFailed):
    """Calling the student's code on the check's inputs raised an exception."""


def expect(condition: bool, message: str) -> None:
    """Fail the check with `message` unless `condition` holds (works under python -O, unlike assert)."""
    if not condition:
        raise CheckFailed(message)


# Type names a message may quote (any other was chosen by the student: the grader's words stand in).
LIBRARIES = ("builtins", "torch", "numpy", "pandas", "plotly", "collections", "typing", "types", "functools")
OTHER_TYPE, OTHER_EXCEPTION = "type defined in your notebook", "an exception of a class defined in your notebook"
HEAP_TYPE, NAME = 1 << 9, re.compile(r"[A-Za-z_]\w{0,60}", re.ASCII)  # Py_TPFLAGS_HEAPTYPE: made at run time


def type_name(value) -> str:
    """The name of `value`'s type (or of `value`, a type), read past any metaclass: a static type's
    (made by C code) or an installed library's found under that name in its module; else OTHER_TYPE."""
    kind = value if isinstance(value, type) else type(value)
    module, name, flags = (type.__dict__[key].__get__(kind) for key in ("__module__", "__name__", "__flags__"))
    if not isinstance(module, str) or not isinstance(name, str) or not NAME.fullmatch(name):
        return OTHER_TYPE
    home = sys.modules.get(module)
    installed = str(getattr(home, "__file__", "") or "").startswith((sys.prefix, sys.base_prefix))
    library = module.split(".")[0] in LIBRARIES and installed and getattr(home, name, None) is kind
    return name if library or not flags & HEAP_TYPE else OTHER_TYPE


def exception_name(err: BaseException) -> str:
    return {OTHER_TYPE: OTHER_EXCEPTION}.get(type_name(err), type_name(err))


def need(ns: dict, name: str, kind: type | tuple[type, ...] | None = None, what: str = ""):
    """Fetch `name` from the student's namespace, or fail with a message that says what to do."""
    if name not in ns:
        raise Missing(f"`{name}` is not defined: run the cell that creates it{(' (' + what + ')') if what else ''}.")
    value = ns[name]
    if kind is not None and not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = " or ".join(k.__name__ for k in kinds)
        raise CheckFailed(f"`{name}` should be a {expected}, but it is a {type_name(value)}.")
    return value


def call(name: str, function, *args, **kwargs):
    """Call student code; any exception it raises becomes a StudentCodeError naming only its type
    (the exception's text could quote the check's hidden inputs)."""
    try:
        return function(*args, **kwargs)
    # Student code may raise anything at all; this is the one boundary where we catch it all.
    except Exception as err:  # noqa: BLE001
        raise StudentCodeError(
            f"`{name}` raised {exception_name(err)} when the check called it. "
            f"Call it yourself on a few inputs of your own to find out why."
        ) from None


class TorchCalls(TorchFunctionMode):
    """While active (`with TorchCalls() as calls:`), records the short name of every torch function
    that runs, however it was reached: torch.tanh, x.tanh(), torch.nn.Tanh()(x), an alias, a
    default argument, getattr(torch, "tanh")... all record "tanh" (the underscores around a name,
    as in x.relu_() or F.threshold's "_threshold", and torch.special's "special_" prefix are
    dropped; np.tanh(x) records "array", for x.__array__). Functions that torch runs inside a recorded
    one are not recorded (F.mse_loss records "mse_loss" only). numpy or math on a tensor records
    no torch function of that name."""

    # A bounded observation whatever the student's code does (it can hand any function to
    # torch.overrides.handle_torch_function): torch's own names are fewer and shorter than this.
    MAX_NAMES, MAX_CHARS = 5000, 100

    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = str(getattr(func, "__name__", "") or "")[: self.MAX_CHARS]
        name = name.split(".")[0].strip("_").removeprefix("special_")
        if name not in self.names and len(self.names) < self.MAX_NAMES:
            self.names.append(name)
        return func(*args, **(kwargs or {}))


def call_recording(name: str, calls: TorchCalls, function, *args, **kwargs):
    """`call`, with `calls` recording the torch functions that run meanwhile."""
    with calls:
        return call(name, function, *args, **kwargs)


def plain(value):
    """A detached copy of a tensor (or of tensors nested in lists, tuples and dicts)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value) if type(value) in (list, tuple) else [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _instructions(function):
    """The bytecode of a function and of the functions nested in it."""
    codes = [getattr(function, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is not None:
            yield from dis.get_instructions(code)
            codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))


def global_names(function) -> set[str]:
    """The global names a function (and the functions nested in it) reads or writes."""
    return {i.argval for i in _instructions(function) if i.opname in ("LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL")}


def stored_globals(function) -> set[str]:
    """The global names a function assigns to (`global x; x = ...`)."""
    return {i.argval for i in _instructions(function) if i.opname == "STORE_GLOBAL"}


# ----------------------------------------------------------------------------- transport
def encode(observation: dict) -> str:
    buffer = io.BytesIO()
    torch.save(observation, buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def observe(observer, ns: dict) -> dict:
    """Run an observer; a check failure while observing is recorded, not raised, so the verdict
    (in the grader's process) reports it."""
    try:
        return {"ok": True, "data": observer(ns)}
    except CheckFailed as failure:
        return {"ok": False, "message": str(failure)}


def emit(grade_id: str, observer, ns: dict) -> None:
    """Kernel side of the grader: publish the observation of one item as a display output."""
    import warnings

    from IPython.display import display

    try:
        with warnings.catch_warnings():  # the check's own warnings are not the student's
            warnings.simplefilter("ignore")
            payload = encode(observe(observer, ns))
    # torch.save refuses some student objects (lambdas, open files...): report, don't crash.
    except (TypeError, AttributeError, RuntimeError, ValueError, OSError) as err:
        payload = encode(
            {
                "ok": False,
                "message": (
                    "Your graded objects could not be read by the check "
                    f"({exception_name(err)}); keep graded values as plain tensors."
                ),
            }
        )
    display({OBSERVATION_MIME: {"grade_id": grade_id, "payload": payload}}, raw=True)
