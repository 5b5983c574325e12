"""Orthogonal matching pursuit (scikit-learn ``orthogonal_mp``), the greedy selector whose
steps are least-squares fits too, as a path beside the Lasso's (:mod:`dln.baselines.lasso`).

Pure numerics: arrays in, a frozen dataclass out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from dln._validation import check_positive, check_X_y
from dln.activation import ACTIVE_RTOL

__all__ = ["OMP_RESIDUAL_RTOL", "OMPPath", "omp_path"]

# OMP stops when the squared residual falls below (this * ||y||)^2: interpolation up to the
# rounding of a least-squares solve with condition numbers up to ~1e5 (as Algorithm 1).
OMP_RESIDUAL_RTOL = 1e-11


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
