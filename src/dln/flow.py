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
scipy solver with the analytic Jacobian: by default (``method="auto"``) LSODA in the row-space
form below and Radau otherwise (``_resolve_method``).

Two forms of the same flow. ``s(0) = 0`` and ``ds/dt = X^T (y - X beta~) / n`` lie in the row space
of ``X``, so ``s(t) = X^T mu(t)`` exactly, with ``dmu/dt = (y - X beta~(X^T mu)) / n`` (scales and
directions included). When ``d > n`` (and ``d >= 200``; below that the s form is as fast) the
flow is integrated in ``mu``: n unknowns, an n x n Jacobian ``-X diag(dbeta~/ds) X^T / n`` built
from the columns of non-negligible slope, and ``G`` (d x d) never formed, so a step costs
O(n d) instead of the O(d^3) of a dense d x d LU (benchmarks/bench_flow_scale.py); a full
right-hand side multiplies ``X`` by beta~ only over the columns whose beta~ is not negligible
(``_RowProblem._product``), and one a Newton correction away from the last full one updates only
the columns whose beta~ can move beyond rounding (``_RowProblem._rhs_near``). Otherwise it
is integrated in ``s`` (from 200 features on Radau then gets the Jacobian as a sparse matrix of
the active columns). The tolerance on ``mu`` is translated so that each coordinate of ``s``,
hence of ``beta``, is held to the same accuracy (``_row_space_atol``, with a margin per solver;
tests/unit/test_flow_forms.py compares the two forms).

