"""Run a command where no namespace can be made, as in a Docker container with Docker's default
seccomp profile: unshare, setns and clone with namespace flags fail with EPERM (clone3: ENOSYS).

    python tests/sandbox/no_namespaces.py PROGRAM [ARGS...]

Standalone (it loads confine.py by its path): what it runs may import another copy of the engine.
"""

import importlib.util
import os
import sys
from pathlib import Path

CONFINE = Path(__file__).resolve().parents[2] / "autograder" / "sandbox" / "confine.py"

if __name__ == "__main__":
    spec = importlib.util.spec_from_file_location("confine", CONFINE)
    confine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(confine)
    confine.seccomp(("unshare", "setns", "mount"), sockets=True)
    os.execv(sys.argv[1], sys.argv[1:])
