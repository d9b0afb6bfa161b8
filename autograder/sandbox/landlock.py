"""The second isolation tier, for machines where bubblewrap cannot make namespaces (a Docker
container with Docker's default seccomp profile, as on Gradescope): no namespaces at all.

As root only. Each slot's zygote, and so every kernel it forks, runs on the host as the slot's
unprivileged uid, with no_new_privs, a Landlock allow-list and a seccomp filter (confine.py):
it reads and executes the system's programs and libraries, /etc, the Python environment, the
kernel factory and the assignment's data files; it reads and writes only its slot's scratch
folder (its cwd, HOME, TMPDIR and the kernel's sockets) and a few devices. No TCP, no sockets
but Unix ones, no new namespaces, no ptrace, mount, bpf, keyrings...

What it cannot promise that bubblewrap does: a notebook sees the machine's other processes in
/proc (their command lines, not their memory or environment; it cannot signal another uid's),
and what it writes is bounded per file (RLIMIT_FSIZE), not in total (no size-limited memory file
system). docs/security.md has the table.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..paths import DATA
from . import confine, kernel_factory

# Read and execute; the bwrap tier's SYSTEM, and /proc (no PID namespace: the machine's own).
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc", "/sys/devices/system/cpu", "/proc")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")  # read and written
SCRATCH = ("home", "tmp", "run")  # with the assignment's folder: the slot uid's own, emptied between notebooks
# A slot's uid: the first free one from here (not bubblewrap's 61000 + slot: kill(-1) as a uid
# reaches that uid's processes in every sandbox of the machine, so no two slots share one).
UID_BASE, UIDS = 62000, 1000


def claim_uid() -> tuple[int, int]:
    """(a uid no other slot of this machine holds, the lock that holds it until closed); what a
    crashed grader left running as that uid is killed first."""
    for uid in range(UID_BASE, UID_BASE + UIDS):
        lock = os.open(f"/tmp/grade-landlock-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            continue
        kill_all(uid)
        return uid, lock
    raise OSError(f"all {UIDS} uids from {UID_BASE} are held by other grading slots of this machine")


def scratch(slot: int, uid: int, assignment: str, data_files: tuple[str, ...]) -> Path:
    """A new scratch folder for the slot: root's, closed to listing (0711); in it the folders the
    slot uid writes (its own, 0700) and data/, root's, with links to the assignment's data files."""
    root = Path(tempfile.mkdtemp(prefix=f"grade-slot{slot}-", dir="/tmp"))
    root.chmod(0o711)
    for name in (assignment, *SCRATCH):
        folder = root / name
        folder.mkdir(mode=0o700)
        os.chown(folder, uid, uid)
    for name in data_files:
        link = root / "data" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(DATA / name)
    for folder in [root / "data", *(root / "data").rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)
    return root


def writable(root: Path, assignment: str) -> list[str]:
    return [str(root / name) for name in (assignment, *SCRATCH)]


def allowed(root: Path, assignment: str, data_files: tuple[str, ...]) -> dict[str, list[str]]:
    """confine.py's spec: what the slot reads (and executes), what it writes."""
    prefixes = {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parent)}
    read = [
        *SYSTEM,
        *sorted(prefixes),
        kernel_factory.__file__,
        confine.__file__,
        str(root / "data"),
        *(str(DATA / name) for name in data_files),
    ]
    return {"read": read, "write": [*writable(root, assignment), *DEVICES]}


def command(root: Path, assignment: str, data_files: tuple[str, ...]) -> list[str]:
    """The zygote's command line: confined first, then the kernel factory."""
    spec = json.dumps(allowed(root, assignment, data_files))
    return [sys.executable, "-I", confine.__file__, spec, kernel_factory.__file__]


def kill_all(uid: int, timeout: float = 30.0) -> str:
    """Kill every process of `uid` (as that uid: kill(-1) reaches exactly its own processes) until
    none is left; '' or why some are."""
    deadline = time.monotonic() + timeout
    while processes_of(uid):
        pid = os.fork()
        if pid == 0:  # only system calls here: this process may have threads
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if time.monotonic() > deadline:
            return f"{len(processes_of(uid))} processes of uid {uid} would not die"
        time.sleep(0.02)
    return ""


def processes_of(uid: int) -> list[int]:
    """The live processes (not zombies) of `uid`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def check(root_user: bool) -> str:
    """'' when this tier can run here, else why not."""
    if not root_user:
        return "the Landlock tier runs each slot as an unprivileged uid of its own, which needs root"
    abi = confine.landlock_abi()
    if abi < 1:
        return "this Linux kernel has no Landlock (Linux 5.13 or later, with landlock among its LSMs)"
    uid, lock = claim_uid()
    folder = scratch(0, uid, "check", ())
    trial = command(folder, "check", ())
    probe = (
        "import socket, torch\ntry:\n    socket.socket(socket.AF_INET)\nexcept PermissionError:\n    print('confined')"
    )
    trial[-1:] = ["-c", probe]
    try:
        run = subprocess.run(
            trial, capture_output=True, text=True, cwd=folder / "check", timeout=120, preexec_fn=_as(uid)
        )
    except (OSError, subprocess.SubprocessError) as err:
        return f"the Landlock tier could not start ({err})"
    finally:
        kill_all(uid)
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)
    if run.stdout.strip() != "confined":
        why = (run.stderr.strip().splitlines() or ["no message"])[-1]
        return f"the Landlock tier could not confine Python ({why})"
    return ""


def _as(uid: int):
    def drop() -> None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)

    return drop
