"""The zygote: runs *inside* a grading slot's sandbox (see sandbox.py), imports the heavy libraries
once (torch alone takes seconds) and forks a fresh kernel for every notebook.

This file is run as a script (``python kernel_factory.py``), bound read-only into the sandbox on
its own: it imports only the standard library, never the autograder package, which the sandbox
cannot see. Every kernel is a new process with its own memory; what it inherits is the state of a
process that imported libraries and ran nothing else.

Between two kernels the zygote *cleans* the sandbox: it kills every other process in it (the
sandbox has its own PID namespace, so a process that a notebook started with setsid, a double fork
or nohup is still in it) and empties the folders a notebook may write to (its scratch, /tmp,
/var/tmp, /dev/shm). The zygote is not dumpable, so a kernel (same uid) cannot ptrace it or read
its memory, and so cannot tamper with the kernels it forks for other students.

Protocol on two pipes the grader passes in (their descriptors in the environment variable
``CHANNEL``; never stdin/stdout, which bubblewrap's pid 1 also holds and a kernel could open through
/proc/1/fd): one JSON request per line, one JSON reply per line, each echoing the request's "id".
A zygote that cannot start replies ``{"ready": false, "error": ...}``. Requests:
``{"fork": {KernelRequest}}`` -> ``{"pid": <pid in the sandbox>}``;
``{"clean": {"folders": [...], "kill": true}}`` -> ``{"cleaned": <processes killed>}`` (``kill``: true
in bubblewrap's PID namespace, every other process in it; "uid" in the Landlock tier, every other
process of this slot's own uid; false without a sandbox, where every process of the user would be
"another process").
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import shutil
import signal
import stat
import sys
import time
from dataclasses import dataclass, field

# What the course's notebooks import; imported once, before any fork.
PRELOAD = ("numpy", "torch", "torchvision", "pandas", "plotly.express", "plotly.graph_objects", "ipykernel.kernelapp")
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
CHANNEL = "NN_ZYGOTE_CHANNEL"  # "<request fd>,<reply fd>"


@dataclass(frozen=True)
class KernelRequest:
    connection_file: str  # as the kernel sees it
    cwd: str
    env: dict
    log: str  # the kernel's own stdout/stderr (not cell outputs)
    limits: dict = field(default_factory=dict)  # RLIMIT name -> value (e.g. {"RLIMIT_AS": ...})
    cpus: tuple[int, ...] = ()  # the slot's cores: the kernel and all it starts stay on them
    connection: dict | None = None  # when set, the kernel writes it to connection_file itself
    pin: bool = True  # False under a CPU quota (slots.pinning): threads only


def _prctl(option: int, value: int) -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _become_kernel(request: KernelRequest) -> None:
    """In the forked child: limits, cores, environment, then ipykernel. Never returns."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # how kernels get interrupted
        os.setsid()
        log = os.open(request.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 65536)
        for name, value in request.limits.items():
            resource.setrlimit(getattr(resource, name), (value, value))
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # no kernel outlives its zygote
        # Unlike its zygote, a kernel is an ordinary process: the grader reaches its sockets through
        # /proc/<pid>/root, which needs it dumpable.
        _prctl(PR_SET_DUMPABLE, 1)
        if os.getppid() == 1:  # the zygote is already gone
            os._exit(1)
        if request.cpus:
            if request.pin:
                os.sched_setaffinity(0, request.cpus)  # inherited by every thread and process it starts
            sys.modules["torch"].set_num_threads(len(request.cpus))
        if request.connection is not None:
            os.makedirs(os.path.dirname(request.connection_file), exist_ok=True)
            with open(request.connection_file, "w") as file:
                json.dump(request.connection, file)
        for folder in (request.cwd, request.env.get("HOME")):  # emptied with the rest by the last clean
            if folder:
                os.makedirs(folder, exist_ok=True)
        os.chdir(request.cwd)
        os.environ.clear()
        os.environ.update(request.env)
        sys.argv = ["ipykernel_launcher", "-f", request.connection_file]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
    finally:
        os._exit(1)


