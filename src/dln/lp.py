"""Minimum-l1 reference solution by linear programming (scipy's HiGHS).

This is the independent check of Algorithm 1's endpoint: the last saddle is the
(weighted) minimum-l1-norm minimiser of the loss (docs/theory.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import linprog

from dln._validation import check_scales, check_X_y

__all__ = ["L1Result", "min_l1_solution"]

# Relative threshold below which an LP coordinate is a structural zero (HiGHS works to
# feasibility tolerances of 1e-7 on the scaled problem, far above this).
SUPPORT_RTOL = 1e-9
# Relative residual a polished (re-solved on the LP support) solution may have and still be
# accepted as feasible; otherwise the raw LP solution is returned.
POLISH_RTOL = 1e-8


@dataclass(frozen=True)
class L1Result:
    """Solution of the (weighted) minimum-l1 problem.

    Attributes
    ----------
    beta : ndarray of shape (n_features,)
        ``argmin sum_i w_i |beta_i|`` over the minimisers of ``||X beta - y||^2``.
    objective : float
        ``sum_i w_i |beta_i|``.
    status : int
        ``scipy.optimize.linprog`` status (0: optimal).
    message : str
        Solver message.
    polished : bool
        Whether ``beta`` was re-solved by least squares on the LP's support.
    """

    beta: np.ndarray
    objective: float
    status: int
    message: str
    polished: bool


def min_l1_solution(X, y, *, weights=None) -> L1Result:
    """Minimum weighted-l1-norm minimiser of ``||X beta - y||^2`` by linear programming.

    Solves ``min sum_i w_i |beta_i|  s.t.  X beta = y_hat`` with ``y_hat`` the projection of
    ``y`` on the range of ``X`` (``y_hat = y`` when ``n_samples < n_features`` and ``X`` has full
    row rank: basis pursuit), as the LP ``beta = p - q``, ``p, q >= 0``, with scipy's HiGHS. The
    LP's vertex solution is then polished: the values on its support are re-solved by least
    squares, which removes the solver's feasibility tolerance from the comparison.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    weights : array_like of shape (n_features,) or float, optional
        Positive weights ``w_i`` (the scales ``k_i`` of Algorithm 1). Default all ones.

    Returns
    -------
    L1Result

    Raises
    ------
    ValueError
        Bad arguments.
    RuntimeError
        The LP solver did not report an optimal solution.
    """
    X, y = check_X_y(X, y)
    n, d = X.shape
    w = check_scales(weights, d, name="weights")
    beta_ls, _, rank, _ = sla.lstsq(X, y, check_finite=False)
    y_hat = y if rank == n else X @ beta_ls
    # Scale to O(1) so that HiGHS's absolute tolerances are meaningful.
    x_scale = float(np.max(np.abs(X))) or 1.0
    y_scale = float(np.max(np.abs(y_hat)))
    if y_scale == 0.0:
        return L1Result(np.zeros(d), 0.0, 0, "y_hat = 0: beta = 0", False)
    A = X / x_scale
    res = linprog(
        c=np.concatenate([w, w]),
        A_eq=np.hstack([A, -A]),
        b_eq=y_hat / y_scale,
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"basis-pursuit LP failed (status {res.status}): {res.message}")
    beta = (res.x[:d] - res.x[d:]) * (y_scale / x_scale)
    polished = False
    support = np.flatnonzero(np.abs(beta) > SUPPORT_RTOL * np.max(np.abs(beta)))
    if support.size:
        sol, _, _, _ = sla.lstsq(X[:, support], y_hat, check_finite=False)
        candidate = np.zeros(d)
        candidate[support] = sol
        resid = np.linalg.norm(X @ candidate - y_hat)
        same_signs = np.all(np.sign(sol) == np.sign(beta[support]))
        if same_signs and resid <= POLISH_RTOL * np.linalg.norm(y_hat):
            beta, polished = candidate, True
    return L1Result(beta, float(np.sum(w * np.abs(beta))), int(res.status), res.message, polished)
