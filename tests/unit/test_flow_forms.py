"""The flow integrated in the row space (mu, n unknowns) against the dual form (s, d unknowns).

``s(t) = X^T mu(t)`` exactly, so both forms integrate the same trajectory; dln.flow picks the
row space when d > n and d >= 200. Here both are forced on the same problems, with d/n from 1/4
to 40, per-coordinate scales and directions, at alpha = 1e-10 and 1e-100 (alpha is the
initialisation scale; Lam = log(1/alpha)).

Metric: ``2 Lam |s_mu - s_s|``, the relative difference of every coordinate of beta
(``beta_i ~ exp(2 Lam |s_i|)``), at every returned time. Each form holds its local error to
rtol; their global errors are a few rtol (measured: at most 4.6 rtol apart over these cases),
so the stated agreement is 10 rtol.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate

import dln.flow as dln_flow
from dln.flow import simulate_flow
from dln.saddles import saddle_jumps
from tests.helpers import fail_every_step

RTOL = 1e-7
# Both forms are within a few rtol of the exact flow: they agree to 10 rtol in every coordinate.
AGREEMENT = 10 * RTOL


def _problem(seed, n, d):
    """Gaussian design with column norms spread over a factor 10, sparse truth plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0, d)
    beta = np.zeros(d)
    support = rng.choice(d, max(1, min(n, d) // 3), replace=False)
    beta[support] = rng.uniform(1.0, 3.0, support.size) * rng.choice([-1.0, 1.0], support.size)
    y = X @ beta + 0.3 * rng.standard_normal(n)
    scales = rng.uniform(0.7, 1.5, d)
    directions = rng.uniform(0.5, 2.0, d)
    return X, y, scales, directions


def _flow(monkeypatch, row_space, X, y, **kwargs):
    monkeypatch.setattr(dln_flow, "_use_row_space", lambda n, d: row_space)
    return simulate_flow(X, y, **kwargs)


@pytest.mark.parametrize("log10_alpha", [-10, -100])
@pytest.mark.parametrize(("n", "d"), [(16, 4), (8, 8), (8, 32), (6, 240)])
def test_row_space_and_dual_forms_agree(monkeypatch, n, d, log10_alpha):
    X, y, scales, directions = _problem(n * 1000 + d, n, d)
    sad = saddle_jumps(X, y, scales=scales)
    assert sad.n_saddles >= 2
    lam = -log10_alpha * math.log(10)
    t = np.linspace(0.0, 1.3 * sad.times[-1], 60)
    levels = (sad.losses[:-1] + sad.losses[1:]) / 2
    kwargs = dict(
        log_inv_alpha=lam,
        t=t,
        scales=scales,
        directions=directions,
        rtol=RTOL,
        loss_levels=levels,
    )
    dual = _flow(monkeypatch, False, X, y, **kwargs)
    row = _flow(monkeypatch, True, X, y, **kwargs)
    assert dual.s.shape == row.s.shape == (t.size, d)
    np.testing.assert_array_equal(row.s[0], 0.0)
    gap = 2 * lam * np.max(np.abs(row.s - dual.s))
    assert gap <= AGREEMENT, gap
    # The loss crossings (the jumps) are the same events, at the same times up to the flows'
    # accuracy: a relative error rtol in beta shifts a jump by about rtol / (2 Lam |grad L|).
    assert np.all(np.isfinite(dual.crossing_times)) and np.all(np.isfinite(row.crossing_times))
    np.testing.assert_allclose(row.crossing_times, dual.crossing_times, rtol=1e-6)
    # The same support at every returned time: coordinates of beta above 1e-3 of the largest,
    # away from that threshold by more than the flows' accuracy.
    threshold = 1e-3 * np.max(np.abs(dual.beta), axis=1, keepdims=True)
    clear = np.abs(np.abs(dual.beta) - threshold) > 1e-4 * threshold
    np.testing.assert_array_equal(
        (np.abs(row.beta) > threshold)[clear], (np.abs(dual.beta) > threshold)[clear]
    )
    # The loss: a relative error rtol in beta moves it by about rtol sqrt(L L(0)) <= rtol L(0).
    np.testing.assert_allclose(row.loss, dual.loss, rtol=0, atol=AGREEMENT * dual.loss[0])


def test_default_form_is_the_row_space_when_wide(monkeypatch):
    """d > n (from 200 features on) integrates n unknowns: the solver's Jacobian is n x n."""
    assert not dln_flow._use_row_space(5, 150) and not dln_flow._use_row_space(300, 250)
    X, y, _, _ = _problem(0, 5, 250)
    shapes = []
    original = dln_flow._RowProblem.jac

    def spy(self, t, mu):
        out = original(self, t, mu)
        shapes.append(out.shape)
        return out

    monkeypatch.setattr(dln_flow._RowProblem, "jac", spy)
    simulate_flow(X, y, log_inv_alpha=23.0, t=[0.0, 1.0])
    assert shapes and set(shapes) == {(5, 5)}


def test_row_space_never_forms_the_gram_matrix(monkeypatch):
    X, y, _, _ = _problem(1, 4, 50)
    problem = dln_flow._RowProblem(X, y, 23.0, np.ones(50), None)
    assert not hasattr(problem, "G")


@pytest.mark.parametrize("method", ["Radau", "LSODA"])
def test_row_space_tolerance_translation(method):
    """atol on mu is atol on s over the largest column norm (an error e in mu moves s_i by
    x_i^T e <= ||x_i|| ||e||), with a safety factor per solver."""
    X = np.array([[3.0, 0.0, 1.0], [4.0, 1.0, 0.0]])
    margin = dln_flow._ROW_SPACE_ATOL_MARGIN[method]
    assert 0 < margin <= 1
    assert dln_flow._row_space_atol(X, 1e-9, method) == pytest.approx(margin * 1e-9 / 5.0)
    assert dln_flow._row_space_atol(np.zeros((2, 3)), 1e-9, method) == 1e-9


def _wide_flow_kwargs(seed, n, d, log10_alpha):
    X, y, scales, directions = _problem(seed, n, d)
    sad = saddle_jumps(X, y, scales=scales)
    lam = -log10_alpha * math.log(10)
    t = np.geomspace(sad.times[1] / 5, 1.5 * sad.times[-1], 60)
    return X, y, dict(log_inv_alpha=lam, t=t, scales=scales, directions=directions)


@pytest.mark.parametrize(("seed", "n", "d", "log10_alpha"), [(3, 10, 240, -10), (5, 8, 300, -100)])
def test_default_solver_of_the_row_space_form_is_accurate_per_coordinate(seed, n, d, log10_alpha):
    """The default ("auto") is LSODA in the row-space form; with its tighter tolerance every
    coordinate of beta is within rtol of a reference solved at ~1e-11, at every returned time
    (measured 0.13 and 0.27 rtol; Radau 0.47 and 0.45; LSODA at Radau's tolerance 6.6 and 11)."""
    X, y, kwargs = _wide_flow_kwargs(seed, n, d, log10_alpha)
    lam = kwargs["log_inv_alpha"]
    rtol = 1e-6
    tight = 3 * 2 * lam * 1.5 * dln_flow._S_RTOL  # 3 times the float64 floor (scales <= 1.5)
    reference = simulate_flow(X, y, rtol=tight, method="Radau", **kwargs)
    res = simulate_flow(X, y, rtol=rtol, **kwargs)
    assert res.method == "LSODA" and res.status == 0
    assert 2 * lam * np.max(np.abs(res.s - reference.s)) <= rtol


def test_default_falls_back_to_radau_when_lsoda_fails(monkeypatch):
    X, y, kwargs = _wide_flow_kwargs(3, 10, 240, -10)
    radau = simulate_flow(X, y, method="Radau", **kwargs)
    fail_every_step(monkeypatch, scipy.integrate.LSODA)
    res = simulate_flow(X, y, **kwargs)
    assert res.method == "Radau" and res.status == 0
    assert "LSODA failed (simulated failure); Radau reached the end" in res.message
    np.testing.assert_array_equal(res.s, radau.s)


@pytest.mark.parametrize(("n", "d"), [(16, 4), (8, 8), (6, 150), (12, 199)])
def test_default_is_radau_unchanged_outside_the_row_space_form(n, d):
    """d <= n or d < 200 (all the paper's problems): the default is Radau, bit for bit."""
    assert dln_flow._resolve_method("auto", n, d) == "Radau"
    X, y, scales, directions = _problem(n * 1000 + d, n, d)
    kwargs = dict(log_inv_alpha=23.0, t=np.linspace(0.0, 2.0, 9), scales=scales, rtol=1e-7)
    default = simulate_flow(X, y, **kwargs)
    radau = simulate_flow(X, y, method="Radau", **kwargs)
    assert default.method == radau.method == "Radau"
    for name in ("s", "beta", "loss", "u", "v"):
        np.testing.assert_array_equal(getattr(default, name), getattr(radau, name))
    assert (default.nfev, default.n_steps) == (radau.nfev, radau.n_steps)


def test_method_resolution():
    assert dln_flow._resolve_method("auto", 100, 2000) == "LSODA"
    assert dln_flow._resolve_method("auto", 300, 250) == "Radau"
    assert dln_flow._resolve_method("Radau", 100, 2000) == "Radau"
    assert dln_flow._resolve_method("LSODA", 8, 8) == "LSODA"


@pytest.mark.parametrize(("lam", "with_scales"), [(23.0, False), (230.0, True)])
def test_row_space_loss_bounds_bracket_the_evaluated_loss(lam, with_scales):
    """_RowProblem.loss_bounds, from the last right-hand side at a nearby state, brackets the
    loss that loss_of_beta(_beta(s_of(mu))) evaluates, and is tight (the crossings are decided
    from it without evaluating the loss)."""
    X, y, scales, directions = _problem(7, 10, 240)
    k = scales if with_scales else np.ones(240)
    two_log_c = 2.0 * np.log(directions) if with_scales else None
    problem = dln_flow._RowProblem(X, y, lam, k, two_log_c)
    assert problem.loss_bounds(np.zeros(10)) is None  # no right-hand side evaluated yet
    rng = np.random.default_rng(0)
    sol = np.linalg.lstsq(X.T, np.sign(X.T @ y) * k, rcond=None)[0]
    sol /= np.max(np.abs(sol @ X) / k)  # max |s_j| / k_j = 1: beta~ from 0 to O(1)
    widths = []
    for scale in np.linspace(0.0, 1.01, 11):
        mu_c = scale * sol + 1e-3 * rng.standard_normal(10) / lam
        problem.rhs(0.0, mu_c)
        for step in (0.0, 1e-14, 1e-11):
            mu = mu_c + step * rng.standard_normal(10)
            lo, hi = problem.loss_bounds(mu)
            s = problem.s_of(mu[np.newaxis])
            loss = problem.loss_of_beta(dln_flow._beta(s, lam, k, two_log_c))[0]
            assert lo <= loss <= hi
            widths.append((hi - lo) / loss)
    assert max(widths) < 1e-3


def test_row_space_crossings_decided_by_bounds_are_the_evaluated_ones(monkeypatch):
    """Deciding a step's crossings from the bounds finds the same crossings, in the same steps,
    bit for bit, as evaluating every step's loss."""
    X, y, kwargs = _wide_flow_kwargs(3, 10, 240, -10)
    sad = saddle_jumps(X, y, scales=kwargs["scales"])
    kwargs["loss_levels"] = (sad.losses[:-1] + sad.losses[1:]) / 2
    decided = []
    original = dln_flow._Crossings.decide

    def spy(self, lo, hi):
        decided.append(original(self, lo, hi))
        return decided[-1]

    monkeypatch.setattr(dln_flow._Crossings, "decide", spy)
    bounded = simulate_flow(X, y, **kwargs)
    assert bounded.method == "LSODA" and sum(decided) > 0.9 * len(decided)
    monkeypatch.setattr(dln_flow._RowProblem, "loss_bounds", lambda self, mu: None)
    evaluated = simulate_flow(X, y, **kwargs)
    assert np.all(np.isfinite(bounded.crossing_times))
    np.testing.assert_array_equal(bounded.crossing_times, evaluated.crossing_times)
    np.testing.assert_array_equal(bounded.s, evaluated.s)


def _row_case(seed, n, d, lam, with_scales):
    """A wide problem (with scales and directions, or without), its row-space form and beta~
    in extended precision (``c^2 alpha^(2k) sinh(2 Lam s)``, s = X^T mu) for the tests below."""
    X, y, scales, directions = _problem(seed, n, d)
    k = scales if with_scales else np.ones(d)
    two_log_c = 2.0 * np.log(directions) if with_scales else np.zeros(d)
    problem = dln_flow._RowProblem(X, y, lam, k, two_log_c if with_scales else None)

    def exact_beta(mu):
        s = mu.astype(np.longdouble) @ X.astype(np.longdouble)
        a = np.exp(two_log_c.astype(np.longdouble) - 2 * np.longdouble(lam) * k)
        return a * np.sinh(2 * np.longdouble(lam) * s)

    return X, y, k, two_log_c, problem, exact_beta


@pytest.mark.parametrize(("lam", "with_scales"), [(23.0, False), (230.0, True)])
def test_row_space_rhs_near_the_last_full_one_is_the_full_rhs_up_to_rounding(lam, with_scales):
    """A right-hand side a Newton correction away from the last full one updates only the
    columns that can move beyond rounding: against the flow's right-hand side in extended
    precision it is within the rounding bound of a full evaluation, as the full one is."""
    n, d = 10, 400
    X, y, k, two_log_c, problem, exact_beta = _row_case(11, n, d, lam, with_scales)
    full = dln_flow._RowProblem(X, y, lam, k, two_log_c if with_scales else None)
    eps = dln_flow._EPS
    x_max = np.max(np.linalg.norm(X, axis=0))

    def exact(mu):  # extended precision
        beta = exact_beta(mu)
        return (y - X.astype(np.longdouble) @ beta) / n, beta

    rng = np.random.default_rng(1)
    sol = np.linalg.lstsq(X.T, np.sign(X.T @ y) * k, rcond=None)[0]
    sol /= np.max(np.abs(sol @ X) / k)
    near = 0
    for scale in np.linspace(0.0, 1.01, 8):
        mu_c = scale * sol
        for step in (0.0, 1e-15, 1e-13, 1e-11, 1e-3):
            problem.rhs(0.0, mu_c)  # a full evaluation at mu_c
            mu = mu_c + step * rng.standard_normal(n)
            f = problem.rhs(0.0, mu)
            near += not np.array_equal(problem._last.mu, mu)
            full._last = None
            f_full = full.rhs(0.0, mu)
            f_exact, beta = exact(mu)
            magnitude = (np.abs(y) + np.abs(X) @ np.abs(beta)) / n
            # s to n eps ||x|| ||mu||, times 2 Lam in beta~; sums of d terms to (d + 2) eps
            bound = (2 * lam * n * eps * x_max * np.linalg.norm(mu) + (d + 8) * eps) * magnitude
            assert np.all(np.abs(f_full - f_exact) <= bound)
            assert np.all(np.abs(f - f_exact) <= bound)
    assert near >= 16  # the small steps took the near path


@pytest.mark.parametrize(("lam", "with_scales"), [(23.0, False), (230.0, True)])
def test_row_space_full_rhs_over_gathered_columns_is_the_full_product_up_to_rounding(
    lam, with_scales
):
    """A full right-hand side multiplies X by beta~ only over the gathered columns whose beta~
    is not negligible: the columns left out sum to at most eps (||y|| + sum_j ||x_j||
    |beta~_j|) in ||x_j|| |beta~_j|, so the result is within that of the full product and, as
    the full product is, within the rounding bound of the flow's right-hand side in extended
    precision; the set is gathered again as coordinates grow."""
    n, d = 10, 400
    X, y, k, two_log_c, problem, exact_beta = _row_case(13, n, d, lam, with_scales)
    eps = dln_flow._EPS
    norms = np.linalg.norm(X, axis=0)
    x_max = np.max(norms)

    def exact(mu):  # extended precision
        beta = exact_beta(mu)
        return (y - X.astype(np.longdouble) @ beta) / n, beta

    rng = np.random.default_rng(2)
    # Along three directions, from mu = 0 to where beta~ is O(1) (max |s_j| / k_j = 1.01): a
    # direction activates columns the last set left out.
    directions_mu = rng.standard_normal((3, n))
    directions_mu /= np.max(np.abs(directions_mu @ X) / k, axis=1, keepdims=True)
    states = [scale * v for v in directions_mu for scale in np.linspace(0.0, 1.01, 21)]
    sets = []
    for i, mu in enumerate(states):
        f = problem.rhs(float(i), mu)  # a new time: evaluated in full
        beta = problem._last.beta
        np.testing.assert_array_equal(
            beta, dln_flow._beta(mu @ X, lam, k, two_log_c if with_scales else None)
        )
        cols = problem._product_columns
        if not sets or cols is not sets[-1]:
            sets.append(cols)
        budget = eps * (np.linalg.norm(y) + norms @ np.abs(beta))
        if cols.keep is not None:
            left_out = np.ones(d, dtype=bool)
            left_out[cols.keep] = False
            assert norms[left_out] @ np.abs(beta[left_out]) <= budget
        # the full product and the extended-precision right-hand side, each to its rounding
        magnitude = (np.abs(y) + np.abs(X) @ np.abs(beta)) / n
        f_full = (y - X @ beta) / n
        assert np.all(np.abs(f - f_full) <= budget / n + 2 * (d + 2) * eps * magnitude)
        f_exact, _ = exact(mu)
        rounding = 2 * lam * n * eps * x_max * np.linalg.norm(mu) + (d + 8) * eps
        assert np.all(np.abs(f - f_exact) <= rounding * magnitude + budget / n)
    gathered = [c for c in sets if c.keep is not None and 0 < c.keep.size < d]
    assert len(gathered) >= 2  # gathered again as coordinates grew, never every column


def test_row_space_full_rhs_of_a_nan_state_is_nan_and_keeps_the_gathered_columns():
    """A Newton trial state that overflows to NaN is multiplied in full (NaN, rejected by the
    solver) and leaves the gathered set as it was."""
    X, y, _, _ = _problem(13, 10, 400)
    problem = dln_flow._RowProblem(X, y, 23.0, np.ones(400), None)
    sol = np.linalg.lstsq(X.T, np.sign(X.T @ y), rcond=None)[0]
    sol /= np.max(np.abs(sol @ X))
    problem.rhs(0.0, 0.9 * sol)
    cols = problem._product_columns
    assert cols.keep is not None and 0 < cols.keep.size < 400
    mu = 0.9 * sol
    mu[0] = np.nan
    assert np.all(np.isnan(problem.rhs(1.0, mu)))
    assert problem._product_columns is cols


@pytest.mark.parametrize(("lam", "with_scales"), [(23.0, False), (230.0, True)])
def test_row_space_loss_along_a_step_is_the_loss_up_to_rounding(lam, with_scales):
    """The loss along a step as the crossings' brentq evaluates it (in full, or updated from a
    nearby point evaluated in full, the step's last full right-hand side included, on the
    columns whose beta~ can move beyond rounding) is within the rounding bound of the loss of
    the same state in extended precision, and the near points are updated, not evaluated."""
    n, d = 10, 400
    X, y, k, two_log_c, problem, exact_beta = _row_case(17, n, d, lam, with_scales)
    eps = dln_flow._EPS
    norms = np.linalg.norm(X, axis=0)
    sol = np.linalg.lstsq(X.T, np.sign(X.T @ y) * k, rcond=None)[0]
    sol /= np.max(np.abs(sol @ X) / k)  # max |s_j| / k_j = 1: beta~ from 0 to O(1)
    v = np.random.default_rng(3).standard_normal(n) / (lam * np.max(norms))

    def interpolant(tau):  # a cubic in time through the activation of the largest coordinates
        tau = np.atleast_1d(tau)
        return np.outer(sol, 0.97 + 0.03 * tau) + np.outer(v, tau**3 - tau)

    t_old, t_new = 0.0, 1.0
    problem.rhs(0.0, interpolant(t_new)[:, 0] + 1e-13 * v)  # the step's last full evaluation
    loss = problem.loss_along(interpolant, t_old, t_new, (None, problem.step_base()))
    coef = problem.mu_coefficients(interpolant, t_old, t_new)
    points = [1.0, -1.0, 0.3, 0.3 + 1e-4, 0.3 + 1e-4 + 1e-9, 0.3 + 1e-4 - 1e-12, 0.3 + 1e-4]
    for x in points:
        value = loss(x)
        mu = dln_flow._chebyshev_basis(x, coef.shape[0]) @ coef
        beta = exact_beta(mu)
        r = X.astype(np.longdouble) @ beta - y
        exact = float(r @ r / (2 * n))
        # each component of r to its rounding (s to n eps ||x|| ||mu||, times 2 Lam in beta~;
        # sums of d terms to (d + 2) eps) plus the columns left out (eps times r's scale)
        beta = beta.astype(np.float64)
        magnitude = np.abs(y) + np.abs(X) @ np.abs(beta)
        rounding = 2 * lam * n * eps * np.max(norms) * np.linalg.norm(mu) + (d + 8) * eps
        error = np.linalg.norm(rounding * magnitude) + 2 * eps * (
            np.linalg.norm(y) + norms @ np.abs(beta)
        )
        r_norm = math.sqrt(2 * n * exact)
        assert abs(value - exact) <= (2 * r_norm + error) * error / (2 * n) + 4 * n * eps * exact
    evaluated = len(loss._bases) - 1  # the first base is the step's right-hand side
    assert evaluated <= 3 < len(points)  # x = 1 and the points near 0.3 + 1e-4 are updated


def _evaluate_in_full(monkeypatch):
    """The row-space form as it was before its products were restricted to gathered columns:
    X beta~ over every column, each crossing's loss in full from the Chebyshev coefficients of s
    (q + 1 points with LSODA), the Jacobian as X_A diag(-slope / n) X_A^T."""
    original_product = dln_flow._RowProblem._product

    def product(self, beta):
        _, sums = original_product(self, beta)
        return self.X @ beta, sums

    def loss_along(self, interpolant, t_old, t_new, bases=()):
        coef = self.mu_coefficients(interpolant, t_old, t_new) @ self.X
        points = coef.shape[0]

        def loss(x):
            s = dln_flow._chebyshev_basis(x, points) @ coef
            beta = dln_flow._beta(s, self.lam, self.scales, self.two_log_c)
            return float(self.loss_of_beta(beta))

        return loss

    def jac(self, t, mu):
        last = self._last
        s = last.s if last is not None and np.array_equal(last.mu, mu) else mu @ self.X
        _, slope = dln_flow._beta_and_slope(s, self.lam, self.scales, self.two_log_c)
        keep = np.flatnonzero(slope * self._col_sq > dln_flow._JAC_DROP)
        XA = self.X[:, keep]
        return (XA * (-slope[keep] / self.n)) @ XA.T

    monkeypatch.setattr(dln_flow._RowProblem, "_product", product)
    monkeypatch.setattr(dln_flow._RowProblem, "loss_along", loss_along)
    monkeypatch.setattr(dln_flow._RowProblem, "jac", jac)


@pytest.mark.parametrize(
    ("seed", "n", "d", "log10_alpha", "with_scales"),
    [
        (21, 10, 240, -10, True),
        (22, 8, 400, -100, False),
        (23, 30, 2000, -10, False),
        (24, 20, 800, -100, True),
    ],
)
def test_row_space_gathered_products_agree_with_evaluating_in_full(
    monkeypatch, seed, n, d, log10_alpha, with_scales
):
    """The right-hand sides over gathered columns, the crossings updated from nearby points and
    the symmetric Jacobian give the solver the same right-hand sides up to rounding: every
    array of the result agrees with evaluating everything in full, to the solver's accuracy
    (each is within rtol of the exact flow; measured at most 0.46 rtol apart in 2 Lam s over 24
    random problems at alpha down to 1e-1000), and the crossing times to rtol (measured 1.7e-10
    at rtol 1e-8). With a zero column, duplicate columns and spread column norms."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.exp(rng.normal(0.0, 0.7, d))
    truth = np.zeros(d)
    support = rng.choice(d, max(2, n // 3), replace=False)
    truth[support] = rng.uniform(1.0, 3.0, support.size) * rng.choice([-1.0, 1.0], support.size)
    y = X @ truth + 0.3 * rng.standard_normal(n)
    X[:, 0] = 0.0
    X[:, 2] = X[:, 1]
    scales = rng.uniform(0.7, 1.5, d) if with_scales else None
    directions = rng.uniform(0.5, 2.0, d) if with_scales else None
    sad = saddle_jumps(X, y, scales=scales)
    lam = -log10_alpha * math.log(10)
    rtol = 1e-8
    kwargs = dict(
        log_inv_alpha=lam,
        t=np.geomspace(sad.times[1] / 5, 1.5 * sad.times[-1], 80),
        scales=scales,
        directions=directions,
        rtol=rtol,
        loss_levels=(sad.losses[:-1] + sad.losses[1:]) / 2,
    )
    gathered = simulate_flow(X, y, **kwargs)
    with monkeypatch.context() as patched:
        _evaluate_in_full(patched)
        full = simulate_flow(X, y, **kwargs)
    assert gathered.method == full.method == "LSODA"
    assert np.mean(np.isfinite(full.crossing_times)) > 0.9  # the last may come after t[-1]
    np.testing.assert_allclose(gathered.crossing_times, full.crossing_times, rtol=rtol, atol=0)
    assert 2 * lam * np.max(np.abs(gathered.s - full.s)) <= rtol
    # beta~ = a sinh(2 Lam s) moves by 2 Lam |ds| a cosh(2 Lam s) <= 2 Lam |ds| (|beta~| + a)
    k = np.ones(d) if scales is None else scales
    a = np.exp(-2 * lam * k) * (1.0 if directions is None else directions**2)
    assert np.all(np.abs(gathered.beta - full.beta) <= 1.01 * rtol * (np.abs(full.beta) + a))
    # the loss: a relative error rtol in beta moves it by about rtol sqrt(L L(0)) <= rtol L(0)
    np.testing.assert_allclose(gathered.loss, full.loss, rtol=0, atol=rtol * full.loss[0])
    if full.u is not None:  # u, v = c alpha^k sqrt(2) (cosh, sinh)(Lam s): Lam |ds| of u
        assert np.all(np.abs(gathered.u - full.u) <= 0.51 * rtol * full.u)
        assert np.all(np.abs(gathered.v - full.v) <= 0.51 * rtol * full.u)


def test_row_space_chebyshev_coefficients_hold_the_lsoda_interpolant():
    """With LSODA's interpolant (its Nordsieck polynomial of degree q), q + 1 Chebyshev points
    represent mu, hence s = X^T mu, along the step exactly: the crossings' brentq sees the
    interpolant itself."""
    X, y, scales, directions = _problem(3, 10, 240)
    problem = dln_flow._RowProblem(X, y, 23.0, scales, 2.0 * np.log(directions))
    solver = scipy.integrate.LSODA(
        problem.rhs, 0.0, np.zeros(10), 5.0, rtol=1e-12, atol=1e-14, jac=problem.jac
    )
    degrees = set()
    for _ in range(60):
        solver.step()
        interpolant = solver.dense_output()
        coef = problem.mu_coefficients(interpolant, solver.t_old, solver.t)
        degrees.add(coef.shape[0] - 1)
        taus = np.linspace(solver.t_old, solver.t, 7)
        x = (taus - (solver.t + solver.t_old) / 2) / ((solver.t - solver.t_old) / 2)
        mu = np.array([dln_flow._chebyshev_basis(xi, coef.shape[0]) for xi in x]) @ coef
        s = problem.s_of(mu)
        expected = problem.s_of(interpolant(taus).T)
        np.testing.assert_allclose(s, expected, rtol=0, atol=1e-12 * np.max(np.abs(expected)))
    assert len(degrees) > 1 and max(degrees) < 12  # the order varies; fewer than 13 points
