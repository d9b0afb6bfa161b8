"""Probes (submission/probe.py): what the grader sends into a student's kernel after a test cell.
A probe carries one item's kernel half and nothing else, publishes exactly one observation, and
leaves no trace: not in the student's names, not in sys.modules, not in the kernel's history."""

from __future__ import annotations

import ast
import sys
import tempfile
import types

import pytest
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from autograder.checks import SHARED, decode, items, kernel_api, module_source, verdict
from autograder.checks.kernel.api import OBSERVATION_MIME
from autograder.submission import execute, probe
from autograder.submission.probe import ProbeResult, probe_code

LAYERS = items("neural_nets")
ANSWER = """\
import torch
torch.manual_seed(0)
layer1 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())
w_weight = layer1[0].weight.data
W = w_weight.T
"""


def student_namespace() -> dict:
    ns = {"__builtins__": __builtins__}
    exec(ANSWER, ns)
    return ns


def carried(code: str) -> dict:
    """The names and values the probe hands BOOTSTRAP (the dict literal of its one expression)."""
    tree = ast.parse(code, mode="eval")
    scope = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "_sources" for k in node.keys)
    )
    return {k.value: ast.literal_eval(v) for k, v in zip(scope.keys, scope.values) if isinstance(k, ast.Constant)}


# ----------------------------------------------------------------------------- what a probe is
def test_a_probe_is_one_expression_and_bootstrap_runs_in_a_namespace_of_its_own():
    code = probe_code(LAYERS["W"])
    tree = ast.parse(code, mode="eval")  # a statement (an assignment, an import) would not parse
    assert isinstance(tree.body, ast.Call) and isinstance(tree.body.func, ast.Lambda)
    scope = carried(code)
    assert (scope["_grade_id"], scope["_module_name"]) == ("W", LAYERS["W"].kernel_module.__name__)
    assert "_ns" not in scope  # the student's namespace is handed over as the lambda's argument


def test_a_probe_carries_the_api_the_notebooks_shared_helpers_and_its_item_only():
    item = LAYERS["W"]
    sources = carried(probe_code(item))["_sources"]
    notebook = item.kernel_module.__name__.rpartition(".")[0]
    assert list(sources) == [kernel_api.__name__, f"{notebook}.{SHARED}", item.kernel_module.__name__]
    assert sources[kernel_api.__name__] == module_source(kernel_api)
    assert sources[item.kernel_module.__name__] == module_source(item.kernel_module)
    code = probe_code(item)
    for other in LAYERS.values():
        assert module_source(other.grader_module) not in code
        if other.grade_id != "W":
            assert other.kernel_module.__name__ not in code


def test_each_probe_has_a_nonce_of_its_own():
    first, second = probe_code(LAYERS["W"]), probe_code(LAYERS["W"])
    assert first.startswith("# probe ") and first.splitlines()[0] != second.splitlines()[0]
    assert carried(first)["_nonce"] in first.splitlines()[0]


@pytest.mark.parametrize("payloads, expected", [([], None), (["one"], "one"), (["one", "two"], None)])
def test_a_probe_result_has_a_payload_only_when_exactly_one_was_published(payloads, expected):
    assert ProbeResult(payloads).payload == expected


# ----------------------------------------------------------------------------- run in this process
def published(capsys) -> list[dict]:
    """Outside IPython, display() prints what it is given: the observations the probe published."""
    return [ast.literal_eval(line) for line in capsys.readouterr().out.splitlines() if OBSERVATION_MIME in line]


def modules() -> dict:
    return dict(sys.modules)


def warm_up(capsys) -> None:
    """A first probe: displaying and saving import modules of their own, once per process."""
    exec(probe_code(LAYERS["W"]), student_namespace())
    capsys.readouterr()


def test_run_here_a_probe_publishes_one_observation_and_leaves_no_trace(capsys):
    item = LAYERS["W"]
    warm_up(capsys)
    ns = student_namespace()
    names, before = set(ns), modules()
    exec(probe_code(item), ns)
    (observation,) = published(capsys)
    assert observation[OBSERVATION_MIME]["grade_id"] == "W"
    assert verdict(item, decode(observation[OBSERVATION_MIME]["payload"])).passed
    assert set(ns) == names
    after = modules()
    assert after.keys() == before.keys() and all(after[name] is before[name] for name in before)


