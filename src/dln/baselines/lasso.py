"""The Lasso regularisation path, a baseline beside the saddle-to-saddle limit.

The Lasso ``min_b ||y - X b||^2 / (2 n) + lam ||b||_1`` has the same loss as the network
(docs/theory.md), so its path is compared with Algorithm 1 on the common time axis
``t = 1 / lam``: its first knot is ``t_1 = 1 / ||X^T y / n||_inf``, the first jump time of the
saddle-to-saddle limit. The path is computed by scikit-learn's LARS-Lasso
(:func:`sklearn.linear_model.lars_path` with ``method="lasso"``), whose ``alpha`` is this
``lam`` (not the initialisation scale ``alpha`` of the network, which does not enter here).

The saddles are not points of the Lasso path (docs/theory.md): a saddle has ``grad L = 0``
on its support, a Lasso point with ``lam > 0`` has ``|grad L_i| = lam`` there. Pure numerics:
arrays in, a frozen dataclass out.


Its store layout (:func:`to_dataset`, rule ``write_lasso_path``; xarray is imported only
there) and its figure (:func:`plot_lasso_path`) live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dln._validation import check_array, check_positive, check_X_y
from dln.activation import ACTIVE_RTOL
from dln.plotstyle import (
    INACTIVE_COLOR,
    MAX_LABELLED,
    draw_others,
    feature_colors,
    key_colors,
    key_features,
    set_time_axis,
)

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "KNOT_RTOL",
    "LassoPath",
    "lasso_coefficients",
    "lasso_path",
    "plot_lasso_path",
    "to_dataset",
]

# A LARS knot with lam <= KNOT_RTOL * lam_max is the end of the path (lam = 0), not a knot:
# after the last true knot LARS may emit a rounding-level step (lam ~ 1e-15 lam_max) where a
# zero coefficient changes sign at the level of the machine epsilon.
KNOT_RTOL = 1e-10


@dataclass(frozen=True)
class LassoPath:
    """The LARS-Lasso path of ``||y - X b||^2 / (2 n) + lam ||b||_1``.

    Attributes
    ----------
    lambdas : ndarray of shape (m,)
        Knots ``lam_0 = ||X^T y / n||_inf > lam_1 > ... > lam_{m-1} > 0`` (rounding-level
        knots dropped, see ``KNOT_RTOL``).
    times : ndarray of shape (m,)
        ``1 / lambdas``, increasing: the knots on the network's accelerated-time axis.
    coefs : ndarray of shape (m, n_features)
        Lasso solution at each knot (``coefs[0] = 0``).
    end_lambda : float
        Regularisation at the end of the path (``0`` when LARS ran to completion).
    end_coef : ndarray of shape (n_features,)
        Lasso solution at ``end_lambda``: the minimum-l1 interpolator (n < d) or the least
        squares solution (n >= d) when ``end_lambda = 0``.
    n_iter : int
        LARS iterations.
    status : int
        0: the path reached ``lam = 0``; 1: it stopped earlier (``max_iter``).
    message : str
    """

    lambdas: np.ndarray
    times: np.ndarray
    coefs: np.ndarray
    end_lambda: float
    end_coef: np.ndarray
    n_iter: int
    status: int = 0
    message: str = ""

    @property
    def n_knots(self) -> int:
        """Number of knots with ``lam > 0`` (the first at ``t_1``)."""
        return int(self.lambdas.shape[0])


def lasso_path(X, y, *, max_iter: int = 500) -> LassoPath:
    """LARS-Lasso path of ``||y - X b||^2 / (2 n) + lam ||b||_1`` on the time axis ``1/lam``.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Used as given: no centring, no intercept, no normalisation (the network has none).
    max_iter : int, default 500
        Bound on LARS iterations.

    Returns
    -------
    LassoPath

    Raises
    ------
    ValueError
        If ``X``/``y`` are not finite numeric arrays of matching shapes, ``X^T y = 0`` (the
        path is empty), or ``max_iter`` is not a positive integer.
    """
    X, y = check_X_y(X, y)
    max_iter = int(check_positive(max_iter, "max_iter", integer=True))
    if not np.any(X.T @ y):
        raise ValueError("X^T y is zero: the Lasso path is empty (0 is optimal for every lam)")
    return _lars_lasso(X, y, max_iter)


def _lars_lasso(X: np.ndarray, y: np.ndarray, max_iter: int) -> LassoPath:
    from sklearn.linear_model import lars_path

    lambdas, _, coefs, n_iter = lars_path(
        X, y, method="lasso", max_iter=max_iter, return_n_iter=True
    )
    coefs = np.asarray(coefs, dtype=np.float64).T  # (m, d)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    keep = lambdas > KNOT_RTOL * lambdas[0]
    end_lambda = float(lambdas[-1]) if keep[-1] else 0.0
    done = not keep[-1] or lambdas[-1] == 0.0
    return LassoPath(
        lambdas=lambdas[keep],
        times=1.0 / lambdas[keep],
        coefs=coefs[keep],
        end_lambda=end_lambda,
        end_coef=coefs[-1].copy(),
        n_iter=int(n_iter),
        status=0 if done else 1,
        message="reached lam = 0" if done else f"stopped at lam = {end_lambda:.3g} (max_iter)",
    )


def lasso_coefficients(path: LassoPath, t) -> np.ndarray:
    """The Lasso solution at accelerated times ``t`` (``lam = 1/t``), shape ``(len(t), d)``.

    Between knots the solution is affine in ``lam`` (LARS), so it is interpolated linearly in
    ``lam``; ``t <= t_1`` gives 0 and ``t`` beyond the last knot follows the last segment to
    ``end_coef`` (reached at ``t = 1 / end_lambda``, infinite when ``end_lambda = 0``).
    """
    t = check_array(t, "t", ndim=1)
    if np.any(t < 0):
        raise ValueError(f"t must be >= 0 (accelerated times), got min {t.min()!r}")
    with np.errstate(divide="ignore"):
        lam = np.where(t > 0, 1.0 / np.where(t > 0, t, 1.0), np.inf)
    # increasing lam for np.interp: the end of the path, the knots reversed
    knots, values = path.lambdas[::-1], path.coefs[::-1]
    if path.end_lambda < path.lambdas[-1]:
        knots = np.r_[path.end_lambda, knots]
        values = np.vstack([path.end_coef, values])
    lam = np.clip(lam, path.end_lambda, path.lambdas[0])
    return np.column_stack([np.interp(lam, knots, values[:, j]) for j in range(values.shape[1])])


def to_dataset(path, *, t, coefs, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a Lasso path (:class:`dln.baselines.LassoPath`) on the time axis 1/lam.

    Parameters
    ----------
    path : dln.baselines.LassoPath
        Knots ``lam_k`` and the Lasso solutions there.
    t : array of shape (m,)
        Accelerated times at which ``coefs`` is given (``lam = 1/t``).
    coefs : array of shape (m, n_features)
        The Lasso solution at ``t`` (:func:`dln.baselines.lasso_coefficients`).
    """
    import xarray as xr

    from dln.io import feature_coords, global_attrs, var_attrs

    lambdas = np.asarray(path.lambdas, dtype=np.float64)
    knot_coefs = np.asarray(path.coefs, dtype=np.float64)
    coords = feature_coords(knot_coefs.shape[1], feature_names)
    coords["knot"] = (
        "knot",
        np.arange(lambdas.shape[0]),
        var_attrs("knot index", description="0-based"),
    )
    coords["time"] = (
        "time",
        np.asarray(t, dtype=np.float64),
        var_attrs("time t", "accelerated time"),
    )
    lam_description = "regularisation of ||y - X b||^2 / (2 n) + lam ||b||_1 (scikit-learn alpha)"
    data = {
        "knot_lambda": (("knot",), lambdas, var_attrs("Lasso knot lam_k", "1", lam_description)),
        "knot_time": (
            ("knot",),
            np.asarray(path.times, dtype=np.float64),
            var_attrs("knot time 1/lam_k", "accelerated time"),
        ),
        "knot_beta": (("knot", "feature"), knot_coefs, var_attrs("Lasso solution at the knot")),
        "beta": (
            ("time", "feature"),
            np.asarray(coefs, dtype=np.float64),
            var_attrs("Lasso solution at lam = 1/t", description="affine in lam between knots"),
        ),
        "end_beta": (
            ("feature",),
            np.asarray(path.end_coef, dtype=np.float64),
            var_attrs("Lasso solution at the end of the path", description="lam = end_lambda"),
        ),
        "end_lambda": ((), np.float64(path.end_lambda), var_attrs("lam at the end of the path")),
    }
    return xr.Dataset(
        data,
        coords=coords,
        attrs=global_attrs(
            f"Lasso path (LARS) of {problem}".strip(),
            problem=problem,
            n_knots=int(path.n_knots),
            n_iter=int(path.n_iter),
            status=int(path.status),
            message=str(path.message),
        ),
    )


