"""The sandbox of student code, attacked as a determined student would, with nothing but notebooks:
each attack is contained, graded as a TA expects, and the batch goes on.

The corpus is graded once as the user running the suite and, when that is root, once more as an
unprivileged user (as on a laptop or a cluster), so that both ways of building the sandbox are
exercised on every run; and, as root, once more where no namespace can be made (a seccomp filter on
the grader, as Docker's default profile has), which proves the grader picks the Landlock tier
there and that it contains the same attacks. Slow: every notebook runs in a fresh kernel."""

from __future__ import annotations

import csv
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder import demo, exits, grade, sandbox
from autograder.paths import RELEASE, ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "neural_nets"
LAYERS, ACTIVATIONS, TRAINING = sorted(p.name for p in (RELEASE / ASSIGNMENT).glob("*.ipynb"))
# In the command line of every process a student starts to outlive its notebook; the Landlock tier
# sees the machine's processes, so this run's own mark.
MARK = f"42{random.randrange(10**5, 10**6)}"
NOBODY = 65534


def perfect():
    return {n: demo.answered(ASSIGNMENT, n) for n in (LAYERS, ACTIVATIONS, TRAINING)}


def with_cells(first: str, second: str = ""):
    """A perfect submission with `first` run first in 01_layers and `second` first in the next notebook
    (the next kernel of the same slot)."""
    submission = perfect()
    submission[LAYERS].cells.insert(0, new_code_cell(first))
    if second:
        submission[ACTIVATIONS].cells.insert(0, new_code_cell(second))
    return submission


def reader(paths: dict[str, Path], port: int) -> str:
    return f"""\
import os, socket
for name, path in { ({k: str(v) for k, v in paths.items()})!r}.items():
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
        print("READ", name)
    except OSError:
        print("DENIED", name)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("CONNECTED")
except OSError:
    print("NO NETWORK")
"""


LEAKS = ["/tmp/leak", "/var/tmp/leak", "/dev/shm/leak", "~/leak", "leak"]


def writer(paths: dict[str, Path]) -> str:
    return f"""\
import os
for name, path in { ({k: str(v) for k, v in paths.items()})!r}.items():
    try:
        open(os.path.join(path, "pwned.txt"), "w").write("pwned")
        print("WROTE", name)
    except OSError:
        print("DENIED", name)
for leak in {LEAKS!r}:
    try:
        open(os.path.expanduser(leak), "w").write("for the next student")
    except OSError:
        print("CANNOT LEAVE", leak)
"""


FIND_LEAKS = f"""\
import os
left = [leak for leak in {LEAKS!r} if os.path.exists(os.path.expanduser(leak))]
print("LEFTOVER", left) if left else print("NOTHING LEFT")
"""

OUTLIVE = f"""\
import os, subprocess
subprocess.Popen(["sleep", "{MARK}1"], start_new_session=True)          # setsid
subprocess.Popen(["nohup", "sleep", "{MARK}2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:                                                      # double fork
    if os.fork() == 0:
        os.setsid()
        os.execvp("sleep", ["sleep", "{MARK}3"])
    os._exit(0)
"""

FIND_SURVIVORS = f"""\
import os
alive = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if "{MARK}" in open(f"/proc/{{pid}}/cmdline").read():
            alive.append(pid)
    except OSError:
        pass
print("SURVIVORS", alive) if alive else print("ALL GONE")
print("PROCESSES IN THE SANDBOX", sum(1 for pid in os.listdir("/proc") if pid.isdigit()))
mine = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        mine += os.stat(f"/proc/{{pid}}").st_uid == os.getuid()
    except OSError:
        pass
print("PROCESSES OF THIS UID", mine)
"""

FORK_BOMB = """\
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
        children += 1
except OSError:
    print("FORK LIMIT AFTER", children)
"""

# A kernel shares its sandbox's uid with the zygote that forked it: it can stop or kill it.
STOP_ZYGOTE = """\
import os, signal
os.kill(os.getppid(), signal.SIGSTOP)
"""
KILL_ZYGOTE = """\
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
"""

# A kernel writes made-up replies into every pipe it can open of bubblewrap's pid 1 and of its
# zygote: before, pid 1 held the zygote's stdout, its reply pipe, and a grader running as a normal
# user shares that uid with the kernels.
FORGE_REPLIES = """\
import os
for pid in (1, os.getppid()):  # bubblewrap's pid 1 (or the Landlock tier's init), the zygote
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        print("DENIED", pid)
        continue
    for fd in fds:
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if os.readlink(path).startswith("pipe:"):
                with open(path, "w") as file:
                    file.write('{"cleaned": 0}\\n{"pid": 1}\\n')
                print("WROTE", path)
        except OSError:
            print("DENIED", path)
"""

