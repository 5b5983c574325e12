"""Where (S)GD ends: the hyperbolic-entropy (mirror) problem with the run's effective scales.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``), passed by
``log_inv_alpha = Lam = log(1/alpha)`` and never formed.

One (S)GD step multiplies the initialisation scale of coordinate ``i`` by ``sqrt(1 - gamma^2
g_i^2)`` (:mod:`dln.gd`): after the run, coordinate ``i`` behaves as if it had started from

    alpha_inf,i = alpha^{k_i} exp(-Gain_i / 2) = alpha^{kappa_i},
    kappa_i = k_i + Gain_i / (2 Lam)                              (the effective scales),

and, because ``S = sum_j artanh(gamma g_j) = gamma sum_j g_j + O(gamma^3 sum g_j^3)`` lies in the
row space of ``X`` up to the cubic term, an end point that interpolates solves (docs/theory.md)

    beta_pred = argmin_{X beta = y} sum_i psi_{alpha_inf,i}(beta_i),
    psi_a(b) = (b arcsinh(b / a^2) - sqrt(b^2 + a^4) + a^2) / 2,

the hyperbolic entropy (the Bregman divergence from the initialisation ``beta = 0``). As
``alpha -> 0`` with ``kappa`` fixed, ``psi / Lam -> kappa_i |beta_i|``: ``beta_pred`` tends to
the weighted minimum-l1 solution with weights ``kappa_i = 1 + Gain_i / (2 Lam)`` (unit scales),
which the weighted LP (:func:`dln.lp.min_l1_solution`) and Algorithm 1 with ``scales=kappa``
(:func:`dln.saddles.saddle_jumps`) both give.

When ``n_samples >= n_features`` (or ``X`` is rank deficient) ``X beta = y`` is replaced by
``X beta = y_hat``, ``y_hat`` the projection of ``y`` on the range of ``X``: the minimisers of
the loss. With full column rank that set is one point and every prediction is the least-squares
solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from dln._validation import check_array, check_positive, check_scales, check_X_y
from dln.lp import L1Result, min_l1_solution

__all__ = [
    "MirrorResult",
    "effective_scales",
    "hyperbolic_entropy",
    "mirror_prediction",
    "relative_distance",
    "weighted_l1_prediction",
]

# Singular values of X below this fraction of the largest are treated as zero (rank).
RANK_RTOL = 1e-12
# The mirror problem is solved when ||X beta - y_hat|| <= RESIDUAL_RTOL ||y_hat||: a relative
# accuracy in beta of the same order on the support (the dual Hessian is X diag(2|beta|) X^T).
RESIDUAL_RTOL = 1e-10
# Cap on the exponents of the dual objective: exp(600) is finite and a trial point that needs
# more is rejected by the trust region (its objective is +inf).
_MAX_EXPONENT = 600.0
# Iteration cap of the trust-region solver (a few tens suffice from Algorithm 1's certificate).
MAX_ITERATIONS = 500
# Newton steps that polish the trust region's result (each halved until the residual drops).
MAX_NEWTON_STEPS = 50


@dataclass(frozen=True)
class MirrorResult:
    """Solution of the hyperbolic-entropy problem ``min sum_i psi_{alpha^kappa_i}(beta_i)``.

    Attributes
    ----------
    beta : ndarray of shape (n_features,)
        The prediction ``beta_pred``.
    kappa : ndarray of shape (n_features,)
        Effective scales: coordinate ``i`` starts from ``alpha^{kappa_i}``.
    log_inv_alpha : float
        ``Lam = log(1/alpha)``.
    s : ndarray of shape (n_features,)
        Dual variable ``(1/Lam) d psi / d beta = arcsinh(beta / alpha^{2 kappa}) / (2 Lam)``,
        in the row space of ``X`` (the analogue of Algorithm 1's final ``s``: ``|s_i| <~ kappa_i``).
    objective : float
        ``sum_i psi_i(beta_i) / Lam`` (tends to ``sum_i kappa_i |beta_i|`` as alpha -> 0).
    residual : float
        ``||X beta - y_hat|| / ||y_hat||``.
    n_iterations : int
        Iterations of the trust-region solver (0 when the constraints fix ``beta``).
    status : int
        0 on success.
    message : str
    """

    beta: np.ndarray
    kappa: np.ndarray
    log_inv_alpha: float
    s: np.ndarray
    objective: float
    residual: float
    n_iterations: int
    status: int
    message: str


def effective_scales(gain, log_inv_alpha: float, *, scales=None) -> np.ndarray:
    """``kappa_i = k_i + Gain_i / (2 Lam)``: the run ends as if it started at ``alpha^kappa_i``.

    Parameters
    ----------
    gain : array_like of shape (n_features,) or (m, n_features)
        ``Gain`` of a :class:`dln.gd.GDResult` (its last row, or every row).
    log_inv_alpha : float
        ``Lam = log(1/alpha) > 0``, alpha the initialisation scale.
    scales : array_like of shape (n_features,), optional
        Initial scales ``k_i`` of the run (default 1).
    """
    gain = np.asarray(gain, dtype=np.float64)
    if gain.ndim not in (1, 2) or gain.size == 0:
        raise ValueError(f"gain must be a non-empty 1-D or 2-D array, got shape {gain.shape}")
    if not np.all(np.isfinite(gain)):
        raise ValueError("gain contains non-finite value(s)")
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    k = check_scales(scales, gain.shape[-1])
    return k + gain / (2.0 * lam)


def _check_kappa(kappa, d):
    kappa = check_scales(kappa, d, name="effective scales (kappa)")
    return kappa


def hyperbolic_entropy(beta, log_inv_alpha: float, *, kappa=None) -> float:
    """``sum_i psi_{alpha^kappa_i}(beta_i) / Lam``, evaluated in log space for any alpha.

    ``psi_a(b) = (b arcsinh(b/a^2) - sqrt(b^2 + a^4) + a^2) / 2`` with ``a^2 = exp(-2 Lam
    kappa_i)``; divided by ``Lam`` it tends to ``sum_i kappa_i |beta_i|`` as alpha -> 0.
    """
    beta = check_array(beta, "beta", ndim=1)
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    kappa = _check_kappa(kappa, beta.size)
    return float(np.sum(_psi(beta, lam, kappa))) / lam


def _psi(beta, lam, kappa):
    a = np.abs(beta)
    log_a2 = -2.0 * lam * kappa  # log(alpha_i^2)
    # arcsinh(|b| / a^2) = log(|b| + sqrt(b^2 + a^4)) - log a^2, with sqrt(b^2 + a^4) = a^2 h
    # where h = sqrt(1 + (b/a^2)^2); in log space: r = log|b| - log a^2.
    with np.errstate(divide="ignore", over="ignore"):
        r = np.log(a) - log_a2
    small = r < 0  # |b| < a^2: the formula with a^2 itself is accurate
    out = np.zeros_like(a)
    big = ~small & (a > 0)
    rb = r[big]
    # arcsinh(e^r) = r + log(1 + sqrt(1 + e^{-2r})); sqrt(b^2 + a^4) - a^2 = |b| (sqrt(1 + e^{-2r})
    # - e^{-r})
    em = np.exp(-rb)
    root = np.sqrt(1.0 + em * em)
    out[big] = 0.5 * (a[big] * (rb + np.log1p(root)) - a[big] * (root - em))
    small &= a > 0
    if np.any(small):  # psi = a^2 F(x) / 2 with x = |b| / a^2 < 1 (a^2 may underflow: psi ~ 0)
        x = np.exp(r[small])
        F = x * np.arcsinh(x) - np.sqrt(1.0 + x * x) + 1.0
        out[small] = 0.5 * np.exp(log_a2[small]) * F
    return out


def _range_system(X, y):
    """``A`` (r, d) with orthonormal rows spanning the row space of X, and ``c`` with
    ``{beta : A beta = c}`` the minimisers of ``||X beta - y||``."""
    U, sv, Vt = sla.svd(X, full_matrices=False, check_finite=False)
    r = int(np.sum(sv > RANK_RTOL * sv[0])) if sv.size and sv[0] > 0 else 0
    A = Vt[:r]
    c = (U[:, :r].T @ y) / sv[:r]
    return A, c, U[:, :r] * sv[:r]


def _beta_of_z(z, lam, kappa):
    """``beta = alpha^{2 kappa} sinh(2 z)`` and ``d beta / d z``, in log space."""
    a = np.abs(z)
    e = np.minimum(2.0 * a - 2.0 * lam * kappa, _MAX_EXPONENT)
    big = np.exp(e)
    small = np.exp(-4.0 * a)
    beta = np.sign(z) * big * (-np.expm1(-4.0 * a)) / 2
    return beta, big * (1.0 + small)


def _conjugate(z, lam, kappa):
    """``psi*(z) = alpha^{2 kappa} sinh(z)^2`` (the conjugate of psi at z), in log space."""
    a = np.abs(z)
    e = np.minimum(a - lam * kappa, _MAX_EXPONENT / 2)
    h = np.exp(e) * (-np.expm1(-2.0 * a)) / 2
    return h * h


def mirror_prediction(
    X, y, *, log_inv_alpha: float, gain=None, scales=None, kappa=None
) -> MirrorResult:
    """The end point predicted for a run with the given ``Gain``: ``argmin sum_i psi_i(beta_i)``.

    Solves ``min_{X beta = y_hat} sum_i psi_{alpha_inf,i}(beta_i)`` with ``alpha_inf,i =
    alpha^{k_i} exp(-Gain_i / 2) = alpha^{kappa_i}`` (alpha the initialisation scale; see the
    module docstring) through its smooth convex dual in ``mu`` (``r = rank X`` unknowns)::

        min_mu  sum_i psi*_i(Lam (A^T mu)_i) / Lam - mu . c,   beta_i = alpha_i^2 sinh(2 z_i),

    with ``A`` an orthonormal basis of the row space of ``X`` and ``{A beta = c}`` the
    minimisers of the loss, by scipy's ``trust-exact`` with the analytic gradient ``A beta - c``
    and Hessian ``Lam A diag(d beta / dz) A^T``, started from Algorithm 1's certificate for the
    weights ``kappa`` (the alpha -> 0 limit), everything in log space so that any alpha works.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    log_inv_alpha : float
        ``Lam = log(1/alpha) > 0``.
    gain : array_like of shape (n_features,), optional
        The run's final ``Gain`` (:attr:`dln.gd.GDResult.gain` ``[-1]``). Default 0 (the
        gradient flow's end point).
    scales : array_like of shape (n_features,), optional
        The run's initial scales ``k_i`` (default 1).
    kappa : array_like of shape (n_features,), optional
        Effective scales given directly (instead of ``gain`` and ``scales``).

    Returns
    -------
    MirrorResult

    Raises
    ------
    ValueError
        Bad arguments.
    RuntimeError
        The solver did not reach ``RESIDUAL_RTOL``.
    """
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n, d = X.shape
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    if kappa is not None:
        if gain is not None or scales is not None:
            raise ValueError("give either kappa or (gain, scales), not both")
        kappa = _check_kappa(kappa, d)
    else:
        g = np.zeros(d) if gain is None else check_array(gain, "gain", ndim=1)
        if g.shape != (d,):
            raise ValueError(f"gain must have shape ({d},), got {g.shape}")
        kappa = _check_kappa(effective_scales(g, lam, scales=scales), d)
    A, c, _ = _range_system(X, y)
    r = A.shape[0]
    c_norm = float(np.linalg.norm(c))
    if r == 0 or c_norm == 0.0:
        zero = np.zeros(d)
        return MirrorResult(zero, kappa, lam, zero.copy(), 0.0, 0.0, 0, 0, "y_hat = 0: beta = 0")
    if r == d:  # full column rank: the constraints fix beta
        beta = A.T @ c
        s = _s_of_beta(beta, lam, kappa)
        return MirrorResult(
            beta,
            kappa,
            lam,
            s,
            float(np.sum(_psi(beta, lam, kappa))) / lam,
            0.0,
            0,
            0,
            "full column rank: beta is the least-squares solution",
        )

    def fun(mu):
        z = lam * (A.T @ mu)
        beta, _ = _beta_of_z(z, lam, kappa)
        value = float(np.sum(_conjugate(z, lam, kappa))) / lam - float(mu @ c)
        return value, A @ beta - c

    def hess(mu):
        z = lam * (A.T @ mu)
        _, slope = _beta_of_z(z, lam, kappa)
        return lam * (A * slope) @ A.T

    # Start from Algorithm 1's certificate with scales kappa: s_p = X^T rho, |s_p| <= kappa.
    limit = saddle_jumps(X, y, scales=kappa)
    mu0 = A @ limit.s[-1]
    gtol = RESIDUAL_RTOL * c_norm
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        res = minimize(
            fun,
            mu0,
            jac=True,
            hess=hess,
            method="trust-exact",
            options={"gtol": gtol, "maxiter": MAX_ITERATIONS},
        )
    # The objective's rounding (eps |psi*|) can stop the trust region before the gradient
    # reaches gtol: finish with Newton steps on the gradient A beta - c, halved until its norm
    # decreases (quadratic convergence near the solution).
    mu = res.x
    n_newton = 0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        grad = fun(mu)[1]
        gnorm = float(np.linalg.norm(grad))
        while gnorm > gtol and n_newton < MAX_NEWTON_STEPS:
            n_newton += 1
            step = sla.lstsq(hess(mu), grad, check_finite=False)[0]
            for _ in range(60):
                trial = mu - step
                g_trial = fun(trial)[1]
                g_norm_trial = float(np.linalg.norm(g_trial))
                if g_norm_trial < gnorm:
                    break
                step = step / 2
            else:
                break
            mu, grad, gnorm = trial, g_trial, g_norm_trial
    z = lam * (A.T @ mu)
    beta, _ = _beta_of_z(z, lam, kappa)
    residual = float(np.linalg.norm(A @ beta - c)) / c_norm
    if not residual <= 10 * RESIDUAL_RTOL:
        raise RuntimeError(
            f"mirror problem not solved: relative residual {residual:.3g} after {res.nit} "
            f"iterations ({res.message})"
        )
    return MirrorResult(
        beta=beta,
        kappa=kappa,
        log_inv_alpha=lam,
        s=z / lam,
        objective=float(np.sum(_psi(beta, lam, kappa))) / lam,
        residual=residual,
        n_iterations=int(res.nit) + n_newton,
        status=0,
        message=str(res.message),
    )


def _s_of_beta(beta, lam, kappa):
    """``arcsinh(beta / alpha^{2 kappa}) / (2 Lam)`` in log space."""
    a = np.abs(beta)
    with np.errstate(divide="ignore"):
        r = np.log(a) + 2.0 * lam * kappa
    out = np.where(
        r > 0,
        r + np.log1p(np.sqrt(1.0 + np.exp(-2.0 * np.maximum(r, 0)))),
        np.arcsinh(np.exp(np.minimum(r, 0))),
    )
    return np.sign(beta) * out / (2.0 * lam)


def weighted_l1_prediction(X, y, *, log_inv_alpha: float, gain, scales=None) -> L1Result:
    """The small-alpha limit of :func:`mirror_prediction`: the weighted minimum-l1 solution.

    ``argmin sum_i kappa_i |beta_i|`` over the minimisers of the loss, with weights ``kappa_i =
    k_i + Gain_i / (2 log(1/alpha))`` (:func:`effective_scales`), by the weighted LP of
    :func:`dln.lp.min_l1_solution`. Algorithm 1 with ``scales=kappa`` ends at the same point
    (:func:`dln.saddles.saddle_jumps`). ``alpha`` is the initialisation scale.
    """
    X, y = check_X_y(X, y)
    g = check_array(gain, "gain", ndim=1)
    if g.shape != (X.shape[1],):
        raise ValueError(f"gain must have shape ({X.shape[1]},), got {g.shape}")
    kappa = effective_scales(g, log_inv_alpha, scales=scales)
    return min_l1_solution(X, y, weights=kappa)


def relative_distance(beta, reference) -> float:
    """``||beta - reference||_2 / ||reference||_2`` (``||beta||_2`` when the reference is 0)."""
    beta = check_array(beta, "beta", ndim=1)
    reference = check_array(reference, "reference", ndim=1)
    if beta.shape != reference.shape:
        raise ValueError(f"beta {beta.shape} and reference {reference.shape} differ in shape")
    denom = float(np.linalg.norm(reference))
    diff = float(np.linalg.norm(beta - reference))
    return diff / denom if denom > 0 else diff
