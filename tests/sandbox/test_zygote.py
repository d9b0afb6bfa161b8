"""The grader's side of a zygote (sandbox/zygote.py): starting it, asking it, noticing when it is
gone; finding a sandboxed process's pid; the handle jupyter_client gets on a forked kernel. Then,
slow-marked, a zygote in a real sandbox forking a kernel and cleaning up after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import sandbox
from autograder.paths import ROOT
from autograder.sandbox import zygote as zygotes
from autograder.sandbox.kernel_factory import CHANNEL
from autograder.sandbox.zygote import ForkedKernel, Zygote, ZygoteError, host_pid
from autograder.submission import execute
from tests.sandbox.test_kernel_factory import light_zygote


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def replying(line: str) -> list[str]:
    """A process that writes `line` on the zygote's reply pipe, as a zygote would."""
    data = (line + "\n").encode()
    return python(f"import os; os.write(int(os.environ[{CHANNEL!r}].split(',')[1]), {data!r})")


@pytest.fixture
def sleeper():
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


# ----------------------------------------------------------------------------- starting, asking
@pytest.mark.parametrize(
    "command, error, says",
    [
        # the pipe may close before the exit is seen: the code is then unknown yet
        (python("import sys; sys.exit(3)"), ZygoteError, r"the kernel zygote did not answer \(exit code (3|None)\)"),
        (replying("hello"), ZygoteError, "the kernel zygote answered nonsense"),
        (replying('{"ready": false}'), RuntimeError, "the kernel zygote did not start"),
        (
            replying('{"ready": false, "error": "ImportError: no torch"}'),
            RuntimeError,
            "the kernel zygote did not start: ImportError: no torch",
        ),
    ],
)
def test_a_zygote_that_does_not_start_says_so(command, error, says):
    with pytest.raises(error, match=says):
        Zygote(command, env={}, startup_timeout=30)


def test_a_zygote_that_does_not_say_ready_in_time_is_stopped(tmp_path):
    pid_file = tmp_path / "pid"
    silent = python(f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)")
    with pytest.raises(ZygoteError, match=r"did not answer \(exit code None\)"):
        Zygote(silent, env={}, startup_timeout=2)
    assert not Path(f"/proc/{pid_file.read_text()}").exists()  # killed and reaped


def test_the_zygote_talks_on_two_pipes_of_its_own_and_its_stdio_is_dev_null():
    """What bubblewrap's pid 1 keeps (stdin, stdout, stderr) leads nowhere: the channel is on two
    other descriptors, which pid 1 closes (tested in a real sandbox by the corpus's reply_forger)."""
    z = Zygote(light_zygote(), env={})
    try:
        fds = Path(f"/proc/{z.process.pid}/fd")
        assert [os.readlink(fds / str(n)) for n in (0, 1, 2)] == ["/dev/null"] * 3
        assert all(os.readlink(fds / str(n)).startswith("pipe:") for n in z.channel)
        assert z.clean([], kill=False) == 0
    finally:
        z.close()


def test_a_zygote_started_without_its_channel_says_what_is_missing():
    run = subprocess.run(light_zygote(), capture_output=True, text=True, env={}, timeout=60)
    assert run.returncode != 0 and f"{CHANNEL} is not set" in run.stderr


def test_a_zygote_cleans_and_reports_what_it_could_not_clean(tmp_path):
    z = Zygote(light_zygote(), env={})
    try:
        (tmp_path / "left").write_text("by the last notebook")
        assert z.clean([str(tmp_path)], kill=False) == 0 and list(tmp_path.iterdir()) == []
        (tmp_path / "file").write_text("")
        with pytest.raises(ZygoteError, match="the sandbox could not be cleaned: "):
            z.clean([str(tmp_path / "file" / "sub")], kill=False)
        assert z.alive()
    finally:
        z.close()