# Memory the address-space limit does not count: a memory file and System V shared memory.
MEMORY_OUTSIDE = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for name, make in [("memfd", lambda: os.memfd_create("hog")), ("shmget", lambda: libc.shmget(0, 1 << 30, 0o1600))]:
    try:
        print("ALLOWED" if make() >= 0 else "DENIED", name)
    except OSError:
        print("DENIED", name)
"""

FILL_DISK = """\
import os
chunk = b"x" * 2**20
for path in ("big", "/tmp/big"):
    written = 0
    try:
        with open(path, "wb") as file:
            while written < 8 * 1024:
                file.write(chunk)
                written += 1
        print("NOT FULL", path)
    except OSError:
        print("FULL", path, "AFTER", written, "MiB")
    os.remove(path)
"""


@pytest.fixture(scope="module")
def course_files():
    """nbgrader's gradebook, as it would be in a course folder where nbgrader was used."""
    gradebook = ROOT / "gradebook.db"
    made = not gradebook.exists()
    if made:
        gradebook.write_text("nbgrader's gradebook: every student's scores")
    yield gradebook
    if made:
        gradebook.unlink()


def repository_modes() -> dict[str, tuple[int, int]]:
    """Mode and owner of every file and folder of the course repository (its venv aside)."""
    return {
        str(p): (p.lstat().st_mode, p.lstat().st_uid)
        for p in [ROOT, *ROOT.rglob("*")]
        if ".venv" not in p.parts and "__pycache__" not in p.parts
    }


def as_user(uid: int | None):
    if uid is None:
        return None

    def drop():
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)

    return drop


