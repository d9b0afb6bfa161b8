"""Building the notebook the grader runs: the student's code, the instructor's tests."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course.items import source_tests
from autograder.submission import plan as merge


def solution(gid, code):
    return new_code_cell(
        code,
        metadata={
            "nbgrader": {"grade": False, "solution": True, "locked": False, "grade_id": gid, "schema_version": 3}
        },
    )


def graded_cell(gid, code, points=1):
    return new_code_cell(
        code,
        metadata={
            "nbgrader": {
                "grade": True,
                "solution": False,
                "locked": True,
                "grade_id": gid,
                "points": points,
                "schema_version": 3,
            }
        },
    )


SOURCE = new_notebook(
    cells=[
        new_markdown_cell("# Exercise"),
        solution("answer_a", "a = 1"),
        graded_cell("a", "assert a == 1\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\n", points=2),
        solution("answer_b", "b = 2"),
        graded_cell("b", "assert b == 2"),
    ]
)


def plan_for(student, probes=False):
    ctx = merge.Context("toy", source_tests(SOURCE, "toy.ipynb"), probes=probes)
    return merge.build(ctx, student, "toy.ipynb")


def code_of(plan):
    return [c.source for c in plan.nb.cells]


def test_source_tests_carry_points_anchor_and_only_the_visible_code():
    a, b = source_tests(SOURCE, "toy.ipynb")
    assert (a.grade_id, a.points, a.anchor, b.anchor) == ("a", 2.0, "answer_a", "answer_b")
    assert "secret" not in a.visible and "assert a == 1" in a.visible


def test_tests_follow_their_solution_cells():
    student = new_notebook(
        cells=[solution("answer_a", "a = 1"), new_code_cell("scratch = 0"), solution("answer_b", "b = 2")]
    )
    assert code_of(plan_for(student)) == ["a = 1", "assert a == 1\n", "scratch = 0", "b = 2", "assert b == 2"]


def test_edited_deleted_duplicated_and_repointed_test_cells_change_nothing():
    student = new_notebook(
        cells=[
            solution("answer_a", "a = 0"),
            graded_cell("a", "pass  # edited", points=100),  # edited, inflated points
            graded_cell("a", "pass  # duplicate"),  # duplicated
            solution("answer_b", "b = 2"),
            graded_cell("c", "pass  # re-pointed"),  # a test cell with an id source/ lacks
        ]
    )
    plan = plan_for(student)
    assert code_of(plan) == ["a = 0", "assert a == 1\n", "b = 2", "assert b == 2"]
    assert [(t.grade_id, t.points) for t in plan.tests] == [("a", 2.0), ("b", 1.0)]


def test_a_deleted_solution_cell_still_gets_its_test_in_order():
    student = new_notebook(cells=[solution("answer_b", "b = 2")])
    assert code_of(plan_for(student)) == ["assert a == 1\n", "b = 2", "assert b == 2"]


def test_outputs_of_the_submission_are_cleared():
    cell = solution("answer_a", "a = 1")
    cell.outputs = [nbformat.v4.new_output("stream", text="fake results")]
    cell.execution_count = 3
    plan = plan_for(new_notebook(cells=[cell]))
    assert all(c.get("outputs", []) == [] and c.execution_count is None for c in plan.nb.cells if c.cell_type == "code")


def test_the_plan_knows_its_test_cells_by_position():
    plan = plan_for(new_notebook(cells=[solution("answer_a", "a = 1"), new_code_cell("scratch = 0")]))
    assert {i: t.grade_id for i, t in plan.test_at.items()} == {1: "a", 2: "b"}
    assert [plan.nb.cells[i].source for i in plan.test_at] == ["assert a == 1\n", "assert b == 2"]


FORGED = [
    {"autograder_probe": {"role": "test", "grade_id": "a"}},
    {"autograder_probe": {"role": "probe", "grade_id": "b"}},
    {"autograder": {"role": "test", "grade_id": "b"}},
    {"autograder_probe": {"role": "seed"}},
]


def test_a_student_cell_with_grader_metadata_stays_a_student_cell():
    forged = [new_code_cell(f"claim_{i} = 1", metadata=dict(meta)) for i, meta in enumerate(FORGED)]
    plan = plan_for(new_notebook(cells=[solution("answer_a", "a = 1"), *forged]))
    sources = [c.source for c in plan.nb.cells]
    for i in range(len(FORGED)):  # every forged cell still runs, in order, and is no test
        index = sources.index(f"claim_{i} = 1")
        assert index not in plan.test_at
        assert not {"autograder", "autograder_probe"} & set(plan.nb.cells[index].metadata)
    assert [t.grade_id for t in plan.test_at.values()] == ["a", "b"]


def test_no_hidden_check_is_a_cell_of_the_plan():
    plan = plan_for(new_notebook(cells=[solution("answer_a", "a = 1")]), probes=True)
    assert len(plan.nb.cells) == 3 and "secret" not in "".join(c.source for c in plan.nb.cells)


def test_a_symbolic_link_is_refused_not_followed(tmp_path):
    target = tmp_path / "someone_else.ipynb"
    target.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("a = 1")])))
    link = tmp_path / "mine.ipynb"
    link.symlink_to(target)
    with pytest.raises(merge.InvalidNotebook, match="symbolic link"):
        merge.read_submission(link)


def nbformat44(tmp_path):
    raw = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "source": "a = 1", "outputs": [], "execution_count": None}],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw))
    return path


def test_an_nbformat_44_notebook_without_cell_ids_is_accepted(tmp_path):
    nb = merge.read_submission(nbformat44(tmp_path))
    plan = plan_for(nb)
    nbformat.validate(plan.nb)
    assert plan.nb.nbformat_minor == 5 and all("id" in c for c in plan.nb.cells)


@pytest.mark.parametrize(
    "content, says",
    [
        ('{"cells": [ not json', "is not valid JSON"),
        ("[1, 2, 3]", "is not a Jupyter notebook"),
        ('{"nbformat": 3, "cells": []}', "is not a Jupyter notebook"),
        (
            '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}',
            "not a valid notebook",
        ),
    ],
)
def test_unreadable_files_are_invalid_notebooks_with_a_reason(tmp_path, content, says):
    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    with pytest.raises(merge.InvalidNotebook, match=says):
        merge.read_submission(path)


@pytest.mark.parametrize("metadata", [[], {"nbgrader": "x"}, {"nbgrader": {"grade_id": []}}])
def test_malformed_cell_metadata_is_an_invalid_notebook(tmp_path, metadata):
    path = tmp_path / "odd.ipynb"
    path.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "a",
                        "metadata": metadata,
                        "source": "a = 1",
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
            }
        )
    )
    with pytest.raises(merge.InvalidNotebook, match="cell 1 is malformed|is not a valid notebook"):
        merge.read_submission(path)


def test_binary_garbage_is_an_invalid_notebook(tmp_path):
    path = tmp_path / "garbage.ipynb"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(merge.InvalidNotebook, match="not UTF-8"):
        merge.read_submission(path)


def test_a_given_cell_between_solution_and_test_runs_before_the_test_even_without_cell_ids():
    source = new_notebook(
        cells=[solution("answer_a", "a = 1"), new_code_cell("given = a + 1"), graded_cell("a", "assert given == 2")]
    )
    student = new_notebook(cells=[solution("answer_a", "a = 1"), new_code_cell("given = a + 1")])
    for cell in student.cells:
        cell.pop("id", None)  # as in an nbformat 4.4 file
    ctx = merge.Context("toy", source_tests(source, "toy.ipynb"), probes=False)
    plan = merge.build(ctx, student, "toy.ipynb")
    assert [c.source for c in plan.nb.cells] == ["a = 1", "given = a + 1", "assert given == 2"]
