"""`python -m autograder data`: run data/make_data.py (the data sets' recipes live beside them)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from .paths import DATA


def recipes() -> ModuleType:
    """data/make_data.py as a module (data/ is a folder of data, not a package)."""
    if "make_data" in sys.modules:
        return sys.modules["make_data"]
    spec = importlib.util.spec_from_file_location("make_data", DATA / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_data"] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def main() -> int:
    return recipes().main()
