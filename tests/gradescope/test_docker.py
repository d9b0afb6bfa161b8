"""The Gradescope bundle in a real Docker container, as Gradescope runs it (slow).

The container has Docker's defaults: its seccomp profile, its capabilities, root inside, plus
the memory docs/gradescope.md asks for (3 GB). There, bubblewrap cannot make its namespaces, so the
Landlock tier must isolate student code; these tests show it does, end to end.

The image is a Debian rootfs made by debootstrap (minbase, python3, python3-venv): a stand-in for
Gradescope's Ubuntu 22.04, which cannot be downloaded here. setup.sh's downloads (PyTorch's
index, PyPI) cannot be reached from inside the container either, so the suite's own environment
(the one requirements.txt is pinned from) is mounted read-only at /autograder/source/venv, and
setup.sh runs with NN_COURSE_VENV_READY=1: it installs nothing, and checks the engine, the data
and the sandbox as on Gradescope.

Skipped, with the reason, where no Docker engine answers or debootstrap is missing:
`make test` installs and starts them as root (tests/gradescope/start_docker.sh).
The figures (time and peak memory per submission) are printed: bench/RESULTS.md quotes them.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import demo
from autograder.course import notebooks
from autograder.gradescope import build
from tests.gradescope.test_gradescope import NN, assert_gradescope_results, files, simulated_root, unpack
from tests.sandbox.test_sandbox import FIND_SURVIVORS, MARK, OUTLIVE  # the sandbox corpus's survivor

pytestmark = pytest.mark.slow

IMAGE = "nn-course-gradescope-stand-in:debootstrap"
MEMORY = "3g"  # what docs/gradescope.md tells instructors to set (Gradescope's default, 768 MB, is too little)
PEAK = (  # the container's peak memory, from its cgroup (v1, then v2)
    "cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.peak"
)


def docker(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, **options)


def os_release() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    return {k: v.strip('"') for k, v in pairs}


@pytest.fixture(scope="module")
def image() -> str:
    """The image, built once per Docker engine (docker import of a debootstrap rootfs)."""
    if not shutil.which("docker"):
        pytest.skip("no docker command here: `make test` installs Debian's docker.io as root")
    info = docker("info", timeout=30)
    if info.returncode != 0:
        pytest.skip(f"no Docker engine answers ({info.stderr.strip()[:200]}): `make test` starts one as root")
    if docker("image", "inspect", IMAGE).returncode == 0:
        return IMAGE
    if not shutil.which("debootstrap"):
        pytest.skip("no debootstrap here: `make test` installs it as root (apt-get install debootstrap)")
    release = os_release()
    if release.get("ID") != "debian":
        pytest.skip("the stand-in image is made of Debian's packages, with this machine's Debian release")
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir="/var/tmp") as rootfs:
        made = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=python3,python3-venv", release["VERSION_CODENAME"], rootfs],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["docker", "import", "-", IMAGE], stdin=tar.stdout, capture_output=True, timeout=600)
        tar.wait()
        assert imported.returncode == 0, imported.stderr
    return IMAGE


@pytest.fixture(scope="module")
def venv() -> Path:
    """The suite's environment, if the image's Python can run it (the same /usr/bin/python3)."""
    if Path(sys.base_prefix) != Path("/usr") or sys.prefix == sys.base_prefix:
        pytest.skip(f"the suite runs in {sys.prefix}, not a venv of Debian's /usr/bin/python3: the image cannot run it")
    return Path(sys.prefix)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build.build("neural_nets", tmp_path_factory.mktemp("bundle"))


def in_container(image: str, venv: Path, bundle: Path, submission: dict[str, bytes], command: str) -> tuple[str, Path]:
    """Run `command` (bash) in a fresh container whose /autograder holds the unpacked bundle and
    `submission`, as Gradescope lays it out; (what it printed, the /autograder folder)."""
    root = simulated_root(submission)
    unpack(bundle, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "source" / "venv").mkdir()
    done = docker(
        "run",
        "--rm",
        f"--memory={MEMORY}",
        f"--memory-swap={MEMORY}",
        "--volume",
        f"{root}:/autograder",
        "--volume",
        f"{venv}:/autograder/source/venv:ro",
        "--env",
        "NN_COURSE_VENV_READY=1",
        image,
        "bash",
        "-c",
        command,
        timeout=1200,
    )
    return done.stdout + done.stderr + f"\nexit {done.returncode}\n", root


def graded(image: str, venv: Path, bundle: Path, submission: dict[str, bytes], after: str = "") -> tuple[dict, str]:
    """setup.sh, then run_autograder, in the container; (results.json, what was printed)."""
    command = f"bash /autograder/source/setup.sh && /autograder/run_autograder\n{after}\necho PEAK $({PEAK})"
    printed, root = in_container(image, venv, bundle, submission, command)
    try:
        data = json.loads((root / "results" / "results.json").read_text())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert_gradescope_results(data)
    peak = int(printed.rsplit("PEAK ", 1)[1].split()[0])
    print(f"\n[docker] {data['execution_time']:.1f} s, peak memory {peak / 2**20:.0f} MiB, {data['score']:g} points")
    return data, printed


def full_marks(data: dict) -> bool:
    return data["score"] == sum(t["max_score"] for t in data["tests"]) > 0


# ----------------------------------------------------------------------------- honest work
def test_in_dockers_defaults_setup_passes_with_the_landlock_tier_and_the_reference_gets_full_marks(image, venv, bundle):
    perfect = files({nb: demo.answered("neural_nets", nb) for nb in NN})
    data, printed = graded(image, venv, bundle, perfect)
    assert "sandbox for student code: landlock works in this container" in printed, printed[-3000:]
    assert full_marks(data), printed[-3000:]
    assert data["extra_data"]["gradescope"]["sandbox_tier"] == "landlock"
    assert data["extra_data"]["status"] == "graded"


def test_in_docker_the_blank_release_gets_nothing(image, venv, bundle):
    data, printed = graded(image, venv, bundle, files({nb: demo.blank("neural_nets", nb) for nb in NN}))
    assert data["score"] == 0 and data["tests"], printed[-3000:]
    assert all(t["score"] == 0 for t in data["tests"])


# ----------------------------------------------------------------------------- attacks
# Each attack is wrapped around an answer: the answer stands only if the attack ran to its end and
# found nothing. Full marks therefore prove containment; an attack that breaks also costs points.
SECRETS = {
    "grader checks": "/autograder/source/autograder/checks/grader/api.py",
    "bundle's notebooks": "/autograder/source/source/neural_nets/01_layers.ipynb",
    "bundle's config": "/autograder/source/gradescope.json",
    "results folder": "/autograder/results",
    "submission folder": "/autograder/submission",
    "submission metadata": "/autograder/submission_metadata.json",
    "shadow": "/etc/shadow",
    "root's home": "/root",
}


def reader(address: tuple[str, int]) -> str:
    """Tries every secret, a file it must be able to read, and the host over the network."""
    return f"""\
