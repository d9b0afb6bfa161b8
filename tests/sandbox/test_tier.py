"""Which sandbox tier grades: the batch decides afresh, its workers follow its choice."""

from __future__ import annotations

from autograder import sandbox


def test_the_batch_decides_afresh_whatever_it_inherited(monkeypatch):
    """A choice inherited through the environment (say, from a grader that ran earlier in the same
    process, where bubblewrap worked) is not trusted by preflight: where bubblewrap cannot make its
    namespaces now, the Landlock tier is chosen, and the workers are told so."""
    monkeypatch.setenv(sandbox.CHOSEN, sandbox.BUBBLEWRAP)
    monkeypatch.delenv(sandbox.FORCE, raising=False)
    monkeypatch.setattr(sandbox, "check_bubblewrap", lambda: "No permissions to creating new namespace")
    monkeypatch.setattr(sandbox.landlock, "check", lambda root: "")
    monkeypatch.setattr(sandbox, "unreachable_interpreter", lambda: None)
    sandbox.forget()
    try:
        sandbox.preflight(True)
        assert sandbox.tier() == (sandbox.LANDLOCK, "")
        assert sandbox.os.environ[sandbox.CHOSEN] == sandbox.LANDLOCK  # what the workers read
    finally:
        sandbox.forget()
