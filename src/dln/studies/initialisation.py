"""Initialisation: flows from random directions ``u0 = sqrt(2) alpha c`` and from per-coordinate
scales ``u0 = sqrt(2) alpha^{k_i}`` (the weighted minimum-l1 limit); ``alpha`` is the
initialisation scale.

:func:`initialisation_study`, the store layout of its result (:func:`to_dataset`, rule
``run_initialisation_study``) and its figures live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dln._validation import check_array, check_positive, check_X_y
from dln.activation import (
    ACTIVATION_FRACTION,
    activation_times,
    flow_activation_times,
    rank_agreement,
)
from dln.studies.common import TIME, loss_levels, study_dataset, study_time_grid

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "DIMS",
    "VARIABLES",
    "InitialisationStudy",
    "initialisation_study",
    "plot_direction_jump_errors",
    "plot_initialisation_agreement",
    "plot_weighted_endpoints",
    "to_dataset",
]


@dataclass(frozen=True)
class InitialisationStudy:
    """Finite-alpha flows from ``u0 = sqrt(2) alpha c`` (random ``c > 0``) and from
    ``u0 = sqrt(2) alpha^{k_i}`` (random scales ``k``).

    Attributes
    ----------
    log_inv_alphas : ndarray of shape (A,)
        ``log(1/alpha)`` of the direction flows (alpha the initialisation scale).
    directions : ndarray of shape (C, d)
        The positive directions ``c`` (``|N(0, 1)|`` entries, seed ``[seed, 1, j]``).
    limit_jump_times : ndarray of shape (p,)
        Jump times of Algorithm 1 (unit scales): the limit for every direction.
    limit_activation_time : ndarray of shape (d,)
    crossing_time : ndarray of shape (A, C, p)
        Where each direction flow's loss crosses the plateau midpoints (NaN: not reached).
    flow_activation_time : ndarray of shape (A, C, d)
        :func:`flow_activation_times` with threshold ``ACTIVATION_FRACTION`` times the largest
        saddle coefficient.
    agreement : ndarray of shape (A, C)
        :func:`rank_agreement` of each flow's activation times with the limit's.
    scales : ndarray of shape (K, d)
        Per-coordinate scales ``k_i`` (``Uniform[low, high]``, seed ``[seed, 2, j]``).
    weighted_end_beta : ndarray of shape (K, d)
        Last saddle of Algorithm 1 with these scales (minimises ``sum k_i |beta_i|``).
    weighted_lp_beta : ndarray of shape (K, d)
        Weighted minimum-l1 solution by linear programming (``dln.lp.min_l1_solution``).
    weighted_lp_difference : ndarray of shape (K,)
        ``||end - lp||_inf / ||lp||_inf``.
    weighted_activation_time : ndarray of shape (K, d)
        Entry times of the weighted limit.
    weighted_agreement : ndarray of shape (K,)
        Rank agreement of the weighted limit's order with the unit-scale order.
    weighted_flow_end_beta : ndarray of shape (K, d)
        The weighted flow at the smallest alpha, at the end of its grid.
    weighted_flow_distance : ndarray of shape (K,)
        ``||flow end - weighted end||_inf / ||weighted end||_inf``.
    t : ndarray of shape (m,)
        Time grid of the direction flows.
    """

    log_inv_alphas: np.ndarray
    directions: np.ndarray
    limit_jump_times: np.ndarray
    limit_activation_time: np.ndarray
    crossing_time: np.ndarray
    flow_activation_time: np.ndarray
    agreement: np.ndarray
    scales: np.ndarray
    weighted_end_beta: np.ndarray
    weighted_lp_beta: np.ndarray
    weighted_lp_difference: np.ndarray
    weighted_activation_time: np.ndarray
    weighted_agreement: np.ndarray
    weighted_flow_end_beta: np.ndarray
    weighted_flow_distance: np.ndarray
    t: np.ndarray
    limit_end_beta: np.ndarray = field(default_factory=lambda: np.zeros(0))


def initialisation_study(
    X,
    y,
    *,
    log_inv_alphas,
    n_directions: int,
    n_scales: int,
    scale_range=(0.5, 2.0),
    seed: int = 0,
    num_times: int = 400,
    rtol: float = 1e-6,
    max_saddles: int | None = None,
    progress=None,
) -> InitialisationStudy:
    """Flows from random positive directions at several alphas, and weighted limits.

    Parameters
    ----------
    X, y : arrays of shape (n, d) and (n,)
    log_inv_alphas : sequence of float > 0
        ``log(1/alpha)`` of the direction flows; the weighted flows use the largest.
    n_directions : int
        Random directions ``c`` per alpha (the same ``c`` at every alpha).
    n_scales : int >= 0
        Random scale vectors ``k ~ Uniform[scale_range]``.
    scale_range : (float, float)
        ``0 < low <= high``.
    seed : int
    num_times : int
        Points of the log-spaced time grid (:func:`study_time_grid`).
    rtol : float
        Flow accuracy (``dln.flow.simulate_flow``).
    max_saddles : int, optional

    progress : callable, optional
        Called before each run as ``progress(done, total)``, counting flows and runs of
        Algorithm 1, for logs with an estimate of the time left.

    Returns
    -------
    InitialisationStudy
    """
    from dln.flow import simulate_flow
    from dln.lp import min_l1_solution
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n, d = X.shape
    lams = check_array(log_inv_alphas, "log_inv_alphas", ndim=1)
    if np.any(lams <= 0):
        raise ValueError("log_inv_alphas must be > 0 (alpha < 1)")
    C = int(check_positive(n_directions, "n_directions", integer=True))
    K = int(check_positive(n_scales, "n_scales", allow_zero=True, integer=True))
    low, high = (float(v) for v in scale_range)
    if not 0 < low <= high or not math.isfinite(high):
        raise ValueError(f"scale_range must satisfy 0 < low <= high, got {scale_range!r}")
    seed = int(check_positive(seed, "seed", allow_zero=True, integer=True))

    limit = saddle_jumps(X, y, max_saddles=max_saddles)
    if limit.n_saddles == 0:
        raise ValueError("Algorithm 1 makes no jump on this problem (0 is optimal)")
    limit_act = activation_times(limit.times, limit.betas)
    threshold = ACTIVATION_FRACTION * float(np.abs(limit.betas).max())
    t = study_time_grid(limit.times, num=num_times)
    levels = loss_levels(limit)
    dirs = np.array(
        [np.abs(np.random.default_rng([seed, 1, j]).standard_normal(d)) for j in range(C)]
    )
    # |N(0,1)| can be ~0: clip at 1e-3 (a log-shift of 6.9 / log(1/alpha) in the entry time)
    dirs = np.maximum(dirs, 1e-3)
    A = lams.size
    crossing = np.full((A, C, levels.size), np.nan)
    flow_act = np.full((A, C, d), np.inf)
    for a, lam in enumerate(lams):
        for c in range(C):
            if progress is not None:  # flows done, of alphas x directions (then K more)
                progress(a * C + c, A * C + K)
            flow = simulate_flow(
                X,
                y,
                log_inv_alpha=float(lam),
                t=t,
                directions=dirs[c],
                rtol=rtol,
                loss_levels=levels,
            )
            crossing[a, c] = flow.crossing_times
            flow_act[a, c] = flow_activation_times(flow.t, flow.beta, threshold=threshold)
    agreement = np.array(
        [[rank_agreement(flow_act[a, c], limit_act) for c in range(C)] for a in range(A)]
    )

    scales = np.array(
        [np.random.default_rng([seed, 2, j]).uniform(low, high, d) for j in range(K)]
    ).reshape(K, d)
    w_end = np.zeros((K, d))
    w_lp = np.zeros((K, d))
    w_diff = np.zeros(K)
    w_act = np.zeros((K, d))
    w_agree = np.zeros(K)
    w_flow = np.zeros((K, d))
    w_dist = np.zeros(K)
    lam_max = float(lams.max())
    for j in range(K):
        if progress is not None:
            progress(A * C + j, A * C + K)
        res = saddle_jumps(X, y, scales=scales[j], max_saddles=max_saddles)
        lp = min_l1_solution(X, y, weights=scales[j])
        w_end[j] = res.betas[-1]
        w_lp[j] = lp.beta
        w_diff[j] = float(np.max(np.abs(res.betas[-1] - lp.beta))) / max(
            float(np.max(np.abs(lp.beta))), np.finfo(float).tiny
        )
        w_act[j] = activation_times(res.times, res.betas)
        w_agree[j] = rank_agreement(w_act[j], limit_act)
        tw = study_time_grid(res.times, num=num_times)
        flow = simulate_flow(X, y, log_inv_alpha=lam_max, t=tw, scales=scales[j], rtol=rtol)
        w_flow[j] = flow.beta[-1]
        w_dist[j] = float(np.max(np.abs(flow.beta[-1] - res.betas[-1]))) / max(
            float(np.max(np.abs(res.betas[-1]))), np.finfo(float).tiny
        )
    return InitialisationStudy(
        log_inv_alphas=lams,
        directions=dirs,
        limit_jump_times=limit.times[1:].copy(),
        limit_activation_time=limit_act,
        crossing_time=crossing,
        flow_activation_time=flow_act,
        agreement=agreement,
        scales=scales,
        weighted_end_beta=w_end,
        weighted_lp_beta=w_lp,
        weighted_lp_difference=w_diff,
        weighted_activation_time=w_act,
        weighted_agreement=w_agree,
        weighted_flow_end_beta=w_flow,
        weighted_flow_distance=w_dist,
        t=t,
        limit_end_beta=limit.betas[-1].copy(),
    )


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
# Long names, units (and descriptions) of the store variables, in the units of the study.
VARIABLES = {
    "log_inv_alpha": ("log(1/alpha)", "1", "alpha is the initialisation scale"),
    "direction": ("direction index", "1"),
    "scale_set": ("scale vector index", "1"),
    "time": ("time t", TIME),
    "directions": ("positive direction c_i", "1", "u0 = sqrt(2) alpha c_i, c_i = |N(0,1)|"),
    "limit_jump_time": ("jump time t_k of Algorithm 1", TIME),
    "limit_activation_time": ("entry time in the limit", TIME, "inf: never"),
    "limit_end_beta": ("last saddle (minimum-l1 solution)", "1"),
    "crossing_time": ("flow crossing time of the plateau midpoint", TIME),
    "flow_activation_time": ("entry time in the flow", TIME, "|beta_i| reaches a threshold"),
    "agreement": ("Kendall tau-b of the flow and limit activation orders", "1"),
    "scales": ("coordinate scales k_i", "1", "initialisation alpha**k_i"),
    "weighted_end_beta": ("last saddle with scales k (weighted min-l1)", "1"),
    "weighted_lp_beta": ("weighted minimum-l1 solution (LP)", "1"),
    "weighted_lp_difference": ("relative difference of saddle and LP endpoints", "1"),
    "weighted_activation_time": ("entry time in the weighted limit", TIME, "inf: never"),
    "weighted_agreement": ("Kendall tau-b of weighted and unit-scale orders", "1"),
    "weighted_flow_end_beta": ("weighted flow at the end of its grid", "1"),
    "weighted_flow_distance": ("relative distance of the flow end to the weighted end", "1"),
}
# Dimensions of each array field of the dataclass (scalars are not listed).
DIMS = {
    "directions": ("direction", "feature"),
    "limit_jump_times": ("jump",),
    "limit_activation_time": ("feature",),
    "limit_end_beta": ("feature",),
    "crossing_time": ("log_inv_alpha", "direction", "jump"),
    "flow_activation_time": ("log_inv_alpha", "direction", "feature"),
    "agreement": ("log_inv_alpha", "direction"),
    "scales": ("scale_set", "feature"),
    "weighted_end_beta": ("scale_set", "feature"),
    "weighted_lp_beta": ("scale_set", "feature"),
    "weighted_lp_difference": ("scale_set",),
    "weighted_activation_time": ("scale_set", "feature"),
    "weighted_agreement": ("scale_set",),
    "weighted_flow_end_beta": ("scale_set", "feature"),
    "weighted_flow_distance": ("scale_set",),
}


def to_dataset(study: InitialisationStudy, *, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a :class:`InitialisationStudy` (rule ``run_initialisation_study``).

    Fields become variables and coords as described in :func:`dln.studies.common.study_dataset`
    (dims: :data:`DIMS`, long names and units: :data:`VARIABLES`); the global attr ``study`` is
    ``"initialisation"``.
    """
    return study_dataset(
        study,
        InitialisationStudy,
        kind="initialisation",
        variables=VARIABLES,
        dims=DIMS,
        feature_names=feature_names,
        problem=problem,
    )


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def _log_alpha_axis(ax, lam):
    """Log x axis with one tick per log(1/alpha) value of the study, no minor tick labels."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_xticks(lam, [f"{v:.3g}" for v in lam])
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_direction_jump_errors(ds, ax):
    """Relative jump-time error of flows from random directions against log(1/alpha), log-log.

    Dots: ``|crossing time - t_k| / t_k`` for every jump and direction; line: the median over
    them; dotted: a ``1/log(1/alpha)`` guide through the first median.
    """
    lam = ds["log_inv_alpha"].values
    t_k = ds["limit_jump_time"].values
    cross = ds["crossing_time"].values
    rel = np.abs(cross - t_k[None, None, :]) / t_k[None, None, :]
    for a in range(lam.size):
        vals = rel[a].ravel()
        vals = vals[np.isfinite(vals)]
        ax.plot(
            np.full(vals.size, lam[a]),
            np.maximum(vals, 1e-12),
            "o",
            ms=3,
            color="tab:blue",
            alpha=0.3,
            lw=0,
        )
    med = np.array([np.nanmedian(rel[a]) for a in range(lam.size)])
    ax.plot(lam, med, "-o", color="tab:blue", lw=1.8, ms=4, label="median over jumps, directions")
    ax.plot(lam, med[0] * lam[0] / lam, ":", color="0.3", label=r"$\propto 1/\log(1/\alpha)$")
    _log_alpha_axis(ax, lam)
    ax.set_yscale("log")
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"$|t^{flow}_k - t_k| / t_k$")
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_initialisation_agreement(ds, ax):
    """Kendall's tau-b of the flow's activation order with the limit's, per direction."""
    lam = ds["log_inv_alpha"].values
    agree = ds["agreement"].values
    for c in range(agree.shape[1]):
        ax.plot(
            lam,
            agree[:, c],
            "o-",
            color="tab:green",
            alpha=0.5,
            ms=4,
            lw=0.8,
            label="random directions" if c == 0 else None,
        )
    _log_alpha_axis(ax, lam)
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"Kendall $\tau_b$, flow vs limit order")
    ax.set_ylim(min(0.0, float(np.nanmin(agree)) - 0.05), 1.05)
    ax.axhline(1.0, color="0.8", lw=0.6, zorder=0)
    ax.legend(fontsize="small", frameon=False, loc="lower right")
    return ax


