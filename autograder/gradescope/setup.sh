#!/usr/bin/env bash
# Gradescope runs this once, as root and with internet, when it builds the autograder's image
# (base image Ubuntu 22.04). It asks nothing. It installs:
#   - Python @PYTHON_VERSION@ from Ubuntu's own archive, unless the image already has it (with venv);
#   - a virtual environment beside this file (venv/), with torch and torchvision as CPU-only builds
#     from PyTorch's index, then every other distribution at the version pinned in
#     requirements.txt (the environment the bundle was built and tested in), from the package index;
# then checks what it installed (python -m autograder.gradescope.run --check): the engine imports,
# the data is intact, and the sandbox for student code starts in this container (setup fails, with
# the reason, where it cannot: see docs/gradescope.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The system's interpreter, not one first on PATH: student code runs as another user, who must be
# able to run it (an interpreter under /root is closed to them).
PYTHON="/usr/bin/python@PYTHON_VERSION@"
VENV="$SOURCE/venv"

if [ "${NN_COURSE_VENV_READY:-}" = 1 ]; then
    # An image that already holds the environment at venv/, built from requirements.txt (an offline
    # image, or tests/gradescope/test_docker.py, which mounts it read-only): nothing is installed.
    echo "NN_COURSE_VENV_READY=1: using the environment already at $VENV"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "error: NN_COURSE_VENV_READY=1 but there is no $VENV/bin/python" >&2
        exit 1
    fi
else
    if [ ! -x "$PYTHON" ] || ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
        apt-get update
        apt-get install -y --no-install-recommends "python@PYTHON_VERSION@" "python@PYTHON_VERSION@-venv"
    fi
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --no-cache-dir --no-deps --index-url "@TORCH_INDEX@" @TORCH_PINS@
    "$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
    chmod -R a+rX "$VENV"
fi

# Student code runs as an unprivileged user (uid 61000 or 62000): it must be able to read the
# environment, the engine's kernel factory and the data (it sees nothing else of this folder).
find "$SOURCE" -path "$VENV" -prune -o -exec chmod a+rX {} +
for folder in "$SOURCE" "$(dirname "$SOURCE")"; do chmod a+x "$folder"; done

cd "$SOURCE"
"$VENV/bin/python" -m autograder.gradescope.run --check
