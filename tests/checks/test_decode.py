"""An observation's real size is bounded, not only its compressed size (issue 21): a compressed
record, a record larger than the cap, or a tensor that repeats a small storage is refused before
the grader computes anything on it."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
import torch

from autograder.checks.grader import api
from autograder.checks.grader.api import TOO_LARGE, CheckFailed, decode
from autograder.checks.kernel.api import encode


def recompressed(payload: str) -> str:
    """The same archive with every record deflated: what torch.save never writes."""
    source = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
    return base64.b64encode(buffer.getvalue()).decode()


def test_an_honest_observation_reads_back():
    value = {"ok": True, "data": {"w": torch.randn(3, 2).T.clone(), "xs": [torch.zeros(4)[1:3]]}}
    assert torch.equal(decode(encode(value))["data"]["w"], value["data"]["w"])


def test_a_compressed_archive_is_refused_whatever_it_holds():
    payload = recompressed(encode({"ok": True, "data": torch.zeros(1000)}))
    assert len(payload) < len(encode({"ok": True, "data": torch.zeros(1000)}))  # it did compress
    with pytest.raises(CheckFailed, match="too large"):
        decode(payload)


def test_records_are_counted_at_their_real_size():
    raw = base64.b64decode(encode({"ok": True, "data": torch.zeros(60_000)}))  # 240 KB of records
    assert api.stored_within(raw, 300_000) and not api.stored_within(raw, 200_000)
    deflated = base64.b64decode(recompressed(encode({"ok": True, "data": torch.zeros(60_000)})))
    assert len(deflated) < 10_000 and not api.stored_within(deflated, 10**9)  # deflated: never


@pytest.mark.parametrize(
    "forged",
    [
        torch.zeros(1).expand(10**9),  # stride 0: one float seen a billion times
        torch.zeros(4).as_strided((100_000, 100_000), (0, 0)),
    ],
)
def test_a_tensor_that_repeats_a_small_storage_is_refused(forged):
    with pytest.raises(CheckFailed) as raised:
        decode(encode({"ok": True, "data": forged}))
    assert str(raised.value) == TOO_LARGE


def test_too_many_elements_are_refused(monkeypatch):
    monkeypatch.setattr(api, "MAX_ELEMENTS", 100)
    with pytest.raises(CheckFailed):
        decode(encode({"ok": True, "data": [torch.zeros(101)]}))
    assert decode(encode({"ok": True, "data": [torch.zeros(100)]}))["ok"]
