"""Intake (autograder/intake/): each LMS's download, as a folder and as its zip, read into one
folder per student under the release/ names; resubmissions and attempts resolved to the latest;
an unknown layout refused with the names seen and the layouts known."""

from __future__ import annotations

import zipfile

import pytest

from autograder import intake
from autograder.intake import archive
from tests.intake import lms
from tests.intake.lms import NOTEBOOKS, tag_of


def read(root, tmp_path):
    return intake.read(root, "neural_nets", list(NOTEBOOKS), tmp_path / "out")


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_canvas_flat_names_become_a_folder_per_canvas_user_id(tmp_path, as_zip):
    root = lms.canvas(tmp_path / "download")
    if as_zip:
        root = lms.zipped(root, tmp_path / "submissions.zip")
    taken = read(root, tmp_path)
    assert taken.layout == "Canvas download" and taken.ignored == []
    assert set(taken.submissions) == {"12345", "23456", "34567"}
    john = taken.submissions["12345"]
    assert john.name == "smithjohn" and not john.late_flag and john.submitted_at is None
    assert sorted(p.name for p in john.folder.iterdir()) == ["01_layers.ipynb", "02_activations_losses.ipynb"]
    assert tag_of(john.folder / "01_layers.ipynb") == "john layers v0"
    alan = taken.submissions["34567"]
    assert [p.name for p in alan.folder.iterdir()] == ["my layers.ipynb"]  # kept: grading says it is misnamed


def test_a_canvas_resubmission_chain_resolves_to_the_latest_and_says_so(tmp_path):
    ada = read(lms.canvas(tmp_path / "download"), tmp_path).submissions["23456"]
    assert [p.name for p in ada.folder.iterdir()] == ["01_layers.ipynb"]
    assert tag_of(ada.folder / "01_layers.ipynb") == "ada layers v2"
    assert ada.late_flag
    said = " ".join(ada.notes)
    assert "3 versions" in said and "the latest, lovelaceada_LATE_23456_790_01_layers-2.ipynb" not in said
    assert "the latest, 01_layers-2.ipynb, is graded" in said and "LATE" in said


def test_resubmission_suffixes_only_count_on_the_assignments_notebooks():
    files = {"01_layers-1.ipynb": "a", "01_layers.ipynb": "b", "notes-3.ipynb": "c", "01_layers-10.ipynb": "d"}
    chosen, notes = intake.resolve_resubmissions(files, list(NOTEBOOKS))
    assert chosen == {"01_layers.ipynb": "d", "notes-3.ipynb": "c"}  # -10 beats -1: numbers, not text
    assert len(notes) == 1


@pytest.mark.parametrize("in_folders", [True, False], ids=["folders", "flat"])
def test_moodle_folders_and_flat_files_become_a_folder_per_participant(tmp_path, in_folders):
    taken = read(lms.moodle(tmp_path / "download", in_folders), tmp_path)
    assert taken.layout == "Moodle download" and set(taken.submissions) == {"12345", "23456"}
    ada = taken.submissions["12345"]
    assert ada.name == "Ada Lovelace" and tag_of(ada.folder / "01_layers.ipynb") == "ada layers"
    if in_folders:
        assert sorted(p.name for p in ada.folder.iterdir()) == ["01_layers.ipynb", "03_training.ipynb"]
        assert any("onlinetext" in n and "not graded" in n for n in ada.notes)


def test_a_moodle_zip_with_its_folders_is_read(tmp_path):
    archive_path = lms.zipped(lms.moodle(tmp_path / "download"), tmp_path / "moodle.zip", prefix="Lab 1-12/")
    taken = read(archive_path, tmp_path)
    assert taken.layout == "Moodle download" and set(taken.submissions) == {"12345", "23456"}


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_blackboard_takes_the_latest_attempt_with_its_time_name_and_original_file_name(tmp_path, as_zip):
    root = lms.blackboard(tmp_path / "download")
    if as_zip:
        root = lms.zipped(root, tmp_path / "gradebook_NN101_Lab20120_2024-02-01-08-00-00.zip")
    taken = read(root, tmp_path)
    assert taken.layout == "Blackboard download" and set(taken.submissions) == {"jsmith", "alovelace"}
    ada = taken.submissions["alovelace"]
    assert tag_of(ada.folder / "01_layers.ipynb") == "ada attempt 2"
    assert ada.submitted_at.isoformat() == "2024-01-30T09:15:00" and "CST" in ada.time_source
    assert ada.name == "Ada Lovelace" and "2 attempts" in ada.notes[0]
    assert taken.submissions["jsmith"].notes == []