def grade_corpus(root: Path, uid: int | None, course_files: Path, launcher: tuple[str, ...] = ()) -> dict:
    """Write the corpus under `root`, grade it (as `uid`, None: as this process's user; through
    `launcher`, if given) and return what a TA gets, with the executed notebooks' printed text."""
    submissions, out, home = root / "submissions", root / "out", root / "home"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    secret = {
        "source": ROOT / "source" / ASSIGNMENT / LAYERS,
        "solutions": ROOT / "solutions" / ASSIGNMENT / LAYERS,
        "grader checks": ROOT / "autograder" / "checks" / "grader" / "api.py",
        "git": ROOT / ".git" / "HEAD",
        "gradebook": course_files,
        "output folder": out,
        "another submission": submissions / "perfect",
        "home folder": home,
        "shadow": Path("/etc/shadow"),
    }
    outside = {
        "repository": ROOT,
        "another submission": submissions / "perfect",
        "output folder": out,
        "home folder": home,
        "usr": Path("/usr"),
        "sandbox root": Path("/"),
    }
    corpus = {
        "perfect": perfect(),
        "reader": with_cells(reader(secret, listener.getsockname()[1])),
        "writer": with_cells(writer(outside), FIND_LEAKS),
        "outliver": with_cells(OUTLIVE, FIND_SURVIVORS),
        "fork_bomb": with_cells(FORK_BOMB, FIND_SURVIVORS),
        "disk_filler": with_cells(FILL_DISK),
        "zygote_stopper": with_cells(STOP_ZYGOTE),
        "zygote_killer": with_cells(KILL_ZYGOTE),
        "reply_forger": with_cells(FORGE_REPLIES),
        "memory_outside": with_cells(MEMORY_OUTSIDE),
    }
    for student, notebooks in corpus.items():
        demo.write_student(submissions / student, notebooks)
    home.mkdir()
    if uid is not None:
        for path in [root, *root.rglob("*")]:
            os.lchown(path, uid, uid)
    before = repository_modes()
    env = {**os.environ, "HOME": str(home)}
    run = subprocess.run(
        [
            *launcher,
            sys.executable,
            "-m",
            "autograder",
            "grade",
            ASSIGNMENT,
            str(submissions),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--cell-timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        preexec_fn=as_user(uid),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    listener.close()
    assert (out / "grades.csv").is_file(), run.stderr[-3000:]
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    # zygote_killer's kernel dies: the batch ran, and says a submission crashed (docs/tas.md)
    statuses = [r["status"] for r in rows.values()]
    assert run.returncode == exits.for_statuses(statuses) == exits.CRASHES, run.stderr[-3000:]
    broken = {
        s: (out / s / "grading.log").read_text()[-2000:] for s, r in rows.items() if r["status"] == "grader error"
    }
    assert not broken, broken
    printed = {}
    for student in corpus:
        printed[student] = {
            nb: "".join(
                o.get("text", "")
                for c in nbformat.read(str(out / student / "executed" / nb), 4).cells
                for o in c.get("outputs", [])
            )
            for nb in (LAYERS, ACTIVATIONS)
        }
    return {
        "rows": rows,
        "printed": printed,
        "out": out,
        "stdout": run.stdout,
        "landlock": bool(launcher),
        "grader_is_root": (os.geteuid() if uid is None else uid) == 0,
        "modes": (before, repository_modes()),
        "processes": [
            p for p in Path("/proc").glob("[0-9]*") if MARK in _cmdline(p) or "kernel_factory" in _cmdline(p)
        ],
    }


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


USERS = ["this user", "an unprivileged user", "where no namespace can be made"]
NO_NAMESPACES = (sys.executable, str(Path(__file__).with_name("no_namespaces.py")))


@pytest.fixture(scope="module", params=USERS)
def graded(request, tmp_path_factory, course_files):
    if request.param == USERS[2]:
        if os.geteuid() != 0:
            pytest.skip("the Landlock tier needs root")
        yield grade_corpus(tmp_path_factory.mktemp("no_namespaces"), None, course_files, NO_NAMESPACES)
    elif request.param == USERS[1]:
        if os.geteuid() != 0:
            pytest.skip("the suite already runs as an unprivileged user: the first run is that path")
        # pytest's own temporary folders are private to this user: this one is not.
        root = Path(tempfile.mkdtemp(prefix="as_nobody-"))
        root.chmod(0o755)
        try:
            yield grade_corpus(root, NOBODY, course_files)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    else:
        yield grade_corpus(tmp_path_factory.mktemp("as_this_user"), None, course_files)


def test_the_batch_completes_and_says_how_student_code_runs(graded):
    assert set(graded["rows"]) == {
        "perfect",
        "reader",
        "writer",
        "outliver",
        "fork_bomb",
        "disk_filler",
        "zygote_stopper",
        "zygote_killer",
        "reply_forger",
        "memory_outside",
    }
    assert ("Landlock tier" if graded["landlock"] else "bubblewrap sandbox") in graded["stdout"]
    tier = "landlock" if graded["landlock"] else "bubblewrap"
    assert all(f"sandbox: {tier}\n" in (graded["out"] / s / "grading.log").read_text() for s in graded["rows"])


def test_nothing_outside_the_allow_list_can_be_read_nor_the_network_reached(graded):
    printed = graded["printed"]["reader"][LAYERS]
    assert "READ " not in printed, printed
    for name in (
        "source",
        "solutions",
        "grader checks",
        "git",
        "gradebook",
        "output folder",
        "another submission",
        "home folder",
        "shadow",
    ):
        assert f"DENIED {name}\n" in printed, (name, printed)
    assert "NO NETWORK" in printed and "CONNECTED" not in printed
    assert graded["rows"]["reader"]["score"] == graded["rows"]["perfect"]["score"]


def test_nothing_outside_scratch_can_be_written_and_nothing_written_reaches_the_next_kernel(graded):
    printed = graded["printed"]["writer"]
    # What counts is the machine: no pwned.txt in the repository, the submissions, the output or
    # the home folder. (Inside, a path that looks like the repository's may exist, in the
    # sandbox's own memory file systems: when the course lives under /tmp, the sandbox makes
    # /tmp/<course> to hold the bound Python environment.)
    assert not list(ROOT.glob("pwned.txt")) and not list(graded["out"].parent.rglob("pwned.txt"))
    assert "DENIED usr\n" in printed[LAYERS] and "DENIED sandbox root\n" in printed[LAYERS], printed[LAYERS]
    assert "NOTHING LEFT" in printed[ACTIVATIONS], printed[ACTIVATIONS]
    if graded["landlock"]:  # its scratch (cwd, HOME) only
        for leak in ("/tmp/leak", "/var/tmp/leak", "/dev/shm/leak"):
            assert f"CANNOT LEAVE {leak}\n" in printed[LAYERS] and not Path(leak).exists(), leak
    assert graded["rows"]["writer"]["score"] == graded["rows"]["perfect"]["score"]


def test_no_process_outlives_its_notebook(graded):
    assert "ALL GONE" in graded["printed"]["outliver"][ACTIVATIONS], graded["printed"]["outliver"]
    assert graded["processes"] == [], [_cmdline(p) for p in graded["processes"]]
    assert graded["rows"]["outliver"]["score"] == graded["rows"]["perfect"]["score"]


def test_a_fork_bomb_is_bounded_and_the_next_notebooks_run_normally(graded):
    first, second = graded["printed"]["fork_bomb"][LAYERS], graded["printed"]["fork_bomb"][ACTIVATIONS]
    children = int(first.split("FORK LIMIT AFTER")[1].split()[0])
    assert 0 < children <= sandbox.MAX_PROCESSES, first
    assert "ALL GONE" in second
    # bubblewrap's init, the zygote, this kernel (and, at most, a helper process of its own); the
    # Landlock tier sees every process of the machine, and its slot uid runs the last three
    count = "PROCESSES OF THIS UID" if graded["landlock"] else "PROCESSES IN THE SANDBOX"
    assert int(second.split(count)[1].split()[0]) <= 4, second
    row, perfect_row = graded["rows"]["fork_bomb"], graded["rows"]["perfect"]
    for item in ("sigmoid", "tanh", "mse", "NeuralNet", "one_epoch", "test_mse"):
        assert row[item] == perfect_row[item] != "0", item


def test_filling_the_disk_stops_at_the_sandbox_size(graded):
    printed = graded["printed"]["disk_filler"][LAYERS]
    # The Landlock tier has no /tmp to write to, and bounds each file (RLIMIT_FSIZE), not the total.
    limits = (
        {"big": sandbox.FILE_SIZE, "/tmp/big": 0}
        if graded["landlock"]
        else {"big": sandbox.WRITABLE["/sandbox"], "/tmp/big": sandbox.WRITABLE["/tmp"]}
    )
    for path, limit in limits.items():
        assert f"FULL {path} AFTER" in printed, printed
        written = int(printed.split(f"FULL {path} AFTER")[1].split()[0])
        assert written * 2**20 <= limit
    assert graded["rows"]["disk_filler"]["score"] == graded["rows"]["perfect"]["score"]


def test_grading_changes_no_mode_or_owner_in_the_repository(graded):
    before, after = graded["modes"]
    changed = {path: (before[path], after.get(path)) for path in before if before[path] != after.get(path)}
    assert changed == {}


def test_without_a_sandbox_the_grader_refuses_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "tier", lambda: (None, "bwrap is not installed (for this test)"))
    demo.write_student(tmp_path / "submissions" / "s1", perfect())
    assert grade.main(ASSIGNMENT, tmp_path / "submissions", tmp_path / "out", progress=False) == 2
    err = capsys.readouterr().err
    assert "no sandbox for student code" in err and "--no-sandbox" in err
    assert not (tmp_path / "out" / "s1").exists()


def test_a_kernel_that_stops_or_kills_its_zygote_costs_only_its_own_notebook(graded):
    rows = graded["rows"]
    stopper, killer, perfect_row = rows["zygote_stopper"], rows["zygote_killer"], rows["perfect"]
    assert stopper["status"] == "graded" and stopper["score"] == perfect_row["score"]  # a new sandbox next
    assert killer["status"] == "crashed" and "kernel died" in killer["reason"]
    for item in ("sigmoid", "mse", "NeuralNet", "one_epoch"):  # the next notebooks, in a new sandbox
        assert killer[item] == perfect_row[item] != "0", item


def test_no_kernel_can_reach_the_zygotes_control_pipes(graded):
    """Issue 21: bubblewrap's pid 1 held the zygote's reply pipe (its stdout), and one forged line
    shifted every later reply of the slot (the students graded after got "grader error"). Now the
    pipes sit on descriptors that pid 1 closes, and the zygote is not dumpable: a kernel finds no
    pipe of either to write into, in every tier (grade_corpus asserts no grader error as well)."""
    printed = graded["printed"]["reply_forger"][LAYERS]
    log = (graded["out"] / "reply_forger" / "grading.log").read_text()
    assert "WROTE" not in printed and "DENIED" in printed, printed  # the zygote's own fds: not dumpable
    assert "control pipe" not in log, log
    assert graded["rows"]["reply_forger"]["score"] == graded["rows"]["perfect"]["score"]


def test_memory_outside_the_address_space_limit_is_refused(graded):
    """Issue 21: pages in a memory file or a System V segment escape RLIMIT_AS. Both tiers' seccomp
    filter refuses them, and the notebook is graded as any other."""
    printed = graded["printed"]["memory_outside"][LAYERS]
    assert printed.count("DENIED") == 2 and "ALLOWED" not in printed, printed
    assert graded["rows"]["memory_outside"]["score"] == graded["rows"]["perfect"]["score"]