The solver is stepped here rather than through ``solve_ivp``: the requested times are read off
the solver's interpolants and the first downward crossing of each loss level is located by
``brentq`` on them, as ``solve_ivp``'s events would, but all levels share one loss evaluation
per step (batched) instead of one Python event call per level and step; in the row-space form
even that evaluation is skipped when rigorous bounds on the step's end loss (from the last
right-hand side, ``_RowProblem.loss_bounds``) leave no pending level undecided, which is every
step but those ending within rounding of a level, and ``brentq``'s points near one already
evaluated in full (the step's last right-hand side among them) are updated from it as Newton
iterates are (``_RowLossAlong``). If the solver fails
(other than by exceeding ``max_step_count``), the other implicit solver is tried once.

Why the cost does not depend on alpha: in the rescaled variables ``z = 2 Lam (s - k)`` (the log of
``|beta|``) and ``tau = Lam t`` the equations ``dz/dtau = 2 (b - G e^z)`` do not contain ``Lam``
except through the initial value and the length of the plateaux, on which ``s`` moves linearly (and
linear motion is integrated exactly by any Runge-Kutta method, whatever the step). The absolute
tolerance on ``s`` is ``rtol / (2 Lam)``: an error ``e`` in ``s`` is a relative error ``2 Lam e``
in ``beta``, so the requested ``rtol`` means the same relative accuracy in ``beta`` for every
alpha, which is the absolute accuracy on ``z`` that the rescaled problem needs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

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
# Root finding of the loss crossings on a step's interpolant to 4 eps, as solve_ivp's events.
# (A Python float: the bounds' scalar arithmetic with it is ~4 times faster than with float64.)
_EPS = float(np.finfo(np.float64).eps)
# Chebyshev points of the first kind on [-1, 1]: 13 points hold a polynomial of degree <= 12 (the
# interpolants of Radau and LSODA) exactly. Their Vandermonde matrix V_ik = T_k(x_i) has
# orthogonal columns (V^T V = diag(13, 13/2, ...)), so its inverse is a scaled transpose.
# (_chebyshev_points builds them for any number of points.)
_CHEB_POINTS = 13
# Entries per block of rows when beta~ and the weights are computed on the output (_by_rows).
_BLOCK_ENTRIES = 32768
# Steps whose end-of-step losses are evaluated together when locating the loss crossings.
_LOSS_BATCH = 32
# From this many features on, Radau gets the Jacobian as a sparse matrix that keeps only the
# columns of coordinates with a non-negligible slope dbeta~/ds (the active ones, a few): a dense
# d x d LU per step size change costs seconds at d = 2000, the sparse one milliseconds.
_SPARSE_JAC_MIN_FEATURES = 200
# A Jacobian column j is dropped when |G_:j| * dbeta~_j/ds is below this (in 1/time units):
# over any step h <= 1 it changes the Newton matrix I/h - J by < 1e-9 of its identity part,
# and the Jacobian only steers Newton's iteration (the collocation residual stays exact).
_JAC_DROP = 1e-9
# The row-space right-hand side is updated from the last full one (_RowProblem._rhs_near) when
# no s_j can have moved by more than this over 2 Lam (beta~ by a factor 1 + 1e-6 at most).
_NEAR_SHIFT = 1e-6
# The row-space right-hand side multiplies X by beta~ over a gathered set of columns, leaving
# out those whose ||x_j|| |beta~_j| sum to at most eps times the scale of the residual
# (_RowProblem._product). A new set leaves out at most 1/_GATHER_MARGIN of that budget, so that it
# serves until the left-out beta~ have grown that much (2 Lam |s_j| by log 4 = 1.4; measured on
# the 100 x 2000 benchmark: 18 sets in 2692 steps, where a margin of 1024 kept so many columns
# that the product was taken over all of them), and is gathered only while it is at most
# _GATHER_MAX_FRACTION of the columns (beyond that it saves little: 1600 of 2000 columns took
# 17 us against 19 us for all) and every column is multiplied from then on.
_GATHER_MARGIN = 4.0
_GATHER_MAX_FRACTION = 0.75
# Implicit solvers of solve_ivp that handle this problem (scipy's BDF fails with "step size less
# than spacing" on sharp jumps at large Lam, so it is not offered).
_METHODS = ("Radau", "LSODA")
# method="auto" (the default) resolves to one of _METHODS by the form, see _resolve_method.
_AUTO = "auto"
# The row-space form is used from this many features on (when d > n), see _use_row_space.
_ROW_SPACE_MIN_FEATURES = 200
# Safety factor on the tolerance of the row-space form, per solver, see _row_space_atol
# (measured: LSODA's global error per unit of tolerance is ~50 times Radau's).
_ROW_SPACE_ATOL_MARGIN = {"Radau": 0.5, "LSODA": 0.005}
# When one of them fails (not by exceeding max_step_count), the other is tried once.
_FALLBACK = {"Radau": "LSODA", "LSODA": "Radau"}


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
        Solver actually used (``"Radau"`` or ``"LSODA"``, never ``"auto"``, which names one of
        them; ``"gd"`` for :func:`dln.gd.gradient_descent`).
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


# A row of _MAX_EXPONENT values, grown as needed (read only): numpy's minimum of an array with
# a scalar does not use its vectorized loop, with an array of the same length it does (2000
# entries: 1.5 us against 0.6 us, a tenth of beta~'s cost), and the results are the same.
_CAPS = [np.full(0, _MAX_EXPONENT)]


def _cap(e):
    """``np.minimum(e, _MAX_EXPONENT)`` in place (e of any shape)."""
    if e.ndim == 0:
        return np.minimum(e, _MAX_EXPONENT, out=e)
    m = e.shape[-1]
    caps = _CAPS[0]
    if caps.size < m:
        caps = np.full(max(m, 2 * caps.size), _MAX_EXPONENT)
        caps.flags.writeable = False
        _CAPS[0] = caps
    return np.minimum(e, caps[:m], out=e)


def _exponent(abs_s, lam, scales, two_log_c):
    """``2 Lam (|s| - k) + 2 log c``, capped at ``_MAX_EXPONENT``."""
    e = 2.0 * lam * (abs_s - scales)
    if two_log_c is not None:
        e = e + two_log_c
    return _cap(e)


def _beta(s, lam, scales, two_log_c, out=None):
    """beta~(s) in log space (docs/theory.md); never forms alpha.

    ``sign(s) exp(2 Lam (|s| - k) + 2 log c) (1 - exp(-4 Lam |s|)) / 2``, computed in place in
    two buffers (the result in ``out`` if given): it is half of the cost of the flow's
    right-hand side when d >> n.
    """
    a = np.abs(s)
    e = np.subtract(a, scales, out=out)
    e *= 2.0 * lam
    if two_log_c is not None:
        e += two_log_c
    _cap(e)
    np.exp(e, out=e)
    a *= -4.0 * lam
    np.expm1(a, out=a)
    e *= a
    e *= -0.5
    return np.copysign(e, s, out=e)


def _beta_and_slope(s, lam, scales, two_log_c):
    """beta~(s) and dbeta~/ds = Lam c^2 exp(2 Lam (|s| - k)) (1 + exp(-4 Lam |s|))."""
    a = np.abs(s)
    big = np.exp(_exponent(a, lam, scales, two_log_c))
    small = np.exp(-4.0 * lam * a)
    beta = np.sign(s) * big * (-np.expm1(-4.0 * lam * a)) / 2
    slope = lam * big * (1.0 + small)
    return beta, slope


def _weights(s, lam, scales, log_c, out=(None, None)):
    """u = sqrt2 alpha^k c cosh(Lam s), v = sqrt2 alpha^k c sinh(Lam s), in log space.

    With ``m = expm1(-2 Lam |s|)``: ``u = big (2 + m) / 2`` and ``v = -sign(s) big m / 2``, where
    ``big = sqrt2 alpha^k c exp(Lam |s|)``; two exponentials per entry, in place (the results in
    ``out`` if given).
    """
    a = np.abs(s)
    big = a - scales
    big *= lam
    big += 0.5 * math.log(2.0) + log_c
    _cap(big)
    np.exp(big, out=big)
    a *= -2.0 * lam
    m = np.expm1(a, out=a)
    u = np.add(m, 2.0, out=out[0])
    u *= big
    u *= 0.5
    v = m if out[1] is None else out[1]
    np.multiply(m, big, out=v)
    v *= -0.5
    return u, np.copysign(v, s, out=v)


def _by_rows(fn, s, *args, outputs=1):
    """``fn(s, *args, out=...)`` on blocks of rows of ``s`` (m, d) into new (m, d) arrays.

    Element-wise, so the values are those of one call on all of ``s``; the blocks (~256 kB
    each) keep the temporaries and the passes of each block in cache and leave no temporary of
    the size of ``s`` to allocate (the flow's output on 1001 times x 2000 features is 16 MB an
    array).
    """
    out = tuple(np.empty(s.shape) for _ in range(outputs))
    rows = max(1, _BLOCK_ENTRIES // max(1, s.shape[-1]))
    for i in range(0, s.shape[0], rows):
        block = tuple(o[i : i + rows] for o in out)
        fn(s[i : i + rows], *args, out=block[0] if outputs == 1 else block)
    return out[0] if outputs == 1 else out


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
    """Right-hand side, Jacobian and loss of ds/dt = b - G beta~(s) (the dual form).

    The state is ``s`` itself (d unknowns); used when ``n_samples >= n_features``.
    """

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

    def s_of(self, state):
        """The dual variable of a state (or of a stack of states, shape (m, d))."""
        return state

    def rhs(self, t, s):
        beta = _beta(s, self.lam, self.scales, self.two_log_c)
        if self.use_x_products:
            return self.b - self.X.T @ (self.X @ beta) / self.n
        return self.b - self.G @ beta

    def jac(self, t, s):
        _, slope = _beta_and_slope(s, self.lam, self.scales, self.two_log_c)
        if not self.sparse_jac:
            return -self.G * slope[np.newaxis, :]
        import scipy.sparse as sp  # here, not at the top: see _march_steps

        d = slope.size
        keep = np.flatnonzero(slope * self._col_max > _JAC_DROP)
        data = (-self.G[:, keep] * slope[keep]).ravel(order="F")
        counts = np.zeros(d, dtype=np.int64)
        counts[keep] = d
        indptr = np.concatenate([[0], np.cumsum(counts)])
        indices = np.tile(np.arange(d), keep.size)
        return sp.csc_matrix((data, indices, indptr), shape=(d, d))

    def loss_bounds(self, state):
        """Bounds on the loss at ``state`` without evaluating it; None: not available here."""
        return None

    def s_coefficients(self, interpolant, t_old, t_new):
        """Chebyshev coefficients (13, d) of ``s`` along a step's interpolant (see _crossing)."""
        return _chebyshev_coefficients(self, interpolant, t_old, t_new)

    def step_base(self):
        """What :meth:`loss_along` may start from at the end of the step just taken (see the
        row form)."""
        return None

    def loss_along(self, interpolant, t_old, t_new, bases=()):
        """The loss along a step's interpolant as a function of ``x`` in [-1, 1] (the time
        ``(t_new + t_old) / 2 + x (t_new - t_old) / 2``), for _crossing: ``s`` is the polynomial
        of its Chebyshev coefficients (one product with ``X`` for all of them), so each
        evaluation computes the polynomial, beta~ and the loss instead of multiplying by ``X``
        twice."""
        coef = self.s_coefficients(interpolant, t_old, t_new)
        points = coef.shape[0]

        def loss(x):
            s = _chebyshev_basis(x, points) @ coef
            return float(self.loss_of_beta(_beta(s, self.lam, self.scales, self.two_log_c)))

        return loss

    def loss_of_beta(self, beta):
        r = beta @ self.X.T - self.y
        return np.sum(r * r, axis=-1) / (2 * self.n)

    def loss(self, t, s):
        return float(self.loss_of_beta(_beta(s, self.lam, self.scales, self.two_log_c)))


class _FullRhs(NamedTuple):
    """A right-hand side of the row-space form evaluated in full, kept for the next ones."""

    mu: np.ndarray  # the state (a copy: the solver reuses its array)
    beta: np.ndarray  # beta~(s), every coordinate
    f: np.ndarray  # the right-hand side
    s: np.ndarray  # X^T mu
    p: np.ndarray  # X beta~, as _RowProblem._product gives it (f = (y - p) / n)


class _ProductColumns(NamedTuple):
    """The columns over which _RowProblem._product multiplies X by beta~, gathered."""

    keep: np.ndarray | None  # their indices; None: every column (X itself)
    X: np.ndarray  # X[:, keep]


class _NearColumns(NamedTuple):
    """The columns that _RowProblem._rhs_near (or _RowLossAlong) updates, gathered, and the sum
    that bounds the rest with the row of ||x_j||^2 they leave out."""

    keep: np.ndarray  # their indices
    X: np.ndarray  # X[:, keep]
    scales: np.ndarray  # scales[keep]
    two_log_c: np.ndarray | None  # 2 log c[keep]
    a_left_out: float  # sum over the columns left out of ||x_j||^2 a_j


class _RowProblem(_Problem):
    """The same flow in the row space of X: s = X^T mu, dmu/dt = (y - X beta~(X^T mu)) / n.

    ``s(0) = 0`` and ``ds/dt = X^T (y - X beta~) / n`` stay in the row space of ``X``, so
    ``s(t) = X^T mu(t)`` exactly (docs/theory.md), with n unknowns instead of d. The Jacobian
    ``-X diag(dbeta~/ds) X^T / n`` is a dense n x n matrix built from the columns of
    non-negligible slope only; ``G`` (d x d) is never formed. The right-hand side is ``-1/n``
    times the residual.
    """

    def __init__(self, X, y, lam, scales, two_log_c):
        n, d = X.shape
        self.X = X
        self.y = y
        self.n = n
        self.lam = lam
        self.scales = scales
        self.two_log_c = two_log_c
        self._col_sq = np.einsum("ij,ij->j", X, X) / n  # ||x_j||^2 / n = G_jj
        # For loss_bounds: the column norms ||x_j|| and ||x_j||^2 (stacked, one product with
        # |beta| gives both sums), the sums over j of ||x_j|| a_j and ||x_j||^2 a_j with
        # a_j = c_j^2 exp(-2 Lam k_j) (beta~_j = a_j sinh(2 Lam s_j)), and the constants of the
        # rounding bound.
        col_norm = np.sqrt(self._col_sq * n)
        self._norm_rows = np.stack([col_norm, col_norm * col_norm])
        # One product of |beta~| with these rows gives sum_j ||x_j|| |beta~_j|,
        # sum_j ||x_j||^2 |beta~_j|, the latter over the columns _rhs_near leaves out and the
        # former over the columns _product leaves out (_beta_sums): the last two rows are 0 on
        # the gathered columns, and a new array whenever a set is gathered. No set yet: _product
        # leaves out every column (X beta~ = 0 at mu = 0).
        self._rows = np.concatenate([self._norm_rows, self._norm_rows[::-1]])
        self._product_columns = _ProductColumns(np.arange(0), X[:, :0])
        a = np.exp(-2.0 * lam * scales + (0.0 if two_log_c is None else two_log_c))
        a_sums = self._norm_rows @ a + d * np.finfo(np.float64).tiny * (1.0 + col_norm.max())
        self._a_sums = tuple(a_sums.tolist())  # Python floats, as _EPS
        self._x_max = float(col_norm.max())
        self._x_min = float(col_norm[col_norm > 0].min()) if np.any(col_norm > 0) else 1.0
        self._y_norm = float(np.linalg.norm(y))
        # Largest |exponent| 2 Lam (|s| - k) + 2 log c of an uncapped beta~: its rounding is a
        # relative error of about eps times it in beta~.
        max_log_c = 0.0 if two_log_c is None else float(np.max(np.abs(two_log_c)))
        exp_max = 2.0 * lam * float(np.max(scales)) + max_log_c + _MAX_EXPONENT
        eps = _EPS
        # Rounding of the residual at a state of norm m: s_j = x_j^T mu to gamma_n ||x_j|| m,
        # times 2 Lam in beta~, plus the exponent's eta, all relative to |beta~_j| + a_j; the
        # sums over the d columns (and y - X beta, / n) to gamma_d.
        self._shift_per_norm = 2.0 * lam * n * eps / (1.0 - n * eps) * self._x_max
        self._eta = 3.0 * eps * exp_max + 10.0 * eps
        self._gamma_d = (d + 1) * eps / (1.0 - (d + 1) * eps) + 4.0 * eps
        self._sigma = 2.0 * (n + 6) * eps  # relative rounding of a norm of n terms
        self._a = a
        self._near_columns = None  # _NearColumns: the columns _rhs_near updates
        self._last = None  # _FullRhs: the last right-hand side evaluated in full
        self._sums_last = None  # _beta_sums of it (and the rows they were computed with)
        self._last_t = None  # its time
        # The near updates, the loss bounds and the fewer Chebyshev points pay off when a full
        # right-hand side is costly, as in the row-space form chosen by default (d >= 200);
        # forced on smaller problems, the form evaluates everything in full, as it did before.
        self._fast = d >= _ROW_SPACE_MIN_FEATURES

    def s_of(self, state):
        return state @ self.X

    def rhs(self, t, mu):
        if not self._fast:
            beta = _beta(mu @ self.X, self.lam, self.scales, self.two_log_c)
            return (self.y - self.X @ beta) / self.n
        # LSODA's Newton iterates of a step are at the time of its first (predicted) state.
        if t == self._last_t and self._last is not None:
            f = self._rhs_near(mu, self._last)
            if f is not None:
                return f
        s = mu @ self.X
        beta = _beta(s, self.lam, self.scales, self.two_log_c)
        p, self._sums_last = self._product(beta)
        f = (self.y - p) / self.n
        # The solver reuses its state array: keep a copy. s, beta and f are not touched again.
        self._last = _FullRhs(mu.copy(), beta, f, s, p)
        self._last_t = t
        return f

    def _product(self, beta):
        """``X beta~`` up to rounding, over the gathered columns whose beta~ is not negligible,
        and the sums of :meth:`_sums_of` for ``beta``.

        The columns ``j`` left out move the residual ``r = y - X beta~`` by at most
        ``sum_j ||x_j|| |beta~_j|`` (in norm), which is computed here (one product with the
        rows of :meth:`_sums_of`, whose other sums are returned) and held to ``eps (||y|| +
        sum_j ||x_j|| |beta~_j|)``: ``eps`` times the scale of ``r``, below the rounding of the
        full product itself (up to ``d eps`` times that scale), so the solver sees the same
        right-hand side up to rounding. At alpha = 1e-10 a third to 60% of the columns are kept
        (784 to 1368 of 2000 on the benchmark: beta~_j = a_j sinh(2 Lam s_j) with a_j ~ 1e-20
        is below eps only while |s_j| < ~0.1), fewer at smaller alpha. The gathered set serves
        while the check holds (it changes only as coordinates grow); when it fails,
        :meth:`_gather_product_columns` gathers a new one. An overflow or a NaN (a Newton trial
        state) is multiplied in full, as before.
        """
        rows = self._rows
        g1, g2, near_left_out, left_out = (rows @ np.abs(beta)).tolist()
        sums = (rows, g1, g2, near_left_out)
        if not g1 < math.inf:
            return self.X @ beta, sums
        cols = self._product_columns
        if not left_out <= self._r_budget(g1):
            cols = self._gather_product_columns(beta, g1)
        if cols.keep is None:
            return self.X @ beta, sums
        return cols.X @ beta[cols.keep], sums

    def _gather_product_columns(self, beta, g1):
        """A new set for :meth:`_product`: the columns of smallest ``||x_j|| |beta~_j|`` are left
        out as long as their sum is at most ``1 / _GATHER_MARGIN`` of the budget, so that the set
        serves until they have grown that much; every column (no copy) when more than
        ``_GATHER_MAX_FRACTION`` of them remain."""
        weights = np.abs(beta)
        weights *= self._norm_rows[0]
        order = np.argsort(weights)
        budget = self._r_budget(g1) / _GATHER_MARGIN
        left_out = int(np.searchsorted(np.cumsum(weights[order]), budget, side="right"))
        d = beta.size
        rows = self._rows.copy()
        if d - left_out > _GATHER_MAX_FRACTION * d:
            cols = _ProductColumns(None, self.X)
            rows[3] = 0.0
        else:
            keep = np.sort(order[left_out:])
            cols = _ProductColumns(keep, self.X[:, keep])
            rows[3] = self._norm_rows[0]
            rows[3, keep] = 0.0
        self._rows = rows
        self._product_columns = cols
        return cols

    def _rhs_near(self, mu, last):
        """The right-hand side at ``mu`` from the last one evaluated in full (``last``, at
        ``mu_c``), when ``mu`` is that close to it (a Newton iterate of the same step); ``None``
        otherwise.

        Only the columns whose ``beta~_j`` can move by more than rounding are updated:
        ``f = f_c - X_K (beta~_K(s_K) - beta~_K(s_c,K)) / n`` with
        ``s_K = s_c,K + X_K^T (mu - mu_c)``.
        Column j moves ``s_j`` by at most ``||x_j|| dn`` (``dn = ||mu - mu_c||``), so
        ``beta~_j`` by at most ``2 Lam (|beta~_j| + a_j) e ||x_j|| dn`` (slope bound of
        loss_bounds, ``e = exp(2 Lam max ||x_j|| dn)``, a factor 2 for the rounding of
        ``beta~_j``), and ``r`` by ``||x_j||`` times that: the columns left out move ``r`` by at
        most ``2 (2 Lam) e dn`` times the sum of their ``w_j = ||x_j||^2 (|beta~_j| + a_j)``,
        held to ``eps (||y|| + sum_j ||x_j|| |beta~_j|)``: ``eps`` times the scale of ``r``,
        below the rounding of the product ``X beta~`` itself (up to ``d eps`` times that scale).
        Worth it only when few columns move (``K`` at most ``d / 4``); the solver then sees the
        same right-hand side up to rounding.
        """
        diff = mu - last.mu
        dn = math.sqrt(diff @ diff)
        if not self._near_enough(dn):
            return None
        cols = self._columns_near(last.beta, dn)
        if cols is None:
            return None
        f = self._near_change(diff, last.s, last.beta, cols)
        f /= -self.n
        f += last.f
        return f

    def _near_change(self, diff, s_c, beta_c, cols):
        """``X_K (beta~_K(s_c,K + X_K^T diff) - beta~_c,K)`` over the columns ``cols``: the change
        of ``X beta~`` from a full evaluation (``s_c``, ``beta~_c``) when the state moves by
        ``diff``, up to rounding if ``cols`` holds the columns that can move beyond it."""
        keep, XK = cols.keep, cols.X
        beta = _beta(s_c[keep] + diff @ XK, self.lam, cols.scales, cols.two_log_c)
        beta -= beta_c[keep]
        return XK @ beta

    def _r_budget(self, norms):
        """``eps (||y|| + norms)`` with ``norms = sum_j ||x_j|| |beta~_j|``: ``eps`` times the
        scale of the residual ``r = y - X beta~``, what the columns left out of a product may
        move it by (below the rounding of the full product)."""
        return _EPS * (self._y_norm + norms)

    def _near_enough(self, dn):
        """Is a state ``dn`` away from a full evaluation near enough to be updated from it (no
        ``s_j`` moved by more than ``_NEAR_SHIFT / (2 Lam)``)? False for NaN."""
        return dn * 2.0 * self.lam * self._x_max <= _NEAR_SHIFT

    def _near_serves(self, w_left_out, shift, norms):
        """Do columns left out with ``sum_j w_j = w_left_out`` move ``r`` by at most the budget
        ``eps (||y|| + norms)`` for a move of ``dn`` (``shift = _near_shift(dn)``)?"""
        return w_left_out * shift <= self._r_budget(norms)

    def _near_shift(self, dn):
        """``2 (2 Lam) e dn``: the left-out columns move ``r`` by at most this times the sum of
        their ``w_j`` (see :meth:`_rhs_near`)."""
        lam2 = 2.0 * self.lam
        return 2.0 * lam2 * math.exp(dn * lam2 * self._x_max) * max(dn, _EPS * _EPS)

    def _near_keep(self, beta_c, shift, norms):
        """The columns that can move ``r`` beyond a quarter of the budget ``eps (||y|| +
        norms) / shift`` on their own share (``1 / (4 d)`` of it), so that the rest move it by
        at most a quarter of the budget; None when more than ``d / 4`` of them."""
        d = beta_c.size
        weights = np.abs(beta_c)
        weights *= self._norm_rows[1]
        weights += self._a * self._norm_rows[1]
        budget = self._r_budget(norms) / shift
        keep = np.flatnonzero(weights > budget / (4 * d))
        return None if keep.size > d // 4 else keep

    def _gather_near(self, keep):
        """:class:`_NearColumns` for ``keep`` and the row of ``||x_j||^2`` left out of it."""
        left = self._norm_rows[1].copy()
        left[keep] = 0.0
        two_log_c = None if self.two_log_c is None else self.two_log_c[keep]
        a_left_out = float(left @ self._a) + left.size * np.finfo(np.float64).tiny
        cols = _NearColumns(keep, self.X[:, keep], self.scales[keep], two_log_c, a_left_out)
        return cols, left

    def _columns_near(self, beta_c, dn):
        """The columns ``K`` that :meth:`_rhs_near` updates, gathered; None: too many.

        The columns left out may move ``r`` by ``2 (2 Lam) e dn`` times the sum of their
        ``w_j`` at most. The set gathered last time serves while that stays within the budget
        (it changes only as coordinates activate): :meth:`_beta_sums` gives the scale of ``r``
        and the sum of the ``w_j`` left out. A new set leaves out a quarter of it.
        """
        shift = self._near_shift(dn)
        norms, _, left_out = self._beta_sums()
        if not norms < math.inf:  # an overflow (or NaN) at mu_c: evaluate in full
            return None
        cols = self._near_columns
        if cols is not None and self._near_serves(left_out + cols.a_left_out, shift, norms):
            return cols
        keep = self._near_keep(beta_c, shift, norms)
        if keep is None:
            return None
        cols, left = self._gather_near(keep)
        rows = self._rows.copy()
        rows[2] = left  # ||x_j||^2 of the columns left out
        self._rows = rows
        self._near_columns = cols
        return cols

    def mu_coefficients(self, interpolant, t_old, t_new):
        """Chebyshev coefficients (points, n) of ``mu`` along a step's interpolant.

        LSODA's interpolant is the polynomial of its Nordsieck array ``yh`` (n x (q + 1), q the
        order, at most 12), so q + 1 Chebyshev points hold it exactly (5 or 6 in most steps,
        instead of 13); 13 for any other interpolant.
        """
        yh = getattr(interpolant, "yh", None)  # scipy's LSODA dense output (not public API)
        points = _CHEB_POINTS
        if isinstance(yh, np.ndarray) and yh.ndim == 2 and yh.shape[0] == self.n:
            points = min(max(yh.shape[1], 2), _CHEB_POINTS)
        nodes, inverse = _chebyshev_points(points)
        taus = (t_new + t_old) / 2 + (t_new - t_old) / 2 * nodes
        return inverse @ interpolant(taus).T

    def step_base(self):
        """After a step, the last right-hand side evaluated in full (at the step's end up to a
        Newton correction: a step's first evaluation, at a new time, is in full) and the columns
        :meth:`_rhs_near` updates with the row of ``||x_j||^2`` they leave out; None below 200
        features. The crossings of a step start from those of the step and of the one before
        (its beginning), kept with the step when they are located later, so that they do not
        depend on when they are located."""
        if not self._fast or self._last is None:
            return None
        return _StepBase(self._last, self._near_columns, self._rows[2])

    def loss_along(self, interpolant, t_old, t_new, bases=()):
        """The loss along a step's interpolant (see :class:`_RowLossAlong`), which may start
        from ``bases`` (:meth:`step_base` of the step before and of this one); below 200
        features from the Chebyshev coefficients of ``s``, as the s form."""
        if not self._fast:
            return super().loss_along(interpolant, t_old, t_new)
        return _RowLossAlong(self, self.mu_coefficients(interpolant, t_old, t_new), bases)

    def _sums_of(self, beta, cached=None):
        """``(rows, sum_j ||x_j|| |beta~_j|, sum_j ||x_j||^2 |beta~_j|, the latter over the
        columns that :meth:`_rhs_near` leaves out)``: one product of ``|beta~|`` with the stacked
        norms, or ``cached`` when it was made with the current rows (no set gathered since)."""
        rows = self._rows
        if cached is None or cached[0] is not rows:
            cached = (rows, *(rows @ np.abs(beta)).tolist()[:3])
        return cached

    def _beta_sums(self):
        """The sums of :meth:`_sums_of` at the last full evaluation (made by :meth:`_product`),
        shared by :meth:`_rhs_near` and :meth:`loss_bounds`."""
        self._sums_last = self._sums_of(self._last.beta, self._sums_last)
        return self._sums_last[1:]

    def loss_bounds(self, mu):
        """Bounds ``(lo, hi)`` on the loss at ``mu`` as ``loss_of_beta(_beta(s_of(mu)))`` gives it.

        From the last right-hand side evaluated in full (not by :meth:`_rhs_near`), at ``mu_c``
        (in the step that ends at ``mu``, usually its predicted state): ``r = y - X beta~`` there
        is ``n`` times that right-hand side, and from ``mu_c`` to ``mu`` each ``s_j`` moves by at
        most ``||x_j|| dn`` (``dn = ||mu - mu_c||``) while the slope
        ``dbeta~_j/ds = 2 Lam a_j cosh(2 Lam s_j) <= 2 Lam (|beta~_j| + a_j)`` grows by at most
        ``exp(2 Lam ||x_j|| dn)``, so ``r`` moves by at most
        ``E = 2 Lam dn exp(2 Lam max_j ||x_j|| dn) sum_j ||x_j||^2 (|beta~_j| + a_j)``. Rounding
        (of the right-hand side at ``mu_c`` and of the loss at ``mu``) is bounded too:
        ``s_j = x_j^T mu`` to ``n eps ||x_j|| ||mu||``, amplified ``2 Lam`` times in beta~, the
        exponent to ``3 eps`` times its size, the sums over ``d`` columns to ``(d + 1) eps``
        times the sum of magnitudes (with factors of 2 for safety everywhere), and the columns
        that :meth:`_product` left out at ``mu_c`` to ``eps (||y|| + sum_j ||x_j||
        |beta~_j|)``. ``None`` when the bound is not available or not small (no right-hand side
        yet, a capped exponent).
        """
        if self._last is None or not self._fast:
            return None
        mu_c, f_c = self._last.mu, self._last.f
        lam2, x_max = 2.0 * self.lam, self._x_max
        diff = mu - mu_c
        dn = math.sqrt(diff @ diff)
        g1, g2, _ = self._beta_sums()
        if not (g1 <= self._x_min * 1e60 and lam2 * x_max * dn <= 1.0):
            return None  # an exponent near the cap, a NaN, or mu_c not close to mu
        grow = math.exp(lam2 * x_max * dn)
        b1_c = 2.0 * g1 + self._a_sums[0]  # >= sum_j ||x_j|| (|beta~_j| + a_j) at mu_c
        b1 = 2.0 * grow * b1_c  # the same at mu
        m_c = math.sqrt(mu_c @ mu_c)
        shift_c = self._shift_per_norm * m_c
        shift = self._shift_per_norm * (m_c + dn)
        err = 2.0 * (
            (shift_c * math.exp(shift_c) + self._eta) * b1_c
            + (shift * math.exp(shift) + self._eta) * b1
            + self._gamma_d * (2.0 * self._y_norm + b1_c + b1)
        ) + lam2 * dn * grow * (2.0 * g2 + self._a_sums[1])
        err += self._r_budget(g1)  # the columns _product left out at mu_c
        if not err < 1e-3 * (self._y_norm + b1):
            return None
        n, sigma = self.n, self._sigma
        r_c = n * math.sqrt(f_c @ f_c)
        lo = max(r_c * (1.0 - sigma) - err, 0.0)
        hi = r_c * (1.0 + sigma) + err
        return lo * lo * (1.0 - sigma) / (2 * n), hi * hi * (1.0 + sigma) / (2 * n)

    def jac(self, t, mu):
        last = self._last
        # LSODA asks for the Jacobian at the state of its last full right-hand side: reuse its s.
        s = last.s if last is not None and np.array_equal(last.mu, mu) else mu @ self.X
        _, slope = _beta_and_slope(s, self.lam, self.scales, self.two_log_c)
        keep = np.flatnonzero(slope * self._col_sq > _JAC_DROP)
        XA = self.X[:, keep]
        if not self._fast:
            return (XA * (-slope[keep] / self.n)) @ XA.T
        # -A A^T with A = X_keep diag(sqrt(slope / n)): numpy computes a product of a matrix with
        # its own transpose as a symmetric rank-k update (half the multiplications of
        # X_keep diag(slope / n) X_keep^T; 193 us against 264 us at 100 x 566 on the benchmark),
        # and the result is exactly symmetric. The Jacobian differs by rounding only.
        XA *= np.sqrt(slope[keep] / self.n)
        J = XA @ XA.T
        J *= -1.0
        return J

    def loss(self, t, mu):
        return super().loss(t, self.s_of(mu))


class _StepBase(NamedTuple):
    """What the crossings of a step start from (_RowProblem.step_base)."""

    rhs: _FullRhs  # the last right-hand side evaluated in full
    near: _NearColumns | None  # the columns _rhs_near updates
    left: np.ndarray  # ||x_j||^2 on the columns it leaves out


class _LossBase(NamedTuple):
    """A point of a step evaluated in full, the base of :class:`_RowLossAlong`'s near ones."""

    mu: np.ndarray  # the state
    s: np.ndarray  # X^T mu
    beta: np.ndarray  # beta~(s)
    abs_beta: np.ndarray  # |beta~|
    r: np.ndarray  # X beta~ - y
    norms: float  # sum_j ||x_j|| |beta~_j|
    left_out: dict  # id of a _NearColumns: sum over the columns it leaves out of w_j


class _RowLossAlong:
    """The loss along a step's interpolant in the row-space form, for ``brentq``: at ``x`` in
    [-1, 1] the state is ``mu(x) = sum_k coef_k T_k(x)``.

    A point is evaluated in full (``s = X^T mu``, beta~, ``r = X beta~ - y``, the loss) unless
    it is near a point already evaluated in full, as a Newton iterate is near a step's first
    state: then ``r`` is updated from that base (the nearest) on the columns whose beta~ can
    move beyond rounding, with the bound and the budget (``eps`` times the scale of ``r``) of
    :meth:`_RowProblem._rhs_near`. The first bases are the last full right-hand sides of the
    step and of the one before, at its ends up to Newton corrections, with the columns the
    solver updated from them; a set of columns serves any base and point for which the check
    of :meth:`_RowProblem._columns_near` holds, and a new one is gathered otherwise. ``brentq``
    evaluates the ends of the step, then points converging to the crossing, which from the
    fourth or fifth on are that near the previous one: on the 100 x 2000 benchmark ~2.2
    evaluations in full and ~4.3 near ones per crossing (~0.1 gathers), where the Chebyshev
    coefficients of ``s`` cost one product of ``X`` with 5-6 rows and then ~9 evaluations
    without the product (~330 us a crossing against ~580 us). Each value is the loss of the
    interpolant up to rounding and depends on the step alone (the bases and columns are the
    step's, not those the solver holds when the crossing is located), so that a crossing is
    located the same whether its step was decided from bounds or evaluated. (Leaving out of
    every evaluation the columns whose beta~ stays below rounding over the whole step, bounded
    from the coefficients of ``s``, would keep 1500 to 1650 of the 2000 columns at alpha =
    1e-10: little to gain.)
    """

    def __init__(self, problem, coef, bases=()):
        self.problem = problem
        self.coef = coef
        self.points = coef.shape[0]
        self._bases = []
        self._sets = []  # (_NearColumns, ||x_j||^2 on the columns it leaves out)
        for base in bases:  # _StepBase at the ends of the step (up to Newton corrections)
            if base is not None:
                rhs = base.rhs
                self._add_base(rhs.mu, rhs.s, rhs.beta, rhs.p - problem.y)
                if base.near is not None and not any(base.near is c for c, _ in self._sets):
                    self._sets.append((base.near, base.left))

    def _add_base(self, mu, s, beta, r):
        abs_beta = np.abs(beta)
        norms = float(self.problem._norm_rows[0] @ abs_beta)
        self._bases.append(_LossBase(mu, s, beta, abs_beta, r, norms, {}))

    def __call__(self, x):
        p = self.problem
        mu = _chebyshev_basis(x, self.points) @ self.coef
        r = self._near(mu) if self._bases else None
        if r is None:
            s = mu @ p.X
            beta = _beta(s, p.lam, p.scales, p.two_log_c)
            r = beta @ p.X.T - p.y
            self._add_base(mu, s, beta, r)
        return float(np.sum(r * r, axis=-1) / (2 * p.n))

    def _near(self, mu):
        """``r`` at ``mu`` updated from the nearest base, or None (evaluate in full)."""
        p = self.problem
        best = None
        for base in self._bases:
            diff = mu - base.mu
            dn = math.sqrt(diff @ diff)
            if best is None or dn < best[0]:
                best = (dn, diff, base)
        dn, diff, base = best
        if not (p._near_enough(dn) and base.norms < math.inf):
            return None
        shift = p._near_shift(dn)
        for cols, left in reversed(self._sets):
            left_out = base.left_out.get(id(cols))
            if left_out is None:
                left_out = float(left @ base.abs_beta) + cols.a_left_out
                base.left_out[id(cols)] = left_out
            if p._near_serves(left_out, shift, base.norms):
                break
        else:
            keep = p._near_keep(base.beta, shift, base.norms)
            if keep is None:
                return None
            cols, left = p._gather_near(keep)
            self._sets.append((cols, left))
        r = p._near_change(diff, base.s, base.beta, cols)
        r += base.r
        return r


def _use_row_space(n_samples: int, n_features: int) -> bool:
    """Integrate in mu (n unknowns) rather than s (d unknowns)?

    When d > n and d >= ``_ROW_SPACE_MIN_FEATURES``: below that the s form is as fast or faster
    (its steps are cheap and it takes fewer of them), measured with both solvers on random
    problems from 5 x 7 to 60 x 200 (benchmarks/bench_flow_scale.py times the paper's).
    """
    return n_features > n_samples and n_features >= _ROW_SPACE_MIN_FEATURES


def _resolve_method(method: str, n_samples: int, n_features: int) -> str:
    """The solver that ``method`` names: ``"auto"`` is LSODA in the row-space form, else Radau.

    In the row-space form (n unknowns, a step costs two products with ``X``) LSODA, with the
    tighter tolerance of ``_ROW_SPACE_ATOL_MARGIN``, is as accurate per coordinate of beta as
    Radau and 2-3 times faster: it needs ~2 right-hand sides per step where Radau's Newton
    iterations need ~7 (benchmarks/bench_flow_scale.py). Everywhere else (d <= n or d < 200,
    all the paper's problems) Radau stays the default, unchanged.
    """
    if method != _AUTO:
        return method
    return "LSODA" if _use_row_space(n_samples, n_features) else "Radau"


def _row_space_atol(X, atol_s, method):
    """Absolute tolerance on mu that means what ``atol_s`` means on s, for ``method``.

    An error ``e`` in mu moves ``s_i`` by ``x_i^T e``, at most ``||x_i||`` times the error. The
    solvers hold the root mean square of the scaled error to 1, so with
    ``atol_mu = atol_s / max_i ||x_i||`` an error spread over the n components of mu moves each
    ``s_i`` by about ``atol_s``, as the s form allows for each of its d components (in the worst
    case, all of the error along ``x_i``, by ``sqrt(n) atol_s``, against ``sqrt(d) atol_s`` in
    the s form). ``_ROW_SPACE_ATOL_MARGIN[method]`` scales it so that the global error, which is
    what the user gets, is about ``rtol`` in every coordinate of beta: Radau's error estimate is
    pessimistic and 0.5 suffices; LSODA's global error per unit of tolerance is ~50 times larger
    (its error is largest around the first jump, reached with low orders after a method switch),
    so it gets 0.005. Measured at rtol 1e-8 on 48 random problems (24 sparse and dense designs,
    n x d from 100 x 200 to 50 x 2000, with and without scales and directions, at alpha 1e-10
    and 1e-100) against references solved at ~3e-12 to 5e-11: the largest error of
    ``2 Lam s`` over all coordinates and 200 times was 0.61e-8 to 11e-8 with Radau at 0.5,
    16e-8 to 63e-8 with LSODA at 0.5 and 0.36e-8 to 1.5e-8 with LSODA at 0.005, at most
    Radau's on every problem (0.99 of it on the closest; LSODA then takes ~2 times Radau's
    steps but ~2 right-hand sides per step against Radau's ~7).
    """
    col_norm_max = math.sqrt(float(np.max(np.einsum("ij,ij->j", X, X))))
    if col_norm_max == 0.0:  # X = 0: s stays 0 whatever mu does
        return atol_s
    return _ROW_SPACE_ATOL_MARGIN[method] * atol_s / col_norm_max


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
    method: str = "auto",
    max_step_count: int = DEFAULT_MAX_STEP_COUNT,
) -> FlowResult:
    """Integrate the finite-alpha gradient flow of ``beta = u * v`` in accelerated time.

    Solves ``ds/dt = b - G beta~(s)``, ``s(0) = 0`` (docs/theory.md) with an implicit stiff
    solver and the analytic Jacobian; when ``n_features > n_samples`` (and ``n_features >= 200``)
    in the row space of ``X``
    (``s = X^T mu``, n unknowns, see the module docstring). ``beta~`` is evaluated in log space,
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
    method : {"auto", "Radau", "LSODA"}, default "auto"
        Implicit solver of :mod:`scipy.integrate`. ``"auto"`` is LSODA in the row-space form
        (``n_features > n_samples`` and ``n_features >= 200``), where it is 2-3 times faster than
        Radau and, with a tolerance on mu 100 times tighter than Radau's, as accurate per
        coordinate of beta; and Radau everywhere else (all the paper's problems, unchanged). In
        the s form LSODA's global error at a given ``rtol`` is several times larger than
        Radau's. If the solver fails other than by exceeding ``max_step_count``, the other one
        is tried once; ``FlowResult.method`` (the solver actually used) and ``message`` then
        say so.
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
    if method != _AUTO and method not in _METHODS:
        raise ValueError(f"method must be one of {(_AUTO, *_METHODS)}, got {method!r}")
    check_positive(max_step_count, "max_step_count", integer=True)
    method = _resolve_method(method, n, d)

    return _integrate(X, y, lam, t, k, c, log_c, two_log_c, rtol, levels, method, max_step_count)


def _make_problem(X, y, lam, k, two_log_c, rtol, method):
    """The form to integrate (row space when d > n), its initial state and absolute tolerance."""
    n, d = X.shape
    atol_s = rtol / (2.0 * lam)
    if _use_row_space(n, d):
        atol = _row_space_atol(X, atol_s, method)
        return _RowProblem(X, y, lam, k, two_log_c), np.zeros(n), atol
    sparse_jac = method == "Radau" and d >= _SPARSE_JAC_MIN_FEATURES
    return _Problem(X, y, lam, k, two_log_c, sparse_jac=sparse_jac), np.zeros(d), atol_s


def _integrate(X, y, lam, t, k, c, log_c, two_log_c, rtol, levels, method, max_step_count):
    n, d = X.shape
    problem, state0, atol = _make_problem(X, y, lam, k, two_log_c, rtol, method)
    loss0 = float(problem.loss_of_beta(np.zeros(d)))
    crossing_times = np.full(levels.shape, np.nan)
    crossing_times[levels >= loss0] = 0.0

    if t[-1] > 0:
        args = (t, levels, loss0, method, atol, rtol, max_step_count)
        message = "The solver successfully reached the end of the integration interval."
        try:
            states, found, stats = _march(problem, state0, *args)
        except FlowSolverError as error:
            if error.solver_message.startswith("exceeded max_step_count"):
                raise
            # The other implicit solver, once: Radau and LSODA fail in different places.
            other = _FALLBACK[method]
            problem, state0, atol = _make_problem(X, y, lam, k, two_log_c, rtol, other)
            args = (t, levels, loss0, other, atol, rtol, max_step_count)
            try:
                states, found, stats = _march(problem, state0, *args)
            except FlowSolverError:
                raise error from None
            if not np.all(np.isfinite(states)):
                raise error from None
            message = f"{method} failed ({error.solver_message}); {other} reached the end."
            method = other
        crossing_times[np.isfinite(found)] = found[np.isfinite(found)]
        s_grid = problem.s_of(states)
        s_grid[t == 0.0] = 0.0  # exactly the initial state
        nfev, njev, nlu, n_steps = stats
        status = 0
    else:  # t == [0]: nothing to integrate
        s_grid = np.zeros((1, d))
        nfev = njev = nlu = n_steps = 0
        status, message = 0, "no integration needed (t = [0])"

    beta = _by_rows(_beta, s_grid, lam, k, two_log_c)
    loss = problem.loss_of_beta(beta)
    representable = bool(np.all(0.5 * math.log(2.0) - lam * k + log_c >= _LOG_TINY))
    if representable:
        u, v = _by_rows(_weights, s_grid, lam, k, log_c, outputs=2)
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
        n_steps=n_steps,
        status=status,
        message=message,
        directions=c,
        rtol=rtol,
        method=method,
    )


def _march(problem, state0, t, levels, loss0, method, atol, beta_rtol, max_step_count):
    """Step a scipy solver from 0 to ``t[-1]``; states on ``t`` and first loss crossings.

    What :func:`scipy.integrate.solve_ivp` does with ``t_eval`` and non-terminal events of
    direction -1 (same interpolants, same ``brentq`` root finding), with the loss levels
    handled together by :class:`_Crossings` instead of one Python event function per level.
    Newton trial states far from the solution may overflow inside the solver's norms; the
    solver rejects them (and reports a failure through its status).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _march_steps(
            problem, state0, t, levels, loss0, method, atol, beta_rtol, max_step_count
        )


def _march_steps(problem, state0, t, levels, loss0, method, atol, beta_rtol, max_step_count):
    # scipy's solvers are imported where they are used: importing scipy.integrate takes ~0.3 s,
    # and the workflow's configuration check imports this module only for simulate_flow's
    # argument checks (t = [0], nothing integrated), in the Snakemake process, before any job.
    from scipy.integrate import LSODA, Radau

    solver_class = {"Radau": Radau, "LSODA": LSODA}[method]
    solver = solver_class(
        problem.rhs, 0.0, state0, float(t[-1]), rtol=_S_RTOL, atol=atol, jac=problem.jac
    )
    states = np.empty((t.size, state0.size))
    crossings = _Crossings(problem, levels, loss0)
    i_eval = 0
    n_steps = 0
    t_list, t_last = t.tolist(), t.size
    base = None  # what the crossings of a step may start from at its beginning (step_base)
    while solver.status == "running":
        if n_steps >= max_step_count:
            reason = f"exceeded max_step_count={max_step_count} accepted steps"
            _fail(method, problem, beta_rtol, solver.t, t, n_steps, reason)
        message = solver.step()
        if solver.status == "failed":
            _fail(method, problem, beta_rtol, solver.t, t, n_steps, str(message))
        n_steps += 1
        interpolant = None
        if i_eval < t_last and solver.t >= t_list[i_eval]:  # the step reaches requested times
            i_new = int(np.searchsorted(t, solver.t, side="right"))
            interpolant = solver.dense_output()
            states[i_eval:i_new] = interpolant(t[i_eval:i_new]).T
            i_eval = i_new
        bases = (base, base := problem.step_base())
        if crossings.pending.size:
            bounds = problem.loss_bounds(solver.y)
            if bounds is None or not crossings.decide(*bounds):
                if interpolant is None:
                    interpolant = solver.dense_output()
                crossings.add(solver.t_old, solver.t, solver.y, interpolant, bases)
            elif crossings.hit.size:
                if interpolant is None:
                    interpolant = solver.dense_output()
                crossings.locate(solver.t_old, solver.t, interpolant, bases)
    crossings.flush()
    if i_eval < t.size:  # pragma: no cover - the solver stops at t[-1]
        _fail(method, problem, beta_rtol, solver.t, t, n_steps, "stopped before the last time")
    stats = (int(solver.nfev), int(solver.njev), int(solver.nlu), n_steps)
    return states, crossings.found, stats


class _Crossings:
    """First downward crossings of the loss levels, located step by step as solve_ivp would.

    The loss at the end of each step is needed to see which levels a step crosses. Those losses
    are evaluated for ``_LOSS_BATCH`` steps at a time: one product with the stacked states reads
    ``X`` once, where a matrix-vector product per step would read it every time (the flow's
    cost is dominated by reading ``X`` when d >> n). A level crossed within a step is then
    located by ``brentq`` on the step's interpolant, to 4 eps as solve_ivp's events are.

    A pending level is always below the loss at the end of the previous step (the first step
    that ends at or below it crosses it and removes it), so a step crosses exactly the pending
    levels at or above its end loss. When the problem bounds that loss (the row-space form,
    ``_RowProblem.loss_bounds``) and no pending level lies between the bounds, :meth:`decide`
    settles the step without evaluating it: the same levels are found crossed, in the same
    step, as with the evaluated loss.
    """

    def __init__(self, problem, levels, loss0):
        self.problem = problem
        self.levels = levels
        self.found = np.full(levels.shape, np.nan)
        self.pending = np.flatnonzero(levels < loss0)
        self.loss_old = loss0
        self.hit = self.pending[:0]
        self._steps = []
        self._update_top()

    def _update_top(self):
        """The highest pending level (the next to be crossed), for :meth:`decide`."""
        self._top = float(np.max(self.levels[self.pending])) if self.pending.size else -np.inf

    def decide(self, lo, hi):
        """Settle a step whose end loss is within ``[lo, hi]``; False if a level is in between.

        On True, ``hit`` holds the pending levels the step crosses (those ``>= hi``), to be
        located by :meth:`locate`.
        """
        if self._steps:  # earlier steps still to evaluate: keep the order
            return False
        if self._top < lo:  # the usual case: no pending level reached
            self.loss_old = lo
            return True
        levels = self.levels[self.pending]
        above = levels >= hi
        if np.any(~above & (levels >= lo)):
            return False
        self.hit = self.pending[above]
        if self.hit.size:
            self._rest = self.pending[~above]
        # The end loss is above every level left pending, which is all that the test
        # loss_old >= level of the next evaluated step asks.
        self.loss_old = lo
        return True

    def locate(self, t_old, t_new, interpolant, bases=()):
        """Locate the crossings of the levels in ``hit`` within the step just decided."""
        loss = self.problem.loss_along(interpolant, t_old, t_new, bases)
        for i in self.hit:
            self.found[i] = _crossing(loss, self.levels[i], t_old, t_new)
        self.pending = self._rest
        self.hit = self.pending[:0]
        self._update_top()

    def add(self, t_old, t_new, y_new, interpolant, bases=()):
        self._steps.append((t_old, t_new, np.array(y_new, copy=True), interpolant, bases))
        if len(self._steps) >= _LOSS_BATCH:
            self.flush()

    def flush(self):
        if not self._steps:
            return
        problem = self.problem
        ends = np.array([step[2] for step in self._steps])
        beta = _beta(problem.s_of(ends), problem.lam, problem.scales, problem.two_log_c)
        losses = problem.loss_of_beta(beta)
        for (t_old, t_new, _, interpolant, bases), loss_new in zip(
            self._steps, losses, strict=True
        ):
            if not self.pending.size:
                break
            levels = self.levels[self.pending]
            hit = (self.loss_old >= levels) & (loss_new <= levels)
            if np.any(hit):
                loss = problem.loss_along(interpolant, t_old, t_new, bases)
            for i in self.pending[hit]:
                self.found[i] = _crossing(loss, self.levels[i], t_old, t_new)
            self.pending = self.pending[~hit]
            self.loss_old = loss_new
        self._steps = []
        self._update_top()


def _crossing(loss, level, t_old, t_new):
    """Time in [t_old, t_new] where the loss on a step's interpolant equals ``level``.

    ``loss`` is the loss along the step as a function of ``x`` in [-1, 1]
    (:meth:`_Problem.loss_along`, shared by the levels crossed in the same step). The
    interpolants of Radau (degree 3) and LSODA (degree <= 12) are polynomials in time, so the
    state along the step is the polynomial through its values at a few Chebyshev points.
    """
    half, mid = (t_new - t_old) / 2, (t_new + t_old) / 2

    def excess(tau):
        return loss(min(max((tau - mid) / half, -1.0), 1.0)) - level

    from scipy.optimize import brentq  # here, not at the top: see _march_steps

    try:
        return brentq(excess, t_old, t_new, xtol=4 * _EPS, rtol=4 * _EPS)
    except ValueError:  # no sign change: the level is within rounding of an end of the step
        return t_old if abs(excess(t_old)) <= abs(excess(t_new)) else t_new


def _chebyshev_basis(x, points=_CHEB_POINTS):
    """``T_0(x), ..., T_{m-1}(x)`` for m = ``points`` (>= 2)."""
    basis = [1.0, x]  # Python floats: the same float64 arithmetic, without numpy's overhead
    for _ in range(2, points):
        basis.append(2.0 * x * basis[-1] - basis[-2])
    return np.array(basis)


def _chebyshev_coefficients(problem, interpolant, t_old, t_new):
    """Chebyshev coefficients on [t_old, t_new] of ``s`` along a step's interpolant."""
    nodes, inverse = _chebyshev_points(_CHEB_POINTS)
    taus = (t_new + t_old) / 2 + (t_new - t_old) / 2 * nodes
    s_nodes = problem.s_of(interpolant(taus).T)
    return inverse @ s_nodes


@functools.cache
def _chebyshev_points(points):
    """Chebyshev points of the first kind for ``points`` nodes and the inverse of their
    Vandermonde matrix (a scaled transpose, see ``_CHEB_POINTS``)."""
    nodes = np.cos(np.pi * (np.arange(points) + 0.5) / points)
    inverse = np.cos(np.outer(np.arange(points), np.arccos(nodes))) * (2.0 / points)
    inverse[0] /= 2.0
    return nodes, inverse


def _fail(method, problem, rtol, t_reached, t, n_steps, reason):
    lam = problem.lam
    raise FlowSolverError(
        f"{method} failed to integrate the flow with log_inv_alpha={lam!r} (rtol={rtol!r}) "
        f"at t={t_reached:.6g} of {float(t[-1])!r} after {n_steps} steps: {reason}",
        log_inv_alpha=lam,
        solver_message=reason,
        t_reached=float(t_reached),
    )
