"""The graded items of an assignment, as the instructor wrote them in source/: each test cell with
its points, its visible code, the solution cell it follows, and the names its answer defines."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from . import notebooks


@dataclass(frozen=True)
class TestCell:
    """A graded item as the instructor wrote it in source/."""

    grade_id: str
    points: float
    visible: str  # the test cell's code without its hidden region
    anchor: str | None  # grade_id of the solution cell it follows in source/
    notebook: str  # file name, e.g. 01_layers.ipynb
    before: tuple[str | None, str | None, str] = (None, None, "")  # the source cell right before
    # it: (id, grade_id, code), to find the student's copy of that cell
    names: tuple[str, ...] = ()  # the item's objects: what its answer cell defines and its
    # visible test reads (e.g. ("w_weight",)); another item's NameError on one points here


def source_tests(source_nb, notebook: str) -> list[TestCell]:
    """The graded items of a source notebook, in order, each with the solution cell it follows."""
    tests, anchor, previous = [], None, None
    for cell in source_nb.cells:
        if notebooks.is_solution_cell(cell):
            anchor = notebooks.grade_id(cell)
        elif notebooks.is_test_cell(cell):
            before = (
                (None, None, "")
                if previous is None
                else (previous.get("id"), notebooks.grade_id(previous), previous.source)
            )
            visible = notebooks.visible_part(cell.source)
            names = item_names(previous.source, visible) if before[1] is not None and before[1] == anchor else ()
            tests.append(
                TestCell(notebooks.grade_id(cell), notebooks.points(cell), visible, anchor, notebook, before, names)
            )
        previous = cell
    return tests


def item_names(answer: str, visible: str) -> tuple[str, ...]:
    """The names an answer cell defines at top level (assigned, def, class) or shows on its last
    line (`print(w_bias)`, `layer1`), that the item's visible test also reads: names students see."""
    try:
        test_tree = ast.parse(visible)
    except SyntaxError:
        return ()
    read = {n.id for n in ast.walk(test_tree) if isinstance(n, ast.Name)}
    return tuple(name for name in answer_names(answer) if name in read)


def answer_names(answer: str) -> tuple[str, ...]:
    """The names an answer cell defines at top level (assigned, def, class) or shows on its last
    line, in order, once each; () when it does not parse."""
    try:
        answer_tree = ast.parse(answer)
    except SyntaxError:
        return ()
    defined: list[str] = []
    for node in answer_tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if answer_tree.body and isinstance(answer_tree.body[-1], ast.Expr):
        defined += [n.id for n in ast.walk(answer_tree.body[-1]) if isinstance(n, ast.Name)]
    return tuple(dict.fromkeys(defined))
