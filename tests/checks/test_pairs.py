"""One graded item, one place per side: a probe carries only its own item's hidden inputs, the grader
side rebuilds them from that item's kernel file, and a half without its other half is refused."""

from __future__ import annotations

import ast
import re
import shutil

import pytest

from autograder import checks
from autograder.checks import OrphanCheck, items
from autograder.course import names as assignment_names

KERNEL_API = "autograder.checks.kernel.api"
# Top-level names that define hidden inputs: constants (seeds, cases, sizes, file names) and the
# functions that build inputs (named `*_input(s)` or `*_case(s)` by convention).
HIDDEN = re.compile(r"[A-Z][A-Z0-9_]*|\w*_(?:inputs?|cases?)")
NOT_INPUTS = {
    "OBSERVATION_MIME",  # kernel/api.py: the mime type observations travel under
    "BY_HAND",  # layers: the name of the student's function
    "IMAGE_HINT",  # quiz: a message
    "LIBRARIES",  # kernel/api.py: the modules whose type names a message may quote,
    "OTHER_TYPE",  # and the words for any other type,
    "OTHER_EXCEPTION",  # or exception,
    "HEAP_TYPE",  # and the flag of a class made at run time,
    "NAME",  # and the form of a name it may quote
}


def defined(source: str) -> set[str]:
    """The names a module's source defines at its top level."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def hidden_inputs(source: str) -> set[str]:
    return {name for name in defined(source) if HIDDEN.fullmatch(name) and name not in NOT_INPUTS}


def catalogue(assignment: str) -> dict[str, list[str]]:
    """{hidden-input name: the items whose kernel file defines it}."""
    owners: dict[str, list[str]] = {}
    for gid, item in sorted(items(assignment).items()):
        for name in hidden_inputs(item.kernel_sources()[item.kernel_module.__name__]):
            owners.setdefault(name, []).append(gid)
    return owners


def foreign_inputs(item, sources: dict[str, str], owners: dict[str, list[str]]) -> list[str]:
    """What, in the probe of `item` (`sources`, {module: source}) outside the item's own file,
    defines a hidden input or names one of any item."""
    problems = []
    for module, source in sources.items():
        if module == item.kernel_module.__name__:
            continue
        problems += [f"{module} defines {name}" for name in sorted(hidden_inputs(source))]
        problems += [
            f"{module} names {name}, a hidden input of {', '.join(gids)}"
            for name, gids in sorted(owners.items())
            if re.search(rf"\b{name}\b", source)
        ]
    return problems


def check_imports(source: str, allowed: set[str]) -> list[str]:
    """The modules of autograder a source imports that are not `allowed`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("autograder")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder"):
            if node.module not in allowed:  # a module, or a package whose modules are imported
                found += [f"{node.module}.{a.name}" for a in node.names]
    return [m for m in found if m not in allowed]


def kernel_package(item) -> str:
    return item.kernel_module.__name__.rpartition(".")[0]


def foreign_imports(item, sources: dict[str, str]) -> list[str]:
    """Check modules that a file of the probe of `item` imports but the probe does not carry (an
    import from another item's file would work in-process and fail in a kernel)."""
    carried = {KERNEL_API, f"{kernel_package(item)}._shared"}
    return [f"{module} imports {name}" for module, source in sources.items() for name in check_imports(source, carried)]


# ----------------------------------------------------------------------------- the kernel side
@pytest.mark.parametrize("assignment", assignment_names())
def test_a_probe_carries_only_its_own_items_hidden_inputs(assignment):
    owners = catalogue(assignment)
    assert owners, "the rule found no hidden inputs at all"
    for item in items(assignment).values():
        sources = item.kernel_sources()
        assert list(sources)[-1] == item.kernel_module.__name__
        assert not foreign_inputs(item, sources, owners), item.grade_id
        assert not foreign_imports(item, sources), item.grade_id


def probe_with(grade_id: str, module_suffix: str, line: str) -> tuple:
    """The real probe of a neural_nets item, with `line` appended to its module ending in `module_suffix`."""
    item = items("neural_nets")[grade_id]
    sources = {
        module: source + ("\n" + line + "\n" if module.endswith(module_suffix) else "")
        for module, source in item.kernel_sources().items()
    }
    return item, sources


def test_the_rule_catches_a_hidden_input_left_in_shared():
    item, sources = probe_with("Z_by_hand", "._shared", "BY_HAND_CASES = ((21, 7), (22, 1), (23, 20))")
    problems = foreign_inputs(item, sources, catalogue("neural_nets"))
    assert problems == [
        "autograder.checks.kernel.neural_nets.layers._shared defines BY_HAND_CASES",
        "autograder.checks.kernel.neural_nets.layers._shared names BY_HAND_CASES, a hidden input "
        "of Z_by_hand, Z_by_hand_ones",
    ]
    item, sources = probe_with("layer1", "._shared", "def by_hand_case(seed, rows):\n    return seed, rows")
    assert foreign_inputs(item, sources, catalogue("neural_nets")) == [
        "autograder.checks.kernel.neural_nets.layers._shared defines by_hand_case",
        "autograder.checks.kernel.neural_nets.layers._shared names by_hand_case, a hidden input of Z_by_hand, "
        "Z_by_hand_ones",
    ]


def test_the_rule_catches_shared_code_that_uses_another_items_inputs():
    item, sources = probe_with("relu", "._shared", "def _slopes():\n    return SLOPES")
    assert foreign_inputs(item, sources, catalogue("neural_nets")) == [
        "autograder.checks.kernel.neural_nets.activations_losses._shared names SLOPES, a hidden input of leaky_relu"
    ]


