"""Tests of the finite-alpha gradient flow (dln.flow).

alpha is the initialisation scale of the network; Lam = log(1/alpha) = log_inv_alpha.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
from scipy.integrate import solve_ivp
from scipy.optimize import linprog
from scipy.stats import linregress

import dln.flow as dln_flow
from dln.flow import FlowResult, FlowSolverError, beta_from_s, simulate_flow
from dln.saddles import saddle_jumps
from tests.helpers import fail_every_step

SQRT2 = math.sqrt(2.0)


def _random_problem(seed, n, d, scale=3.0):
    """Gaussian design and Gaussian targets: generic, non-degenerate jumps."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), scale * rng.standard_normal(n)


def _loss(X, y, beta):
    r = X @ beta - y
    return float(r @ r) / (2 * X.shape[0])


def _orthogonal_design(b, n, seed=0):
    """X with X^T X / n = I and X^T y / n = b (d = b.size <= n)."""
    d = b.size
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = math.sqrt(n) * Q
    y = X @ b  # X^T y / n = b since X^T X / n = I
    return X, y


def _midpoints(losses):
    losses = np.asarray(losses)
    return (losses[:-1] + losses[1:]) / 2


# --------------------------------------------------------------------------- beta_from_s


def test_beta_from_s_matches_sinh_for_moderate_alpha():
    lam = 5.0
    s = np.linspace(-1.5, 1.5, 31)
    expected = math.exp(-2 * lam) * np.sinh(2 * lam * s)
    np.testing.assert_allclose(beta_from_s(s, lam), expected, rtol=1e-13, atol=1e-300)


def test_beta_from_s_scales_and_directions():
    lam = 7.0
    s = np.array([0.3, -1.2, 2.1])
    k = np.array([0.5, 1.0, 2.0])
    c = np.array([0.5, 2.0, 3.0])
    expected = c**2 * np.exp(-2 * lam * k) * np.sinh(2 * lam * s)
    got = beta_from_s(s, lam, scales=k, log_directions=np.log(c))
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_beta_from_s_is_finite_for_microscopic_alpha():
    # alpha = 1e-1000: alpha^2 underflows, but an active coordinate sits at |s| ~ 1.
    lam = 1000 * math.log(10)
    s = np.array([1.0 + math.log(2 * 3.0) / (2 * lam), -1.0, 0.5, 0.0])
    beta = beta_from_s(s, lam)
    assert np.all(np.isfinite(beta))
    np.testing.assert_allclose(beta[0], 3.0, rtol=1e-12)
    assert beta[1] == pytest.approx(-0.5)
    assert beta[2] == 0.0 and beta[3] == 0.0


# --------------------------------------------------------------------------- basic contract


def test_result_fields_weights_and_invariants():
    X, y = _random_problem(0, 6, 4)
    lam = math.log(1e3)
    t = np.linspace(0.0, 3.0, 31)
    res = simulate_flow(X, y, log_inv_alpha=lam, t=t)
    assert isinstance(res, FlowResult)
    assert res.beta.shape == res.s.shape == res.u.shape == res.v.shape == (31, 4)
    np.testing.assert_array_equal(res.t, t)
    np.testing.assert_array_equal(res.s[0], 0.0)
    assert res.status == 0 and res.n_steps > 0 and res.nfev > 0
    np.testing.assert_allclose(res.u * res.v, res.beta, rtol=1e-12, atol=1e-300)
    # u^2 - v^2 = 2 alpha^2 is conserved (docs/theory.md).
    np.testing.assert_allclose(res.u**2 - res.v**2, 2e-6, rtol=1e-6)
    # The loss is non-increasing along the flow.
    assert np.all(np.diff(res.loss) <= 1e-12 * res.loss[0])
    loss = [_loss(X, y, b) for b in res.beta]
    np.testing.assert_allclose(res.loss, loss, rtol=1e-12)


def test_weights_are_none_when_alpha_is_not_a_normal_float():
    X, y = _random_problem(1, 5, 3)
    t = [0.0, 0.5]
    assert simulate_flow(X, y, log_inv_alpha=700.0, t=t).u is not None
    res = simulate_flow(X, y, log_inv_alpha=710.0, t=t)
    assert res.u is None and res.v is None
    assert np.all(np.isfinite(res.beta))


