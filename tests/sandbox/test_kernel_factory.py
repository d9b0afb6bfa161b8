"""The zygote's own side (sandbox/kernel_factory.py, run as a script): emptying what a notebook may
write, its request/reply protocol, and what a forked kernel gets from its request. Run without a
sandbox and without preloading torch, so that each test takes a second or two."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from autograder.sandbox import kernel_factory
from autograder.sandbox.kernel_factory import KernelRequest


def light_zygote() -> list[str]:
    """The command of a zygote that preloads nothing (torch alone takes seconds to import)."""
    folder = os.path.dirname(kernel_factory.__file__)
    return [
        sys.executable,
        "-I",
        "-c",
        f"import sys; sys.path.insert(0, {folder!r}); import kernel_factory; "
        "kernel_factory.PRELOAD = (); kernel_factory.serve()",
    ]


@pytest.fixture
def zygote():
    """A running light zygote: ask(request) -> reply (whose echo of the request's id is checked,
    then left out)."""
    process = subprocess.Popen(
        light_zygote(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        start_new_session=True,
        env={**os.environ, kernel_factory.CHANNEL: "0,1"},  # here: on stdin and stdout
    )
    asked = iter(range(10**6))

    def ask(request: dict | None = None) -> dict:
        request_id = f"request-{next(asked)}"
        if request is not None:
            process.stdin.write(json.dumps({**request, "id": request_id}) + "\n")
            process.stdin.flush()
        reply = json.loads(process.stdout.readline())
        if request is not None:
            assert reply.pop("id") == request_id
        return reply

    ask.process = process
    yield ask
    process.kill()
    process.wait()


def litter(folder: Path) -> None:
    """What a notebook may leave: files, deep folders, a read-only folder, a link out."""
    (folder / "deep" / "er" / "est").mkdir(parents=True)
    (folder / "deep" / "er" / "est" / "f.txt").write_text("x")
    (folder / "file.bin").write_bytes(b"\0" * 10)
    (folder / "locked" / "in").mkdir(parents=True)
    (folder / "locked" / "in" / "f").write_text("x")
    os.chmod(folder / "locked" / "in", stat.S_IRUSR | stat.S_IXUSR)
    os.chmod(folder / "locked", stat.S_IRUSR | stat.S_IXUSR)


def wait_for(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"not within {seconds} s: {condition.__doc__}")


# ----------------------------------------------------------------------------- emptying folders
def test_empty_removes_everything_a_notebook_left_but_does_not_follow_links(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the notebook's")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    litter(scratch)
    (scratch / "link").symlink_to(outside)
    (scratch / "link_to_file").symlink_to(outside / "keep.txt")
    kernel_factory._empty(str(scratch), set())
    assert list(scratch.iterdir()) == []
    assert (outside / "keep.txt").read_text() == "not the notebook's"


def test_empty_keeps_mount_points_and_the_folders_on_the_way_to_one(tmp_path):
    (tmp_path / "env" / "lib").mkdir(parents=True)
    (tmp_path / "env" / "lib" / "python.py").write_text("bound read-only")
    (tmp_path / "env" / "stray.txt").write_text("x")
    (tmp_path / "bound").mkdir()
    (tmp_path / "bound" / "data.pt").write_text("bound")
    (tmp_path / "envy").mkdir()  # a name that starts like a mount point's folder is no way to it
    mounts = {str(tmp_path / "env" / "lib"), str(tmp_path / "bound")}
    kernel_factory._empty(str(tmp_path), mounts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bound", "env"]
    assert [p.name for p in (tmp_path / "env").iterdir()] == ["lib"]
    assert (tmp_path / "env" / "lib" / "python.py").exists() and (tmp_path / "bound" / "data.pt").exists()


def test_empty_makes_a_missing_folder(tmp_path):
    kernel_factory._empty(str(tmp_path / "tmp" / "new"), set())
    assert (tmp_path / "tmp" / "new").is_dir()


def test_clean_without_kill_empties_every_folder_and_kills_nothing(tmp_path):
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        litter(folder)
    assert kernel_factory._clean([str(f) for f in folders], kill=False) == 0
    assert all(list(f.iterdir()) == [] for f in folders)


# ----------------------------------------------------------------------------- the protocol
def test_the_zygote_says_ready_then_cleans_and_reports_what_resisted(zygote, tmp_path):
    assert zygote() == {"ready": True}
    litter(tmp_path)
    assert zygote({"clean": {"folders": [str(tmp_path)], "kill": False}}) == {"cleaned": 0}
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("a file where a folder should be")
    reply = zygote({"clean": {"folders": [str(tmp_path / "file" / "sub")], "kill": False}})
    assert reply["error"].startswith(("FileExistsError", "NotADirectoryError"))
    assert zygote({"clean": {"folders": [], "kill": False}}) == {"cleaned": 0}  # and it still serves


def test_a_request_survives_its_trip_through_json():
    request = KernelRequest(
        "/run/kernel/kernel.json",
        "/sandbox/a",
        {"HOME": "/sandbox/home"},
        "/run/kernel/log",
        {"RLIMIT_CORE": 0},
        (0, 1),
        {"ip": "/run/kernel/kernel", "key": "k"},
    )
    back = KernelRequest(**json.loads(json.dumps({"fork": asdict(request)}))["fork"])
    assert asdict(back) == {**asdict(request), "cpus": [0, 1]}


def test_a_forked_kernel_gets_its_session_folder_limits_and_connection_file(zygote, tmp_path):
    assert zygote() == {"ready": True}
    folder = tmp_path / "kernel"
    request = KernelRequest(
        str(folder / "conn" / "kernel.json"),
        str(tmp_path / "work" / "a"),
        {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin"},
        str(tmp_path / "kernel.log"),
        {"RLIMIT_CORE": 0, "RLIMIT_FSIZE": 12345678},
        (),
        {"ip": str(folder / "kernel"), "transport": "ipc", "key": "secret", "shell_port": 1},
    )
    pid = zygote({"fork": asdict(request)})["pid"]
    try:
        proc = Path(f"/proc/{pid}")
        wait_for(lambda: os.readlink(proc / "cwd") == request.cwd)
        assert (tmp_path / "home").is_dir() and (tmp_path / "kernel.log").exists()
        assert json.loads(Path(request.connection_file).read_text())["key"] == "secret"
        assert proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[3] == str(pid)  # its own session
        limits = proc.joinpath("limits").read_text()
        assert any(line.startswith("Max file size") and "12345678" in line for line in limits.splitlines())
        assert any(line.startswith("Max core file size") and " 0 " in line for line in limits.splitlines())
    finally:
        os.kill(pid, 9)


def test_a_kernel_that_cannot_start_exits_and_leaves_no_zombie(zygote, tmp_path):
    assert zygote() == {"ready": True}
    (tmp_path / "file").write_text("")
    request = KernelRequest(str(tmp_path / "k.json"), str(tmp_path / "file" / "cwd"), {}, str(tmp_path / "k.log"))
    pid = zygote({"fork": asdict(request)})["pid"]

    def gone():
        """the child is gone (reaped, not a zombie)"""
        return not Path(f"/proc/{pid}").exists()

    wait_for(gone)
    assert zygote({"clean": {"folders": [], "kill": False}}) == {"cleaned": 0}