def test_a_students_module_of_the_same_name_is_put_back_and_an_absent_one_stays_absent(capsys, monkeypatch):
    item = LAYERS["W"]
    code = probe_code(item)
    students = types.ModuleType("autograder")
    monkeypatch.setitem(sys.modules, "autograder", students)
    monkeypatch.delitem(sys.modules, item.kernel_module.__name__)
    exec(code, student_namespace())
    assert len(published(capsys)) == 1
    assert sys.modules["autograder"] is students and item.kernel_module.__name__ not in sys.modules


def test_a_probe_that_fails_still_removes_every_trace(capsys):
    class Broken(Exception):
        pass

    class Hostile(dict):
        def __contains__(self, key):
            raise Broken("the student's namespace fights back")

    warm_up(capsys)
    ns = Hostile(student_namespace())
    names, before = set(ns), modules()
    with pytest.raises(Broken):
        exec(probe_code(LAYERS["W"]), ns)
    assert published(capsys) == [] and set(ns) == names
    after = modules()
    assert after.keys() == before.keys() and all(after[name] is before[name] for name in before)


# ----------------------------------------------------------------------------- in a kernel
async def _evaluate(kc, expressions: dict[str, str]) -> dict[str, str]:
    """Evaluate expressions in the kernel's namespace without executing a cell."""
    msg_id = kc.execute("", silent=True, store_history=False, user_expressions=expressions)
    while True:
        reply = await kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    return {k: v["data"]["text/plain"] for k, v in reply["content"]["user_expressions"].items()}


def state(client, nonce: str) -> dict[str, str]:
    return run_sync(_evaluate)(
        client.kc,
        {
            "modules": "sorted(__import__('sys').modules)",
            "names": "sorted(globals())",
            "history": "(len(In), len(_ih), len(Out), len(_oh), get_ipython().execution_count, repr(_))",
            "linecache": f"[k for k, e in __import__('linecache').cache.items() if {nonce!r} in ''.join(e[2] or ())]",
        },
    )


@pytest.mark.slow
def test_in_a_kernel_a_probe_publishes_one_observation_and_leaves_no_trace():
    nb = new_notebook(cells=[new_code_cell(ANSWER + "W.shape")])
    client = execute.BoundedClient(
        nb, km=execute.local_kernel_manager(tempfile.mkdtemp(prefix="probe-")), timeout=60, allow_errors=True
    )
    item = LAYERS["W"]
    with execute.kernel_session(client):
        client.execute_cell(nb.cells[0], 0)
        first, second = probe_code(item), probe_code(item)
        before = state(client, carried(first)["_nonce"])
        result = probe.run_silent(client, first, 60, "W")
        assert (len(result.payloads), result.error, result.output_chars) == (1, "", 0)
        assert verdict(item, decode(result.payload)).passed
        after = state(client, carried(first)["_nonce"])
        assert after["names"] == before["names"] and after["history"] == before["history"]
        assert after["linecache"] == "[]"
        # the first save of an observation imports torch modules of its own: nothing else stays
        added = set(ast.literal_eval(after["modules"])) - set(ast.literal_eval(before["modules"]))
        assert not any(name.startswith("autograder") for name in added)
        assert set(ast.literal_eval(before["modules"])) <= set(ast.literal_eval(after["modules"]))
        # the second probe changes nothing at all
        assert probe.run_silent(client, second, 60, "W").payload is not None
        assert state(client, carried(first)["_nonce"]) == after
        assert after["history"] == "(2, 2, 1, 1, 2, 'torch.Size([3, 2])')"  # the student's one cell

        with pytest.raises(CellTimeoutError, match="a hidden check ran longer than 2 s"):
            probe.run_silent(client, "while True: pass", 2)
        run_sync(client.km.interrupt_kernel)()
        with pytest.raises(DeadKernelError, match="the kernel died during a hidden check"):
            probe.run_silent(client, "import os; os._exit(1)", 30)
