"""Degenerate numerics: Algorithm 1 and the flow give the documented answer or a clear error.

y = 0, an all-zero column, duplicated columns, n = 1, d = 1, and X, y scaled over 1e-8..1e8.
Nothing may hang (every flow has a step bound) or return NaN silently. ``alpha`` is the
initialisation scale; flows are run at ``log(1/alpha) = LAM``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dln.evaluate import plateau_midpoints
from dln.flow import FlowSolverError, simulate_flow
from dln.lp import min_l1_solution
from dln.saddles import saddle_jumps

LAM = 50.0  # alpha = e^-50 ~ 2e-22
RTOL = 1e-8
# Every flow here needs < 1000 steps; the bound turns a runaway integration into an error.
MAX_STEPS = 5000
SCALES = (1e-8, 1e-4, 1.0, 1e4, 1e8)


def _problem(n=5, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[[1, 4]] = [3.0, -2.0]
    return X, X @ beta


def _flow(X, y, result, *, directions=None, t=None, rtol=RTOL):
    if t is None:
        t = np.linspace(0.0, 1.5 * max(result.times[-1], 1e-300), 101)
    levels = plateau_midpoints(result.losses) if result.n_saddles else None
    flow = simulate_flow(
        X,
        y,
        log_inv_alpha=LAM,
        t=t,
        rtol=rtol,
        loss_levels=levels,
        directions=directions,
        max_step_count=MAX_STEPS,
    )
    for name in ("beta", "s", "loss"):
        assert np.all(np.isfinite(getattr(flow, name))), name
    return flow


def _close_to_lp(X, y, result):
    lp = min_l1_solution(X, y)
    scale = max(float(np.max(np.abs(lp.beta))), np.finfo(float).tiny)
    assert np.max(np.abs(result.betas[-1] - lp.beta)) <= 1e-9 * scale
    assert result.primal_objective == pytest.approx(lp.objective, rel=1e-9, abs=0)


# ---------------------------------------------------------------------------- y = 0
def test_zero_target_has_no_jump_and_a_still_flow():
    X, _ = _problem()
    y = np.zeros(X.shape[0])
    result = saddle_jumps(X, y)
    assert result.n_saddles == 0  # beta_0 = 0 is already the minimum-l1 minimiser
    np.testing.assert_array_equal(result.times, [0.0])
    np.testing.assert_array_equal(result.betas, np.zeros((1, X.shape[1])))
    assert result.duality_gap == 0 and result.max_dual_violation == 0
    flow = _flow(X, y, result, t=np.linspace(0.0, 10.0, 11))
    np.testing.assert_array_equal(flow.beta, 0.0)  # s = 0 is a fixed point
    np.testing.assert_array_equal(flow.loss, 0.0)
    assert flow.crossing_times.size == 0
    np.testing.assert_array_equal(min_l1_solution(X, y).beta, 0.0)


def test_target_orthogonal_to_every_column_is_the_same_as_zero():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    y = np.array([1.0, -1.0, 0.0])  # X^T y = 0
    result = saddle_jumps(X, y)
    assert result.n_saddles == 0
    flow = _flow(X, y, result, t=np.linspace(0.0, 5.0, 6))
    np.testing.assert_array_equal(flow.beta, 0.0)


# ---------------------------------------------------------------------------- zero column
def test_zero_column_never_enters_and_changes_nothing_else():
    X, y = _problem()
    Xz = np.insert(X, 3, 0.0, axis=1)
    base, result = saddle_jumps(X, y), saddle_jumps(Xz, y)
    assert np.all(result.betas[:, 3] == 0) and np.all(result.s[:, 3] == 0)
    np.testing.assert_allclose(result.times, base.times, rtol=1e-12)
    np.testing.assert_allclose(np.delete(result.betas, 3, axis=1), base.betas, atol=1e-12)
    _close_to_lp(Xz, y, result)
    flow = _flow(Xz, y, result)
    np.testing.assert_array_equal(flow.beta[:, 3], 0.0)  # its gradient is 0 for all times


# ---------------------------------------------------------------------------- duplicate columns
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_duplicate_column_shares_s_and_the_flow_splits_the_weight(sign):
    X, y = _problem()
    Xd = np.c_[X, sign * X[:, 1]]  # column 8 copies column 1 (or its negative)
    result = saddle_jumps(Xd, y)
    np.testing.assert_allclose(result.s[:, 8], sign * result.s[:, 1], rtol=1e-12, atol=1e-15)
    # Algorithm 1 puts the whole weight on one copy; the minimum-l1 value is reached
    assert np.all((result.betas[:, 1] == 0) | (result.betas[:, 8] == 0))
    lp = min_l1_solution(Xd, y)  # it may split the weight differently: compare values
    assert result.primal_objective == pytest.approx(lp.objective, rel=1e-9)
    # The flow keeps the copies equal (same s). Together they act as one column started at
    # direction c = sqrt(2) (beta~ = c^2 alpha^2 sinh(2 Lam s)): the same flow, exactly.
    flow = _flow(Xd, y, result)
    np.testing.assert_allclose(flow.beta[:, 8], sign * flow.beta[:, 1], rtol=1e-9, atol=1e-15)
    directions = np.ones(X.shape[1])
    directions[1] = np.sqrt(2.0)
    single = _flow(X, y, saddle_jumps(X, y), directions=directions, t=flow.t)
    scale = np.max(np.abs(single.beta))
    np.testing.assert_allclose(
        flow.beta[:, 1] + sign * flow.beta[:, 8], single.beta[:, 1], atol=1e-6 * scale
    )
    others = [0, 2, 3, 4, 5, 6, 7]
    np.testing.assert_allclose(flow.beta[:, others], single.beta[:, others], atol=1e-6 * scale)


# ---------------------------------------------------------------------------- n = 1, d = 1
def test_one_sample_jumps_once_onto_the_largest_entry():
    x = np.array([[0.5, -3.0, 2.0]])
    y = np.array([1.5])
    result = saddle_jumps(x, y)
    assert result.n_saddles == 1
    assert result.times[1] == pytest.approx(1.0 / (3.0 * 1.5), rel=1e-14)  # 1 / ||X^T y / n||
    np.testing.assert_allclose(result.betas[-1], [0.0, -0.5, 0.0], rtol=1e-14)
    _close_to_lp(x, y, result)
    flow = _flow(x, y, result)
    assert abs(flow.crossing_times[0] - result.times[1]) < 5 * result.times[1] / LAM
    np.testing.assert_allclose(flow.beta[-1], result.betas[-1], atol=1e-6)


@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_one_feature_jumps_once_to_least_squares(noise):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 1))
    y = 2.5 * x[:, 0] + noise * rng.standard_normal(7)
    n = x.shape[0]
    b = float(x[:, 0] @ y) / n
    result = saddle_jumps(x, y)
    assert result.n_saddles == 1
    assert result.times[1] == pytest.approx(1.0 / abs(b), rel=1e-14)
    assert result.betas[1, 0] == pytest.approx(float(x[:, 0] @ y / (x[:, 0] @ x[:, 0])), rel=1e-13)
    flow = _flow(x, y, result)
    assert abs(flow.crossing_times[0] - result.times[1]) < 5 * result.times[1] / LAM
    np.testing.assert_allclose(flow.beta[-1], result.betas[-1], rtol=1e-6)


def test_one_by_one():
    result = saddle_jumps(np.array([[2.0]]), np.array([3.0]))
    np.testing.assert_allclose(result.times, [0.0, 1.0 / 6.0], rtol=1e-15)
    np.testing.assert_allclose(result.betas[-1], [1.5], rtol=1e-15)


# ---------------------------------------------------------------------------- scales 1e-8 .. 1e8
@pytest.mark.parametrize(("a", "b"), list(itertools.product(SCALES, SCALES)))
def test_algorithm_1_is_scale_covariant(a, b):
    """(a X, b y): jump times times 1/(a b), saddles times b/a, same supports (exact maths)."""
    X, y = _problem()
    base = saddle_jumps(X, y)
    result = saddle_jumps(a * X, b * y)
    assert result.n_saddles == base.n_saddles
    np.testing.assert_allclose(result.times * (a * b), base.times, rtol=1e-9)
    np.testing.assert_allclose(result.betas * (a / b), base.betas, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.s, base.s, rtol=1e-9, atol=1e-12)
    _close_to_lp(a * X, b * y, result)


@pytest.mark.parametrize(
    ("a", "b"), [(1e-8, 1.0), (1e8, 1.0), (1.0, 1e-8), (1.0, 1e8), (1e8, 1e-8)]
)
def test_flow_is_scale_covariant_with_rescaled_directions(a, b):
    """beta~ = c^2 alpha^2 sinh(2 Lam s): (a X, b y) with c = sqrt(b / a) is the same flow.

    Without the directions the finite-alpha flow is not scale-free: scaling y by b acts like
    scaling the initialisation alpha by sqrt(a / b) (docs/theory.md).
    """
    X, y = _problem()
    base_result = saddle_jumps(X, y)
    base = _flow(X, y, base_result)
    result = saddle_jumps(a * X, b * y)
    flow = _flow(
        a * X, b * y, result, directions=np.full(X.shape[1], np.sqrt(b / a)), t=base.t / (a * b)
    )
    scale = np.max(np.abs(base.beta))
    np.testing.assert_allclose(flow.beta * (a / b), base.beta, atol=1e-6 * scale)
    np.testing.assert_allclose(flow.s, base.s, atol=1e-6)
    np.testing.assert_allclose(flow.crossing_times * (a * b), base.crossing_times, rtol=1e-6)


@pytest.mark.parametrize(("a", "b"), [(1e-8, 1e-8), (1e8, 1e8), (1e8, 1e-8), (1e-8, 1e8)])
def test_flow_at_extreme_scales_is_finite_and_is_a_change_of_initialisation(a, b):
    """The plain flow on (a X, b y) is the flow on (X, y) started at c = sqrt(a / b).

    So extreme scales of the data are not a numerical problem: the flow stays finite, finds
    every jump, and equals the unscaled problem with another initialisation direction.
    """
    X, y = _problem()
    result = saddle_jumps(a * X, b * y)
    t = np.linspace(0.0, 3.0 * result.times[-1], 151)
    flow = _flow(a * X, b * y, result, t=t)
    assert np.all(np.isfinite(flow.crossing_times))
    assert np.all(np.diff(flow.crossing_times) > 0)
    assert flow.loss[-1] < flow.loss[0]
    same = _flow(X, y, saddle_jumps(X, y), t=t * (a * b), directions=np.full(8, np.sqrt(a / b)))
    scale = np.max(np.abs(same.beta))
    np.testing.assert_allclose(flow.beta * (a / b), same.beta, atol=1e-6 * scale)


# ---------------------------------------------------------------------------- clear errors
@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.array([[1.0, np.nan]]), np.array([1.0]), "X contains 1 non-finite"),
        (np.array([[1.0, 2.0]]), np.array([np.inf]), "y contains 1 non-finite"),
        (np.zeros((0, 3)), np.zeros(0), "X must not be empty"),
        (np.ones((2, 3)), np.ones(3), "X has 2 rows"),
    ],
)
def test_bad_arrays_raise_naming_the_argument(X, y, match):
    with pytest.raises(ValueError, match=match):
        saddle_jumps(X, y)
    with pytest.raises(ValueError, match=match):
        simulate_flow(X, y, log_inv_alpha=LAM, t=np.linspace(0, 1, 3))


def test_an_unreachable_tolerance_is_refused_before_integrating():
    X, y = _problem()
    with pytest.raises(ValueError, match="rtol=1e-13 is below the relative accuracy"):
        simulate_flow(X, y, log_inv_alpha=1e4, t=np.linspace(0, 1, 3), rtol=1e-13)


def test_a_step_limit_stops_the_flow_with_a_clear_error():
    X, y = _problem()
    with pytest.raises(FlowSolverError, match="exceeded max_step_count=5 accepted steps") as err:
        simulate_flow(X, y, log_inv_alpha=LAM, t=np.linspace(0, 10, 5), max_step_count=5)
    assert err.value.log_inv_alpha == LAM and 0 < err.value.t_reached < 10