def test_a_zygote_killed_by_a_kernel_is_an_error_on_the_next_request():
    z = Zygote(light_zygote(), env={})
    z.process.kill()
    z.process.wait()
    with pytest.raises(ZygoteError, match="the kernel zygote (is gone|did not answer)"):
        z.clean([], kill=False)
    z.close()


def test_lines_a_kernel_writes_into_the_reply_pipe_are_dropped_not_taken_as_replies(tmp_path):
    """Defence in depth: bubblewrap's pid 1 once held the reply pipe (it was the zygote's stdout),
    and a kernel could open it (/proc/1/fd/1). Here a shell plays a pid 1 that keeps the pipes.
    Lines written into it answer no request (they cannot know its random id): each is dropped and
    counted, and every later reply still answers its own request (before, one line shifted them all)."""
    z = Zygote(["sh", "-c", '"$@"; exit', "pid1", *light_zygote()], env={})
    try:
        forged = ['{"cleaned": 99}', "not json", "[1]", '{"cleaned": 7, "id": "a guess"}']
        with open(f"/proc/{z.process.pid}/fd/{z.channel[1]}", "w") as pipe:  # as a kernel could, were it held
            pipe.write("\n".join(forged) + "\n")
        (tmp_path / "left").write_text("by the last notebook")
        assert z.clean([str(tmp_path)], kill=False) == 0 and z.forged == len(forged)
        assert not (tmp_path / "left").exists()
        assert z.clean([str(tmp_path)], kill=False) == 0 and z.forged == len(forged)
    finally:
        z.close()


def test_a_flood_of_forged_lines_ends_the_request_at_once(tmp_path):
    """A kernel that keeps writing lines into the reply pipe cannot keep the grader reading them."""
    z = Zygote(["sh", "-c", '"$@"; exit', "pid1", *light_zygote()], env={})
    try:
        with open(f"/proc/{z.process.pid}/fd/{z.channel[1]}", "w") as pipe:
            pipe.write('{"cleaned": 0}\n' * (zygotes.MAX_FORGED + 50))
        started = time.monotonic()
        with pytest.raises(ZygoteError, match="drowned in"):
            z.clean([str(tmp_path)], kill=False)
        assert time.monotonic() - started < 5
    finally:
        z.close()


def test_a_request_pipe_a_kernel_filled_costs_at_most_the_reply_timeout(monkeypatch):
    """A kernel stops its zygote and fills the request pipe (opened for writing through pid 1):
    the grader's request gives up at the deadline instead of blocking forever."""
    monkeypatch.setattr(zygotes, "REPLY_TIMEOUT", 2.0)
    z = Zygote(["sh", "-c", '"$@"; exit', "pid1", *light_zygote()], env={})
    children = [int(c) for c in Path(f"/proc/{z.process.pid}/task/{z.process.pid}/children").read_text().split()]
    try:
        for pid in [z.process.pid, *children]:  # "pid 1" and the zygote
            os.kill(pid, signal.SIGSTOP)
        fd = os.open(f"/proc/{z.process.pid}/fd/{z.channel[0]}", os.O_WRONLY | os.O_NONBLOCK)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except BlockingIOError:
            pass  # full
        started = time.monotonic()
        with pytest.raises(ZygoteError, match="takes no request|did not answer"):  # either way, in time
            z.clean([], kill=False)
        assert time.monotonic() - started < 5
        os.close(fd)
    finally:
        z.close()
        for pid in children:
            os.kill(pid, signal.SIGKILL)