def plot_weighted_endpoints(ds, ax):
    """Weighted endpoints against the weighted minimum-l1 LP, one marker per coefficient and
    one colour per scale vector: Algorithm 1 with scales ``k`` (circles) and the finite-alpha
    flow (crosses) lie on the diagonal; the unit-scale endpoint (grey dots) does not."""
    lp = ds["weighted_lp_beta"].values
    end = ds["weighted_end_beta"].values
    flow = ds["weighted_flow_end_beta"].values
    plain = ds["limit_end_beta"].values
    top = float(max(np.abs(lp).max(), np.abs(plain).max(), 1e-300))
    ax.plot([-top, top], [-top, top], color="0.8", lw=0.8, zorder=0)
    for j in range(lp.shape[0]):
        first = j == 0
        ax.plot(
            lp[j], plain, ".", ms=3, color="0.55", label="unit-scale endpoint" if first else None
        )
        ax.plot(
            lp[j],
            end[j],
            "o",
            ms=5,
            mfc="none",
            color=f"C{j}",
            label="Algorithm 1, scales k (colour)" if first else None,
        )
        ax.plot(
            lp[j], flow[j], "x", ms=4, color=f"C{j}", label="flow, smallest α" if first else None
        )
    ax.set_xlabel(r"weighted min-$\ell_1$ solution (LP), $\min \sum_i k_i |\beta_i|$")
    ax.set_ylabel("endpoint")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left")
    return ax
