"""Hooks a notebook installs in its interpreter (submission/hooks.py): found in the kernel before
each hidden check and in the notebook's own code; none found in honest work. The kernels here are
local (no sandbox): slow-marked."""

from __future__ import annotations

import nbformat
import pytest

from autograder.course.items import source_tests
from autograder.paths import ROOT
from autograder.submission import hooks
from autograder.submission import plan as merge
from tests.submission.test_execute import W_SOURCE, by_id, plan_of, run
from tests.submission.test_plan import solution

LAYER1 = (
    "import torch\ntorch.manual_seed(0)\n"
    "layer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())\n"
    "w_weight = layer1[0].weight.data\n"
)
# Each hook point, installed the way a student would; the names are spelled at run time so that
# the search of the code finds none of them: only the kernel's inspection can.
INSTALL = {
    "input transformer": "ip = get_ipython()\ngetattr(ip, 'input_transformers_' + 'post').append(lambda lines: lines)",
    "AST transformer": "import ast\ngetattr(get_ipython(), 'ast_' + 'transformers').append(ast.NodeTransformer())",
    "event callback": "getattr(get_ipython().events, 'regis' + 'ter')('post_run_cell', lambda *a: None)",
    "custom exception handler": "getattr(get_ipython(), 'set_custom' + '_exc')((AssertionError,), lambda *a, **k: None)",
    "trace function": "import sys\ngetattr(sys, 'set' + 'trace')(lambda *a: None)",
    "replaced exception hook": "import threading\nsetattr(threading, 'except' + 'hook', lambda *a: None)",
    "replaced built-in function": "import builtins\n_real = builtins.len\nbuiltins.len = lambda x: _real(x)",
    "shadowed built-in": "globals()['ex' + 'ec'] = (lambda real: lambda *a: real(*a))(exec)",
    "replaced shell part": (
        "pub = getattr(get_ipython(), 'display' + '_pub')\n_publish = pub.publish\n"
        "pub.publish = lambda *a, **k: _publish(*a, **k)"
    ),
    "torch function mode": (
        "import torch\nclass Mode(torch.overrides.TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        return func(*args, **(kwargs or {}))\n"
        "Mode().__enter__()"
    ),
}


def test_the_code_search_names_each_hook_point_and_honest_notebooks_name_none():
    assert hooks.in_code(["ip.input_transformers_cleanup.append(f)"]) == ["input transformer"]
    assert hooks.in_code(["get_ipython().set_custom_exc((Exception,), h)"]) == ["custom exception handler"]
    assert hooks.in_code(["sys.settrace(t)", "f = sys._getframe(1).f_back"]) == ["trace function", "frame walking"]
    assert hooks.in_code(["with torch.overrides.TorchFunctionMode():\n    pass"]) == ["torch function mode"]
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):  # the reference answers, as submitted
        nb = nbformat.read(str(path), 4)
        source = nbformat.read(str(ROOT / "source" / path.relative_to(ROOT / "solutions")), 4)
        plan = merge.build(merge.Context(path.parent.name, source_tests(source, path.name)), nb, path.name)
        assert hooks.in_code(hooks.own_code(plan, source)) == [], path
        # the lesson's own tools are not the student's: changed, they are searched like the rest
        assert hooks.in_code([c.source for c in nb.cells if c.cell_type == "code"]) in ([], ["torch function mode"])


def test_a_changed_or_missing_fingerprint_is_reported_by_name():
    first = {"trace function": [1, 2], "AST transformer": []}
    assert hooks.changed(first, dict(first)) == []
    assert hooks.changed(first, {**first, "trace function": [3, 2]}) == ["trace function"]
    assert hooks.changed(first, None) == hooks.changed(None, first) == ["inspection withheld"]
    assert hooks.fingerprint(["{}", "{}"]) is None and hooks.fingerprint(["not json"]) is None


@pytest.mark.slow
def test_an_honest_notebook_shows_no_hook_and_keeps_its_points():
    """A library may register a callback of its own (matplotlib's inline backend does): not a hook."""
    default_device = "import torch\ntorch.set_default_device('cpu')"  # torch's own mode: not a hook
    library_callback = (
        "from IPython.core.getipython import get_ipython as f\nget_ipython().events.register('pre_execute', f)"
    )
    result = run(
        plan_of(
            default_device,
            library_callback,
            solution("answer_W", LAYER1 + "W = w_weight.T"),
            source=W_SOURCE,
            assignment="neural_nets",
            probes=True,
        ),
        torch=True,
    )
    assert result.hooks == [] and by_id(result)["W"].passed


@pytest.mark.slow
def test_every_hook_installed_before_a_check_is_found():
    cells = [LAYER1, *INSTALL.values(), solution("answer_W", "W = w_weight.T")]
    result = run(plan_of(*cells, source=W_SOURCE, assignment="neural_nets", probes=True), torch=True)
    assert sorted(result.hooks) == sorted(INSTALL)


@pytest.mark.slow
def test_a_visible_failure_an_exception_handler_hides_still_fails_and_says_why():
    """The handler swallows the failing visible assert (W is not transposed): no error output,
    but the kernel's reply said "error", and the item fails saying so."""
    cells = [LAYER1, INSTALL["custom exception handler"], solution("answer_W", "W = w_weight")]
    result = run(plan_of(*cells, source=W_SOURCE, assignment="neural_nets", probes=True), torch=True)
    w = by_id(result)["W"]
    assert not any(o.output_type == "error" for c in result.executed.cells for o in c.get("outputs", []))
    assert not w.passed and w.visible is False and "error message was not shown" in w.message
    assert result.hooks == ["custom exception handler"]


def test_a_given_line_the_student_copied_or_kept_in_an_edited_cell_is_not_searched():
    """01_layers gives TorchCalls (a torch function mode): a student who comments that cell, or
    copies the class to try it, wrote no hook."""
    path = ROOT / "solutions" / "neural_nets" / "01_layers.ipynb"
    nb, source = nbformat.read(str(path), 4), nbformat.read(str(ROOT / "source" / "neural_nets" / path.name), 4)
    given = next(c for c in nb.cells if "TorchFunctionMode" in c.source)
    given.source = "# my note\n" + given.source
    nb.cells.append(nbformat.v4.new_code_cell(given.source))
    plan = merge.build(merge.Context("neural_nets", source_tests(source, path.name)), nb, path.name)
    assert hooks.in_code(hooks.own_code(plan, source)) == []
    nb.cells.append(nbformat.v4.new_code_cell("class Spy(torch.overrides.TorchFunctionMode):\n    pass"))
    plan = merge.build(merge.Context("neural_nets", source_tests(source, path.name)), nb, path.name)
    assert hooks.in_code(hooks.own_code(plan, source)) == ["torch function mode"]
