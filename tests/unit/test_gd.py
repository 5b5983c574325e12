"""Tests of (S)GD in exact dual coordinates (dln.gd); alpha is the initialisation scale.

The float64 ``(u, v)`` loop lives here only, as the reference implementation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import linregress

import dln.gd
from dln.flow import FlowResult, beta_from_s, simulate_flow
from dln.gd import GDResult, GradientDescentError, gradient_descent, minibatch_schedule
from dln.problems import make_preset, make_problem
from dln.saddles import saddle_jumps

# Relative agreement (per iterate, in the sup norm) with the (u, v) loop wherever it is exact.
IDENTITY_RTOL = 1e-10
# The (u, v) loop loses the smaller of u + v and u - v once their ratio exp(-2 |S|) is below
# eps: past |S| ~ log(1/eps) / 2 = 18, a later sign change of S cannot be followed. Iterates
# after such an event are not compared (3 units of margin).
UV_LOST_S = 0.5 * math.log(1 / np.finfo(np.float64).eps) - 3


def _random_problem(seed, n, d, scale=3.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), scale * rng.standard_normal(n)


def uv_gradient_descent(X, y, *, alpha, step, n_iter, batch_size=None, seed=None):
    """The plain float64 (u, v) iteration (the paper's GD/SGD), every iterate of beta."""
    n, d = X.shape
    u, v = np.full(d, math.sqrt(2) * alpha), np.zeros(d)
    batches = minibatch_schedule(n, batch_size, seed) if batch_size else None
    out = [u * v]
    for _ in range(n_iter):
        if batches is None:
            g = X.T @ (X @ (u * v) - y) / n
        else:
            idx = next(batches)
            g = X[idx].T @ (X[idx] @ (u * v) - y[idx]) / idx.size
        u, v = u - step * v * g, v - step * u * g
        out.append(u * v)
    return np.array(out)


def _uv_exact_rows(res):
    """Iterates before any coordinate's S changes sign after exceeding UV_LOST_S."""
    S = res.s * res.log_inv_alpha
    big = np.maximum.accumulate(np.abs(S), axis=0) > UV_LOST_S
    flip = np.zeros_like(big)
    flip[1:] = (np.sign(S[1:]) != np.sign(S[:-1])) & big[:-1]
    return ~np.any(np.cumsum(flip, axis=0) > 0, axis=1)


IDENTITY_CASES = [
    # (problem, alpha, step, batch_size)
    ("random", 1e-1, 1e-2, None),
    ("random", 1e-1, 2e-3, 1),
    ("random", 1e-10, 1e-2, 2),
    ("random", 1e-10, 2e-3, None),
    ("random", 1e-30, 1e-2, 1),
    ("random", 1e-30, 5e-3, None),
    ("random", 1e-30, 5e-3, 8),
    ("fig1_left", 1e-1, 1e-2, None),
    ("fig1_left", 1e-10, 1e-2, 1),
    ("fig1_left", 1e-10, 2e-3, None),
    ("fig1_left", 1e-30, 1e-2, 2),
    ("fig2_left", 1e-30, 1e-2, 1),
    ("fig2_left", 1e-10, 5e-3, None),
]


def _problem(name):
    if name == "random":
        p = make_problem(n_samples=8, n_features=12, support_size=3, seed=1)
    else:
        p = make_preset(name)
    return p.X, p.y


@pytest.mark.parametrize(("name", "alpha", "step", "batch"), IDENTITY_CASES)
def test_equals_the_uv_loop_wherever_it_is_exact(name, alpha, step, batch):
    X, y = _problem(name)
    # t_max = 0.6: past fig1_left's last (degenerate) jump at 0.554, where the two float64
    # implementations drift apart fastest (3e-11 at t = 0.6, 9e-11 at t = 0.7)
    res = gradient_descent(
        X, y, log_inv_alpha=-math.log(alpha), step=step, t_max=0.6, batch_size=batch, seed=7
    )
    ref = uv_gradient_descent(
        X, y, alpha=alpha, step=step, n_iter=res.n_iterations, batch_size=batch, seed=7
    )[res.iterations]
    rows = _uv_exact_rows(res)
    assert rows[: rows.size // 10].all()  # the comparison covers the first jumps at least
    err = np.max(np.abs(res.beta - ref)[rows], axis=1)
    scale = np.max(np.abs(ref)[rows], axis=1)
    assert np.all(err <= IDENTITY_RTOL * scale), np.max(err / np.maximum(scale, 1e-300))
    # beta = exp(-Gain) beta_from_s(s): the dual coordinates returned describe the iterates
    # (relative to each iterate's size: near a zero of S its relative rounding is larger)
    dual = np.exp(-res.gain) * beta_from_s(res.s, res.log_inv_alpha)
    top = np.max(np.abs(res.beta), axis=1, keepdims=True)
    assert np.all(np.abs(dual - res.beta) <= 1e-11 * top)


def test_dual_state_equals_the_artanh_and_log_sums_at_tiny_alpha():
    """S = sum artanh(step g), Gain = -sum log(1 - step^2 g^2), accumulated literally."""
    p = make_preset("fig1_left")
    X, y = p.X, p.y
    n = X.shape[0]
    lam, step = 100 * math.log(10), 5e-3
    res = gradient_descent(X, y, log_inv_alpha=lam, step=step, t_max=0.4, batch_size=2, seed=3)
    batches = minibatch_schedule(n, 2, 3)
    S = np.zeros(7)
    gain = np.zeros(7)
    beta = np.zeros(7)
    Ss, gains = [S.copy()], [gain.copy()]
    for _ in range(res.n_iterations):
        idx = next(batches)
        x = step * X[idx].T @ (X[idx] @ beta - y[idx]) / idx.size
        S = S + np.arctanh(x)
        gain = gain - np.log1p(-x * x)
        beta = np.exp(-gain) * beta_from_s(-S / lam, lam)
        Ss.append(S.copy())
        gains.append(gain.copy())
    Ss, gains = np.array(Ss)[res.iterations], np.array(gains)[res.iterations]
    # the literal sums round by lam * eps per step: compare with a matching tolerance
    np.testing.assert_allclose(-res.s * lam, Ss, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res.gain, gains, rtol=1e-8, atol=1e-9)
    assert np.all(res.gain >= 0) and res.gain[-1].max() > 1


def test_result_fields_and_first_iterates():
    X, y = _random_problem(0, 6, 4)
    alpha, step = 1e-3, 1e-3
    lam = math.log(1e3)
    res = gradient_descent(X, y, log_inv_alpha=lam, step=step, t_max=1.0)
    assert isinstance(res, GDResult) and isinstance(res, FlowResult)
    assert res.n_iterations == math.ceil(lam / step) == res.n_steps == res.nfev
    assert res.t[-1] >= 1.0 and res.t[-1] - 1.0 < step / lam
    assert res.batch_size == 6 and res.seed is None and res.method == "gd"
    assert res.gain.shape == res.beta.shape == res.s.shape
    np.testing.assert_allclose(res.t, res.iterations * step / lam)
    np.testing.assert_allclose(res.u[0], math.sqrt(2) * alpha, rtol=1e-14)
    np.testing.assert_array_equal(res.v[0], 0.0)
    np.testing.assert_array_equal(res.gain[0], 0.0)
    # One step by hand: u1 = u0, v1 = -step * u0 * g(0) with g(0) = -X^T y / n.
    one = gradient_descent(X, y, log_inv_alpha=lam, step=step, t_max=step / lam)
    b = X.T @ y / 6
    np.testing.assert_allclose(one.v[-1], step * math.sqrt(2) * alpha * b, rtol=1e-12)
    # Gain = -log|P Q| is held through P Q = (1 - x)(1 + x): absolute rounding eps per step
    np.testing.assert_allclose(one.gain[-1], -np.log1p(-((step * b) ** 2)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(res.beta, res.u * res.v, rtol=1e-9, atol=1e-300)
    r = res.beta @ X.T - y
    np.testing.assert_allclose(res.loss, np.sum(r * r, axis=1) / 12)


def test_x_product_path_matches_gram_path():
    # n < d/2 uses X^T (X beta - y); compare with the (u, v) iteration written by hand.
    X, y = _random_problem(1, 3, 8)
    alpha, step, t_max = 1e-2, 1e-3, 0.5
    res = gradient_descent(X, y, log_inv_alpha=-math.log(alpha), step=step, t_max=t_max)
    ref = uv_gradient_descent(X, y, alpha=alpha, step=step, n_iter=res.n_iterations)
    np.testing.assert_allclose(res.beta[-1], ref[-1], rtol=1e-9, atol=1e-14)


def test_scales_and_directions_match_the_uv_loop():
    """Initialisation u0 = sqrt(2) alpha^{k_i} c_i: the same iterates as the (u, v) loop."""
    X, y = _random_problem(5, 6, 4)
    alpha, step = 1e-2, 5e-3
    k = np.array([1.0, 1.5, 0.7, 2.0])
    c = np.array([1.0, 0.5, 2.0, 3.0])
    res = gradient_descent(
        X, y, log_inv_alpha=-math.log(alpha), step=step, t_max=2.0, scales=k, directions=c
    )
    u, v = math.sqrt(2) * alpha**k * c, np.zeros(4)
    ref = [u * v]
    for _ in range(res.n_iterations):
        g = X.T @ (X @ (u * v) - y) / 6
        u, v = u - step * v * g, v - step * u * g
        ref.append(u * v)
    ref = np.array(ref)[res.iterations]
    top = np.max(np.abs(ref), axis=1, keepdims=True)
    assert np.all(np.abs(res.beta - ref) <= 1e-10 * top)
    np.testing.assert_allclose(res.u[0], math.sqrt(2) * alpha**k * c, rtol=1e-13)


def test_steps_with_gamma_g_beyond_one_are_followed_exactly():
    """|step g| > 1 flips the sign of a factor of u + v or u - v; beta does not see it."""
    X, y = _random_problem(2, 6, 4, scale=10.0)
    alpha, step = 0.5, 0.4
    lam = -math.log(alpha)
    b = X.T @ y / 6
    assert np.max(np.abs(step * b)) > 1.5  # the first step already has |step g| > sqrt(2)
    res = gradient_descent(X, y, log_inv_alpha=lam, step=step, t_max=3 * step / lam)
    assert res.n_iterations == 3
    ref = uv_gradient_descent(X, y, alpha=alpha, step=step, n_iter=3)
    np.testing.assert_allclose(res.beta, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.u * res.v, ref, rtol=1e-12, atol=1e-15)
    assert np.min(res.gain) < 0  # Gain = -sum log|1 - step^2 g^2| is negative past sqrt(2)


def test_gd_agrees_with_flow_to_first_order_in_the_step():
    """Halving the step halves the error against the exact flow (alpha = 1e-3)."""
    X, y = _random_problem(0, 6, 4)
    lam = math.log(1e3)
    step0 = 4e-3
    t = np.arange(0, 41) * 20 * step0 / lam  # iterates for step0, step0/2 and step0/4
    ref = simulate_flow(X, y, log_inv_alpha=lam, t=t, rtol=1e-10)
    errors = []
    for step in [step0, step0 / 2, step0 / 4]:
        res = gradient_descent(X, y, log_inv_alpha=lam, step=step, t_max=t[-1], t=t)
        np.testing.assert_allclose(res.t, t, rtol=1e-12)
        errors.append(np.max(np.abs(res.beta - ref.beta)))
    errors = np.array(errors)
    ratios = errors[:-1] / errors[1:]
    assert errors[-1] < 0.05 * np.max(np.abs(ref.beta))
    assert np.all((ratios >= 1.8) & (ratios <= 2.2)), ratios


def _jump_levels(X, y):
    sad = saddle_jumps(X, y)
    return sad, (sad.losses[:-1] + sad.losses[1:]) / 2


def test_fig1_left_at_alpha_1e100_jump_times_linear_in_the_step():
    """At alpha = 1e-100 the (u, v) loop fails on fig1_left; the dual one runs, and its jump
    times (loss crossing the midpoint of two of Algorithm 1's plateaux) differ from the flow's at
    the same alpha by C step: log-log slope in [0.9, 1.1]."""
    p = make_preset("fig1_left")
    sad, levels = _jump_levels(p.X, p.y)
    levels = levels[:3]  # the last jump is degenerate (noiseless sparse data): t_3 only
    lam = 100 * math.log(10)
    t_end = 1.05 * sad.times[3]
    flow = simulate_flow(p.X, p.y, log_inv_alpha=lam, t=[0, t_end], loss_levels=levels)
    steps = np.array([8e-3, 4e-3, 2e-3])
    errs, errs_limit = [], []
    for step in steps:
        res = gradient_descent(
            p.X, p.y, log_inv_alpha=lam, step=float(step), t_max=t_end, loss_levels=levels
        )
        assert np.all(np.isfinite(res.beta))
        errs.append(np.max(np.abs(res.crossing_times - flow.crossing_times)))
        errs_limit.append(np.max(np.abs(res.crossing_times - sad.times[1:4])))
    slope = linregress(np.log(steps), np.log(errs)).slope
    assert 0.9 <= slope <= 1.1, (slope, errs)
    # ... and they approach Algorithm 1's, down to the flow's own O(1/log(1/alpha)) offset
    floor = np.max(np.abs(flow.crossing_times - sad.times[1:4]))
    assert errs_limit[-1] < errs_limit[0] and errs_limit[-1] <= errs[-1] + floor


def test_fig1_left_runs_at_alpha_1e1000():
    p = make_preset("fig1_left")
    sad, levels = _jump_levels(p.X, p.y)
    lam = 1000 * math.log(10)
    t_end = 0.25  # the first two jumps (t = 0.033, 0.189)
    errs = []
    for step in (8e-3, 4e-3):
        res = gradient_descent(
            p.X, p.y, log_inv_alpha=lam, step=step, t_max=t_end, loss_levels=levels[:2]
        )
        assert np.all(np.isfinite(res.beta)) and np.all(np.isfinite(res.gain))
        assert res.u is None and res.alpha == 0.0
        errs.append(np.max(np.abs(res.crossing_times - sad.times[1:3])))
    assert errs[1] < 0.6 * errs[0] and errs[1] < 5e-3
    # on the plateau after the first jump beta is Algorithm 1's first saddle
    k = np.searchsorted(res.t, 0.15)
    np.testing.assert_allclose(res.beta[k], sad.betas[1], rtol=0.02, atol=0.02)


def test_sgd_is_reproducible_and_full_batch_size_is_gd():
    X, y = _random_problem(3, 8, 5)
    kw = {"log_inv_alpha": 5.0, "step": 5e-3, "t_max": 1.0}
    a = gradient_descent(X, y, batch_size=2, seed=11, **kw)
    b = gradient_descent(X, y, batch_size=2, seed=11, **kw)
    c = gradient_descent(X, y, batch_size=2, seed=12, **kw)
    np.testing.assert_array_equal(a.beta, b.beta)
    assert not np.array_equal(a.beta, c.beta)
    assert a.method == "sgd" and a.batch_size == 2 and a.seed == 11
    full = gradient_descent(X, y, **kw)
    n_batch = gradient_descent(X, y, batch_size=8, seed=1, **kw)
    np.testing.assert_array_equal(full.beta, n_batch.beta)
    # a last batch smaller than the others (8 rows, batches of 3): still the (u, v) loop
    odd = gradient_descent(X, y, batch_size=3, seed=4, **kw)
    ref = uv_gradient_descent(
        X, y, alpha=math.exp(-5.0), step=5e-3, n_iter=odd.n_iterations, batch_size=3, seed=4
    )
    np.testing.assert_allclose(odd.beta, ref[odd.iterations], rtol=1e-10, atol=1e-300)


def test_sgd_loss_levels_use_the_full_loss():
    X, y = _random_problem(4, 12, 6)
    kw = {"log_inv_alpha": 4.0, "step": 5e-3, "t_max": 3.0}
    every = gradient_descent(X, y, batch_size=3, seed=0, **kw)
    level = 0.5 * (every.loss[0] + every.loss[-1])
    res = gradient_descent(X, y, batch_size=3, seed=0, loss_levels=[level], **kw)
    k = int(np.argmax(every.loss < level))
    assert every.t[k - 1] <= res.crossing_times[0] <= every.t[k]


def test_level_bookkeeping():
    X, y = _random_problem(2, 6, 4)
    loss0 = float(y @ y) / 12
    lam = math.log(100)
    res = gradient_descent(
        X, y, log_inv_alpha=lam, step=1e-2, t_max=3.0, loss_levels=[2 * loss0, 1e-12, 0.9 * loss0]
    )
    assert res.crossing_times[0] == 0.0
    assert np.isnan(res.crossing_times[1])  # n > d: the loss stays above its positive minimum
    every = gradient_descent(X, y, log_inv_alpha=lam, step=1e-2, t_max=3.0)
    assert every.n_iterations < 2000  # every iterate is returned
    k = int(np.argmax(every.loss < 0.9 * loss0))
    assert every.t[k - 1] <= res.crossing_times[2] <= every.t[k]


def test_divergence_raises():
    X, y = _random_problem(4, 6, 4)
    with pytest.raises(GradientDescentError, match="step"):
        gradient_descent(X, y, log_inv_alpha=math.log(100), step=5.0, t_max=20.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"X": np.full((3, 2), np.nan)}, "X"),
        ({"y": np.ones(4)}, "y"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, "X"),
        ({"log_inv_alpha": 0.0}, "log_inv_alpha"),
        ({"log_inv_alpha": -1.0}, "log_inv_alpha"),
        ({"log_inv_alpha": float("nan")}, "log_inv_alpha"),
        ({"step": -0.1}, "step"),
        ({"step": 0.0}, "step"),
        ({"step": float("inf")}, "step"),
        ({"t_max": 0.0}, "t_max"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 4}, "batch_size"),
        ({"batch_size": 1.0}, "batch_size"),
        ({"batch_size": True}, "batch_size"),
        ({"batch_size": 2, "seed": 1.5}, "seed"),
        ({"batch_size": 2, "seed": "1"}, "seed"),
        ({"batch_size": 2, "seed": -1}, "seed"),
        ({"seed": True}, "seed"),
        ({"t": [0.0, 0.5, 0.5]}, "t"),
        ({"t": [0.0, 2.0]}, "t"),
        ({"t": [0.0, 1e-6]}, "t"),
        ({"scales": [1.0, 0.0]}, "scales"),
        ({"directions": [-1.0, 1.0]}, "directions"),
        ({"loss_levels": [np.inf]}, "loss_levels"),
    ],
)
def test_bad_arguments_raise_before_any_iteration(kwargs, name, monkeypatch):
    def no_iteration(*args, **kw):
        raise AssertionError("the iteration started before the arguments were checked")

    monkeypatch.setattr(dln.gd, "_run", no_iteration)
    args = {"X": np.ones((3, 2)), "y": np.ones(3), "log_inv_alpha": 4.0, "step": 0.01}
    args["t_max"] = 1.0
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError, match=name):
        gradient_descent(X, y, **args)