def test_one_folder_per_student_and_nbgraders_submitted_still_work(tmp_path):
    lms.write(
        tmp_path / "subs",
        {"ada/01_layers.ipynb": lms.notebook("a"), "bob/neural_nets/01_layers.ipynb": lms.notebook("b")},
    )
    taken = read(tmp_path / "subs", tmp_path)
    assert taken.layout == "one folder per student"
    assert taken.folders() == {"ada": tmp_path / "subs" / "ada", "bob": tmp_path / "subs" / "bob" / "neural_nets"}


@pytest.mark.parametrize(
    "files",
    [
        {"layers_final.ipynb": "{}", "notes.txt": "x"},  # loose notebooks nobody names this way
        {"ada/01_layers.ipynb": "{}", "stray.ipynb": "{}"},  # a folder layout would drop stray.ipynb
        {},
    ],
    ids=["unknown names", "loose notebook beside folders", "empty"],
)
def test_an_unknown_layout_is_refused_with_the_names_seen_and_the_layouts_known(tmp_path, files):
    root = lms.write(tmp_path / "download", files)
    root.mkdir(exist_ok=True)
    with pytest.raises(intake.IntakeError) as refused:
        read(root, tmp_path)
    said = str(refused.value)
    assert "Canvas download" in said and "Moodle download" in said and "Blackboard download" in said
    assert "one folder per student" in said
    for name in files:
        assert name.split("/")[0] in said
    if not files:
        assert "empty folder" in said


def test_a_zip_that_would_write_outside_or_is_not_a_zip_is_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside.ipynb", "{}")
    with pytest.raises(intake.IntakeError, match="would land outside"):
        read(evil, tmp_path)
    assert not (tmp_path / "out" / "outside.ipynb").exists() and not (tmp_path / "outside.ipynb").exists()
    broken = tmp_path / "broken.zip"
    broken.write_text("not a zip")
    with pytest.raises(intake.IntakeError, match="not a readable zip"):
        read(broken, tmp_path)


def test_a_zip_too_big_unpacked_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_BYTES", 10)
    with pytest.raises(intake.IntakeError, match="GB unpacked"):
        read(lms.zipped(lms.canvas(tmp_path / "d"), tmp_path / "s.zip"), tmp_path)


def test_the_stage_is_rebuilt_each_run(tmp_path):
    root = lms.canvas(tmp_path / "download")
    read(root, tmp_path)
    (root / "turingalan_34567_801_my layers.ipynb").unlink()
    taken = read(root, tmp_path)
    assert "34567" not in taken.submissions and not (tmp_path / "out" / ".intake" / "34567").exists()


def test_gradescopes_submission_metadata_gives_the_time_and_a_broken_one_costs_only_that_time(tmp_path):
    lms.write(
        tmp_path / "subs",
        {
            "ada/01_layers.ipynb": lms.notebook("a"),
            "ada/submission_metadata.json": '{"created_at": "2026-03-02T08:30:00.123456-08:00", "id": 1}',
            "bob/01_layers.ipynb": lms.notebook("b"),
        },
    )
    taken = read(tmp_path / "subs", tmp_path)
    ada, bob = taken.submissions["ada"], taken.submissions["bob"]
    assert ada.submitted_at.isoformat() == "2026-03-02T08:30:00.123456-08:00" and "Gradescope" in ada.time_source
    assert bob.submitted_at is None and bob.time_source == ""
    (tmp_path / "subs" / "bob" / "submission_metadata.json").write_text('{"id": 2}')
    bob = read(tmp_path / "subs", tmp_path).submissions["bob"]
    assert bob.submitted_at is None and "no readable created_at" in bob.notes[0]