def test_the_rule_catches_an_item_that_imports_another_items_inputs():
    item, sources = probe_with(
        "Z_by_hand_ones",
        ".Z_by_hand_ones",
        "from autograder.checks.kernel.neural_nets.layers.Z_by_hand import OWN_INPUTS",
    )
    assert foreign_imports(item, sources) == [
        "autograder.checks.kernel.neural_nets.layers.Z_by_hand_ones imports "
        "autograder.checks.kernel.neural_nets.layers.Z_by_hand.OWN_INPUTS"
    ]
    item, sources = probe_with("layer2", ".layer2", "from autograder.checks.kernel.neural_nets.layers import layer1")
    assert foreign_imports(item, sources) == [
        "autograder.checks.kernel.neural_nets.layers.layer2 imports autograder.checks.kernel.neural_nets.layers.layer1"
    ]


# ----------------------------------------------------------------------------- the grader side
def grader_kernel_imports(item, source: str) -> list[str]:
    """The kernel-side modules a grader-side file of `item` imports besides its own item's, its
    notebook's shared helpers and the vocabulary."""
    kernel_side = [m for m in check_imports(source, set()) if m.startswith("autograder.checks.kernel")]
    package = kernel_package(item)
    allowed = {KERNEL_API, f"{package}._shared", item.kernel_module.__name__}
    return [m for m in kernel_side if m not in allowed and m.rpartition(".")[0] not in allowed]


@pytest.mark.parametrize("assignment", assignment_names())
def test_the_grader_side_rebuilds_inputs_from_its_own_item(assignment):
    for item in items(assignment).values():
        assert not grader_kernel_imports(item, checks.module_source(item.grader_module)), item.grade_id
    for path in (checks.HERE / "grader" / assignment).glob("*/_shared.py"):  # helpers of several items
        kernel_side = [m for m in check_imports(path.read_text(), set()) if m.startswith("autograder.checks.kernel")]
        assert all(
            m == KERNEL_API or m.endswith("._shared") or m.rpartition(".")[0].endswith("._shared") for m in kernel_side
        ), (path, kernel_side)


def test_the_grader_rule_catches_another_items_inputs():
    item = items("neural_nets")["Z_by_hand_ones"]
    planted = "from autograder.checks.kernel.neural_nets.layers import Z_by_hand as kernel\n"
    assert grader_kernel_imports(item, planted) == ["autograder.checks.kernel.neural_nets.layers.Z_by_hand"]
    own = "from autograder.checks.kernel.neural_nets.layers import Z_by_hand_ones as kernel\n"
    assert grader_kernel_imports(item, own) == []


# ----------------------------------------------------------------------------- pairs
@pytest.mark.parametrize("assignment", assignment_names())
def test_every_item_loads_and_each_grader_file_has_one_test(assignment):
    found = items(assignment)
    assert found
    grader_files = sorted((checks.HERE / "grader" / assignment).glob("*/test_*.py"))
    kernel_files = sorted(p for p in (checks.HERE / "kernel" / assignment).glob("*/*.py") if not p.stem.startswith("_"))
    assert len(grader_files) == len(kernel_files) == len(found)
    for path in grader_files:
        grade_id = path.stem.removeprefix("test_")
        tests = [n for n in defined(path.read_text()) if n.startswith("test_")]
        assert tests == [f"test_{grade_id}"], path
        assert found[grade_id].grader_module.__file__ == str(path)
        assert found[grade_id].kernel_module.__file__ == str(
            checks.HERE / "kernel" / assignment / path.parent.name / f"{grade_id}.py"
        )


@pytest.fixture
def checks_copy(tmp_path, monkeypatch):
    """A copy of autograder/checks that items() reads instead of the real one."""
    engine = tmp_path / "autograder"
    shutil.copytree(checks.HERE, engine / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(checks, "HERE", engine / "checks")
    monkeypatch.setattr(checks, "ENGINE", engine)
    items.cache_clear()
    yield engine / "checks"
    items.cache_clear()


def test_a_kernel_file_without_its_test_is_refused(checks_copy):
    (checks_copy / "kernel" / "neural_nets" / "layers" / "layer4.py").write_text("def observe(ns):\n    return {}\n")
    with pytest.raises(
        OrphanCheck,
        match=re.escape("autograder/checks/kernel/neural_nets/layers/layer4.py has no grader-side test_layer4.py"),
    ):
        items("neural_nets")


def test_a_grader_file_without_its_observer_is_refused(checks_copy):
    (checks_copy / "grader" / "mnist_quiz" / "quiz" / "test_mnist_accuracy_99.py").write_text(
        "def test_mnist_accuracy_99(obs):\n    pass\n"
    )
    with pytest.raises(
        OrphanCheck,
        match=re.escape(
            "autograder/checks/grader/mnist_quiz/quiz/test_mnist_accuracy_99.py has no kernel-side mnist_accuracy_99.py"
        ),
    ):
        items("mnist_quiz")


def test_a_second_test_in_a_grader_file_is_refused(monkeypatch):
    module = items("neural_nets")["W"].grader_module

    def test_W_again(obs):
        pass

    test_W_again.__module__ = module.__name__
    monkeypatch.setattr(module, "test_W_again", test_W_again, raising=False)
    items.cache_clear()
    try:
        with pytest.raises(OrphanCheck, match=re.escape(f"{module.__name__} defines test_W_again besides test_W")):
            items("neural_nets")
    finally:
        monkeypatch.undo()
        items.cache_clear()
    assert "W" in items("neural_nets")
