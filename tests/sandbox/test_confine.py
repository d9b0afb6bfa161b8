"""confine.py's seccomp filter alone (``--filter-only``), as the bubblewrap tier's zygote runs under
it: on a plain Python, as any user (no root, no Landlock needed)."""

from __future__ import annotations

import subprocess
import sys

from autograder.sandbox import confine
from tests.sandbox.test_landlock import MEMORY_OUTSIDE, PROBE


def test_the_filter_alone_refuses_memory_outside_the_limit_and_new_namespaces_but_keeps_sockets():
    code = "ROOT, SCRATCH = '/nonexistent', '/nonexistent'\n" + PROBE
    run = subprocess.run(
        [sys.executable, "-I", confine.__file__, confine.FILTER_ONLY, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout
    for denied in ("unshare user", "clone user", "ptrace", "personality", *MEMORY_OUTSIDE):
        assert f"DENIED {denied} " in printed, printed
    # the bubblewrap tier's own namespaces keep the network and the files: the filter leaves them
    for allowed in ("inet socket", "unix socket", "read /etc/hostname"):
        assert f"ALLOWED {allowed}\n" in printed, printed
