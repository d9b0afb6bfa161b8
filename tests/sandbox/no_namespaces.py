"""Run a command where no namespace can be made, as in a Docker container with Docker's default
seccomp profile: unshare, setns and clone with namespace flags fail with EPERM (clone3: ENOSYS).

    python -m tests.sandbox.no_namespaces PROGRAM [ARGS...]
"""

import os
import sys

from autograder.sandbox import confine

if __name__ == "__main__":
    confine.seccomp(("unshare", "setns", "mount"), sockets=True)
    os.execv(sys.argv[1], sys.argv[1:])