def test_lsoda_agrees_with_radau():
    X, y = _random_problem(2, 6, 4)
    t = np.linspace(0, 4, 21)
    a = simulate_flow(X, y, log_inv_alpha=50.0, t=t, rtol=1e-10)
    b = simulate_flow(X, y, log_inv_alpha=50.0, t=t, rtol=1e-10, method="LSODA")
    scale = np.max(np.abs(a.beta), axis=1, keepdims=True) + 1e-300
    assert np.max(np.abs(a.beta - b.beta) / scale) < 1e-7


def test_sparse_jacobian_path_agrees_with_dense(monkeypatch):
    # Large d in the dual (s) form uses a sparse Jacobian restricted to the active columns (and
    # X-products for G beta); d > n would pick the row-space form, so the s form is forced.
    monkeypatch.setattr(dln_flow, "_use_row_space", lambda n, d: False)
    X, y = _random_problem(7, 12, 40)
    t = np.linspace(0, 3.0, 16)
    dense = simulate_flow(X, y, log_inv_alpha=200.0, t=t, rtol=1e-9, loss_levels=[10.0])
    monkeypatch.setattr(dln_flow, "_SPARSE_JAC_MIN_FEATURES", 10)
    sparse = simulate_flow(X, y, log_inv_alpha=200.0, t=t, rtol=1e-9, loss_levels=[10.0])
    scale = np.max(np.abs(dense.beta), axis=1, keepdims=True) + 1e-300
    assert np.max(np.abs(dense.beta - sparse.beta) / scale) < 1e-7
    assert sparse.crossing_times[0] == pytest.approx(dense.crossing_times[0], rel=1e-9)


def test_loss_levels_above_start_and_unreached():
    X, y = _random_problem(3, 6, 4)
    loss0 = _loss(X, y, np.zeros(4))
    res = simulate_flow(
        X, y, log_inv_alpha=20.0, t=[0.0, 0.01], loss_levels=[2 * loss0, 0.5 * loss0]
    )
    assert res.crossing_times[0] == 0.0
    assert np.isnan(res.crossing_times[1])  # t = 0.01 is far before the first jump


# --------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("alpha", [1e-2, 1e-4, 1e-6])
def test_dual_flow_matches_direct_weight_flow(alpha):
    """The s-flow in accelerated time equals the (u, v) flow in original time.

    Metric: per-coordinate relative error |beta_s - beta_uv| / |beta_uv| on coordinates with
    |beta_uv| >= 1e-6 ||beta_uv||_inf. Both integrations control relative (not absolute)
    errors per coordinate (log space for s, atol << alpha for u, v), so the coordinates that are
    exponentially small are compared as sharply as the active ones; only a coordinate passing
    through zero has no meaningful relative error, which the threshold excludes.
    """
    X, y = _random_problem(0, 6, 4)
    n, d = X.shape
    G, b = X.T @ X / n, X.T @ y / n
    lam = -math.log(alpha)
    t = np.linspace(0.0, 4.0, 81)

    def rhs(tau, w):
        u, v = w[:d], w[d:]
        g = G @ (u * v) - b
        return np.concatenate([-v * g, -u * g])

    w0 = np.concatenate([np.full(d, SQRT2 * alpha), np.zeros(d)])
    ref = solve_ivp(
        rhs, (0.0, lam * t[-1]), w0, method="DOP853", t_eval=lam * t, rtol=1e-13, atol=1e-20 * alpha
    )
    assert ref.status == 0
    beta_ref = (ref.y[:d] * ref.y[d:]).T
    res = simulate_flow(X, y, log_inv_alpha=lam, t=t, rtol=1e-10)
    big = np.max(np.abs(beta_ref), axis=1, keepdims=True)
    mask = (np.abs(beta_ref) >= 1e-6 * big) & (beta_ref != 0)
    assert mask.sum() > 0.7 * mask.size
    rel = np.abs(res.beta - beta_ref)[mask] / np.abs(beta_ref)[mask]
    assert np.max(rel) < 1e-8
    np.testing.assert_allclose(res.u, ref.y[:d].T, rtol=1e-8)


# --------------------------------------------------------------------------- first jump


def _first_jump_offset(X, y, lam):
    n = X.shape[0]
    G, b = X.T @ X / n, X.T @ y / n
    i = int(np.argmax(np.abs(b)))
    K = abs(b[i]) / G[i, i]
    beta1 = np.zeros(X.shape[1])
    beta1[i] = b[i] / G[i, i]
    level = 0.5 * (_loss(X, y, np.zeros_like(beta1)) + _loss(X, y, beta1))
    t1 = 1.0 / abs(b[i])
    res = simulate_flow(X, y, log_inv_alpha=lam, t=[0.0, 2 * t1], loss_levels=[level], rtol=1e-9)
    measured = res.crossing_times[0] - t1
    predicted = math.log(2 * K * (SQRT2 - 1)) / (2 * abs(b[i]) * lam)
    return measured, predicted


