"""The Lasso baseline: scaling against the network's loss, knots, interpolation, end point."""

import numpy as np
import pytest

from dln.baselines import KNOT_RTOL, lasso_coefficients, lasso_path
from dln.lp import min_l1_solution
from dln.problems import make_preset, make_problem
from dln.saddles import saddle_jumps
from tests.helpers import random_problem


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_knot_is_the_first_jump_time(seed):
    """lars_path's alpha is lam of ||y - Xb||^2/(2n) + lam|b|_1: first knot t = 1/||X^T y/n||."""
    X, y, _ = random_problem(8, 15, seed=seed, noise=0.3)
    path = lasso_path(X, y)
    n = X.shape[0]
    assert path.times[0] == pytest.approx(1 / np.max(np.abs(X.T @ y / n)), rel=1e-12)
    assert path.times[0] == pytest.approx(saddle_jumps(X, y).times[1], rel=1e-12)


@pytest.mark.parametrize("seed", [0, 3])
def test_knots_satisfy_the_lasso_optimality_conditions(seed):
    """At lam_k: |X^T(y - X b)/n| <= lam everywhere, = lam with the sign of b on the support."""
    X, y, _ = random_problem(10, 20, seed=seed, noise=0.5)
    path = lasso_path(X, y)
    n = X.shape[0]
    assert np.all(np.diff(path.times) > 0) and np.all(path.lambdas > KNOT_RTOL * path.lambdas[0])
    for lam, b in zip(path.lambdas, path.coefs, strict=True):
        corr = X.T @ (y - X @ b) / n
        assert np.all(np.abs(corr) <= lam * (1 + 1e-8))
        on = np.abs(b) > 1e-10
        np.testing.assert_allclose(corr[on], lam * np.sign(b[on]), rtol=1e-8)


def test_end_of_path_is_the_minimum_l1_interpolator():
    problem = make_preset("fig1_left")
    path = lasso_path(problem.X, problem.y)
    assert path.status == 0 and path.end_lambda == 0.0
    lp = min_l1_solution(problem.X, problem.y)
    np.testing.assert_allclose(path.end_coef, lp.beta, atol=1e-8)
    # the rounding-level knot LARS emits at lam ~ 1e-15 lam_max is not a knot
    assert path.n_knots == saddle_jumps(problem.X, problem.y).n_saddles == 4


def test_coefficients_between_knots_are_affine_in_lambda():
    X, y, _ = random_problem(10, 20, seed=4)
    path = lasso_path(X, y)
    np.testing.assert_allclose(lasso_coefficients(path, path.times), path.coefs, atol=1e-12)
    lam = (path.lambdas[1] + path.lambdas[2]) / 2
    mid = lasso_coefficients(path, np.array([1 / lam]))[0]
    np.testing.assert_allclose(mid, (path.coefs[1] + path.coefs[2]) / 2, atol=1e-12)
    early = lasso_coefficients(path, np.array([0.0, path.times[0] / 2]))
    assert not np.any(early)  # beta = 0 before the first knot, t = 0 included


def test_orthogonal_design_soft_thresholds():
    """G = I: knots at t_k = 1/|b|_(k) (the saddles' jump times), coefficients b - lam sign(b)."""
    n = 4
    X = np.sqrt(n) * np.eye(n)
    y = np.array([4.0, -2.0, 1.0, 0.5]) * np.sqrt(n)
    b = X.T @ y / n
    path = lasso_path(X, y)
    np.testing.assert_allclose(path.times, 1 / np.sort(np.abs(b))[::-1], rtol=1e-12)
    t = np.array([0.4])
    expected = np.sign(b) * np.maximum(np.abs(b) - 1 / t[0], 0)
    np.testing.assert_allclose(lasso_coefficients(path, t)[0], expected, atol=1e-12)


def test_bad_arguments_name_the_argument():
    X, y, _ = random_problem(5, 8, seed=0)
    with pytest.raises(ValueError, match="X has 5 rows"):
        lasso_path(X, y[:4])
    with pytest.raises(ValueError, match="max_iter"):
        lasso_path(X, y, max_iter=0)
    with pytest.raises(ValueError, match="X\\^T y is zero"):
        lasso_path(X, np.zeros(5))
    with pytest.raises(ValueError, match="t must be >= 0"):
        lasso_coefficients(lasso_path(X, y), np.array([-1.0]))
    problem = make_problem(n_samples=5, n_features=8, seed=1)
    assert lasso_path(problem.X, problem.y).n_knots >= 1
