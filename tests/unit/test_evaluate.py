"""Flow-versus-limit metrics and convergence fits (dln.evaluate)."""

import numpy as np
import pytest

from dln.evaluate import (
    METRICS,
    evaluate_flow,
    fit_convergence,
    jump_window_mask,
    loglog_fit,
    plateau_midpoints,
    window_half_width,
)


def _step_limit(t, jump_times, values):
    """Right-continuous piecewise-constant (m, d) process: values[k] on [t_k, t_k+1)."""
    idx = np.searchsorted(np.r_[0.0, jump_times], t, side="right") - 1
    return np.asarray(values)[idx]


def test_plateau_midpoints():
    np.testing.assert_allclose(plateau_midpoints([10.0, 4.0, 0.0]), [7.0, 2.0])
    assert plateau_midpoints([3.0]).shape == (0,)
    with pytest.raises(ValueError, match="losses"):
        plateau_midpoints([[1.0, 2.0]])


def test_window_half_width_uses_smallest_gap():
    # gaps: 1 (0 -> 1), 0.5 (1 -> 1.5), 2.5 (1.5 -> 4)
    assert window_half_width([1.0, 1.5, 4.0], 0.25) == pytest.approx(0.125)
    assert window_half_width([], 0.25) == 0.0
    with pytest.raises(ValueError, match="fraction"):
        window_half_width([1.0], 0.0)


def test_jump_window_mask():
    t = np.linspace(0, 3, 31)
    mask = jump_window_mask(t, [1.0, 2.0], 0.15)
    np.testing.assert_array_equal(np.flatnonzero(mask), [9, 10, 11, 19, 20, 21])
    assert not jump_window_mask(t, [], 0.1).any()


def test_exact_limit_has_zero_errors():
    t = np.linspace(0, 2, 201)
    jumps = np.array([0.5, 1.2])
    values = np.array([[0.0, 0.0], [3.0, 0.0], [2.0, 5.0]])
    beta = _step_limit(t, jumps, values)
    s = np.cumsum(np.ones_like(beta), axis=0) * 0.01
    ev = evaluate_flow(
        t,
        beta,
        s,
        crossing_times=jumps,
        jump_times=jumps,
        beta_limit=beta,
        s_limit=s,
        beta_l1=values[-1],
        window=0.05,
    )
    np.testing.assert_array_equal(ev.jump_time_errors, 0.0)
    for name in METRICS:
        assert getattr(ev, name) == 0.0, name


def test_shifted_jumps_closed_form():
    """A flow that jumps late by e: errors e, integrated distance sum |jump| e, sup outside 0."""
    t = np.linspace(0, 2, 2001)  # step 1e-3
    jumps = np.array([0.5, 1.2])
    e = 0.01
    values = np.array([[0.0, 0.0], [3.0, 0.0], [2.0, 5.0]])
    limit = _step_limit(t, jumps, values)
    flow = _step_limit(t, jumps + e, values)
    s_limit = np.zeros_like(limit)
    s = s_limit + 0.25
    ev = evaluate_flow(
        t,
        flow,
        s,
        crossing_times=jumps + e,
        jump_times=jumps,
        beta_limit=limit,
        s_limit=s_limit,
        beta_l1=values[-1] + 0.5,
        window=0.05,
    )
    np.testing.assert_allclose(ev.jump_time_errors, [e, e])
    assert ev.sup_distance_outside_windows == 0.0  # the shift stays inside the windows
    # jump sizes in inf-norm: 3 (first), max(1, 5) = 5 (second); trapezoid error O(step)
    assert ev.integrated_distance == pytest.approx((3 + 5) * e, rel=0.1)
    assert ev.sup_s_error == pytest.approx(0.25)
    assert ev.final_distance_l1 == pytest.approx(0.5)
    # without windows the sup sees the full jump
    ev0 = evaluate_flow(
        t,
        flow,
        s,
        crossing_times=jumps + e,
        jump_times=jumps,
        beta_limit=limit,
        s_limit=s_limit,
        beta_l1=values[-1],
        window=0.0,
    )
    assert ev0.sup_distance_outside_windows == pytest.approx(5.0)