def test_what_a_notebook_leaves_is_removed_however_deep(tmp_path):
    deep = tmp_path / "left"
    fd = os.open(tmp_path, os.O_RDONLY)
    os.mkdir("left", dir_fd=fd)
    for _ in range(3000):  # deeper than shutil.rmtree's recursion can go
        child = os.open("left", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
        os.mkdir("left", dir_fd=fd)
    os.close(fd)
    sandbox.remove_tree(deep)
    assert not deep.exists()


# ----------------------------------------------------------------------------- pids
def test_without_a_pid_namespace_a_pid_is_its_own_host_pid(sleeper):
    assert host_pid(sleeper.pid, ancestor=os.getpid()) == sleeper.pid


def test_a_pid_that_is_nowhere_is_returned_as_it_is():
    assert host_pid(2**22 + 17, ancestor=os.getpid(), attempts=2) == 2**22 + 17


def test_a_pid_in_a_sandbox_is_found_among_its_ancestors_descendants(sleeper):
    program = sandbox.bwrap()
    if program is None:
        pytest.skip("no bwrap here")
    inside = subprocess.Popen(
        [
            program,
            "--unshare-all",
            "--unshare-user",
            "--die-with-parent",
            "--ro-bind",
            "/",
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--",
            "sleep",
            "60",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(0.5)
        if inside.poll() is not None:
            pytest.skip(f"bwrap cannot make a PID namespace here: {inside.stderr.read().decode().strip()}")
        found = host_pid(2, ancestor=inside.pid)  # bwrap is 1 in its namespace, sleep is 2
        assert found not in (2, inside.pid)
        assert Path(f"/proc/{found}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"
        # the same inner number under another ancestor is not this one
        assert host_pid(2, ancestor=sleeper.pid, attempts=2) == 2
    finally:
        inside.kill()
        inside.wait()


# ----------------------------------------------------------------------------- the kernel's handle
def test_a_forked_kernels_handle_follows_it_by_pid(sleeper):
    kernel = ForkedKernel(sleeper.pid)
    assert kernel.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        kernel.wait(timeout=0.1)
    kernel.send_signal(signal.SIGTERM)
    assert kernel.wait(timeout=10) == -1  # a zombie is dead too (the zygote, not we, reaps it)
    kernel.kill()  # a dead kernel: nothing to do, no error
    assert ForkedKernel(2**22 + 17).poll() == -1


# ----------------------------------------------------------------------------- in a real sandbox
SLEEPER = "600.4243"  # a process a notebook leaves behind, by its command line
LOOK = """\
import os
print(os.getcwd(), os.getpid(), os.path.exists({repository!r}), os.path.exists('/tmp/leak'))
"""


def sleepers() -> list[str]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.joinpath("cmdline").read_bytes().split(b"\0")[:2] == [b"sleep", SLEEPER.encode()]:
                found.append(proc.name)
        except OSError:
            pass
    return found


@pytest.mark.slow
def test_a_zygote_in_the_sandbox_forks_kernels_that_leave_nothing_to_the_next():
    why = sandbox.check()
    if why:
        pytest.skip(f"no sandbox here: {why}")
    look = LOOK.format(repository=str(ROOT / "pyproject.toml"))
    leave = (
        "import subprocess\nopen('/tmp/leak', 'w').write('x')\n"
        f"subprocess.Popen(['sleep', {SLEEPER!r}], start_new_session=True)\n"
    )
    slot = sandbox.Slot("zygote_test", (), slot=0, cpus=(0,))
    try:
        seen = []
        for code in (leave + look, look):
            nb = new_notebook(cells=[new_code_cell(code)])
            client = execute.BoundedClient(nb, km=slot.kernel_manager(512), timeout=60, startup_timeout=120)
            with execute.kernel_session(client, cwd=str(slot.cwd), env=slot.env()):
                client.execute_cell(nb.cells[0], 0)
            seen.append(nb.cells[0].outputs[0].text.split())
            if not seen[1:]:
                assert len(sleepers()) == 1  # still running after its kernel was shut down
            assert slot.clean() == ""
            assert sleepers() == []
        (cwd, pid, repository, leak), (_, _, _, leak_after) = seen
        assert cwd == "/sandbox/zygote_test" and int(pid) < 100  # numbered in the sandbox's own PID namespace
        assert repository == "False" and leak == "True"
        assert leak_after == "False"  # the next kernel of the slot finds /tmp emptied
    finally:
        slot.close()
    assert not slot.zygote.alive()
