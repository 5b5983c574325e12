"""The practitioner's questions: activation order, its robustness, and other feature selectors.

Training a diagonal linear network from a small initialisation (``alpha`` is the
initialisation scale, ``u0 = sqrt(2) alpha``) switches features on one at a time, in the order
of the saddles of Algorithm 1 (docs/theory.md). This module measures that order and how it
changes:

* :func:`activation_times` and :func:`flow_activation_times`: when each feature first enters,
  in the alpha -> 0 limit and in a finite-alpha trajectory;
* :func:`rank_agreement`: Kendall's tau-b (``scipy.stats.kendalltau``) between two vectors of
  activation times, over the features active in either;
* :func:`omp_path`: orthogonal matching pursuit (scikit-learn ``orthogonal_mp``), the greedy
  selector whose saddles are least-squares fits too;
* :func:`noise_study`, :func:`initialisation_study`, :func:`step_size_study`,
  :func:`baseline_comparison`: the robustness studies and the baseline comparison of the
  pipeline, each returning a frozen dataclass of arrays.

Pure numerics: arrays in, frozen dataclasses out; no files, no xarray.

Rank agreement
--------------
Activation times ``a`` and ``b`` (``inf``: never active) are compared on the features active
in at least one of them; a feature never active in one run is placed after all the active ones
there (ties among such features count as ties). Kendall's tau-b is then ``+1`` for the same
order, ``-1`` for the reversed order, about ``0`` for unrelated orders; features never active in
both runs carry no order information and are left out (they would add only trivially
concordant pairs). Fewer than two features, or no pair that is ordered in both, give NaN.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from dln._validation import check_array, check_positive, check_X_y

__all__ = [
    "ACTIVE_RTOL",
    "ACTIVATION_FRACTION",
    "DEPARTURE_RTOL",
    "OMPPath",
    "NoiseStudy",
    "InitialisationStudy",
    "StepSizeStudy",
    "BaselineComparison",
    "activation_times",
    "flow_activation_times",
    "activation_order",
    "rank_agreement",
    "mean_pairwise_agreement",
    "omp_path",
    "noise_study",
    "initialisation_study",
    "step_size_study",
    "baseline_comparison",
    "study_time_grid",
]

# A saddle (or path) coefficient is non-zero when |beta_i| > this times the largest |beta| of
# the path: Algorithm 1 returns exact zeros off the support, LARS and OMP rounding-level ones.
ACTIVE_RTOL = 1e-9
# A finite-alpha coordinate counts as active once |beta_i(t)| reaches this fraction of the
# largest saddle coefficient of the limit: before its jump it is ~alpha^(2 (1 - |s_i|)), which
# stays below 1% of the scale of the solution for alpha <= 1e-3 until |s_i| is within ~0.3 of 1.
ACTIVATION_FRACTION = 1e-2
# Gradient descent has departed from the flow once sup_i |beta_gd - beta_flow| exceeds this
# fraction of the largest |beta| of the flow (5%: visible on a plot of the coordinates).
DEPARTURE_RTOL = 5e-2
# OMP stops when the squared residual falls below (this * ||y||)^2: interpolation up to the
# rounding of a least-squares solve with condition numbers up to ~1e5 (as Algorithm 1).
OMP_RESIDUAL_RTOL = 1e-11


# --------------------------------------------------------------------------------------------
# Activation times and rank agreement
# --------------------------------------------------------------------------------------------
def activation_times(times, coefs, *, entry_offset: int = 0) -> np.ndarray:
    """First time each feature is non-zero along a path of coefficients.

    Parameters
    ----------
    times : array_like of shape (m,)
        Times (or steps) of the path points: jump times ``t_k`` of Algorithm 1, Lasso knot
        times ``1/lam_k``, OMP step numbers.
    coefs : array_like of shape (m, n_features)
        The path's coefficients at those points.
    entry_offset : int, default 0
        A feature first non-zero at point ``k`` entered at ``times[k - entry_offset]``: ``0``
        for saddles (``beta_k`` holds from ``t_k`` on) and OMP, ``1`` for the Lasso (a feature
        starts to move at the knot before the first one where it is non-zero).

    Returns
    -------
    ndarray of shape (n_features,)
        Entry times; ``inf`` for a feature never non-zero (relative threshold
        ``ACTIVE_RTOL``).
    """
    t = check_array(times, "times", ndim=1)
    B = check_array(coefs, "coefs", ndim=2)
    if B.shape[0] != t.shape[0]:
        raise ValueError(f"coefs has {B.shape[0]} rows but times has {t.shape[0]} entries")
    if entry_offset not in (0, 1):
        raise ValueError(f"entry_offset must be 0 or 1, got {entry_offset!r}")
    top = float(np.abs(B).max())
    on = np.abs(B) > ACTIVE_RTOL * top if top > 0 else np.zeros(B.shape, dtype=bool)
    first = np.argmax(on, axis=0)
    out = np.full(B.shape[1], np.inf)
    ever = on.any(axis=0)
    out[ever] = t[np.maximum(first[ever] - entry_offset, 0)]
    return out


def flow_activation_times(t, beta, *, threshold: float) -> np.ndarray:
    """First grid time at which ``|beta_i(t)| >= threshold`` (``inf``: never), shape (d,)."""
    t = check_array(t, "t", ndim=1)
    B = check_array(beta, "beta", ndim=2)
    if B.shape[0] != t.shape[0]:
        raise ValueError(f"beta has {B.shape[0]} rows but t has {t.shape[0]} entries")
    threshold = float(check_positive(threshold, "threshold"))
    on = np.abs(B) >= threshold
    out = np.full(B.shape[1], np.inf)
    ever = on.any(axis=0)
    out[ever] = t[np.argmax(on, axis=0)[ever]]
    return out


def activation_order(times) -> np.ndarray:
    """Indices of the features with a finite activation time, by time (ties: by index)."""
    a = np.asarray(times, dtype=np.float64)
    idx = np.flatnonzero(np.isfinite(a))
    return idx[np.lexsort((idx, a[idx]))]


def rank_agreement(a, b) -> float:
    """Kendall's tau-b between two activation-time vectors (see the module docstring).

    Parameters
    ----------
    a, b : array_like of shape (n_features,)
        Activation times, ``inf`` for never active.

    Returns
    -------
    float
        In ``[-1, 1]``; NaN when fewer than two features are active in either run or no pair
        is ordered in both.
    """
    from scipy.stats import kendalltau

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be 1-D of the same shape, got {a.shape} and {b.shape}")
    if np.any(np.isnan(a)) or np.any(np.isnan(b)):
        raise ValueError("activation times must not be NaN (use inf for never active)")
    keep = np.isfinite(a) | np.isfinite(b)
    if np.count_nonzero(keep) < 2:
        return math.nan
    a, b = a[keep], b[keep]
    # never active: after every active feature of that run, all tied
    a = np.where(np.isfinite(a), a, np.max(a[np.isfinite(a)], initial=0.0) + 1.0)
    b = np.where(np.isfinite(b), b, np.max(b[np.isfinite(b)], initial=0.0) + 1.0)
    if np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(kendalltau(a, b, variant="b").statistic)


def mean_pairwise_agreement(times) -> float:
    """Mean :func:`rank_agreement` over all pairs of rows of ``times`` (runs, features).

    NaN pairs are skipped; NaN when no pair gives a value.
    """
    T = np.asarray(times, dtype=np.float64)
    if T.ndim != 2:
        raise ValueError(f"times must be 2-D (runs, features), got shape {T.shape}")
    values = [
        rank_agreement(T[i], T[j]) for i in range(T.shape[0]) for j in range(i + 1, T.shape[0])
    ]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


# --------------------------------------------------------------------------------------------
# Orthogonal matching pursuit
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OMPPath:
    """Orthogonal matching pursuit, one feature per step (scikit-learn ``orthogonal_mp``).

    Attributes
    ----------
    order : ndarray of shape (k,)
        Feature selected at steps 1..k.
    coefs : ndarray of shape (k + 1, n_features)
        Least-squares fit on the first j selected features at step j (``coefs[0] = 0``).
    losses : ndarray of shape (k + 1,)
        ``||X coefs_j - y||^2 / (2 n)``.
    l1_norms : ndarray of shape (k + 1,)
        ``||coefs_j||_1``.
    status : int
        0: interpolation or ``max_features`` reached; 1: stopped early on linear dependence.
    message : str
    """

    order: np.ndarray
    coefs: np.ndarray
    losses: np.ndarray
    l1_norms: np.ndarray
    status: int = 0
    message: str = ""

    @property
    def n_steps(self) -> int:
        """Number of selected features ``k``."""
        return int(self.order.shape[0])


def omp_path(X, y, *, max_features: int | None = None) -> OMPPath:
    """The OMP path: at each step the feature most correlated with the residual enters, then
    all coefficients are refitted by least squares on the selected features.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Used as given (no centring or normalisation: standardise the columns first, OMP
        compares raw correlations ``|x_j^T r|``).
    y : array_like of shape (n_samples,)
    max_features : int, optional
        Bound on the number of steps; default ``min(n_samples, n_features)``. OMP also stops
        when the residual vanishes (``OMP_RESIDUAL_RTOL``) or the next column is linearly
        dependent on the selected ones.

    Returns
    -------
    OMPPath
    """
    from sklearn.linear_model import orthogonal_mp

    X, y = check_X_y(X, y)
    n, d = X.shape
    kmax = min(n, d) if max_features is None else int(max_features)
    check_positive(kmax, "max_features", integer=True)
    kmax = min(kmax, d)
    if not np.any(X.T @ y):
        raise ValueError("X^T y is zero: OMP selects nothing (0 is optimal)")
    tol = float((OMP_RESIDUAL_RTOL * np.linalg.norm(y)) ** 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = orthogonal_mp(X, y, n_nonzero_coefs=kmax, tol=None, return_path=True)
    premature = any("prematurely" in str(w.message) for w in caught)
    path = np.asarray(path, dtype=np.float64).reshape(d, -1).T  # (k, d)
    coefs = [np.zeros(d)]
    order = []
    for row in path:
        top = float(np.abs(row).max())
        support = set(np.flatnonzero(np.abs(row) > ACTIVE_RTOL * top).tolist()) if top else set()
        new = sorted(support - set(order))
        if not new:
            break
        order.append(new[0])
        full = np.zeros(d)
        full[order] = row[order]
        coefs.append(full)
        if float(np.sum((X @ full - y) ** 2)) <= tol:
            break
    coefs = np.array(coefs)
    residual = coefs @ X.T - y
    losses = np.sum(residual * residual, axis=1) / (2 * n)
    stopped_early = premature and len(order) < kmax and losses[-1] > tol / (2 * n)
    return OMPPath(
        order=np.array(order, dtype=np.int64),
        coefs=coefs,
        losses=losses,
        l1_norms=np.abs(coefs).sum(axis=1),
        status=1 if stopped_early else 0,
        message=(
            "stopped early: the next column is linearly dependent on the selected ones"
            if stopped_early
            else f"{len(order)} features selected"
        ),
    )


# --------------------------------------------------------------------------------------------
# Time grids
# --------------------------------------------------------------------------------------------
def study_time_grid(jump_times, *, num: int, t_max_factor: float = 1.5) -> np.ndarray:
    """Log-spaced accelerated times from ``t_1 / 5`` to ``t_max_factor * t_p`` (``num`` points).

    Jump times of real data span decades (diabetes: 0.022 to 10.3), hence the log spacing.
    """
    t = check_array(jump_times, "jump_times", ndim=1)
    if t.size < 2:
        raise ValueError("need at least one jump (jump_times has only t_0 = 0)")
    check_positive(num, "num", integer=True)
    return np.geomspace(t[1] / 5.0, t_max_factor * t[-1], int(num))


def _loss_levels(result) -> np.ndarray:
    """Midpoints of consecutive plateau losses of Algorithm 1 (where jumps are measured)."""
    return (result.losses[:-1] + result.losses[1:]) / 2


# --------------------------------------------------------------------------------------------
# Label noise
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoiseStudy:
    """Algorithm 1 under label noise ``y + level * std(y) * eps_seed``.

    Attributes
    ----------
    noise_levels : ndarray of shape (L,)
        Noise standard deviations as fractions of ``std(y)``.
    seeds : ndarray of shape (S,)
        Noise seeds; seed ``s`` uses the same ``eps_s`` at every level (common random numbers).
    activation_time : ndarray of shape (L, S, d)
        First entry time of each feature (``inf``: never).
    clean_activation_time : ndarray of shape (d,)
        The same for the data as given.
    jump_times : ndarray of shape (L, S, P)
        Jump times ``t_1..t_p`` (NaN-padded to the longest sequence ``P``).
    n_jumps : ndarray of shape (L, S)
    end_beta : ndarray of shape (L, S, d)
        Last saddle (the minimum-l1 solution of the noisy data).
    agreement_clean : ndarray of shape (L, S)
        :func:`rank_agreement` of each run with the clean activation times.
    agreement_seeds : ndarray of shape (L,)
        :func:`mean_pairwise_agreement` among the seeds at each level.
    support_jaccard : ndarray of shape (L, S)
        ``|S_noisy & S_clean| / |S_noisy | S_clean|`` of the end supports.
    clean_jump_times : ndarray of shape (p,)
    clean_end_beta : ndarray of shape (d,)
    """

    noise_levels: np.ndarray
    seeds: np.ndarray
    activation_time: np.ndarray
    clean_activation_time: np.ndarray
    jump_times: np.ndarray
    n_jumps: np.ndarray
    end_beta: np.ndarray
    agreement_clean: np.ndarray
    agreement_seeds: np.ndarray
    support_jaccard: np.ndarray
    clean_jump_times: np.ndarray
    clean_end_beta: np.ndarray
    y_std: float = float("nan")


def noise_study(
    X, y, *, noise_levels, n_seeds: int, seed: int = 0, max_saddles: int | None = None
) -> NoiseStudy:
    """Run Algorithm 1 on ``y + level * std(y) * eps`` for every level and noise seed.

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    noise_levels : sequence of float >= 0
        Noise standard deviations relative to ``std(y)`` (population std).
    n_seeds : int
        Number of noise draws per level; draw ``s`` is
        ``numpy.random.default_rng([seed, s]).standard_normal(n)``, the same at every level.
    seed : int, default 0
    max_saddles : int, optional
        Guard of Algorithm 1.

    Returns
    -------
    NoiseStudy
    """
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n, d = X.shape
    levels = check_array(noise_levels, "noise_levels", ndim=1)
    if np.any(levels < 0):
        raise ValueError(f"noise_levels must be >= 0, got min {levels.min()!r}")
    S = int(check_positive(n_seeds, "n_seeds", integer=True))
    seed = int(check_positive(seed, "seed", allow_zero=True, integer=True))
    y_std = float(np.std(y))
    clean = saddle_jumps(X, y, max_saddles=max_saddles)
    clean_act = activation_times(clean.times, clean.betas)
    eps = np.array([np.random.default_rng([seed, s]).standard_normal(n) for s in range(S)])
    L = levels.size
    act = np.empty((L, S, d))
    ends = np.empty((L, S, d))
    runs = {}
    for i, level in enumerate(levels):
        for s in range(S):
            res = saddle_jumps(X, y + level * y_std * eps[s], max_saddles=max_saddles)
            runs[i, s] = res.times[1:]
            act[i, s] = activation_times(res.times, res.betas)
            ends[i, s] = res.betas[-1]
    P = max(1, max(t.size for t in runs.values()))
    jumps = np.full((L, S, P), np.nan)
    n_jumps = np.zeros((L, S), dtype=np.int64)
    for (i, s), t in runs.items():
        jumps[i, s, : t.size] = t
        n_jumps[i, s] = t.size
    agree = np.array([[rank_agreement(act[i, s], clean_act) for s in range(S)] for i in range(L)])
    pairwise = np.array([mean_pairwise_agreement(act[i]) for i in range(L)])
    clean_support = clean.betas[-1] != 0
    jac = np.empty((L, S))
    for i in range(L):
        for s in range(S):
            sup = ends[i, s] != 0
            union = np.count_nonzero(sup | clean_support)
            jac[i, s] = np.count_nonzero(sup & clean_support) / union if union else 1.0
    return NoiseStudy(
        noise_levels=levels,
        seeds=np.arange(S),
        activation_time=act,
        clean_activation_time=clean_act,
        jump_times=jumps,
        n_jumps=n_jumps,
        end_beta=ends,
        agreement_clean=agree,
        agreement_seeds=pairwise,
        support_jaccard=jac,
        clean_jump_times=clean.times[1:].copy(),
        clean_end_beta=clean.betas[-1].copy(),
        y_std=y_std,
    )


# --------------------------------------------------------------------------------------------
# Initialisation: random directions and per-coordinate scales
# --------------------------------------------------------------------------------------------
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
    levels = _loss_levels(limit)
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
# Finite step size: gradient descent versus the flow
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepSizeStudy:
    """Gradient descent on ``(u, v)`` with several step sizes against the flow at one alpha.

    Attributes
    ----------
    log_inv_alpha : float
        ``log(1/alpha)``, alpha the initialisation scale.
    steps : ndarray of shape (S,)
        Step sizes (original time).
    t : ndarray of shape (m,)
        Common accelerated-time grid (0, then log-spaced); GD is read at the iteration nearest
        to each grid time (the rounding is recorded in ``time_rounding``).
    flow_beta : ndarray of shape (m, d)
        The flow (``dln.flow.simulate_flow``) on the grid.
    gd_beta : ndarray of shape (S, m, d)
        Gradient descent on the grid (NaN after divergence).
    diverged : ndarray of shape (S,) of bool
    relative_error : ndarray of shape (S, m)
        ``||beta_gd(t) - beta_flow(t)||_inf / max_t ||beta_flow||_inf``.
    max_relative_error : ndarray of shape (S,)
    departure_time : ndarray of shape (S,)
        First grid time with ``relative_error > DEPARTURE_RTOL`` (``inf``: never).
    flow_crossing_time : ndarray of shape (p,)
    gd_crossing_time : ndarray of shape (S, p)
    limit_jump_times : ndarray of shape (p,)
    time_rounding : ndarray of shape (S,)
        Largest ``|t_gd - t|`` of the iterates used for the grid times.
    """

    log_inv_alpha: float
    steps: np.ndarray
    t: np.ndarray
    flow_beta: np.ndarray
    gd_beta: np.ndarray
    diverged: np.ndarray
    relative_error: np.ndarray
    max_relative_error: np.ndarray
    departure_time: np.ndarray
    flow_crossing_time: np.ndarray
    gd_crossing_time: np.ndarray
    limit_jump_times: np.ndarray
    time_rounding: np.ndarray


def step_size_study(
    X,
    y,
    *,
    log_inv_alpha: float,
    steps,
    num_times: int = 300,
    t_max_factor: float = 1.2,
    rtol: float = 1e-8,
    max_saddles: int | None = None,
) -> StepSizeStudy:
    """Gradient descent with each step size against the flow at ``alpha = exp(-log_inv_alpha)``.

    The grid is 0 and :func:`study_time_grid` (log-spaced from ``t_1 / 5`` to
    ``t_max_factor * t_p``, ``t_p`` the last jump of Algorithm 1), ``num_times`` points in all;
    every grid time is rounded to the nearest iteration of each step (at most half of
    ``step / log(1/alpha)``, recorded in ``time_rounding``), and the flow is evaluated at the
    grid times. Plain
    float64 GD needs ``alpha >= 2.2e-308`` and loses ``u + v`` to rounding when a coordinate's
    ``s`` goes below about ``-18 / log(1/alpha)`` (see ``dln.gd``): choose a moderate alpha
    (1e-3 ... 1e-5).

    Returns
    -------
    StepSizeStudy
    """
    from dln.flow import simulate_flow
    from dln.gd import GradientDescentError, gradient_descent
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    steps = check_array(steps, "steps", ndim=1)
    if np.any(steps <= 0):
        raise ValueError("steps must be > 0")
    check_positive(num_times, "num_times", integer=True)
    limit = saddle_jumps(X, y, max_saddles=max_saddles)
    if limit.n_saddles == 0:
        raise ValueError("Algorithm 1 makes no jump on this problem (0 is optimal)")
    levels = _loss_levels(limit)
    grid = study_time_grid(limit.times, num=int(num_times) - 1, t_max_factor=t_max_factor)
    t = np.r_[0.0, grid]
    m = t.size
    flow = simulate_flow(X, y, log_inv_alpha=lam, t=t, rtol=rtol, loss_levels=levels)
    top = float(np.abs(flow.beta).max()) or 1.0
    S, d = steps.size, X.shape[1]
    gd_beta = np.full((S, m, d), np.nan)
    diverged = np.zeros(S, dtype=bool)
    rel = np.full((S, m), np.nan)
    gd_cross = np.full((S, levels.size), np.nan)
    rounding = np.zeros(S)
    for i, step in enumerate(steps):
        record = np.unique(np.rint(t * lam / step).astype(np.int64))
        if record[-1] == 0:  # a step longer than the whole grid: one iteration
            record = np.array([0, 1])
        t_gd = record * step / lam
        try:
            gd = gradient_descent(
                X,
                y,
                log_inv_alpha=lam,
                step=float(step),
                t_max=float(t_gd[-1]),
                t=t_gd,
                loss_levels=levels,
            )
        except GradientDescentError:
            diverged[i] = True
            continue
        # map every grid time to its nearest recorded iterate
        idx = np.clip(np.searchsorted(t_gd, t), 0, t_gd.size - 1)
        lower = np.clip(idx - 1, 0, t_gd.size - 1)
        idx = np.where(np.abs(t_gd[lower] - t) < np.abs(t_gd[idx] - t), lower, idx)
        rounding[i] = float(np.max(np.abs(t_gd[idx] - t)))
        gd_beta[i] = gd.beta[idx]
        gd_cross[i] = gd.crossing_times
        if not np.all(np.isfinite(gd.beta)):
            diverged[i] = True
        rel[i] = np.max(np.abs(gd_beta[i] - flow.beta), axis=1) / top
    with np.errstate(invalid="ignore"):
        over = rel > DEPARTURE_RTOL
    departure = np.array([t[np.argmax(over[i])] if np.any(over[i]) else math.inf for i in range(S)])
    departure[diverged] = math.nan
    return StepSizeStudy(
        log_inv_alpha=lam,
        steps=steps,
        t=t,
        flow_beta=flow.beta,
        gd_beta=gd_beta,
        diverged=diverged,
        relative_error=rel,
        max_relative_error=np.array(
            [np.nanmax(r) if np.any(np.isfinite(r)) else np.nan for r in rel]
        ),
        departure_time=departure,
        flow_crossing_time=flow.crossing_times,
        gd_crossing_time=gd_cross,
        limit_jump_times=limit.times[1:].copy(),
        time_rounding=rounding,
    )


# --------------------------------------------------------------------------------------------
# Baselines: Lasso (LARS) and OMP beside the saddles
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BaselineComparison:
    """Entry orders and endpoints of the saddles, the Lasso path and OMP on one problem.

    Attributes
    ----------
    saddle_time, lasso_time : ndarray of shape (d,)
        Entry times (``inf``: never); Lasso on ``t = 1/lam``.
    omp_step : ndarray of shape (d,)
        Step at which OMP selects each feature (``inf``: never).
    saddle_rank, lasso_rank, omp_rank : ndarray of shape (d,)
        1-based position in each entry order (0: never enters).
    saddle_leaves, lasso_leaves : ndarray of shape (d,) of bool
        Whether the feature leaves the support at some later point (OMP never drops one).
    agreement_lasso, agreement_omp, agreement_lasso_omp : float
        :func:`rank_agreement` of the entry times (saddles vs Lasso, saddles vs OMP, Lasso vs
        OMP).
    first_departure_lasso, first_departure_omp : int
        First 1-based position where the order differs from the saddles' (0: identical).
    saddle_end, lasso_end, omp_end, lp_beta : ndarray of shape (d,)
        Endpoints and the minimum-l1 solution (LP).
    saddle_l1, lasso_l1, omp_l1, lp_l1 : float
    omp_loss_end, saddle_loss_end : float
    saddle_path_l1, saddle_path_loss : ndarray of shape (p + 1,)
    lasso_path_l1, lasso_path_loss : ndarray of shape (q,)
    omp_path_l1, omp_path_loss : ndarray of shape (k + 1,)
    saddle_path_size, lasso_path_size, omp_path_size : int arrays
        Support sizes along each path.
    omp_status : int
    """

    saddle_time: np.ndarray
    lasso_time: np.ndarray
    omp_step: np.ndarray
    saddle_rank: np.ndarray
    lasso_rank: np.ndarray
    omp_rank: np.ndarray
    saddle_leaves: np.ndarray
    lasso_leaves: np.ndarray
    agreement_lasso: float
    agreement_omp: float
    agreement_lasso_omp: float
    first_departure_lasso: int
    first_departure_omp: int
    saddle_end: np.ndarray
    lasso_end: np.ndarray
    omp_end: np.ndarray
    lp_beta: np.ndarray
    saddle_l1: float
    lasso_l1: float
    omp_l1: float
    lp_l1: float
    saddle_loss_end: float
    omp_loss_end: float
    saddle_path_l1: np.ndarray
    saddle_path_loss: np.ndarray
    saddle_path_size: np.ndarray
    lasso_path_l1: np.ndarray
    lasso_path_loss: np.ndarray
    lasso_path_size: np.ndarray
    omp_path_l1: np.ndarray
    omp_path_loss: np.ndarray
    omp_path_size: np.ndarray
    omp_status: int = 0


def _ranks(times) -> np.ndarray:
    order = activation_order(times)
    ranks = np.zeros(np.asarray(times).shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def _first_departure(reference, other) -> int:
    a, b = activation_order(reference), activation_order(other)
    for i in range(max(a.size, b.size)):
        if i >= a.size or i >= b.size or a[i] != b[i]:
            return i + 1
    return 0


def _leaves(coefs) -> np.ndarray:
    B = np.asarray(coefs)
    top = float(np.abs(B).max()) or 1.0
    on = np.abs(B) > ACTIVE_RTOL * top
    # on at some point and off at a later one
    seen = np.maximum.accumulate(on, axis=0)
    return np.any(seen & ~on, axis=0)


def baseline_comparison(X, y, *, max_saddles: int | None = None) -> BaselineComparison:
    """Saddles (Algorithm 1), Lasso (LARS) and OMP on the same data: orders and endpoints.

    Returns
    -------
    BaselineComparison
    """
    from dln.baselines import lasso_path
    from dln.lp import min_l1_solution
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n = X.shape[0]
    sad = saddle_jumps(X, y, max_saddles=max_saddles)
    las = lasso_path(X, y)
    omp = omp_path(X, y)
    lp = min_l1_solution(X, y)
    t_sad = activation_times(sad.times, sad.betas)
    las_coefs = np.vstack([las.coefs, las.end_coef[None]])
    # the end point (lam = end_lambda, possibly 0) never starts an entry: any later time will do
    las_times = np.r_[las.times, 2.0 * las.times[-1]]
    t_las = activation_times(las_times, las_coefs, entry_offset=1)
    t_omp = activation_times(np.arange(omp.coefs.shape[0], dtype=float), omp.coefs)

    def loss(B):
        r = np.atleast_2d(B) @ X.T - y
        return np.sum(r * r, axis=1) / (2 * n)

    def sizes(B):
        B = np.atleast_2d(B)
        top = float(np.abs(B).max()) or 1.0
        return np.count_nonzero(np.abs(B) > ACTIVE_RTOL * top, axis=1)

    return BaselineComparison(
        saddle_time=t_sad,
        lasso_time=t_las,
        omp_step=t_omp,
        saddle_rank=_ranks(t_sad),
        lasso_rank=_ranks(t_las),
        omp_rank=_ranks(t_omp),
        saddle_leaves=_leaves(sad.betas),
        lasso_leaves=_leaves(las_coefs),
        agreement_lasso=rank_agreement(t_sad, t_las),
        agreement_omp=rank_agreement(t_sad, t_omp),
        agreement_lasso_omp=rank_agreement(t_las, t_omp),
        first_departure_lasso=_first_departure(t_sad, t_las),
        first_departure_omp=_first_departure(t_sad, t_omp),
        saddle_end=sad.betas[-1].copy(),
        lasso_end=las.end_coef.copy(),
        omp_end=omp.coefs[-1].copy(),
        lp_beta=lp.beta,
        saddle_l1=float(np.abs(sad.betas[-1]).sum()),
        lasso_l1=float(np.abs(las.end_coef).sum()),
        omp_l1=float(omp.l1_norms[-1]),
        lp_l1=float(lp.objective),
        saddle_loss_end=float(sad.losses[-1]),
        omp_loss_end=float(omp.losses[-1]),
        saddle_path_l1=np.abs(sad.betas).sum(axis=1),
        saddle_path_loss=sad.losses.copy(),
        saddle_path_size=sizes(sad.betas),
        lasso_path_l1=np.abs(las_coefs).sum(axis=1),
        lasso_path_loss=loss(las_coefs),
        lasso_path_size=sizes(las_coefs),
        omp_path_l1=omp.l1_norms,
        omp_path_loss=omp.losses,
        omp_path_size=sizes(omp.coefs),
        omp_status=omp.status,
    )
