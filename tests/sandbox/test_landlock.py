"""The Landlock tier's pieces, without a notebook: confine.py's allow-list and seccomp filter on a
plain Python, the scratch folder, and kill_all. As root (the tier needs it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.paths import ROOT
from autograder.sandbox import confine, landlock

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or confine.landlock_abi() < 1, reason="the Landlock tier needs root and a kernel with Landlock"
)


@pytest.fixture
def uid():
    """A uid of the tier's own, held by this test."""
    claimed, lock = landlock.claim_uid()
    yield claimed
    landlock.kill_all(claimed)
    os.close(lock)


PROBE = """
import ctypes, os, socket
def attempt(name, action):
    try:
        action()
        print("ALLOWED", name)
    except OSError as err:
        print("DENIED", name, err.errno)
attempt("read repository", lambda: open(ROOT + "/README.md").read(1))
attempt("list /root", lambda: os.listdir("/root"))
attempt("read /etc/hostname", lambda: open("/etc/hostname").read(1))
attempt("write scratch", lambda: open(SCRATCH + "/x", "w").write("x"))
attempt("write /tmp", lambda: open("/tmp/landlock-probe-%d" % os.getpid(), "w").write("x"))
attempt("write /dev/null", lambda: open("/dev/null", "w").write("x"))
attempt("inet socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
attempt("inet6 socket", lambda: socket.socket(socket.AF_INET6))
attempt("netlink socket", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW))
attempt("unix socket", lambda: socket.socket(socket.AF_UNIX))
libc = ctypes.CDLL(None, use_errno=True)
def call(result):
    if result != 0:
        raise OSError(ctypes.get_errno(), "")
attempt("unshare user", lambda: call(libc.unshare(0x10000000)))
def clone_user():
    child = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER | SIGCHLD), as fork
    if child == 0:
        os._exit(0)
    call(child < 0)
attempt("clone user", clone_user)
attempt("ptrace", lambda: call(libc.ptrace(0, 0, 0, 0)))  # PTRACE_TRACEME: only seccomp refuses it
attempt("personality", lambda: call(libc.personality(0x0040000) < 0))
# memory outside RLIMIT_AS: a memory file, System V segments, queues and semaphores (IPC_PRIVATE)
attempt("memfd", lambda: os.close(os.memfd_create("x")))
attempt("shmget", lambda: call(libc.shmget(0, 1 << 20, 0o1600) < 0))
attempt("msgget", lambda: call(libc.msgget(0, 0o1600) < 0))
attempt("semget", lambda: call(libc.semget(0, 1, 0o1600) < 0))
"""
MEMORY_OUTSIDE = ("memfd", "shmget", "msgget", "semget")


def test_confined_python_reads_the_allow_list_writes_only_its_scratch_and_has_no_network(uid):
    root = landlock.scratch(7, uid, "probe", ())
    try:
        spec = landlock.allowed(root, "probe", ())
        code = f"ROOT, SCRATCH = {str(ROOT)!r}, {str(root / 'probe')!r}\n" + PROBE
        modes = (root.stat().st_mode & 0o777, (root / "probe").stat().st_mode & 0o777, (root / "probe").stat().st_uid)
        run = subprocess.run(
            [sys.executable, "-I", confine.__file__, json.dumps(spec), "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=root / "probe",
            preexec_fn=landlock._as(uid),
        )
    finally:
        landlock.kill_all(uid)
        shutil.rmtree(root)
        for leftover in Path("/tmp").glob("landlock-probe-*"):
            leftover.unlink()
    assert run.returncode == 0, run.stderr
    assert modes == (0o711, 0o700, uid)
    printed = run.stdout
    for allowed in ("read /etc/hostname", "write scratch", "write /dev/null", "unix socket"):
        assert f"ALLOWED {allowed}\n" in printed, printed
    for denied in (
        "read repository",
        "list /root",
        "write /tmp",
        "inet socket",
        "inet6 socket",
        "netlink socket",
        "unshare user",
        "clone user",
        "ptrace",
        "personality",
        *MEMORY_OUTSIDE,
    ):
        assert f"DENIED {denied} " in printed, printed


def test_kill_all_ends_every_process_of_the_uid_however_it_was_started(uid):
    script = (
        "import os, subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "os.fork() == 0 and os.setsid() == None and os.execvp('sleep', ['sleep', '601'])\n"
    )
    subprocess.run([sys.executable, "-c", script], preexec_fn=landlock._as(uid), timeout=30, check=True)
    time.sleep(0.2)
    assert len(landlock.processes_of(uid)) >= 2
    assert landlock.kill_all(uid) == ""
    assert landlock.processes_of(uid) == []


def test_the_tier_is_named_where_bubblewrap_cannot_start(monkeypatch):
    monkeypatch.delenv(sandbox.CHOSEN, raising=False)
    monkeypatch.setattr(sandbox, "check_bubblewrap", lambda: "bwrap: No permissions to creating new namespace")
    monkeypatch.setattr(sandbox.landlock, "check", lambda root: "")
    sandbox.forget()
    try:
        assert sandbox.tier() == ("landlock", "")
        assert "Landlock tier" in sandbox.describe(True) and sandbox.tier_name(True) == "landlock"
        monkeypatch.setattr(sandbox.landlock, "check", lambda root: "needs root")
        sandbox.forget()
        assert sandbox.tier() == (None, "bwrap: No permissions to creating new namespace; and needs root")
    finally:
        sandbox.forget()