def plot_lasso_path(lasso, ax, *, time_scale: str = "linear", features=None):
    """Coordinates of the Lasso solution at ``lam = 1/t`` against ``t``, knots marked.

    ``features`` selects the coloured coordinates (default: those non-zero at a knot or at
    the end); the others are drawn thin and grey. Knots are dotted vertical lines. With more
    than :data:`~dln.plotstyle.MAX_LABELLED` such features (or more than 100 features), only
    the key ones (``features`` if few enough, else :func:`~dln.plotstyle.key_features` of the
    knots) are coloured (:func:`~dln.plotstyle.key_colors`), the others drawn faint.
    """
    t = lasso["time"].values
    beta = lasso["beta"].values
    d = beta.shape[1]
    every = np.vstack([lasso["knot_beta"].values, lasso["end_beta"].values[None]])
    if features is None:
        top = float(np.abs(every).max()) or 1.0
        features = np.flatnonzero(np.any(np.abs(every) > ACTIVE_RTOL * top, axis=0))
    if len(features) > MAX_LABELLED or d > 100:
        key = [int(j) for j in features] if len(features) <= MAX_LABELLED else key_features(every)
        colors = key_colors(d, key)
        draw_others(ax, t, beta[:, np.setdiff1d(np.arange(d), key)])
        for j in key:
            ax.plot(t, beta[:, j], color=colors[j], lw=1.5, zorder=2)
        many_knots = lasso["knot_time"].size > 2 * MAX_LABELLED
        for tk in lasso["knot_time"].values:
            if t[0] <= tk <= t[-1]:
                ax.axvline(tk, color="0.6", lw=0.4 if many_knots else 0.7, ls=":", zorder=1)
        ax.axhline(0.0, color="0.8", lw=0.5, zorder=1)
        set_time_axis(ax, t, time_scale)
        ax.set_xlabel(r"$t = 1/\lambda$ (accelerated time)")
        ax.set_ylabel(r"Lasso $\hat\beta(\lambda = 1/t)$")
        return ax
    colors = feature_colors(d)
    features = set(int(j) for j in features)
    for j in range(d):
        on = j in features
        ax.plot(
            t,
            beta[:, j],
            color=colors[j] if on else INACTIVE_COLOR,
            lw=1.5 if on else 0.8,
            zorder=2,
        )
    for tk in lasso["knot_time"].values:
        if t[0] <= tk <= t[-1]:
            ax.axvline(tk, color="0.4", lw=0.7, linestyle=":", zorder=1)
    ax.axhline(0.0, color="0.8", lw=0.5, zorder=1)
    set_time_axis(ax, t, time_scale)
    ax.set_xlabel(r"$t = 1/\lambda$ (accelerated time)")
    ax.set_ylabel(r"Lasso $\hat\beta(\lambda = 1/t)$")
    return ax