def test_not_reached_jump_is_nan():
    t = np.linspace(0, 1, 11)
    z = np.zeros((11, 1))
    ev = evaluate_flow(
        t,
        z,
        z,
        crossing_times=[np.nan],
        jump_times=[0.5],
        beta_limit=z,
        s_limit=z,
        beta_l1=[0.0],
        window=0.1,
    )
    assert np.isnan(ev.jump_time_errors[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta_limit": np.zeros((5, 3))}, "beta_limit"),
        ({"beta_l1": np.zeros(3)}, "beta_l1"),
        ({"crossing_times": [0.1, 0.2]}, "crossing_times"),
        ({"window": -1.0}, "window"),
        ({"t": np.r_[0.0, 0.0, 1.0, 2.0, 3.0, 4.0]}, "increasing"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    m, d = 6, 2
    args = {
        "t": np.linspace(0, 1, m),
        "beta": np.zeros((m, d)),
        "s": np.zeros((m, d)),
        "crossing_times": [0.5],
        "jump_times": [0.5],
        "beta_limit": np.zeros((m, d)),
        "s_limit": np.zeros((m, d)),
        "beta_l1": np.zeros(d),
        "window": 0.1,
    }
    args.update(kwargs)
    t, beta, s = args.pop("t"), args.pop("beta"), args.pop("s")
    with pytest.raises(ValueError, match=match):
        evaluate_flow(t, beta, s, **args)


def test_loglog_fit_recovers_rate_and_constant():
    """Order-of-convergence check: errors C / Lam^q are fitted with slope -q and constant."""
    lam = np.geomspace(10, 1e4, 7)
    errors = np.column_stack([0.3 / lam, -2.0 / lam, 5.0 / lam**2])
    fit = loglog_fit(lam, errors)
    np.testing.assert_allclose(fit.slope, [-1, -1, -2], atol=1e-12)
    np.testing.assert_allclose(fit.rvalue, [-1, -1, -1], atol=1e-12)
    np.testing.assert_allclose(fit.constant[:2], [0.3, -2.0])  # signed C of error ~ C / Lam
    np.testing.assert_allclose(np.exp(fit.intercept[:2]), [0.3, 2.0])
    np.testing.assert_array_equal(fit.n_points, [7, 7, 7])


def test_loglog_fit_skips_nan_and_zero():
    lam = np.array([10.0, 100.0, 1000.0])
    fit = loglog_fit(lam, np.array([[1.0, np.nan], [0.1, 0.0], [np.nan, 0.0]]))
    assert fit.n_points.tolist() == [2, 0]
    assert fit.slope[0] == pytest.approx(-1.0)
    assert np.isnan(fit.stderr[0])  # two points: no error estimate
    assert np.isnan(fit.slope[1]) and np.isnan(fit.constant[1])


@pytest.mark.parametrize("seed", range(6))
def test_loglog_fit_matches_scipy_linregress_to_the_bit(seed):
    """loglog_fit does scipy's least squares without importing scipy.stats: same bits."""
    from scipy.stats import linregress

    rng = np.random.default_rng(seed)
    a = int(rng.integers(2, 12))
    lam = np.sort(rng.uniform(1.0, 1e4, a))
    errors = np.column_stack(
        [
            rng.uniform(0.1, 3.0) / lam ** rng.uniform(0.5, 2) * rng.lognormal(0, 0.3, a),
            np.full(a, 0.7),
            rng.standard_normal(a),
        ]
    )
    fit = loglog_fit(lam, errors)
    for j in range(errors.shape[1]):
        ref = linregress(np.log(lam), np.log(np.abs(errors[:, j])))
        got = [fit.slope[j], fit.intercept[j], fit.rvalue[j]]
        want = [ref.slope, ref.intercept, ref.rvalue]
        if a > 2:
            got.append(fit.stderr[j])
            want.append(ref.stderr)
        np.testing.assert_array_equal(got, want)  # exact; NaN (constant errors) equals NaN


def test_loglog_fit_rejects_bad_lam():
    with pytest.raises(ValueError, match="log_inv_alpha"):
        loglog_fit([-1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="rows"):
        loglog_fit([1.0, 2.0], [1.0, 2.0, 3.0])


def test_fit_convergence_shapes():
    lam = np.array([10.0, 100.0, 1000.0])
    jumps = np.column_stack([1 / lam, 2 / lam])
    metrics = np.column_stack([np.exp(-lam / 10), 3 / lam, 1 / lam, 1 / lam])
    fit = fit_convergence(lam, jumps, metrics)
    assert fit.jumps.slope.shape == (2,) and fit.metrics.slope.shape == (4,)
    np.testing.assert_allclose(fit.jumps.slope, -1.0)
    assert fit.metrics.slope[0] < -5  # faster than any power on this range
