"""A kernel factory: one clean process per grading worker imports the heavy libraries once
(torch alone takes seconds) and forks a fresh kernel for every notebook.

Every kernel is still a new process with its own memory: what it inherits is only the state of
a process that imported libraries and ran nothing else (no student code, no grader state: this
module imports nothing from the autograder package). The child then drops into the sandbox
(network namespace, unprivileged uid, resource limits) before ipykernel starts.

Protocol on the zygote's stdin/stdout: one JSON request per line, one JSON reply per line.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

# What the course's notebooks import; imported once, before any fork.
PRELOAD = ("numpy", "torch", "torchvision", "pandas", "plotly.express", "plotly.graph_objects",
           "ipykernel.kernelapp")
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class KernelRequest:
    connection_file: str
    cwd: str
    env: dict
    log: str                  # the kernel's own stdout/stderr (not cell outputs)
    uid: int | None = None    # None: keep the zygote's user, no network namespace, no limits
    address_space: int = 0    # bytes (RLIMIT_AS), with uid only
    max_processes: int = 512
    cpus: tuple[int, ...] = ()  # the grading slot's cores: the kernel and all it starts stay on them


# ----------------------------------------------------------------------------- the zygote
def _become_kernel(request: KernelRequest) -> None:
    """In the forked child: enter the sandbox, then run ipykernel. Never returns."""
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
        if request.uid is not None:
            if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
            resource.setrlimit(resource.RLIMIT_AS, (request.address_space, request.address_space))
            resource.setrlimit(resource.RLIMIT_NPROC, (request.max_processes, request.max_processes))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.setgroups([])
            os.setresgid(request.uid, request.uid, request.uid)
            os.setresuid(request.uid, request.uid, request.uid)
        # Die with the zygote (set after the uid change, which clears it), so no kernel outlives
        # the grader that started it.
        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() == 1:  # the zygote is already gone
            os._exit(1)
        if request.cpus:
            os.sched_setaffinity(0, request.cpus)  # inherited by every thread and process it starts
            sys.modules["torch"].set_num_threads(len(request.cpus))
        os.chdir(request.cwd)
        _forget_the_grader()
        os.environ.clear()
        os.environ.update(request.env)
        sys.argv = ["ipykernel_launcher", "-f", request.connection_file]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
    finally:
        os._exit(1)


def _forget_the_grader() -> None:
    """The zygote was started as `python -m autograder.zygote`: the kernel keeps nothing of that
    (the package in sys.modules, the folder it was started from on sys.path)."""
    for name in [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]:
        del sys.modules[name]
    sys.path[:] = [p for p in sys.path if p not in ("", _STARTED_IN)]


_STARTED_IN = os.getcwd()


def serve() -> None:
    """The zygote's main loop: preload, say ready, fork a kernel per request."""
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel: no zombies
    # A Ctrl-C is for the grader, which decides what to stop; the zygote (and with it, every
    # kernel) ends when its worker closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = KernelRequest(**json.loads(line))
        pid = os.fork()
        if pid == 0:
            _become_kernel(request)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


# ----------------------------------------------------------------------------- the client side
class Zygote:
    """A running zygote, owned by one grading worker."""

    def __init__(self, env: dict[str, str], startup_timeout: float = 300.0):
        self.process = subprocess.Popen([sys.executable, "-m", "autograder.zygote"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
        ready, _, _ = select.select([self.process.stdout], [], [], startup_timeout)
        if not ready:
            self.close()
            raise RuntimeError(f"the kernel zygote did not start within {startup_timeout:g} s")
        reply = self._reply()
        if not reply.get("ready"):
            raise RuntimeError(f"the kernel zygote did not start: {reply}")

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the kernel zygote exited (code {self.process.poll()})")
        return json.loads(line)

    def fork(self, request: KernelRequest) -> int:
        self.process.stdin.write(json.dumps(asdict(request)) + "\n")
        self.process.stdin.flush()
        return self._reply()["pid"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()


class ForkedKernel:
    """The subprocess.Popen-like handle jupyter_client's provisioner expects, for a kernel that
    is the zygote's child, not ours (so: signals by pid, liveness from /proc)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                state = "X"
            if state in ("Z", "X"):
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                self.returncode = -1

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ZygoteProvisioner(LocalProvisioner):
    """Launch the kernel by asking the zygote to fork one (set `zygote` and `request` first)."""

    zygote: Zygote | None = None
    request: KernelRequest | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs):
        self.process = ForkedKernel(self.zygote.fork(self.request))
        self.pid = self.pgid = self.process.pid  # the child called setsid()
        self.cwd = self.request.cwd
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel's whole process group (it may have started processes of its own)."""
        if self.pgid:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        await super().kill(restart)


if __name__ == "__main__":
    serve()
