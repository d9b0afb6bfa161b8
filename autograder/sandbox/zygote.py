"""The grader's side of a zygote (see kernel_factory.py, which runs inside the sandbox): start it,
ask it for kernels and for a clean sandbox between them, and hand jupyter_client a handle on each
kernel it forked.

Protocol: one JSON request per line, one JSON reply per line, on two pipes of their own that only
the zygote holds (``CHANNEL``), never on its stdin/stdout: bubblewrap's pid 1 keeps those (it
closes every other descriptor it inherits), and a kernel of a grader running as a normal user
could open them through /proc/1/fd. The zygote's stdin, stdout and stderr are /dev/null. Every
request carries a fresh random id that its reply must echo: should a line ever reach the reply
pipe from elsewhere, it has no valid id, and is dropped and counted (``Zygote.forged``) instead of
shifting every later reply by one.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import stat
import subprocess
import time
from dataclasses import asdict, replace
from pathlib import Path

import zmq
from jupyter_client.provisioning import LocalProvisioner

from .kernel_factory import CHANNEL, KernelRequest

REPLY_TIMEOUT = 60.0  # seconds the zygote may take to fork, or to clean its sandbox
MAX_LINE = 2**20  # bytes: a reply is a short JSON object
MAX_FORGED = 100  # lines a kernel may slip into the reply pipe per request before the sandbox is dropped


class ZygoteError(RuntimeError):
    """The zygote failed a request; the sandbox it runs in cannot be used again."""


class ZygoteNonsense(ZygoteError):
    """A line in the reply pipe that is not a JSON object."""


class Zygote:
    """A running zygote, owned by one grading worker. `command` starts it (inside a sandbox, or
    not); `preexec` runs in the child before that (e.g. to drop root)."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        preexec=None,
        startup_timeout: float = 300.0,
        cwd: str | os.PathLike | None = None,
    ):
        requests, self._requests = os.pipe()
        self._replies, replies = os.pipe()
        self.channel = (requests, replies)  # the zygote's ends, as numbered in the zygote
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # a kernel could write to it too; a failed start says why on the channel
                env={**env, CHANNEL: f"{requests},{replies}"},
                cwd=cwd,
                pass_fds=self.channel,
                preexec_fn=preexec,
                start_new_session=True,
            )
        except BaseException:
            os.close(self._requests)
            os.close(self._replies)
            raise
        finally:
            os.close(requests)
            os.close(replies)
        self.forged = 0  # lines in the reply pipe that answered no request of ours
        self._read = b""  # read from the pipe, not yet a whole line
        try:
            reply = self._reply(startup_timeout)
        except ZygoteError:
            self.close()
            raise
        if not reply.get("ready"):
            self.close()
            raise RuntimeError(f"the kernel zygote did not start: {reply.get('error', reply)}")

    def _ask(self, request: dict) -> dict:
        """Send `request`, return its reply. Within REPLY_TIMEOUT, whatever a kernel does to the
        pipes: fills the request pipe, or floods the reply pipe with lines of its own."""
        request_id = secrets.token_hex(16)
        deadline = time.monotonic() + REPLY_TIMEOUT
        self._send((json.dumps({**request, "id": request_id}) + "\n").encode(), deadline)
        forged = 0
        while True:
            try:
                reply = self._reply(max(0.0, deadline - time.monotonic()))
            except ZygoteNonsense:
                reply = {}
            if reply.get("id") == request_id:
                return reply
            self.forged += 1  # written by a kernel, not by the zygote: dropped
            forged += 1
            if forged > MAX_FORGED or time.monotonic() > deadline:
                raise ZygoteError(f"the kernel zygote's reply was drowned in {forged} lines written by a kernel")

    def _send(self, data: bytes, deadline: float) -> None:
        """Write `data` to the request pipe without ever blocking past `deadline` (a kernel that
        stopped its zygote could fill the pipe): at most PIPE_BUF bytes once select() says the
        pipe has room, which a write then never blocks on."""
        pending, fd = memoryview(data), self._requests
        while pending:
            _, ready, _ = select.select([], [fd], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise ZygoteError("the kernel zygote takes no request (its pipe stayed full)")
            try:
                pending = pending[os.write(fd, pending[: select.PIPE_BUF]) :]
            except OSError as err:  # a kernel killed its zygote (same uid, same sandbox)
                raise ZygoteError(f"the kernel zygote is gone ({err.strerror})") from None

    def _reply(self, timeout: float = REPLY_TIMEOUT) -> dict:
        """The pipe's next line, as a JSON object; a kernel may have stopped (SIGSTOP) or killed
        its zygote, or written lines of its own (read here unbuffered: select() would not see lines
        a buffered reader had already taken)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._read:
            ready, _, _ = select.select([self._replies], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self._replies, 65536) if ready else b""
            if not chunk:
                raise ZygoteError(f"the kernel zygote did not answer (exit code {self.process.poll()})")
            self._read += chunk
            if len(self._read) > MAX_LINE and b"\n" not in self._read:
                self._read = b""  # no reply of ours is this long
                raise ZygoteNonsense("the kernel zygote answered nonsense")
        line, self._read = self._read.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ZygoteNonsense("the kernel zygote answered nonsense") from None
        if not isinstance(reply, dict):
            raise ZygoteNonsense("the kernel zygote answered nonsense")
        return reply

    def fork(self, request: KernelRequest) -> int:
        """A new kernel; its pid as this process sees it (not as the sandbox numbers it)."""
        inner = self._ask({"fork": asdict(request)})["pid"]
        return host_pid(inner, self.process.pid)

    def clean(self, folders: list[str], kill: bool | str) -> int:
        """Empty `folders` (as the zygote sees them) and, with `kill`, kill every process in the
        sandbox but the zygote; the number of processes killed."""
        reply = self._ask({"clean": {"folders": folders, "kill": kill}})
        if "error" in reply:
            raise ZygoteError(f"the sandbox could not be cleaned: {reply['error']}")
        return reply["cleaned"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()
        for name in ("_requests", "_replies"):  # once: close() runs again at exit, and a number is reused
            if getattr(self, name) >= 0:
                os.close(getattr(self, name))
                setattr(self, name, -1)


def _status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def host_pid(inner: int, ancestor: int, attempts: int = 50) -> int:
    """The pid, in this process's PID namespace, of the process numbered `inner` in the sandbox
    whose outermost process is `ancestor` (the last field of NSpid is the innermost number).
    Without a sandbox (no PID namespace of its own) it is `inner` itself."""
    for _ in range(attempts):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = _status(int(entry.name))
                if status["NSpid"].split()[-1] != str(inner) or not _descends(int(entry.name), ancestor):
                    continue
            except (OSError, KeyError, ValueError):
                continue
            return int(entry.name)
        time.sleep(0.01)
    return inner  # not found: gone already (the handle will find it dead), or no PID namespace


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        pid = int(_status(pid)["PPid"])
    return False


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
    """Launch the kernel by asking the zygote to fork one (set `zygote` and `request` first).

    With `inside` set (a sandbox), the kernel binds its sockets at that path in its own file
    system, which only it can write, and the grader reaches them through /proc/<pid>/root
    (`through_root`), or, in the Landlock tier, at that path itself (a folder of the slot uid's)."""

    zygote: Zygote | None = None
    request: KernelRequest | None = None
    inside: str | None = None  # the sockets' path prefix inside the sandbox
    through_root: bool = True

    async def launch_kernel(self, cmd: list[str], **kwargs):
        request = self.request
        if self.inside is not None:
            connection = {**self.connection_info, "ip": self.inside}
            if isinstance(connection["key"], bytes):
                connection["key"] = connection["key"].decode()
            request = replace(request, connection=connection)
        self.process = ForkedKernel(self.zygote.fork(request))
        self.pid = self.pgid = self.process.pid  # the child called setsid()
        self.cwd = request.cwd
        if self.inside is not None:
            ip = f"/proc/{self.pid}/root{self.inside}" if self.through_root else self.inside
            self.connection_info = {**self.connection_info, "ip": ip}
            # The sockets' paths run through the student's file system: connect once, to the
            # sockets the kernel has just made (before any student code runs), and never follow a
            # path replaced later (a link there could lead anywhere on this machine).
            _wait_for_sockets(self.connection_info, self.process)
            self.parent.context.setsockopt(zmq.RECONNECT_IVL, -1)
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel's whole process group (it may have started processes of its own)."""
        if self.pgid:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        await super().kill(restart)


PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def _wait_for_sockets(info: dict, kernel: ForkedKernel, timeout: float = 120.0) -> None:
    """Until every socket of the kernel exists as a socket (not a link); returns early if the
    kernel dies (the kernel manager then reports it)."""
    paths = [f"{info['ip']}-{info[port]}" for port in PORTS]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and kernel.poll() is None:
        try:
            if all(stat.S_ISSOCK(os.lstat(path).st_mode) for path in paths):
                return
        except OSError:
            pass
        time.sleep(0.02)
