"""Tests of the end-point prediction (dln.implicit_bias); alpha is the initialisation scale."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dln.flow import simulate_flow
from dln.gd import gradient_descent
from dln.implicit_bias import (
    effective_scales,
    hyperbolic_entropy,
    mirror_prediction,
    relative_distance,
    weighted_l1_prediction,
)
from dln.lp import min_l1_solution
from dln.problems import make_preset, make_problem
from dln.saddles import saddle_jumps


def _problem(seed=1, n=10, d=30, support=10):
    p = make_problem(n_samples=n, n_features=d, support_size=support, seed=seed)
    return p.X, p.y


def test_effective_scales():
    gain = np.array([[0.0, 1.0, 4.0], [2.0, 0.0, 1.0]])
    np.testing.assert_allclose(effective_scales(gain, 2.0), 1 + gain / 4)
    np.testing.assert_allclose(
        effective_scales(gain[0], 2.0, scales=[1.0, 2.0, 3.0]), [1.0, 2.25, 4.0]
    )
    with pytest.raises(ValueError, match="log_inv_alpha"):
        effective_scales(gain, 0.0)
    with pytest.raises(ValueError, match="gain"):
        effective_scales([np.nan], 1.0)


def test_hyperbolic_entropy_closed_form_and_small_alpha_limit():
    beta = np.array([0.0, 1e-3, -2.0, 5.0])
    lam = math.log(10.0)
    a2 = math.exp(-2 * lam)
    direct = 0.5 * (beta * np.arcsinh(beta / a2) - np.sqrt(beta**2 + a2**2) + a2)
    assert hyperbolic_entropy(beta, lam) == pytest.approx(direct.sum() / lam, rel=1e-13)
    # alpha = exp(-1e4): psi / Lam -> sum kappa |beta| with an O(log|beta| / Lam) gap
    kappa = np.array([1.0, 1.5, 2.0, 1.2])
    big = hyperbolic_entropy(beta, 1e4, kappa=kappa)
    assert big == pytest.approx(float(np.sum(kappa * np.abs(beta))), rel=1e-3)


def test_gain_zero_predicts_the_flow_end_point():
    """The gradient flow has no cubic term: its end point solves the mirror problem exactly."""
    X, y = _problem()
    lam = math.log(1e3)
    t_end = 40.0 * saddle_jumps(X, y).times[-1]
    flow = simulate_flow(X, y, log_inv_alpha=lam, t=[0.0, t_end], rtol=1e-10)
    end = flow.beta[-1]
    assert np.linalg.norm(X @ end - y) < 1e-8 * np.linalg.norm(y)
    pred = mirror_prediction(X, y, log_inv_alpha=lam)
    assert pred.residual < 1e-9
    assert relative_distance(end, pred.beta) < 1e-7
    # the end point is not the minimum-l1 solution at this alpha
    assert relative_distance(end, min_l1_solution(X, y).beta) > 1e-2


def test_mirror_prediction_is_optimal_and_in_the_row_space():
    X, y = _problem(seed=2)
    lam = math.log(1e4)
    gain = np.linspace(0.0, 30.0, X.shape[1])
    pred = mirror_prediction(X, y, log_inv_alpha=lam, gain=gain)
    kappa = effective_scales(gain, lam)
    np.testing.assert_allclose(pred.kappa, kappa)
    # KKT: the dual variable arcsinh(beta / alpha_i^2) / (2 Lam) lies in the row space of X
    coef = np.linalg.lstsq(X.T, pred.s, rcond=None)[0]
    assert np.linalg.norm(X.T @ coef - pred.s) < 1e-8 * np.linalg.norm(pred.s)
    # no other interpolator has a smaller objective
    obj = hyperbolic_entropy(pred.beta, lam, kappa=kappa)
    assert obj == pytest.approx(pred.objective, rel=1e-12)
    rng = np.random.default_rng(0)
    null = np.linalg.svd(X)[2][X.shape[0] :]
    for _ in range(20):
        other = pred.beta + null.T @ rng.standard_normal(null.shape[0]) * 1e-2
        assert hyperbolic_entropy(other, lam, kappa=kappa) > obj
    for other in (min_l1_solution(X, y).beta, np.linalg.pinv(X) @ y):
        assert hyperbolic_entropy(other, lam, kappa=kappa) > obj


def test_small_alpha_limit_is_the_weighted_l1_solution():
    X, y = _problem(seed=3)
    lam = 1e4  # alpha = exp(-1e4)
    gain = np.linspace(0.0, 4.0 * lam, X.shape[1])  # weights 1 ... 3
    pred = mirror_prediction(X, y, log_inv_alpha=lam, gain=gain)
    lp = weighted_l1_prediction(X, y, log_inv_alpha=lam, gain=gain)
    np.testing.assert_allclose(lp.objective, np.sum((1 + gain / (2 * lam)) * np.abs(lp.beta)))
    assert relative_distance(pred.beta, lp.beta) < 1e-2
    limit = saddle_jumps(X, y, scales=effective_scales(gain, lam))
    assert relative_distance(limit.beta_end, lp.beta) < 1e-8
    # the weights moved the solution away from the plain minimum-l1 one
    assert relative_distance(lp.beta, min_l1_solution(X, y).beta) > 0.05


def test_full_column_rank_gives_least_squares():
    p = make_preset("diabetes")
    pred = mirror_prediction(p.X, p.y, log_inv_alpha=20.0, gain=np.ones(10))
    ols = np.linalg.lstsq(p.X, p.y, rcond=None)[0]
    np.testing.assert_allclose(pred.beta, ols, rtol=1e-10, atol=1e-10)
    assert pred.n_iterations == 0


def test_gd_with_large_steps_ends_at_the_prediction_not_at_min_l1():
    """At alpha = 1e-10 a step of 0.02 moves the end point (Gain up to ~8); the mirror problem
    with the run's own Gain predicts it ~70 times better than the minimum-l1 solution."""
    X, y = _problem(seed=1)
    lam = math.log(1e10)
    t_end = 3 * saddle_jumps(X, y).times[-1]
    res = gradient_descent(X, y, log_inv_alpha=lam, step=0.02, t_max=t_end)
    end = res.beta[-1]
    assert np.linalg.norm(X @ end - y) < 1e-6 * np.linalg.norm(y)
    pred = mirror_prediction(X, y, log_inv_alpha=lam, gain=res.gain[-1])
    d_pred = relative_distance(end, pred.beta)
    d_l1 = relative_distance(end, min_l1_solution(X, y).beta)
    d_flow = relative_distance(end, mirror_prediction(X, y, log_inv_alpha=lam).beta)
    assert d_l1 > 0.05 and d_pred < 0.05 * d_l1
    assert d_pred < 0.5 * d_flow  # the Gain, not only the finite alpha, moves the end point


