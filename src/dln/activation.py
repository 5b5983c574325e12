"""When features become active, and how two activation orders agree.

Training a diagonal linear network from a small initialisation (``alpha`` is the
initialisation scale, ``u0 = sqrt(2) alpha``) switches features on one at a time, in the order
of the saddles of Algorithm 1 (docs/theory.md). The studies (:mod:`dln.studies`) and the
baseline comparison (:mod:`dln.baselines.comparison`) measure that order with:

* :func:`activation_times` and :func:`flow_activation_times`: when each feature first enters,
  in the alpha -> 0 limit (or any path of coefficients) and in a finite-alpha trajectory;
* :func:`rank_agreement`: Kendall's tau-b (as ``scipy.stats.kendalltau`` computes it) between
  two vectors of activation times, over the features active in either.

Pure numerics: arrays in, arrays out; no files, no xarray.

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

import numpy as np

from dln._validation import check_array, check_positive

__all__ = [
    "ACTIVATION_FRACTION",
    "ACTIVE_RTOL",
    "activation_order",
    "activation_times",
    "flow_activation_times",
    "mean_pairwise_agreement",
    "rank_agreement",
]

# A saddle (or path) coefficient is non-zero when |beta_i| > this times the largest |beta| of
# the path: Algorithm 1 returns exact zeros off the support, LARS and OMP rounding-level ones.
ACTIVE_RTOL = 1e-9
# A finite-alpha coordinate counts as active once |beta_i(t)| reaches this fraction of the
# largest saddle coefficient of the limit: before its jump it is ~alpha^(2 (1 - |s_i|)), which
# stays below 1% of the scale of the solution for alpha <= 1e-3 until |s_i| is within ~0.3 of 1.
ACTIVATION_FRACTION = 1e-2


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
    return _kendall_tau_b(a, b)


# Up to this many features _kendall_tau_b counts the pairs itself (an m x m array of signs).
_PAIRWISE_MAX = 1000


def _kendall_tau_b(a, b) -> float:
    """``scipy.stats.kendalltau(a, b, variant="b").statistic``, bit for bit, for finite ``a``
    and ``b`` neither of which is constant.

    tau-b is ``(concordant - discordant) / sqrt((P - T_a) (P - T_b))`` with ``P`` the number of
    pairs and ``T_a``, ``T_b`` the pairs tied in ``a``, in ``b``: exact integers, counted here
    from the signs of all pairs (``sum sign(a_i - a_j) sign(b_i - b_j)`` over ``i < j`` is
    concordant minus discordant), then scipy's floating-point steps in its order (two square
    roots, two divisions, the clip to [-1, 1]); tested equal to it. Importing ``scipy.stats``
    takes ~0.55 s, more than the noise and initialisation studies spend on their rank
    agreements; beyond ``_PAIRWISE_MAX`` features scipy's O(m log m) count is used.
    """
    m = a.size
    if m > _PAIRWISE_MAX:
        from scipy.stats import kendalltau

        return float(kendalltau(a, b, variant="b").statistic)
    upper = np.triu_indices(m, k=1)
    sign_a = np.sign(a[:, None] - a[None, :])[upper].astype(np.int8)
    sign_b = np.sign(b[:, None] - b[None, :])[upper].astype(np.int8)
    con_minus_dis = int(np.dot(sign_a.astype(np.int64), sign_b))
    total = m * (m - 1) // 2
    ties_a = total - int(np.count_nonzero(sign_a))
    ties_b = total - int(np.count_nonzero(sign_b))
    tau = con_minus_dis / np.sqrt(total - ties_a) / np.sqrt(total - ties_b)
    return float(np.minimum(1.0, max(-1.0, tau)))


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
