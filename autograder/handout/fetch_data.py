"""Fetch the data this assignment's notebooks read that is too large for the handout (MNIST: 50 MB
uncompressed), into data/ next to this file, and check every file against its SHA-256 sum in
nncheck.json. Run it once, online: `python fetch_data.py`. The notebooks then work offline.

Without internet here: copy the four files of MNIST/raw/ (uncompressed idx files) from a machine
that has them into data/MNIST/raw/, then run this again: it only checks them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).absolute().parent
DATA = HERE / "data"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(expected: dict[str, str]) -> list[str]:
    found = []
    for name, digest in expected.items():
        path = DATA / name
        if not path.is_file():
            found.append(f"data/{name} is missing")
        elif sha256(path) != digest:
            found.append(f"data/{name} is damaged (SHA-256 {sha256(path)}, expected {digest}): delete it")
    return found


def from_torchvision() -> None:
    import torchvision

    for train in (True, False):
        torchvision.datasets.MNIST(root=str(DATA), train=train, download=True)


FETCHERS = {"torchvision": from_torchvision}


def main() -> int:
    fetch = json.loads((HERE / "nncheck.json").read_text(encoding="utf-8"))["fetch"]
    for source, expected in fetch.items():
        if not problems(expected):
            continue
        print(f"fetching {len(expected)} file(s) with {source} ...", flush=True)
        try:
            FETCHERS[source]()
        except (OSError, RuntimeError) as err:  # no network, a server down, a full disk
            print(f"error: {source} could not fetch the data ({err})", file=sys.stderr)
        left = problems(expected)
        if left:
            print("error: " + "; ".join(left), file=sys.stderr)
            print("Copy the files from a machine that has them (see this script's docstring) and run it again.")
            return 1
    print("data/ is complete: every file matches its SHA-256 sum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