def test_sgd_noise_moves_the_end_point_and_the_prediction_follows():
    """Diabetes with pairwise interactions (n = 24 < d = 55), alpha = 1e-10, batches of 6: the
    noise moves the end point 1e-2 away from the gradient flow's; the prediction with the
    run's Gain is within 1e-4, the minimum-l1 solution 4e-2 away."""
    p = make_preset("diabetes_interactions")
    X, y = p.X, p.y
    lam = math.log(1e10)
    t_end = 2 * saddle_jumps(X, y).times[-1]
    res = gradient_descent(X, y, log_inv_alpha=lam, step=1e-3, t_max=t_end, batch_size=6, seed=0)
    end = res.beta[-1]
    assert np.linalg.norm(X @ end - y) < 1e-4 * np.linalg.norm(y)
    d_pred = relative_distance(
        end, mirror_prediction(X, y, log_inv_alpha=lam, gain=res.gain[-1]).beta
    )
    d_flow = relative_distance(end, mirror_prediction(X, y, log_inv_alpha=lam).beta)
    d_l1 = relative_distance(end, min_l1_solution(X, y).beta)
    assert d_flow > 5e-3 and d_l1 > 2e-2
    assert d_pred < 0.02 * d_flow and d_pred < 0.01 * d_l1


def test_bad_arguments():
    X, y = _problem()
    with pytest.raises(ValueError, match="log_inv_alpha"):
        mirror_prediction(X, y, log_inv_alpha=-1.0)
    with pytest.raises(ValueError, match="gain"):
        mirror_prediction(X, y, log_inv_alpha=1.0, gain=np.ones(3))
    with pytest.raises(ValueError, match="kappa"):
        mirror_prediction(X, y, log_inv_alpha=1.0, kappa=np.ones(30), gain=np.ones(30))
    with pytest.raises(ValueError, match="kappa"):
        mirror_prediction(X, y, log_inv_alpha=1.0, kappa=-np.ones(30))
    with pytest.raises(ValueError, match="shape"):
        relative_distance(np.ones(2), np.ones(3))
    assert relative_distance(np.ones(2), np.zeros(2)) == pytest.approx(math.sqrt(2))