@pytest.mark.parametrize("lam", [1e3, 1e4])
def test_first_jump_offset_one_dimensional(lam):
    X = np.array([[1.0], [2.0], [-0.5]])
    y = np.array([3.0, 4.0, 1.0])
    measured, predicted = _first_jump_offset(X, y, lam)
    assert abs(predicted) > 10 / lam**2  # the offset is resolved, not a rounding effect
    # Exact up to exponentially small terms (measured: 3e-10); 1e-6 leaves room for rtol.
    assert measured == pytest.approx(predicted, rel=1e-6)


@pytest.mark.parametrize("lam", [1e3, 1e4])
def test_first_jump_offset_several_coordinates(lam):
    # The first coordinate leads the second by a wide margin: until the first jump is over,
    # the others stay exponentially small and the jump is a 1-D logistic.
    X, y = _random_problem(4, 8, 5)
    b = X.T @ y / 8
    top2 = np.sort(np.abs(b))[-2:]
    assert top2[0] < 0.9 * top2[1]
    measured, predicted = _first_jump_offset(X, y, lam)
    assert measured == pytest.approx(predicted, rel=1e-6)


# --------------------------------------------------------------------------- convergence


def test_orthogonal_design_jump_offsets_closed_form():
    """G = I: coordinates decouple into logistics; t_k = 1/|b|_(k) with the first-jump offset."""
    b = np.array([3.0, -2.0, 1.2, 0.7])
    X, y = _orthogonal_design(b, n=6)
    order = np.argsort(-np.abs(b))
    bk = np.abs(b[order])
    losses = _loss(X, y, np.zeros(4)) - np.concatenate([[0.0], np.cumsum(bk**2) / 2])
    lam = 300.0
    res = simulate_flow(
        X, y, log_inv_alpha=lam, t=[0.0, 2.0 / bk[-1]], loss_levels=_midpoints(losses), rtol=1e-10
    )
    predicted = 1 / bk + np.log(2 * bk * (SQRT2 - 1)) / (2 * bk * lam)
    np.testing.assert_allclose(res.crossing_times, predicted, rtol=1e-6)


def _jump_time_errors(X, y, lams, rtol=1e-9):
    sad = saddle_jumps(X, y)
    levels = _midpoints(sad.losses)
    t_end = 1.3 * sad.times[-1] + 1.0
    errors = []
    for lam in lams:
        res = simulate_flow(X, y, log_inv_alpha=lam, t=[0.0, t_end], loss_levels=levels, rtol=rtol)
        assert np.all(np.isfinite(res.crossing_times))
        errors.append(res.crossing_times - sad.times[1:])
    return sad, np.array(errors)


def test_jump_time_errors_decay_like_one_over_lam():
    # Seed 1 has 7 non-degenerate jumps, one of them with a deactivation.
    X, y = _random_problem(1, 10, 6)
    lams = np.geomspace(1e2, 1e4, 5)
    sad, errors = _jump_time_errors(X, y, lams)
    assert sad.n_saddles >= 5
    assert any(len(a) for a in sad.deactivated)
    for k in range(errors.shape[1]):
        fit = linregress(np.log(lams), np.log(np.abs(errors[:, k])))
        assert -1.1 <= fit.slope <= -0.9, (k, fit.slope)
    # The worst jump as well.
    fit = linregress(np.log(lams), np.log(np.max(np.abs(errors), axis=1)))
    assert -1.1 <= fit.slope <= -0.9


def test_microscopic_alpha_and_huge_lam():
    X, y = _random_problem(0, 10, 6)
    lams = [1000 * math.log(10), 1e5]  # alpha = 1e-1000, then Lam = 1e5
    sad, errors = _jump_time_errors(X, y, lams, rtol=1e-8)
    scaled = errors * np.array(lams)[:, None]  # -> C_k, the O(1/Lam) constants
    assert np.all(np.isfinite(scaled))
    assert np.max(np.abs(scaled)) < 5.0
    np.testing.assert_allclose(scaled[0], scaled[1], atol=0.05 * np.max(np.abs(scaled)))
    t = np.linspace(0, 1.3 * sad.times[-1], 50)
    res = simulate_flow(X, y, log_inv_alpha=1e5, t=t)
    assert np.all(np.isfinite(res.beta)) and np.all(np.isfinite(res.loss))
    np.testing.assert_allclose(res.beta[-1], sad.betas[-1], atol=1e-3)


