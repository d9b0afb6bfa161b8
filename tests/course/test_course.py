"""Assignments found from folders: source/<a>/assignment.toml read and checked, every misuse a
UsageError that names the file (or the assignment) and what to do."""

from __future__ import annotations

import re

import pytest

from autograder import course
from autograder.course import Board, Limits, UsageError

FULL = """\
[limits]
cell_timeout = 30
total_timeout = 90
memory_mb = 512
cores = 2
data_files = ["a.pt", "MNIST/raw"]

[[leaderboard]]
name = "Accuracy (%)"
measure = "accuracy"
scale = 100.0

[[leaderboard]]
name = "Loss"
measure = "loss"
order = "asc"
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """An empty course: source/ and release/ under tmp_path, settings read afresh."""
    monkeypatch.setattr(course, "SOURCE", tmp_path / "source")
    monkeypatch.setattr(course, "RELEASE", tmp_path / "release")
    course.settings.cache_clear()
    yield tmp_path
    course.settings.cache_clear()


def assignment(tree, name, config: str | None = "", notebooks=(), released=()):
    folder = tree / "source" / name
    folder.mkdir(parents=True)
    if config is not None:
        (folder / course.CONFIG).write_text(config)
    for nb in notebooks:
        (folder / nb).write_text("{}")
    for nb in released:
        (tree / "release" / name).mkdir(parents=True, exist_ok=True)
        (tree / "release" / name / nb).write_text("{}")
    return folder / course.CONFIG


# ----------------------------------------------------------------------------- names
def test_names_are_the_source_folders_with_an_assignment_toml_sorted(tree):
    assignment(tree, "zeta")
    assignment(tree, "alpha")
    assignment(tree, "drafts", config=None)
    (tree / "source" / "notes.toml").write_text("")
    assert course.names() == ("alpha", "zeta")


def test_no_source_folder_is_no_assignment(tree):
    assert course.names() == ()
    with pytest.raises(UsageError, match=re.escape("choose one of (none)")):
        course.settings("anything")


def test_the_courses_own_assignments_are_found_and_their_settings_read():
    assert {"neural_nets", "mnist_quiz"} <= set(course.names())
    for name in course.names():
        assert isinstance(course.settings(name).limits, Limits)


# ----------------------------------------------------------------------------- assignment.toml
def test_every_key_is_read(tree):
    assignment(tree, "a", FULL)
    settings = course.settings("a")
    assert settings.limits == Limits(30, 90, 512, 2, ("a.pt", "MNIST/raw"))
    assert settings.leaderboard == (Board("Accuracy (%)", "accuracy", 100.0, "desc"), Board("Loss", "loss", 1.0, "asc"))


def test_an_empty_file_means_the_defaults(tree):
    assignment(tree, "a", "# nothing yet\n")
    assert course.settings("a") == course.Settings(Limits(), ())


def test_a_folder_without_assignment_toml_is_unknown_and_the_message_names_the_file(tree):
    assignment(tree, "real")
    assignment(tree, "draft", config=None)
    with pytest.raises(UsageError) as raised:
        course.settings("draft")
    assert str(raised.value) == (
        "source/draft/ has no assignment.toml: add one (see docs/instructors.md; "
        "source/real/assignment.toml is an example)"
    )
    with pytest.raises(UsageError) as raised:
        course.settings("nowhere")
    message = str(raised.value)
    assert "unknown assignment 'nowhere'" in message and "choose one of real" in message
    assert "source/<name>/ with an assignment.toml" in message and "autograder new" in message


@pytest.mark.parametrize(
    "config, says",
    [
        ('[limits]\ncell_timeout = "fast"\n', "cell_timeout = 'fast' should be a number of seconds above 0"),
        ("[limits]\ntotal_timeout = -5\n", "total_timeout = -5 should be a number of seconds above 0"),
        ("[limits]\ncores = 1.5\n", "cores = 1.5 should be a whole number above 0"),
        ("[limits]\nmemory_mb = true\n", "memory_mb = True should be a whole number above 0"),
        ("[limits]\ndata_files = [1, 2]\n", "data_files = (1, 2) should be a list of paths under data/"),
    ],
)
def test_a_wrong_value_is_a_usage_error_naming_the_file_and_the_key(tree, config, says):
    path = assignment(tree, "a", config)
    with pytest.raises(UsageError) as raised:
        course.settings("a")
    assert str(raised.value) == f"{path}: [limits] {says}"


@pytest.mark.parametrize(
    "config, says",
    [
        ("[limit]\ncell_timeout = 3\n", "unknown section(s) ['limit']; known: [limits], [[leaderboard]]"),
        ("[limits]\ncell_timout = 3\n", "unexpected keyword argument 'cell_timout'"),
        ("[[leaderboard]]\nname = 'x'\nmeasure = 'y'\ncolour = 'red'\n", "unexpected keyword argument 'colour'"),
        ("[[leaderboard]]\nname = 'x'\n", "missing 1 required positional argument: 'measure'"),
        ("limits = 3\n", "object is not iterable"),
        ("[limits]\ndata_files = 3\n", "object is not iterable"),
    ],
)
def test_a_wrong_key_is_a_usage_error_naming_the_file(tree, config, says):
    path = assignment(tree, "a", config)
    with pytest.raises(UsageError) as raised:
        course.settings("a")
    assert str(raised.value).startswith(f"{path}: ") and says in str(raised.value)


def test_bad_toml_is_a_usage_error_naming_the_file(tree):
    path = assignment(tree, "a", "[limits\ncell_timeout = \n")
    with pytest.raises(UsageError, match=rf"^{re.escape(str(path))} is not valid TOML \(.*\): fix it$"):
        course.settings("a")


def test_settings_are_read_once_per_process(tree):
    path = assignment(tree, "a", "[limits]\ncores = 3\n")
    assert course.settings("a").limits.cores == 3
    path.write_text("[limits]\ncores = 4\n")
    assert course.settings("a").limits.cores == 3


# ----------------------------------------------------------------------------- load
def test_load_takes_the_released_notebooks_in_order(tree):
    assignment(
        tree,
        "a",
        "[limits]\ncores = 2\n",
        notebooks=["02_b.ipynb", "01_a.ipynb"],
        released=["02_b.ipynb", "01_a.ipynb"],
    )
    (tree / "release" / "a" / "notes.md").write_text("not a notebook")
    loaded = course.load("a")
    assert loaded == course.Assignment("a", ("01_a.ipynb", "02_b.ipynb"))
    assert loaded.limits.cores == 2 and loaded.leaderboard == ()


def test_load_of_an_unknown_assignment_names_the_known_ones(tree):
    assignment(tree, "a")
    with pytest.raises(UsageError, match="unknown assignment 'b': choose one of a;"):
        course.load("b")


def test_load_without_a_release_says_to_release_first(tree):
    assignment(tree, "a", notebooks=["01_a.ipynb"])
    with pytest.raises(
        UsageError, match=re.escape("release/a/ has no notebooks: run `python -m autograder release a` first")
    ):
        course.load("a")


def test_load_refuses_a_release_that_source_lacks(tree):
    assignment(tree, "a", notebooks=["01_a.ipynb"], released=["01_a.ipynb", "02_gone.ipynb"])
    with pytest.raises(
        UsageError,
        match=re.escape("release/a/ has notebooks that source/a/ lacks: ['02_gone.ipynb']; regenerate release/"),
    ):
        course.load("a")


def test_gradescope_visibility_defaults_and_choices(tree):
    """Hidden checks after the due date, visible checks at once, unless [gradescope] says otherwise."""
    assignment(tree, "a", "")
    assert course.settings("a").gradescope == course.Visibility("visible", "after_due_date", "after_due_date")
    course.settings.cache_clear()
    assignment(tree, "b", '[gradescope]\nhidden_checks = "visible"\nresults = "visible"\n')
    assert course.settings("b").gradescope == course.Visibility("visible", "visible", "visible")


def test_a_wrong_gradescope_visibility_is_a_usage_error(tree):
    path = assignment(tree, "a", '[gradescope]\nhidden_checks = "later"\n')
    with pytest.raises(UsageError) as raised:
        course.settings("a")
    assert str(raised.value) == (
        f"{path}: [gradescope] hidden_checks = 'later' should be one of visible, hidden, "
        "after_due_date, after_published"
    )
