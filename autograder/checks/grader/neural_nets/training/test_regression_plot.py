"""`regression_plot` (03_training.ipynb): fig_fit is a go.Figure with the data as markers, the trend, and
neural_net's prediction in raw units across the data's x range."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import _close, _course_data, _match_rows, _predict


def _is_line(trace) -> bool:
    return trace["type"] in ("scatter", "scattergl") and (trace["mode"] is None or "lines" in trace["mode"])


def _has_xy(trace) -> bool:
    return trace["x"] is not None and trace["y"] is not None and len(trace["x"]) == len(trace["y"]) > 0


def _has_data_markers(traces: list[dict], data: dict) -> bool:
    """Some markers trace holds every data point, in raw units (in any order)."""
    raw = torch.stack([data["x"], data["y"]], dim=1)
    for t in traces:
        if t["type"] in ("scatter", "scattergl") and t["mode"] and "markers" in t["mode"]:
            index = _match_rows(torch.stack([t["x"], t["y"]], dim=1), raw, tol=1e-4)
            if len(t["x"]) == len(raw) and bool((index >= 0).all()) and len(set(index.tolist())) == len(raw):
                return True
    return False


def _prediction_lines(lines: list[dict], state, data: dict) -> tuple[bool, bool, bool]:
    """(a line is the raw-unit prediction, such a line spans the data's x range, a line is the
    prediction in standardized units)."""
    low, high = float(data["x"].min()), float(data["x"].max())
    found_raw, found_range, found_standardized = False, False, False
    for t in lines:
        x, y = t["x"], t["y"]
        raw_prediction = _predict(state, (x - data["x_mu"]) / data["x_sigma"]).reshape(-1)
        raw_prediction = raw_prediction * data["y_sigma"] + data["y_mu"]
        covers = float(x.min()) <= low + 1e-3 and float(x.max()) >= high - 1e-3 and len(x) >= 50
        if _close(y, raw_prediction, 1e-4):
            found_raw = True
            found_range |= covers
        found_standardized |= _close(y, _predict(state, x).reshape(-1), 1e-4)
    return found_raw, found_range, found_standardized


def test_regression_plot(obs):
    expect(
        obs["is_figure"],
        "fig_fit is a go.FigureWidget, not a go.Figure: make it with go.Figure() (a widget is drawn only "
        "while its kernel runs, so your feedback could not show it).",
    )
    data = _course_data()
    traces = [t for t in obs["traces"] if _has_xy(t)]
    expect(
        len(obs["traces"]) >= 3,
        f"fig_fit has {len(obs['traces'])} trace(s): it needs three, the data (markers), the network's "
        "prediction (a line) and the actual trend (a line).",
    )
    expect(
        _has_data_markers(traces, data),
        "fig_fit has no markers trace with all the data points in raw units: unstandardize X_all and "
        "Y_all (with x_mu, x_sigma, y_mu, y_sigma) and plot them with mode='markers'.",
    )

    def is_trend(t):
        return _close(t["x"], data["trend_x"], 1e-6) and _close(t["y"], data["trend_y"], 1e-6)

    lines = [t for t in traces if _is_line(t)]
    expect(
        any(is_trend(t) for t in lines),
        "fig_fit has no line with the actual trend (trend_X and trend_Y from nn_dataframe_trend.pt).",
    )
    found_raw, found_range, found_standardized = _prediction_lines(
        [t for t in lines if not is_trend(t)], obs["state"], data
    )
    expect(
        found_raw or not found_standardized,
        "The prediction line of fig_fit is in standardized units: unstandardize line_X with x_mu, x_sigma "
        "and line_Y with y_mu, y_sigma before plotting.",
    )
    expect(
        found_raw,
        "fig_fit has no line whose y values are neural_net's predictions, unstandardized, at its x "
        "values (in raw units): line_Y = unstandardize(neural_net(line_X), y_mu, y_sigma) with line_X "
        "the standardized x grid, and x = unstandardize(line_X, x_mu, x_sigma).",
    )
    expect(
        found_range,
        "The prediction line of fig_fit does not span the data's x range: use "
        "torch.linspace(X_all.min(), X_all.max(), 1000) for line_X.",
    )
