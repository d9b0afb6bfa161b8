# The README's two commands:  `make demo`  and  `make test`.  Both set up what they need, and a
# second run skips what is already done.
#
# The venv is made from a Python that every user can run: when TAs grade as root, student code
# runs as an unprivileged user, who must be able to start the venv's interpreter (pyenv's Python
# under /root is closed to them). Override with `make demo PYTHON=/path/to/python3`.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV   := .venv
BIN    := $(VENV)/bin
# nbgrader runs `alembic` from PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-fast test-bench setup data release bench browser docker

## demo: set up, prepare data, regenerate release/ and solutions/ if source/ changed, grade a sample class
demo: release
	$(BIN)/python -m autograder demo neural_nets

## test: the linter and the format check (ruff), then the whole test suite but the benchmark's own
## run (what CI runs; `make test-bench` runs that one: 15 minutes)
test: data browser docker
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m pytest -m "not bench"

## test-fast: the suite without the tests marked slow
test-fast: data
	$(BIN)/python -m pytest -m "not slow"

## test-bench: the benchmark end to end on tiny classes (tests/test_bench.py), its figures' format
test-bench: release
	$(BIN)/python -m pytest -m bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,cluster]'
	@touch $@

data: setup
	$(BIN)/python -m autograder data

# Chromium draws plotly figures as pictures for formgrader (kaleido) and is the browser of the tests
# in tests/browser/ (Playwright). As root with apt-get it is installed when no browser is found (the
# names tests/browser/conftest.py looks for, or $NN_COURSE_CHROMIUM); where it cannot be had (not
# root, no apt-get, apt-get failing offline) the suite still runs, and the tests that need it are
# skipped with a message saying how to get it.
BROWSERS := chromium chromium-browser google-chrome google-chrome-stable
browser:
	@found=$$NN_COURSE_CHROMIUM; for b in $(BROWSERS); do command -v $$b >/dev/null && found=$$b; done; \
	if [ -n "$$found" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium >/dev/null 2>&1 \
	    || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } \
	    || echo "note: apt-get could not install chromium: the picture and browser tests will be skipped"; \
	else echo "note: no chromium here; install it (e.g. sudo apt-get install chromium) for the picture and browser tests"; fi

# A Docker engine and debootstrap, for the Gradescope test in a real container
# (tests/gradescope/test_docker.py): installed and started as root with apt-get; elsewhere the
# script says so, and that test is skipped with the reason.
docker:
	@tests/gradescope/start_docker.sh

release: data
	$(BIN)/python -m autograder release

bench: release
	$(BIN)/python -m bench
