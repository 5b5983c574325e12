"""The minimum-l1 reference (dln.lp): known solutions, weights, least-squares regime, errors."""

import numpy as np
import pytest
import scipy.linalg as sla

from dln import min_l1_solution
from tests.helpers import random_problem


def test_basis_pursuit_recovers_a_sparse_vector():
    X, y, beta_star = random_problem(30, 60, seed=0, noise=0.0, support=3)
    res = min_l1_solution(X, y)
    assert res.status == 0 and res.polished
    np.testing.assert_allclose(res.beta, beta_star, rtol=1e-10, atol=1e-10)
    assert res.objective == pytest.approx(np.abs(beta_star).sum(), rel=1e-12)


def test_single_equation_picks_the_cheapest_coordinate():
    # min sum w_i |beta_i| s.t. x^T beta = y: all mass on argmin w_i / |x_i|
    X = np.array([[1.0, -4.0, 2.0]])
    np.testing.assert_allclose(min_l1_solution(X, [8.0]).beta, [0, -2.0, 0], atol=1e-14)
    res = min_l1_solution(X, [8.0], weights=[1.0, 10.0, 1.0])
    np.testing.assert_allclose(res.beta, [0, 0, 4.0], atol=1e-14)
    assert res.objective == pytest.approx(4.0)


def test_overdetermined_is_least_squares():
    X, y, _ = random_problem(50, 6, seed=1, noise=1.0)
    res = min_l1_solution(X, y)
    np.testing.assert_allclose(res.beta, sla.lstsq(X, y)[0], rtol=1e-10)


def test_rank_deficient_overdetermined_uses_the_projection():
    # y not in range(X) and X has a duplicated column: beta is the min-l1 point of the LS set
    rng = np.random.default_rng(2)
    base = rng.standard_normal((20, 3))
    X = np.hstack([base, base[:, :1]])
    y = rng.standard_normal(20)
    res = min_l1_solution(X, y)
    ls = sla.lstsq(X, y)[0]
    np.testing.assert_allclose(X @ res.beta, X @ ls, rtol=1e-9, atol=1e-12)
    assert res.objective <= np.abs(ls).sum() + 1e-12


def test_zero_target():
    X, _, _ = random_problem(4, 9, seed=3)
    res = min_l1_solution(X, np.zeros(4))
    assert np.all(res.beta == 0) and res.objective == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X": [[1.0, np.nan]]}, "X contains"),
        ({"y": [1.0, 2.0]}, "y has 2 entries"),
        ({"weights": [1.0, 0.0]}, "weights must be finite and > 0"),
        ({"weights": [1.0]}, r"weights must have shape \(2,\)"),
        ({"X": np.zeros((1, 0))}, "X must not be empty"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"X": [[1.0, 2.0]], "y": [1.0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        min_l1_solution(args.pop("X"), args.pop("y"), **args)