def _mount_points() -> set[str]:
    with open("/proc/self/mountinfo") as mounts:
        return {line.split()[4] for line in mounts}


def _empty(folder: str, mounts: set[str]) -> None:
    """Remove everything in `folder` but mount points and the folders on the way to one (the
    Python environment may be bound inside /tmp, say). A notebook may have left read-only
    folders, which their owner (our uid) opens up again first."""
    os.makedirs(folder, exist_ok=True)
    for entry in os.scandir(folder):
        if entry.path in mounts:
            continue
        if any(m.startswith(entry.path + "/") for m in mounts):
            _empty(entry.path, mounts)
        elif entry.is_dir(follow_symlinks=False):
            for top, folders, _ in os.walk(entry.path):
                for name in folders:
                    path = os.path.join(top, name)
                    if not os.path.islink(path):
                        os.chmod(path, stat.S_IRWXU)
            os.chmod(entry.path, stat.S_IRWXU)
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def _others(kill: bool | str = True) -> list[int]:
    """The sandbox's processes but its init (1) and this zygote; with kill="uid" (no PID
    namespace), those of this uid, not yet zombies."""
    pids = [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in (1, os.getpid())]
    return pids if kill != "uid" else [pid for pid in pids if _mine(pid)]


def _mine(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            state = stat_file.read().rsplit(")", 1)[1].split()[0]
        return os.stat(f"/proc/{pid}").st_uid == os.getuid() and state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _clean(folders: list[str], kill: bool | str) -> int:
    """Kill every other process of the sandbox (with `kill`) and wait until they are gone (a
    process killed but not yet reaped still counts against the next kernel's RLIMIT_NPROC),
    then empty `folders`."""
    killed = 0
    deadline = time.monotonic() + 30
    while kill and _others(kill):
        for pid in _others(kill):
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            raise OSError(f"{len(_others(kill))} processes of the last notebook would not die")
        time.sleep(0.01)
    mounts = _mount_points()
    for folder in folders:
        _empty(folder, mounts)
    return killed


def _channel():
    """The request and reply pipes the grader passed in, as files."""
    value = os.environ.pop(CHANNEL, None)
    if value is None:
        sys.exit(f"kernel_factory.py: {CHANNEL} is not set: the grader starts the zygote (see zygote.py)")
    requests, replies = (int(fd) for fd in value.split(","))
    return os.fdopen(requests, "r"), os.fdopen(replies, "w")


def serve() -> None:
    """The zygote's main loop: preload, say ready, serve requests."""
    _prctl(PR_SET_DUMPABLE, 0)
    requests, out = _channel()
    try:
        for name in PRELOAD:
            importlib.import_module(name)
    # The zygote's boundary: whatever stops a library from loading is told to the grader, which
    # has no other way to hear it (the zygote's stderr is /dev/null).
    except Exception as err:  # noqa: BLE001
        out.write(json.dumps({"ready": False, "error": f"{type(err).__name__}: {err}"}) + "\n")
        out.flush()
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel: no zombies
    # A Ctrl-C is for the grader, which decides what to stop; the zygote (and with it, every
    # kernel) ends when its worker closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in requests:
        request = json.loads(line)
        if "fork" in request:
            pid = os.fork()
            if pid == 0:
                _become_kernel(KernelRequest(**request["fork"]))
            reply = {"pid": pid}
        else:
            try:
                reply = {"cleaned": _clean(request["clean"]["folders"], request["clean"]["kill"])}
            # What a notebook left may resist (a tree too deep for rmtree, say): the grader then
            # throws this sandbox away and starts a new one.
            except (OSError, RecursionError) as err:
                reply = {"error": f"{type(err).__name__}: {err}"}
        out.write(json.dumps({**reply, "id": request.get("id")}) + "\n")
        out.flush()


if __name__ == "__main__":
    serve()
