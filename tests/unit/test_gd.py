"""Tests of the gradient-descent baseline (dln.gd); alpha is the initialisation scale."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dln.flow import FlowResult, simulate_flow
from dln.gd import GDResult, GradientDescentError, gradient_descent


def _random_problem(seed, n, d, scale=3.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), scale * rng.standard_normal(n)


def test_result_fields_and_first_iterates():
    X, y = _random_problem(0, 6, 4)
    alpha, step = 1e-3, 1e-3
    lam = math.log(1e3)
    res = gradient_descent(X, y, alpha=alpha, step=step, t_max=1.0)
    assert isinstance(res, GDResult) and isinstance(res, FlowResult)
    assert res.n_iterations == math.ceil(lam / step) == res.n_steps == res.nfev
    assert res.t[-1] >= 1.0 and res.t[-1] - 1.0 < step / lam
    np.testing.assert_allclose(res.t, res.iterations * step / lam)
    np.testing.assert_array_equal(res.u[0], math.sqrt(2) * alpha)
    np.testing.assert_array_equal(res.v[0], 0.0)
    # One step by hand: u1 = u0, v1 = -step * u0 * g(0) with g(0) = -X^T y / n.
    one = gradient_descent(X, y, alpha=alpha, step=step, t_max=step / lam)
    b = X.T @ y / 6
    np.testing.assert_allclose(one.v[-1], step * math.sqrt(2) * alpha * b, rtol=1e-14)
    np.testing.assert_allclose(res.beta, res.u * res.v)
    r = res.beta @ X.T - y
    np.testing.assert_allclose(res.loss, np.sum(r * r, axis=1) / 12)


def test_x_product_path_matches_gram_path():
    # n < d/2 uses X^T (X beta - y); compare with the same iteration written by hand.
    X, y = _random_problem(1, 3, 8)
    alpha, step, t_max = 1e-2, 1e-3, 0.5
    res = gradient_descent(X, y, alpha=alpha, step=step, t_max=t_max)
    G, b = X.T @ X / 3, X.T @ y / 3
    u, v = np.full(8, math.sqrt(2) * alpha), np.zeros(8)
    for _ in range(res.n_iterations):
        g = G @ (u * v) - b
        u, v = u - step * v * g, v - step * u * g
    np.testing.assert_allclose(res.beta[-1], u * v, rtol=1e-9, atol=1e-14)


def test_gd_agrees_with_flow_to_first_order_in_the_step():
    """Forward Euler on (u, v): halving the step halves the error against the exact flow."""
    X, y = _random_problem(0, 6, 4)
    alpha = 1e-3
    lam = math.log(1 / alpha)
    step0 = 4e-3
    # Grid points that are iterates for step0, step0/2 and step0/4.
    t = np.arange(0, 41) * 20 * step0 / lam
    ref = simulate_flow(X, y, log_inv_alpha=lam, t=t, rtol=1e-10)
    errors = []
    for step in [step0, step0 / 2, step0 / 4]:
        res = gradient_descent(X, y, alpha=alpha, step=step, t_max=t[-1], t=t)
        np.testing.assert_allclose(res.t, t, rtol=1e-12)
        errors.append(np.max(np.abs(res.beta - ref.beta)))
    errors = np.array(errors)
    ratios = errors[:-1] / errors[1:]
    assert errors[-1] < 0.05 * np.max(np.abs(ref.beta))
    assert np.all((ratios >= 1.8) & (ratios <= 2.2)), ratios


def test_gd_crossing_times_converge_to_the_flow():
    X, y = _random_problem(0, 6, 4)
    alpha = 1e-3
    lam = math.log(1 / alpha)
    flow = simulate_flow(X, y, log_inv_alpha=lam, t=[0.0, 4.0], rtol=1e-10)
    levels = np.linspace(flow.loss[0], flow.loss[-1], 7)[1:-1]
    flow = simulate_flow(X, y, log_inv_alpha=lam, t=[0.0, 4.0], rtol=1e-10, loss_levels=levels)
    errs = []
    for step in [2e-3, 1e-3]:
        res = gradient_descent(X, y, alpha=alpha, step=step, t_max=4.0, loss_levels=levels)
        errs.append(np.max(np.abs(res.crossing_times - flow.crossing_times)))
    assert 1.8 <= errs[0] / errs[1] <= 2.2


def test_level_bookkeeping():
    X, y = _random_problem(2, 6, 4)
    loss0 = float(y @ y) / 12
    res = gradient_descent(
        X, y, alpha=1e-2, step=1e-2, t_max=3.0, loss_levels=[2 * loss0, 1e-12, 0.9 * loss0]
    )
    assert res.crossing_times[0] == 0.0
    assert np.isnan(res.crossing_times[1])  # n > d: the loss stays above its positive minimum
    # The crossing lies between the two iterates around it.
    every = gradient_descent(X, y, alpha=1e-2, step=1e-2, t_max=3.0)
    assert every.n_iterations < 2000  # every iterate is returned
    k = int(np.argmax(every.loss < 0.9 * loss0))
    assert every.t[k - 1] <= res.crossing_times[2] <= every.t[k]


def test_microscopic_but_normal_alpha_runs():
    # alpha = 1e-300 is a normal float: GD still works (u0 ~ 1e-300, beta0 underflows to 0).
    X, y = _random_problem(3, 6, 4)
    res = gradient_descent(X, y, alpha=1e-300, step=0.05, t_max=0.2)
    assert np.all(np.isfinite(res.beta))


def test_alpha_too_small_for_float64():
    X, y = _random_problem(3, 6, 4)
    with pytest.raises(ValueError, match=r"alpha.*708\.4.*simulate_flow"):
        gradient_descent(X, y, alpha=1e-310, step=0.1, t_max=1.0)
    with pytest.raises(ValueError, match=r"alpha.*simulate_flow"):
        gradient_descent(X, y, alpha=1e-200, step=0.1, t_max=1.0, scales=[1.0, 2.0, 1.0, 1.0])


def test_divergence_raises():
    X, y = _random_problem(4, 6, 4)
    with pytest.raises(GradientDescentError, match="step"):
        gradient_descent(X, y, alpha=1e-2, step=5.0, t_max=20.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"X": np.full((3, 2), np.nan)}, "X"),
        ({"y": np.ones(4)}, "y"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, "X"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": float("nan")}, "alpha"),
        ({"step": -0.1}, "step"),
        ({"t_max": 0.0}, "t_max"),
        ({"t": [0.0, 0.5, 0.5]}, "t"),
        ({"t": [0.0, 2.0]}, "t"),
        ({"t": [0.0, 1e-6]}, "t"),
        ({"scales": [1.0, 0.0]}, "scales"),
        ({"directions": [-1.0, 1.0]}, "directions"),
        ({"loss_levels": [np.inf]}, "loss_levels"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    args = {"X": np.ones((3, 2)), "y": np.ones(3), "alpha": 1e-2, "step": 0.01, "t_max": 1.0}
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError, match=name):
        gradient_descent(X, y, **args)
