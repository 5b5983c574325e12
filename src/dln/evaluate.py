"""Compare a finite-alpha flow with its alpha -> 0 limit, and fit rates in log(1/alpha).

Pure functions: arrays in, frozen dataclasses out (no xarray, no paths). ``alpha`` is the
initialisation scale of the network (``u0 = sqrt(2) alpha``); rates are expressed in
``Lam = log(1/alpha)`` (``log_inv_alpha``). All times are accelerated times.

Metrics of one flow ``beta~`` against the limit process ``beta°`` with saddles ``beta_k`` and
jump times ``t_k`` (docs/theory.md):

- jump time error of jump k: the first time the flow's loss crosses the midpoint
  ``(L(beta_{k-1}) + L(beta_k)) / 2`` of the two plateaux, minus ``t_k``;
- ``sup_distance_outside_windows``: ``sup ||beta~(t) - beta°(t)||_inf`` over the grid times
  with ``|t - t_k| > delta`` for every jump ``k >= 1``;
- ``integrated_distance``: ``int_0^T ||beta~(t) - beta°(t)||_inf dt`` (trapezoid rule);
- ``sup_s_error``: ``sup_t ||s(t) - s°(t)||_inf`` (``s°`` piecewise linear);
- ``final_distance_l1``: ``||beta~(T) - beta_l1||_inf`` with ``beta_l1`` the minimum-l1 solution.

The paper proves no rate; the project measured jump time errors ``~ C_k / log(1/alpha)``.
:func:`fit_convergence` fits ``log|error|`` against ``log(log(1/alpha))`` by least squares (the
arithmetic of ``scipy.stats.linregress``) and reports ``C = median(error * log(1/alpha))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dln._validation import check_array, check_positive

__all__ = [
    "METRICS",
    "FlowEvaluation",
    "LogLogFit",
    "ConvergenceFit",
    "plateau_midpoints",
    "window_half_width",
    "jump_window_mask",
    "evaluate_flow",
    "loglog_fit",
    "fit_convergence",
]

# name -> (long_name, description) of the scalar metrics of one evaluation, in store order.
METRICS: dict[str, tuple[str, str]] = {
    "sup_distance_outside_windows": (
        "sup distance outside the jump windows",
        "max over grid times with |t - t_k| > window of ||beta~(t) - beta°(t)||_inf",
    ),
    "integrated_distance": (
        "time-integrated distance to the limit",
        "int_0^T ||beta~(t) - beta°(t)||_inf dt (trapezoid rule, accelerated time)",
    ),
    "sup_s_error": ("sup error in s", "max over grid times of ||s(t) - s°(t)||_inf"),
    "final_distance_l1": (
        "final distance to the min-l1 solution",
        "||beta~(T) - beta_l1||_inf at the last grid time T",
    ),
}

# Errors at or below this are exact zeros for a log-log fit: log would give -inf.
FIT_ZERO = np.finfo(np.float64).tiny


@dataclass(frozen=True)
class FlowEvaluation:
    """One flow compared with its limit process.

    Attributes
    ----------
    jump_times : ndarray of shape (p,)
        Limit jump times ``t_1..t_p``.
    crossing_times : ndarray of shape (p,)
        Flow crossing times of the plateau midpoints (NaN where not reached).
    jump_time_errors : ndarray of shape (p,)
        ``crossing_times - jump_times``.
    distance : ndarray of shape (m,)
        ``||beta~(t) - beta°(t)||_inf`` on the time grid.
    in_window : ndarray of bool, shape (m,)
        Grid times within ``window`` of some jump ``t_k``, ``k >= 1``.
    window : float
        Half-width ``delta`` of the windows.
    sup_distance_outside_windows, integrated_distance, sup_s_error, final_distance_l1 : float
        See the module docstring (:data:`METRICS`).
    """

    jump_times: np.ndarray
    crossing_times: np.ndarray
    jump_time_errors: np.ndarray
    distance: np.ndarray
    in_window: np.ndarray
    window: float
    sup_distance_outside_windows: float
    integrated_distance: float
    sup_s_error: float
    final_distance_l1: float


@dataclass(frozen=True)
class LogLogFit:
    """Fits of ``log|error| = intercept + slope * log(log(1/alpha))``, one per column.

    Attributes
    ----------
    slope, intercept, rvalue, stderr : ndarray of shape (q,)
        As ``scipy.stats.linregress`` gives them (NaN with fewer than 2 usable points).
    constant : ndarray of shape (q,)
        ``median(error * log(1/alpha))`` over the usable points: ``C`` in ``error ~ C / Lam``
        (signed: a positive jump time error means the flow jumps late).
    n_points : ndarray of shape (q,)
        Number of alphas used (finite, non-zero errors).
    """

    slope: np.ndarray
    intercept: np.ndarray
    rvalue: np.ndarray
    stderr: np.ndarray
    constant: np.ndarray
    n_points: np.ndarray


@dataclass(frozen=True)
class ConvergenceFit:
    """Convergence of one problem in ``log(1/alpha)``: per jump and per metric."""

    log_inv_alpha: np.ndarray
    jumps: LogLogFit
    metrics: LogLogFit


def plateau_midpoints(losses) -> np.ndarray:
    """Loss levels ``(L_{k-1} + L_k) / 2``, ``k = 1..p``, between consecutive plateaux.

    Parameters
    ----------
    losses : array-like of shape (p + 1,)
        Losses of the saddles ``beta_0..beta_p`` (strictly decreasing).

    Returns
    -------
    ndarray of shape (p,)
    """
    losses = check_array(losses, "losses", ndim=1)
    return 0.5 * (losses[:-1] + losses[1:])


def window_half_width(jump_times, fraction: float) -> float:
    """``fraction`` times the smallest gap between consecutive jump times ``t_0=0, t_1, ...``.

    With ``fraction < 0.5`` the windows around different jumps never overlap. Returns 0 when
    there is no jump.
    """
    check_positive(fraction, "fraction")
    times = check_array(np.r_[0.0, np.ravel(jump_times)], "jump_times", ndim=1)
    if times.size < 2:
        return 0.0
    gaps = np.diff(np.unique(times))
    return float(fraction * np.min(gaps)) if gaps.size else 0.0


def jump_window_mask(t, jump_times, window: float) -> np.ndarray:
    """Boolean mask of the times ``t`` (m,) within ``window`` of some jump time (p,)."""
    t = check_array(t, "t", ndim=1)
    check_positive(window, "window", allow_zero=True)
    jumps = np.ravel(np.asarray(jump_times, dtype=np.float64))
    if jumps.size == 0:
        return np.zeros(t.shape, dtype=bool)
    return np.any(np.abs(t[:, None] - jumps[None, :]) <= window, axis=1)


def evaluate_flow(
    t,
    beta,
    s,
    *,
    crossing_times,
    jump_times,
    beta_limit,
    s_limit,
    beta_l1,
    window: float,
) -> FlowEvaluation:
    """Compare a flow with its limit process on the flow's time grid.

    Parameters
    ----------
    t : array-like of shape (m,)
        Increasing accelerated times of the flow.
    beta, s : array-like of shape (m, d)
        Flow iterates ``beta~(t)`` and dual variable ``s(t)``.
    crossing_times : array-like of shape (p,)
        First crossings of the plateau midpoints by the flow's loss (NaN: not reached).
    jump_times : array-like of shape (p,)
        Limit jump times ``t_1..t_p`` (``t_0 = 0`` excluded).
    beta_limit, s_limit : array-like of shape (m, d)
        Limit process ``beta°(t)``, ``s°(t)`` on the same grid
        (:func:`dln.saddles.limit_process`).
    beta_l1 : array-like of shape (d,)
        Minimum-l1 solution (the limit's endpoint).
    window : float
        Half-width ``delta >= 0`` of the windows excluded from the sup distance.

    Returns
    -------
    FlowEvaluation
    """
    t = check_array(t, "t", ndim=1)
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing")
    m = t.shape[0]
    beta = check_array(beta, "beta", ndim=2)
    d = beta.shape[1]
    arrays = {"s": s, "beta_limit": beta_limit, "s_limit": s_limit}
    checked = {}
    for name, value in arrays.items():
        arr = check_array(value, name, ndim=2)
        if arr.shape != (m, d):
            raise ValueError(f"{name} must have shape {(m, d)}, got {arr.shape}")
        checked[name] = arr
    if beta.shape[0] != m:
        raise ValueError(f"beta must have {m} rows (one per time), got {beta.shape[0]}")
    beta_l1 = check_array(beta_l1, "beta_l1", ndim=1)
    if beta_l1.shape != (d,):
        raise ValueError(f"beta_l1 must have shape ({d},), got {beta_l1.shape}")
    jumps = np.asarray(jump_times, dtype=np.float64).ravel()
    crossings = np.asarray(crossing_times, dtype=np.float64).ravel()
    if crossings.shape != jumps.shape:
        raise ValueError(
            f"crossing_times has {crossings.size} entries but jump_times has {jumps.size}"
        )
    if not np.all(np.isfinite(jumps)):
        raise ValueError("jump_times must be finite")
    check_positive(window, "window", allow_zero=True)

    distance = np.max(np.abs(beta - checked["beta_limit"]), axis=1)
    in_window = jump_window_mask(t, jumps, window)
    outside = distance[~in_window]
    return FlowEvaluation(
        jump_times=jumps,
        crossing_times=crossings,
        jump_time_errors=crossings - jumps,
        distance=distance,
        in_window=in_window,
        window=float(window),
        sup_distance_outside_windows=float(np.max(outside)) if outside.size else np.nan,
        integrated_distance=float(np.trapezoid(distance, t)),
        sup_s_error=float(np.max(np.abs(checked["s"] - checked["s_limit"]))),
        final_distance_l1=float(np.max(np.abs(beta[-1] - beta_l1))),
    )


def loglog_fit(log_inv_alpha, errors) -> LogLogFit:
    """Fit ``log|errors| = intercept + slope * log(log_inv_alpha)`` column by column.

    Parameters
    ----------
    log_inv_alpha : array-like of shape (a,)
        ``Lam = log(1/alpha) > 0`` of each flow.
    errors : array-like of shape (a,) or (a, q)
        Errors (signed allowed); NaN and zero entries are left out of the fit of their column.

    Returns
    -------
    LogLogFit
        Arrays of shape (q,) (``q = 1`` for 1-D ``errors``).
    """
    lam = check_array(log_inv_alpha, "log_inv_alpha", ndim=1)
    if np.any(lam <= 0):
        raise ValueError("log_inv_alpha must be > 0 (alpha < 1)")
    err = np.asarray(errors, dtype=np.float64)
    if err.ndim == 1:
        err = err[:, None]
    if err.ndim != 2 or err.shape[0] != lam.shape[0]:
        raise ValueError(f"errors must have {lam.shape[0]} rows (one per alpha), got {err.shape}")
    q = err.shape[1]
    out = {k: np.full(q, np.nan) for k in ("slope", "intercept", "rvalue", "stderr", "constant")}
    n_points = np.zeros(q)
    for j in range(q):
        e = err[:, j]
        ok = np.isfinite(e) & (np.abs(e) > FIT_ZERO)
        n_points[j] = np.count_nonzero(ok)
        if n_points[j] >= 1:
            out["constant"][j] = float(np.median(e[ok] * lam[ok]))
        if n_points[j] >= 2 and np.ptp(lam[ok]) > 0:
            slope, intercept, rvalue, stderr = _linregress(np.log(lam[ok]), np.log(np.abs(e[ok])))
            out["slope"][j] = slope
            out["intercept"][j] = intercept
            out["rvalue"][j] = rvalue
            out["stderr"][j] = stderr if n_points[j] > 2 else np.nan
    return LogLogFit(n_points=n_points, **out)


def _linregress(x, y):
    """Slope, intercept, r and the slope's standard error of the least-squares line of y on x.

    The arithmetic of ``scipy.stats.linregress`` (scipy 1.11-1.17), operation for operation, so
    the results are the same to the bit (tests/unit/test_evaluate.py compares them): importing
    ``scipy.stats`` costs 0.6 s, twice the work of a convergence job that needs nothing else
    from it. ``x`` has at least two distinct values.
    """
    xmean = np.mean(x, None)
    ymean = np.mean(y, None)
    ssxm, ssxym, _, ssym = np.cov(x, y, bias=1).flat
    if ssxm == 0.0 or ssym == 0.0:
        r = np.asarray(np.nan if ssxym == 0 else 0.0)[()]
    else:
        r = min(max(ssxym / np.sqrt(ssxm * ssym), -1.0), 1.0)
    slope = ssxym / ssxm
    intercept = ymean - slope * xmean
    if len(x) == 2:
        stderr = 0.0
    else:
        stderr = np.sqrt((1 - r**2) * ssym / ssxm / (len(x) - 2))
    return slope, intercept, r, stderr


def fit_convergence(log_inv_alpha, jump_time_errors, metric_values) -> ConvergenceFit:
    """Convergence fits of one problem over several alphas.

    Parameters
    ----------
    log_inv_alpha : array-like of shape (a,)
    jump_time_errors : array-like of shape (a, p)
        Jump time errors of each flow (NaN for a jump a flow does not have or reach).
    metric_values : array-like of shape (a, q)
        Scalar metrics of each flow (columns in a fixed order, e.g. sorted :data:`METRICS`).

    Returns
    -------
    ConvergenceFit
    """
    lam = check_array(log_inv_alpha, "log_inv_alpha", ndim=1)
    jumps = np.asarray(jump_time_errors, dtype=np.float64).reshape(lam.size, -1)
    metrics = np.asarray(metric_values, dtype=np.float64).reshape(lam.size, -1)
    return ConvergenceFit(
        log_inv_alpha=lam,
        jumps=loglog_fit(lam, jumps),
        metrics=loglog_fit(lam, metrics),
    )
