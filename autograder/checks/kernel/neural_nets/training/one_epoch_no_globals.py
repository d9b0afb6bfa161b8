"""`one_epoch_no_globals` (03_training.ipynb): one_epoch assigns no global and reads only its arguments and
tools; reads the global names its code uses."""

from __future__ import annotations

from autograder.checks.kernel.api import expect, global_names, need, stored_globals


def _kind(name: str, ns: dict) -> str:
    """What a global name of the notebook is: a module, function or class (tools), a built-in, a
    variable, or nothing yet."""
    import builtins
    import types

    if name in ns:
        value = ns[name]
        return "tool" if isinstance(value, (types.ModuleType, types.FunctionType, type)) else "variable"
    return "builtin" if hasattr(builtins, name) else "undefined"


def observe(ns):
    one_epoch = need(ns, "one_epoch", what="the function one_epoch")
    expect(
        callable(one_epoch) and hasattr(one_epoch, "__code__"), "`one_epoch` should be a function (def one_epoch...)."
    )
    return {
        "assigned": sorted(stored_globals(one_epoch)),
        "read": {name: _kind(name, ns) for name in sorted(global_names(one_epoch))},
    }
