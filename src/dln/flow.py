"""Finite-alpha gradient flow of a diagonal linear network, integrated in the dual variable.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``, ``v0 = 0``), never a
regularisation strength. It is passed by its logarithm ``log_inv_alpha = Lam = log(1/alpha)`` and
never formed, so ``alpha = 1e-1000`` (``Lam = 2302.6``) or ``Lam = 1e5`` work as well as
``alpha = 1e-2``.

The flow is integrated in accelerated time ``t`` (original time ``= Lam t``) through the dual
variable ``s(t) = -int_0^t grad L(beta~(r)) dr`` (docs/theory.md)::

    ds/dt = b - G beta~(s),
    beta~_i(s) = sign(s_i) c_i^2 exp(2 Lam (|s_i| - k_i)) (1 - exp(-4 Lam |s_i|)) / 2,

with ``G = X^T X / n``, ``b = X^T y / n``, per-coordinate scales ``k_i`` (initialisation
``alpha^{k_i}``, default 1) and positive directions ``c_i`` (initialisation ``sqrt(2) alpha c_i``,
default 1). The system is stiff (Jacobian ``-G diag(dbeta~/ds)``) and is integrated with an implicit
scipy solver (Radau by default) with the analytic Jacobian. From 200 features on, Radau gets it
as a sparse matrix holding only the columns of non-negligible slope (the active coordinates), so
that its LU factorisations cost O(d k) instead of O(d^3); the right-hand side uses
``X^T (X beta) / n`` instead of ``G beta`` when ``2 n < d``.

Why the cost does not depend on alpha: in the rescaled variables ``z = 2 Lam (s - k)`` (the log of
``|beta|``) and ``tau = Lam t`` the equations ``dz/dtau = 2 (b - G e^z)`` do not contain ``Lam``
except through the initial value and the length of the plateaux, on which ``s`` moves linearly (and
linear motion is integrated exactly by any Runge-Kutta method, whatever the step). The absolute
tolerance on ``s`` is ``rtol / (2 Lam)``: an error ``e`` in ``s`` is a relative error ``2 Lam e``
in ``beta``, so the requested ``rtol`` means the same relative accuracy in ``beta`` for every
alpha, which is the absolute accuracy on ``z`` that the rescaled problem needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from dln._validation import check_array, check_loss_levels, check_positive, check_scales, check_X_y

__all__ = ["FlowResult", "FlowSolverError", "beta_from_s", "simulate_flow"]

# Cap on the exponent 2 Lam (|s| - k) + 2 log c: exp(200) ~ 7e86 keeps G @ beta and the solver's
# scaled Newton norms (which divide by atol ~ 1e-14 and square) finite. Physical states have
# |beta| = O(1); the cap is only reached by trial states of Newton iterations that then fail.
_MAX_EXPONENT = 200.0
# Relative part of the solver's tolerance on s, kept at scipy's floor (100 eps): the accuracy
# required on s is absolute (rtol / (2 Lam)), see the module docstring.
_S_RTOL = 100 * np.finfo(np.float64).eps
# log of the smallest normal float64 (2.2e-308): the weights u, v are returned only when the
# initial weights sqrt(2) alpha^{k_i} c_i are normal floats.
_LOG_TINY = math.log(np.finfo(np.float64).tiny)
# Default bound on the number of accepted solver steps (a few hundred suffice for the paper's
# problems; the bound turns a runaway integration into a clear error).
DEFAULT_MAX_STEP_COUNT = 100_000
# Largest allowed rtol: the tolerance is a relative accuracy in beta and must be < 1.
_MAX_RTOL = 0.1
# From this many features on, Radau gets the Jacobian as a sparse matrix that keeps only the
# columns of coordinates with a non-negligible slope dbeta~/ds (the active ones, a few): a dense
# d x d LU per step size change costs seconds at d = 2000, the sparse one milliseconds.
_SPARSE_JAC_MIN_FEATURES = 200
# A Jacobian column j is dropped when |G_:j| * dbeta~_j/ds is below this (in 1/time units):
# over any step h <= 1 it changes the Newton matrix I/h - J by < 1e-9 of its identity part,
# and the Jacobian only steers Newton's iteration (the collocation residual stays exact).
_JAC_DROP = 1e-9
# Implicit solvers of solve_ivp that handle this problem (scipy's BDF fails with "step size less
# than spacing" on sharp jumps at large Lam, so it is not offered).
_METHODS = ("Radau", "LSODA")


class FlowSolverError(RuntimeError):
    """The ODE solver failed to integrate the flow.

    Attributes
    ----------
    log_inv_alpha : float
        ``Lam = log(1/alpha)`` of the failed run.
    solver_message : str
        The message of :func:`scipy.integrate.solve_ivp` (or of the step limit).
    t_reached : float
        Last accelerated time the solver reached.
    """

    def __init__(self, message: str, *, log_inv_alpha: float, solver_message: str, t_reached):
        super().__init__(message)
        self.log_inv_alpha = log_inv_alpha
        self.solver_message = solver_message
        self.t_reached = t_reached


@dataclass(frozen=True)
class FlowResult:
    """Trajectory of the finite-alpha flow on an accelerated-time grid.

    Attributes
    ----------
    t : ndarray of shape (m,)
        Accelerated times (original time is ``log_inv_alpha * t``).
    beta : ndarray of shape (m, d)
        ``beta~(t) = u * v``.
    s : ndarray of shape (m, d)
        Dual variable ``s(t) = -int_0^t grad L(beta~(r)) dr``.
    loss : ndarray of shape (m,)
        ``L(beta~(t)) = ||X beta - y||^2 / (2 n)``.
    u, v : ndarray of shape (m, d) or None
        Network weights, ``None`` when the initial weights ``sqrt(2) alpha^{k_i} c_i`` are not
        normal float64 numbers (``log_inv_alpha * k_i > 708.4`` for ``c = 1``).
    log_inv_alpha : float
        ``Lam = log(1/alpha)``, alpha the initialisation scale.
    scales : ndarray of shape (d,)
        Per-coordinate scales ``k_i`` (initialisation ``alpha^{k_i}``).
    directions : ndarray of shape (d,)
        Positive initialisation directions ``c_i`` (initialisation ``sqrt(2) alpha c_i``).
    crossing_levels : ndarray of shape (q,)
        Loss levels whose first downward crossing was located.
    crossing_times : ndarray of shape (q,)
        Accelerated time of the first downward crossing of each level (``0`` if the level is
        at or above ``L(0)``, NaN if it is not reached by ``t[-1]``).
    nfev, njev, nlu : int
        Right-hand side evaluations, Jacobian evaluations and LU decompositions.
    n_steps : int
        Accepted solver steps.
    status : int
        0 on success.
    message : str
        Solver message.
    rtol : float
        Requested relative accuracy in beta.
    method : str
        Solver (``"Radau"`` or ``"LSODA"``; ``"gd"`` for :func:`dln.gd.gradient_descent`).
    """

    t: np.ndarray
    beta: np.ndarray
    s: np.ndarray
    loss: np.ndarray
    u: np.ndarray | None
    v: np.ndarray | None
    log_inv_alpha: float
    scales: np.ndarray
    crossing_levels: np.ndarray
    crossing_times: np.ndarray
    nfev: int
    njev: int
    nlu: int
    n_steps: int
    status: int
    message: str
    directions: np.ndarray | None = None
    rtol: float = float("nan")
    method: str = ""


# --------------------------------------------------------------------------- maps


def _exponent(abs_s, lam, scales, two_log_c):
    """``2 Lam (|s| - k) + 2 log c``, capped at ``_MAX_EXPONENT``."""
    e = 2.0 * lam * (abs_s - scales)
    if two_log_c is not None:
        e = e + two_log_c
    return np.minimum(e, _MAX_EXPONENT)


def _beta(s, lam, scales, two_log_c):
    """beta~(s) in log space (docs/theory.md); never forms alpha."""
    a = np.abs(s)
    return (
        np.sign(s) * np.exp(_exponent(a, lam, scales, two_log_c)) * (-np.expm1(-4.0 * lam * a)) / 2
    )


def _beta_and_slope(s, lam, scales, two_log_c):
    """beta~(s) and dbeta~/ds = Lam c^2 exp(2 Lam (|s| - k)) (1 + exp(-4 Lam |s|))."""
    a = np.abs(s)
    big = np.exp(_exponent(a, lam, scales, two_log_c))
    small = np.exp(-4.0 * lam * a)
    beta = np.sign(s) * big * (-np.expm1(-4.0 * lam * a)) / 2
    slope = lam * big * (1.0 + small)
    return beta, slope


def _weights(s, lam, scales, log_c):
    """u = sqrt2 alpha^k c cosh(Lam s), v = sqrt2 alpha^k c sinh(Lam s), in log space."""
    a = np.abs(s)
    e = 0.5 * math.log(2.0) + lam * (a - scales) + log_c
    big = np.exp(np.minimum(e, _MAX_EXPONENT))
    small = np.exp(-2.0 * lam * a)
    u = big * (1.0 + small) / 2
    v = np.sign(s) * big * (-np.expm1(-2.0 * lam * a)) / 2
    return u, v


def beta_from_s(s, log_inv_alpha, *, scales=None, log_directions=None) -> np.ndarray:
    """Map the dual variable to ``beta~`` in log space, without forming alpha.

    ``beta~_i = sign(s_i) exp(2 Lam (|s_i| - k_i) + 2 log c_i) (1 - exp(-4 Lam |s_i|)) / 2``
    (docs/theory.md), which equals ``alpha^{2 k_i} c_i^2 sinh(2 Lam s_i)``; alpha is the
    initialisation scale.

    Parameters
    ----------
    s : array_like of shape (..., d)
        Dual variable.
    log_inv_alpha : float
        ``Lam = log(1/alpha) > 0``.
    scales : array_like of shape (d,), optional
        Per-coordinate scales ``k_i > 0`` (initialisation ``alpha^{k_i}``); default 1.
    log_directions : array_like of shape (d,), optional
        ``log c_i`` for an initialisation ``sqrt(2) alpha c_i``; default 0.

    Returns
    -------
    beta : ndarray of the shape of ``s``
        The exponent is capped at 200 (``|beta| <= 7e86``) so that the result stays finite.
    """
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    s_arr = np.asarray(s, dtype=np.float64)
    if s_arr.ndim == 0:
        s_arr = s_arr.reshape(1)
    if s_arr.size == 0:
        raise ValueError(f"s must not be empty, got shape {s_arr.shape}")
    if not np.all(np.isfinite(s_arr)):
        raise ValueError("s contains non-finite value(s) (NaN or inf)")
    d = s_arr.shape[-1]
    k = check_scales(scales, d)
    two_log_c = None
    if log_directions is not None:
        two_log_c = 2.0 * check_array(np.reshape(log_directions, -1), "log_directions", ndim=1)
        if two_log_c.shape != (d,):
            raise ValueError(f"log_directions must have shape ({d},), got {two_log_c.shape}")
    beta = _beta(s_arr, lam, k, two_log_c)
    return beta.reshape(np.shape(s)) if np.ndim(s) == 0 else beta


# --------------------------------------------------------------------------- solver


class _Problem:
    """Right-hand side, Jacobian and loss of ds/dt = b - G beta~(s) for one data set."""

    def __init__(self, X, y, lam, scales, two_log_c, sparse_jac=False):
        n, d = X.shape
        self.X = X
        self.y = y
        self.n = n
        self.lam = lam
        self.scales = scales
        self.two_log_c = two_log_c
        self.G = X.T @ X / n
        self.b = X.T @ y / n
        # With n << d, X^T (X beta) costs 2 n d instead of d^2.
        self.use_x_products = 2 * n < d
        self.sparse_jac = sparse_jac
        self._col_max = np.max(np.abs(self.G), axis=0)
        self._loss_cache_t = None
        self._loss_cache_s = None
        self._loss_cache_value = None

    def rhs(self, t, s):
        beta = _beta(s, self.lam, self.scales, self.two_log_c)
        if self.use_x_products:
            return self.b - self.X.T @ (self.X @ beta) / self.n
        return self.b - self.G @ beta

    def jac(self, t, s):
        _, slope = _beta_and_slope(s, self.lam, self.scales, self.two_log_c)
        if not self.sparse_jac:
            return -self.G * slope[np.newaxis, :]
        d = slope.size
        keep = np.flatnonzero(slope * self._col_max > _JAC_DROP)
        data = (-self.G[:, keep] * slope[keep]).ravel(order="F")
        counts = np.zeros(d, dtype=np.int64)
        counts[keep] = d
        indptr = np.concatenate([[0], np.cumsum(counts)])
        indices = np.tile(np.arange(d), keep.size)
        return sp.csc_matrix((data, indices, indptr), shape=(d, d))

    def loss_of_beta(self, beta):
        r = beta @ self.X.T - self.y
        return np.sum(r * r, axis=-1) / (2 * self.n)

    def loss(self, t, s):
        # The level events all evaluate the loss at the same (t, s): compute it once.
        if (
            self._loss_cache_t == t
            and self._loss_cache_s is not None
            and np.array_equal(self._loss_cache_s, s)
        ):
            return self._loss_cache_value
        value = float(self.loss_of_beta(_beta(s, self.lam, self.scales, self.two_log_c)))
        self._loss_cache_t = t
        self._loss_cache_s = np.array(s, copy=True)
        self._loss_cache_value = value
        return value


class _LevelEvent:
    """solve_ivp event: L(beta~(s)) - level, triggered on downward crossings."""

    terminal = False
    direction = -1.0

    def __init__(self, problem: _Problem, level: float):
        self.problem = problem
        self.level = level

    def __call__(self, t, s):
        return self.problem.loss(t, s) - self.level


class _StepCounter:
    """solve_ivp event called once at t0 and once after every accepted step.

    It counts the steps and becomes a terminal event when the count exceeds ``max_steps``
    (solve_ivp has no step limit of its own): from then on it is ``t_stop - t`` with ``t_stop``
    inside the last step, so that solve_ivp's root finding stops the integration there.
    """

    terminal = True
    direction = 0.0

    def __init__(self, max_steps: int):
        self.max_steps = max_steps
        self.calls = 0
        self.t_prev = 0.0
        self.t_stop = None

    @property
    def tripped(self) -> bool:
        return self.t_stop is not None

    @property
    def n_steps(self) -> int:
        return max(self.calls - 1, 0)

    def __call__(self, t, s):
        if self.t_stop is not None:
            return self.t_stop - t
        if self.calls > self.max_steps:  # this call follows step max_steps + 1
            self.t_stop = 0.5 * (self.t_prev + t)
            return self.t_stop - t
        self.calls += 1
        self.t_prev = t
        return 1.0


def simulate_flow(
    X,
    y,
    *,
    log_inv_alpha: float,
    t,
    scales=None,
    directions=None,
    rtol: float = 1e-8,
    loss_levels=None,
    method: str = "Radau",
    max_step_count: int = DEFAULT_MAX_STEP_COUNT,
) -> FlowResult:
    """Integrate the finite-alpha gradient flow of ``beta = u * v`` in accelerated time.

    Solves ``ds/dt = b - G beta~(s)``, ``s(0) = 0`` (docs/theory.md) with an implicit stiff
    solver and the analytic Jacobian ``-G diag(dbeta~/ds)``; ``beta~`` is evaluated in log space,
    so alpha (the initialisation scale) is never formed.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Design matrix.
    y : array_like of shape (n,)
        Targets.
    log_inv_alpha : float
        ``Lam = log(1/alpha) > 0``; alpha is the initialisation scale.
    t : array_like of shape (m,)
        Strictly increasing accelerated times, ``t[0] >= 0``, where the trajectory is returned.
    scales : array_like of shape (d,), optional
        Per-coordinate scales ``k_i > 0``: coordinate ``i`` starts at ``alpha^{k_i}``
        (Section 3.3 of the paper); the limit then minimises ``sum k_i |beta_i|``.
    directions : array_like of shape (d,), optional
        Positive ``c_i``: initialisation ``u0 = sqrt(2) alpha c_i`` (adds ``2 log c_i`` to the
        exponent of ``beta~``).
    rtol : float, default 1e-8
        Relative accuracy in beta (per coordinate); the absolute tolerance on ``s`` is
        ``rtol / (2 Lam)``. Must be in ``[2 Lam max(k) 100 eps, 0.1]``: float64 resolves ``s``
        only to ~``100 eps`` relative (``4.4e-9`` at ``Lam = 1e5``).
    loss_levels : array_like of shape (q,), optional
        Loss values whose first downward crossing times are located with solve_ivp events (the
        jump times are measured where the loss crosses the midpoint of two plateau losses).
    method : {"Radau", "LSODA"}
        Implicit solver of :func:`scipy.integrate.solve_ivp` (LSODA switches to a non-stiff
        method where it can and is often several times faster in wall time).
    max_step_count : int
        Maximum number of accepted steps before :class:`FlowSolverError` is raised.

    Returns
    -------
    FlowResult

    Raises
    ------
    ValueError
        On a bad argument (named in the message).
    FlowSolverError
        When the solver fails or exceeds ``max_step_count``.
    """
    X, y = check_X_y(X, y)
    n, d = X.shape
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    t = check_array(t, "t", ndim=1)
    if t[0] < 0:
        raise ValueError(f"t must start at t[0] >= 0, got t[0] = {t[0]!r}")
    if t.size > 1 and np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing")
    k = check_scales(scales, d)
    c = check_scales(directions, d, name="directions")
    log_c = np.log(c)
    two_log_c = None if directions is None else 2.0 * log_c
    rtol = float(check_positive(rtol, "rtol"))
    if rtol > _MAX_RTOL:
        raise ValueError(f"rtol must be <= {_MAX_RTOL} (a relative accuracy in beta), got {rtol!r}")
    # s is resolved to the solver's relative floor _S_RTOL near |s| ~ k, a relative error of
    # 2 Lam k _S_RTOL in beta: a smaller rtol cannot be delivered in float64.
    rtol_floor = 2.0 * lam * float(np.max(k)) * _S_RTOL
    if rtol < rtol_floor:
        raise ValueError(
            f"rtol={rtol!r} is below the relative accuracy in beta that float64 can deliver at "
            f"log_inv_alpha={lam!r}: 2 * log_inv_alpha * max(scales) * 100 * eps = "
            f"{rtol_floor:.3g}"
        )
    levels = check_loss_levels(loss_levels)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    check_positive(max_step_count, "max_step_count", integer=True)

    return _integrate(X, y, lam, t, k, c, log_c, two_log_c, rtol, levels, method, max_step_count)


def _integrate(X, y, lam, t, k, c, log_c, two_log_c, rtol, levels, method, max_step_count):
    n, d = X.shape
    sparse_jac = method == "Radau" and d >= _SPARSE_JAC_MIN_FEATURES
    problem = _Problem(X, y, lam, k, two_log_c, sparse_jac=sparse_jac)
    loss0 = float(problem.loss_of_beta(np.zeros(d)))
    crossing_times = np.full(levels.shape, np.nan)
    crossing_times[levels >= loss0] = 0.0
    pending = np.flatnonzero(levels < loss0)

    counter = _StepCounter(max_step_count)
    events = [_LevelEvent(problem, float(levels[i])) for i in pending] + [counter]
    atol = rtol / (2.0 * lam)

    if t[-1] > 0:
        # Newton trial states far from the solution may still overflow inside the solver's
        # norms; the solver rejects them (and reports a failure through its status).
        with np.errstate(over="ignore", invalid="ignore"):
            sol = solve_ivp(
                problem.rhs,
                (0.0, float(t[-1])),
                np.zeros(d),
                method=method,
                t_eval=t,
                events=events,
                jac=problem.jac,
                rtol=_S_RTOL,
                atol=atol,
            )
        if sol.status == -1 or counter.tripped:
            reason = (
                f"exceeded max_step_count={max_step_count} accepted steps"
                if counter.tripped
                else sol.message
            )
            t_reached = float(counter.t_prev)  # time of the last accepted step
            raise FlowSolverError(
                f"{method} failed to integrate the flow with log_inv_alpha={lam!r} "
                f"(rtol={rtol!r}) at t={t_reached:.6g} of {float(t[-1])!r} after "
                f"{counter.n_steps} steps: {reason}",
                log_inv_alpha=lam,
                solver_message=reason,
                t_reached=t_reached,
            )
        s_grid = sol.y.T
        if s_grid.shape != (t.size, d):  # pragma: no cover - solve_ivp contract
            raise FlowSolverError(
                f"solver returned {s_grid.shape[0]} of {t.size} requested times "
                f"(log_inv_alpha={lam!r}): {sol.message}",
                log_inv_alpha=lam,
                solver_message=sol.message,
                t_reached=float(sol.t[-1]) if sol.t.size else 0.0,
            )
        for j, i in enumerate(pending):
            if sol.t_events[j].size:
                crossing_times[i] = float(sol.t_events[j][0])
        nfev, njev, nlu = int(sol.nfev), int(sol.njev), int(sol.nlu)
        status, message = int(sol.status), str(sol.message)
    else:  # t == [0]: nothing to integrate
        s_grid = np.zeros((1, d))
        nfev = njev = nlu = 0
        status, message = 0, "no integration needed (t = [0])"

    beta = _beta(s_grid, lam, k, two_log_c)
    loss = problem.loss_of_beta(beta)
    representable = bool(np.all(0.5 * math.log(2.0) - lam * k + log_c >= _LOG_TINY))
    if representable:
        u, v = _weights(s_grid, lam, k, log_c)
    else:
        u = v = None
    return FlowResult(
        t=t.copy(),
        beta=beta,
        s=s_grid,
        loss=loss,
        u=u,
        v=v,
        log_inv_alpha=lam,
        scales=k,
        crossing_levels=levels.copy(),
        crossing_times=crossing_times,
        nfev=nfev,
        njev=njev,
        nlu=nlu,
        n_steps=counter.n_steps,
        status=status,
        message=message,
        directions=c,
        rtol=rtol,
        method=method,
    )
