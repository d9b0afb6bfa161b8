"""The command line's conventions: --help and --version answer at once, without a verb's imports;
the defaults it shows are the verbs' own; Ctrl-C outside a batch is exit status 130."""

from __future__ import annotations

import inspect
import subprocess
import sys

from autograder import __main__ as cli
from autograder import exits
from autograder.paths import ROOT

HEAVY = ("torch", "nbformat", "jinja2", "plotly", "nbgrader", "jupyter_client", "numpy", "pandas")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_help_imports_nothing_heavy():
    """What makes --help fast (0.3 s, bench/RESULTS.md; timings live in bench/, never in tests):
    building the parser imports no verb, so neither torch nor nbgrader."""
    helped = run("-m", "autograder", "--help")
    assert helped.returncode == 0 and "grade" in helped.stdout and "export" not in helped.stderr
    probe = "import sys; from autograder.__main__ import parser; parser(); print(sorted(sys.modules))"
    loaded = set(eval(run("-c", probe).stdout))  # a list of module names, printed by Python itself
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)
    assert not {
        m for m in loaded if m.startswith("autograder.") and m not in ("autograder.__main__", "autograder.exits")
    } - {"autograder.vocabulary"}


def test_version_is_the_installed_packages():
    shown = run("-m", "autograder", "--version")
    assert shown.returncode == 0 and shown.stdout.startswith("nn-course ")


def test_grade_help_lists_quiet():
    assert "--quiet" in run("-m", "autograder", "grade", "--help").stdout


def test_the_defaults_shown_are_the_verbs_own():
    from autograder import check, demo, grade

    def default(function, name):
        return inspect.signature(function).parameters[name].default

    assert default(check.main, "timeout") == cli.CHECK_TIMEOUT
    assert default(grade.main, "jobs") is None and default(demo.main, "jobs") is None
    args = cli.parser().parse_args(["grade", "neural_nets", "subs", "--out", "o"])
    assert (args.jobs, args.quiet) == (None, False)


def test_ctrl_c_outside_a_batch_is_exit_status_130(monkeypatch, capsys):
    class Interrupted:
        @staticmethod
        def main():
            raise KeyboardInterrupt

    asked = []
    monkeypatch.setattr(cli, "_verb", lambda name: asked.append(name) or Interrupted)
    assert cli.main(["data"]) == exits.INTERRUPTED == 130
    assert asked == ["data"]
    assert "interrupted" in capsys.readouterr().err
