"""The LMS file names follow nbgrader's ZipCollect contract: each adapter's NAMED_REGEXP, given to
nbgrader's own FileNameCollectorPlugin, collects the same student_id, file_id (and timestamp) as
the adapter's match does."""

from __future__ import annotations

import pytest

from autograder import intake
from autograder.intake import blackboard, canvas, moodle
from tests.intake import lms


@pytest.mark.parametrize(
    ("adapter", "make"),
    [(canvas, lms.canvas), (moodle, lambda root: lms.moodle(root, in_folders=False)), (blackboard, lms.blackboard)],
    ids=["canvas", "moodle", "blackboard"],
)
def test_nbgraders_plugin_collects_what_the_adapter_does(tmp_path, adapter, make):
    zipcollect = pytest.importorskip("nbgrader.plugins.zipcollect")
    plugin = zipcollect.FileNameCollectorPlugin(named_regexp=adapter.NAMED_REGEXP.pattern)
    names = sorted(p.name for p in make(tmp_path).iterdir())
    notebooks = [n for n in names if n.endswith(".ipynb")]
    assert notebooks
    for name in names:
        ours = intake.match(adapter.NAMED_REGEXP, name)
        assert plugin.collect(name) == ours
        if name.endswith(".ipynb"):
            assert ours["student_id"] and ours["file_id"].endswith(".ipynb")