import os, socket
_found = []
for _path in {sorted(SECRETS.values())!r}:
    try:
        os.listdir(_path) if os.path.isdir(_path) else open(_path, "rb").read(1)
        _found.append(_path)
    except OSError:
        pass
_control = len(open(os.__file__, "rb").read(1)) == 1  # the allow-list holds the interpreter
try:
    socket.create_connection({address!r}, timeout=5).close()
    _found.append("network")
except OSError:
    pass
"""


def reference(notebook: str, grade_id: str) -> str:
    return next(c.source for c in demo.answered("neural_nets", notebook).cells if notebooks.grade_id(c) == grade_id)


@pytest.fixture(scope="module")
def listener():
    """A port on the Docker host's bridge address: reachable from the container, not from the sandbox."""
    bridge = docker("network", "inspect", "bridge", "--format", '{{index .Options "com.docker.network.bridge.name"}}')
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # the bridge's IPv4 address (SIOCGIFADDR)
        request = struct.pack("256s", bridge.stdout.strip().encode()[:15])
        gateway = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), 0x8915, request)[20:24])
    with socket.socket() as server:
        server.bind((gateway, 0))
        server.listen(16)
        yield server.getsockname()


def test_in_docker_the_reader_and_the_survivor_are_contained(image, venv, bundle, listener):
    layers = demo.answered(
        "neural_nets",
        NN[0],
        {
            "answer_layer1": reader(listener)
            + reference(NN[0], "answer_layer1")
            + "\nif _found or not _control:\n    layer1 = None\n"
            + OUTLIVE
        },
    )
    gated = FIND_SURVIVORS + reference(NN[1], "answer_sigmoid") + "\nif alive:\n    sigmoid = None\n"
    activations = demo.answered("neural_nets", NN[1], {"answer_sigmoid": gated})
    submission = files({NN[0]: layers, NN[1]: activations, NN[2]: demo.answered("neural_nets", NN[2])})
    # After grading, as root in the container: the secrets exist and the host answers (so the
    # attack's failures are the sandbox's doing), and no process of the student's is left.
    after = f"""python3 - <<'PY'
import os, socket
for path in {sorted(SECRETS.values())!r}:
    print("SECRET-THERE" if os.path.exists(path) else "SECRET-ABSENT", path)
socket.create_connection({listener!r}, timeout=5).close()
print("CONTROL CONNECTED")
mark = "{MARK[::-1]}"[::-1]  # not written out: this script is in the command line of the container's pid 1
left = [p for p in filter(str.isdigit, os.listdir("/proc")) if mark in open(f"/proc/{{p}}/cmdline").read()]
print("LEFT", left)
PY
"""
    data, printed = graded(image, venv, bundle, submission, after=after)
    assert "SECRET-ABSENT" not in printed and "CONTROL CONNECTED" in printed, printed[-3000:]
    assert "LEFT []" in printed, printed[-3000:]
    lost = {t["name"]: t["score"] for t in data["tests"] if t["score"] < t["max_score"]}
    assert full_marks(data), (lost, printed[-3000:])