# --------------------------------------------------------------------------- scales


def _weighted_min_l1(X, y, k):
    d = X.shape[1]
    res = linprog(
        np.concatenate([k, k]), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs"
    )
    assert res.status == 0
    return res.x[:d] - res.x[d:]


def test_scales_first_jump_time():
    X, y = _random_problem(5, 8, 5)
    b = X.T @ y / 8
    k = np.full(5, 1.0)
    i_max = int(np.argmax(np.abs(b)))
    j = int(np.argsort(np.abs(b))[-2])
    k[i_max] = 1.6  # delay the largest correlation: another coordinate must jump first
    k[j] = 0.8
    t1 = np.min(k / np.abs(b))
    first = int(np.argmin(k / np.abs(b)))
    assert first != i_max
    sad = saddle_jumps(X, y, scales=k)
    assert sad.times[1] == pytest.approx(t1)
    lam = 1e4
    res = simulate_flow(
        X,
        y,
        log_inv_alpha=lam,
        t=[0.0, t1, 2 * t1],
        scales=k,
        loss_levels=_midpoints(sad.losses[:2]),
    )
    assert abs(res.crossing_times[0] - t1) < 2.0 / lam
    # At t1 (+ a few widths) only the first coordinate has moved.
    assert np.argmax(np.abs(res.beta[2])) == first


def test_scales_endpoint_is_weighted_min_l1():
    X, y = _random_problem(6, 5, 10)
    plain = _weighted_min_l1(X, y, np.ones(10))
    k = np.random.default_rng(6).uniform(0.7, 1.3, 10)
    k[np.argmax(np.abs(plain))] = 3.0  # penalise the largest coordinate of the plain solution
    target = _weighted_min_l1(X, y, k)
    assert np.max(np.abs(target - plain)) > 0.1  # the weights change the answer
    sad = saddle_jumps(X, y, scales=k)
    res = simulate_flow(X, y, log_inv_alpha=1e4, t=[0.0, sad.times[-1] + 10.0], scales=k)
    err = np.max(np.abs(res.beta[-1] - target))
    assert err < 1e-2 * np.max(np.abs(target))
    assert err < 0.1 * np.max(np.abs(res.beta[-1] - plain))


def test_directions_shift_the_first_jump():
    # c_i multiplies the initial weight: beta_i starts at c_i^2 alpha^2 and jumps
    # log(c_i) / (Lam |b_i|) earlier.
    X = np.array([[1.0], [2.0], [-0.5]])
    y = np.array([3.0, 4.0, 1.0])
    lam = 1e3
    b = float(X[:, 0] @ y / 3)
    level = 0.5 * (
        _loss(X, y, np.zeros(1)) + _loss(X, y, np.array([b / float(X[:, 0] @ X[:, 0] / 3)]))
    )
    plain = simulate_flow(X, y, log_inv_alpha=lam, t=[0, 2 / b], loss_levels=[level], rtol=1e-10)
    shifted = simulate_flow(
        X, y, log_inv_alpha=lam, t=[0, 2 / b], loss_levels=[level], rtol=1e-10, directions=[3.0]
    )
    shift = plain.crossing_times[0] - shifted.crossing_times[0]
    assert shift == pytest.approx(math.log(3.0) / (lam * b), rel=1e-6)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"X": np.full((3, 2), np.nan)}, "X"),
        ({"y": np.ones(4)}, "y"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, "X"),
        ({"log_inv_alpha": 0.0}, "log_inv_alpha"),
        ({"log_inv_alpha": -3.0}, "log_inv_alpha"),
        ({"log_inv_alpha": float("nan")}, "log_inv_alpha"),
        ({"t": [0.0, 1.0, 1.0]}, "t"),
        ({"t": [1.0, 0.5]}, "t"),
        ({"t": [-1.0, 1.0]}, "t"),
        ({"t": [0.0, np.nan]}, "t"),
        ({"t": []}, "t"),
        ({"rtol": -1e-8}, "rtol"),
        ({"rtol": 0.0}, "rtol"),
        ({"rtol": 0.5}, "rtol"),
        ({"scales": [1.0, -1.0]}, "scales"),
        ({"scales": [1.0, 1.0, 1.0]}, "scales"),
        ({"directions": [1.0, 0.0]}, "directions"),
        ({"directions": [1.0]}, "directions"),
        ({"loss_levels": [np.nan]}, "loss_levels"),
        ({"method": "RK45"}, "method"),
        ({"max_step_count": 0}, "max_step_count"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    args = {"X": np.ones((3, 2)), "y": np.ones(3), "log_inv_alpha": 10.0, "t": [0.0, 1.0]}
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError, match=name):
        simulate_flow(X, y, **args)


