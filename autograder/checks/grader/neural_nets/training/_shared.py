"""Grader side of 03_training.ipynb: the lecture's network, the course data as the grader reads it, and
the helpers its items share. Never sent into a kernel."""

from __future__ import annotations

import functools
import math

import torch

from autograder.checks.grader.api import close, expect

TOL = 1e-5  # the tolerance the notebook states for values

SPLIT = (0.7, 0.15, 0.15)


class ReferenceNet(torch.nn.Module):
    """The lecture's NeuralNet: 1 → 3 → 2 → 1 features, a PReLU after each Linear."""

    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.PReLU())
        self.layer2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.PReLU())
        self.layer_output = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.PReLU())

    def forward(self, x):
        return self.layer_output(self.layer2(self.layer1(x)))


def _is_tensor(value) -> bool:
    return isinstance(value, torch.Tensor)


def _close(a, b, tol=TOL) -> bool:
    return close(a, b, atol=tol, rtol=tol)


def _reference_net(state, name: str = "neural_net") -> ReferenceNet:
    """The lecture's architecture holding the student's parameters (never the student's class)."""
    net = ReferenceNet()
    expected = net.state_dict()
    expect(isinstance(state, dict), f"The check could not read the parameters of `{name}`.")
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    expect(
        not missing and not extra,
        f"The parameters of `{name}` are not those of the lecture's NeuralNet (layer1, layer2, "
        "layer_output, each a Sequential of a Linear then a PReLU)"
        + (f"; missing: {', '.join(missing)}" if missing else "")
        + (f"; unexpected: {', '.join(extra)}" if extra else "")
        + ".",
    )
    for key, ref in expected.items():
        value = state[key]
        expect(
            _is_tensor(value) and value.shape == ref.shape,
            f"`{name}`'s parameter {key} has shape "
            f"{tuple(value.shape) if _is_tensor(value) else type(value).__name__}; the lecture's "
            f"NeuralNet has {tuple(ref.shape)} there.",
        )
    net.load_state_dict({k: v.float() for k, v in state.items()})
    return net.eval()


def _predict(state, x: torch.Tensor, name: str = "neural_net") -> torch.Tensor:
    net = _reference_net(state, name)
    with torch.no_grad():
        return net(x.float().reshape(-1, 1)).double()


@functools.cache
def _course_data() -> dict:
    """The regression data as the grader reads it from data/."""
    import importlib.util
    import sys

    from autograder.paths import DATA

    name = "_nn_course_make_data"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, DATA / "make_data.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    frame = module.load_frame(DATA / module.REGRESSION_FILE)
    trend = module.load_frame(DATA / module.TREND_FILE)
    x, y = torch.tensor(frame["x"].to_numpy()), torch.tensor(frame["y"].to_numpy())
    return {
        "x": x,
        "y": y,
        "X_all": (x - x.mean()) / x.std(),
        "Y_all": (y - y.mean()) / y.std(),
        "x_mu": x.mean(),
        "x_sigma": x.std(),
        "y_mu": y.mean(),
        "y_sigma": y.std(),
        "trend_x": torch.tensor(trend["x"].to_numpy()),
        "trend_y": torch.tensor(trend["y"].to_numpy()),
        "noise_floor": float(module.noise_floor_standardized()),
    }


def _split_sizes(n: int) -> tuple[int, int, int]:
    """Rows of train, validation and test for n rows: borders floor(0.7 n) and floor(0.85 n)."""
    border1 = math.floor(n * SPLIT[0])
    border2 = math.floor(n * (SPLIT[0] + SPLIT[1]))
    return border1, border2 - border1, n - border2


MATCH_ELEMENTS = 4 * 1024 * 1024  # distances computed at once (32 MB in float64)


def _match_rows(points: torch.Tensor, table: torch.Tensor, tol: float = TOL) -> torch.Tensor:
    """For each row of `points` (n, d), the index of the equal row of `table` (N, d), or -1. In
    blocks of rows: the n × N distances at once would grow with what the student handed over."""
    step = max(1, MATCH_ELEMENTS // max(1, len(table)))
    parts = [torch.zeros(0, dtype=torch.long)]
    for start in range(0, len(points), step):
        distance, index = torch.cdist(points[start : start + step].double(), table.double()).min(dim=1)
        index[distance > tol] = -1
        parts.append(index)
    return torch.cat(parts)