def test_beta_from_s_bad_arguments():
    with pytest.raises(ValueError, match="log_inv_alpha"):
        beta_from_s([0.1], 0.0)
    with pytest.raises(ValueError, match="s"):
        beta_from_s([np.nan], 1.0)
    with pytest.raises(ValueError, match="scales"):
        beta_from_s([0.1, 0.2], 1.0, scales=[1.0])


def test_solver_failure_raises_clear_error():
    X, y = _random_problem(0, 6, 4)
    with pytest.raises(FlowSolverError, match=r"log_inv_alpha=100\.0.*max_step_count=5") as info:
        simulate_flow(X, y, log_inv_alpha=100.0, t=[0.0, 3.0], max_step_count=5)
    assert isinstance(info.value, RuntimeError)
    assert info.value.log_inv_alpha == 100.0
    assert 0 < info.value.t_reached < 3.0


def test_solver_failure_reports_the_solver_message(monkeypatch):
    # A right-hand side that turns NaN mid-way makes every Newton iteration fail, and Radau
    # gives up with "Required step size is less than spacing between numbers".
    X, y = _random_problem(0, 6, 4)
    original = dln_flow._Problem.rhs

    def broken(self, t, s):
        return original(self, t, s) if t < 0.5 else np.full_like(s, np.nan)

    monkeypatch.setattr(dln_flow._Problem, "rhs", broken)
    with pytest.raises(FlowSolverError, match=r"log_inv_alpha=100\.0.*step size") as info:
        simulate_flow(X, y, log_inv_alpha=100.0, t=[0.0, 3.0])
    assert "step size" in info.value.solver_message
    assert info.value.t_reached <= 0.5


@pytest.mark.parametrize("wide", [False, True])
def test_failed_solver_falls_back_to_the_other_one(monkeypatch, wide):
    # A Radau step that fails outright is retried once with LSODA, and the result says so.
    X, y = _random_problem(0, 6, 12 if wide else 4)
    reference = simulate_flow(X, y, log_inv_alpha=30.0, t=[0.0, 1.0, 2.0], method="LSODA")
    fail_every_step(monkeypatch, scipy.integrate.Radau)
    res = simulate_flow(X, y, log_inv_alpha=30.0, t=[0.0, 1.0, 2.0])
    assert res.method == "LSODA" and res.status == 0
    assert "Radau failed (simulated failure)" in res.message
    np.testing.assert_array_equal(res.s, reference.s)


def test_impossible_tolerance_is_rejected():
    # float64 resolves s to ~100 eps: at Lam = 1e5 beta cannot be more accurate than ~4.4e-9.
    X, y = _random_problem(0, 6, 4)
    with pytest.raises(ValueError, match=r"rtol=1e-30 .*log_inv_alpha=100\.0"):
        simulate_flow(X, y, log_inv_alpha=100.0, t=[0.0, 3.0], rtol=1e-30)
    with pytest.raises(ValueError, match="rtol"):
        simulate_flow(X, y, log_inv_alpha=1e5, t=[0.0, 3.0], rtol=1e-9)


def test_crossing_within_rounding_of_a_step_end_returns_that_end():
    # The loss on a step's interpolant may miss a level by rounding at the ends: no sign change
    # for brentq, and the crossing is the end nearest to the level.
    X, y = _random_problem(0, 4, 6)
    problem = dln_flow._RowProblem(X, y, 23.0, np.ones(6), None)
    mu = np.full(4, 0.01)

    def constant(tau):
        return np.multiply.outer(mu, np.ones_like(tau))

    level = problem.loss(0.0, mu) * (1 - 1e-15)
    loss = problem.loss_along(constant, 1.0, 2.0)
    assert dln_flow._crossing(loss, level, 1.0, 2.0) == 1.0
