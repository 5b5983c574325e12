"""Plain gradient descent on the weights ``(u, v)``: the baseline the paper simulated.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``, ``v0 = 0``), never a
regularisation strength. The iteration is the paper's, in float64 and in original time::

    g = grad L(u * v),   u <- u - step * v * g,   v <- v - step * u * g   (simultaneously),

and iterate ``k`` sits at accelerated time ``k * step / Lam`` with ``Lam = log(1/alpha)``. It needs
``alpha`` itself as a float: below the smallest normal float64 (2.2e-308, ``Lam > 708.4``) use
:func:`dln.flow.simulate_flow`, which works in log space for any alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dln._validation import check_array, check_loss_levels, check_positive, check_scales, check_X_y
from dln.flow import FlowResult

__all__ = ["GDResult", "GradientDescentError", "gradient_descent"]

# Smallest normal float64: alpha (times its scale and direction) must be at least this, or the
# initial weights are subnormal or zero and the iteration loses all relative precision.
_TINY = float(np.finfo(np.float64).tiny)
_LOG_TINY = math.log(_TINY)
# With t=None, at most this many iterates (evenly strided) are returned.
DEFAULT_MAX_RECORDS = 2001
# Slack when converting t_max * Lam / step to an iteration count, so that a product that is an
# integer up to rounding does not add one iteration.
_ITERATION_RTOL = 1e-12


class GradientDescentError(RuntimeError):
    """Gradient descent diverged (the step is too large for the curvature it met)."""


@dataclass(frozen=True)
class GDResult(FlowResult):
    """Gradient-descent iterates, with the fields of :class:`dln.flow.FlowResult`.

    ``t`` holds the accelerated times ``k * step / Lam`` of the returned iterates, ``s`` the
    Riemann sum ``-(step / Lam) sum_{j<k} grad L(beta_j)`` (the discrete dual variable; it maps
    to ``beta`` through :func:`dln.flow.beta_from_s` only up to O(step)), ``nfev = n_steps =
    n_iterations`` and ``njev = nlu = 0``.

    Attributes
    ----------
    n_iterations : int
        Number of gradient steps taken.
    step : float
        Step size in original time.
    alpha : float
        Initialisation scale.
    iterations : ndarray of shape (m,)
        Iteration index of each returned iterate.
    """

    n_iterations: int = 0
    step: float = float("nan")
    alpha: float = float("nan")
    iterations: np.ndarray | None = None


def gradient_descent(
    X,
    y,
    *,
    alpha: float,
    step: float,
    t_max: float,
    t=None,
    scales=None,
    directions=None,
    loss_levels=None,
) -> GDResult:
    """Run gradient descent on ``(u, v)`` from ``u0 = sqrt(2) alpha^{k_i} c_i``, ``v0 = 0``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Design matrix.
    y : array_like of shape (n,)
        Targets.
    alpha : float
        Initialisation scale, ``tiny <= alpha < 1`` with ``tiny = 2.2e-308`` the smallest normal
        float64 (``log(1/alpha) <= 708.4``); smaller alphas need
        :func:`dln.flow.simulate_flow`.
    step : float
        Step size in original time (accelerated time advances by ``step / log(1/alpha)``).
    t_max : float
        Final accelerated time; ``ceil(t_max * Lam / step)`` iterations are run.
    t : array_like of shape (m,), optional
        Accelerated times at which to return iterates, increasing, in ``[0, t_max]``; each is
        rounded to the nearest iteration (the returned ``t`` are the exact iteration times).
        Default: every iteration, strided to at most ``DEFAULT_MAX_RECORDS`` iterates.
    scales : array_like of shape (d,), optional
        Per-coordinate scales ``k_i > 0`` (initialisation ``alpha^{k_i}``).
    directions : array_like of shape (d,), optional
        Positive ``c_i`` (initialisation ``sqrt(2) alpha c_i``).
    loss_levels : array_like of shape (q,), optional
        Loss levels whose first downward crossing is located, by linear interpolation of the loss
        between the two iterates around it.

    Returns
    -------
    GDResult

    Raises
    ------
    ValueError
        On a bad argument, or alpha too small for float64.
    GradientDescentError
        If the iterates overflow (step too large).
    """
    X, y = check_X_y(X, y)
    n, d = X.shape
    alpha = float(check_positive(alpha, "alpha"))
    if alpha >= 1:
        raise ValueError(f"alpha must be < 1 (log(1/alpha) > 0), got {alpha!r}")
    k = check_scales(scales, d)
    c = check_scales(directions, d, name="directions")
    lam = -math.log(alpha)
    log_init = lam * -k + np.log(c)
    if alpha < _TINY or np.any(log_init < _LOG_TINY):
        raise ValueError(
            f"alpha={alpha!r} is too small for gradient descent in float64: the initial weights "
            f"alpha^k_i c_i must be normal floats (>= {_TINY:.3g}, i.e. log(1/alpha) * k_i <= "
            f"{-_LOG_TINY:.1f}); got log(1/alpha) = {lam:.4g}. Use dln.flow.simulate_flow, "
            "which works in log space for any alpha."
        )
    step = float(check_positive(step, "step"))
    t_max = float(check_positive(t_max, "t_max"))
    n_iter = max(1, math.ceil(t_max * lam / step * (1 - _ITERATION_RTOL)))
    if t is None:
        stride = max(1, math.ceil(n_iter / (DEFAULT_MAX_RECORDS - 1)))
        record = np.arange(0, n_iter + 1, stride)
        if record[-1] != n_iter:
            record = np.append(record, n_iter)
    else:
        t = check_array(t, "t", ndim=1)
        if t[0] < 0:
            raise ValueError(f"t must start at t[0] >= 0, got t[0] = {t[0]!r}")
        if t.size > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("t must be strictly increasing")
        if t[-1] > t_max * (1 + 1e-9):
            raise ValueError(f"t must end at or before t_max={t_max!r}, got t[-1] = {t[-1]!r}")
        record = np.rint(t * lam / step).astype(np.int64)
        if np.any(np.diff(record) <= 0):
            raise ValueError(
                f"t has points closer than one step (step / log(1/alpha) = {step / lam:.3g} in "
                "accelerated time): use a coarser t or a smaller step"
            )
        n_iter = max(n_iter, int(record[-1]))
    levels = check_loss_levels(loss_levels)

    u0 = math.sqrt(2.0) * np.power(alpha, k) * c
    return _run(X, y, lam, alpha, step, n_iter, record, u0, k, c, levels)


def _run(X, y, lam, alpha, step, n_iter, record, u0, k, c, levels) -> GDResult:
    n, d = X.shape
    loss0 = float(y @ y) / (2 * n)
    b = X.T @ y / n
    # g = step * grad L(beta), from G beta - b (d^2 flops) or X^T (X beta - y) / n (2 n d flops).
    use_x_products = 2 * n < d
    if use_x_products:
        Xs = np.ascontiguousarray(X)
        XtS = np.ascontiguousarray(X.T * (step / n))
        r = np.empty(n)
    else:
        Gs = np.ascontiguousarray(X.T @ X * (step / n))
        bs = b * step

    u = u0.copy()
    v = np.zeros(d)
    beta = np.empty(d)
    g = np.empty(d)
    du = np.empty(d)
    dv = np.empty(d)
    S = np.zeros(d)  # -step * sum_j grad L(beta_j)

    m = record.size
    U = np.empty((m, d))
    V = np.empty((m, d))
    B = np.empty((m, d))
    SS = np.empty((m, d))

    order = np.argsort(-levels, kind="stable")  # highest level is crossed first
    sorted_levels = levels[order]
    crossing_sorted = np.full(levels.shape, np.nan)
    q = levels.size
    ptr = 0
    while ptr < q and sorted_levels[ptr] >= loss0:
        crossing_sorted[ptr] = 0.0
        ptr += 1
    loss_prev = loss0
    dt = step / lam

    j = 0
    next_record = int(record[0])
    multiply = np.multiply
    dot = np.dot
    subtract = np.subtract
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(n_iter + 1):
            multiply(u, v, out=beta)
            if use_x_products:
                dot(Xs, beta, out=r)
                r -= y
                dot(XtS, r, out=g)
                if ptr < q:
                    loss = float(dot(r, r)) / (2 * n)
            else:
                dot(Gs, beta, out=g)
                g -= bs
                if ptr < q:
                    # L = L(0) + beta.(G beta)/2 - b.beta, with G beta = g / step + b.
                    loss = loss0 + 0.5 * (float(dot(beta, g)) / step - float(dot(beta, b)))
            if ptr < q:
                while ptr < q and loss < sorted_levels[ptr]:
                    level = sorted_levels[ptr]
                    frac = (loss_prev - level) / (loss_prev - loss) if it > 0 else 0.0
                    crossing_sorted[ptr] = (it - 1 + frac) * dt if it > 0 else 0.0
                    ptr += 1
                loss_prev = loss
            if it == next_record:
                if not np.all(np.isfinite(beta)):
                    raise GradientDescentError(
                        f"gradient descent diverged before iteration {it} (step={step!r}, "
                        f"alpha={alpha!r}): the step is too large, reduce it"
                    )
                U[j] = u
                V[j] = v
                B[j] = beta
                SS[j] = S
                j += 1
                next_record = int(record[j]) if j < m else -1
            if it == n_iter:
                break
            multiply(v, g, out=du)
            multiply(u, g, out=dv)
            u -= du
            v -= dv
            subtract(S, g, out=S)

    crossing_times = np.empty(levels.shape)
    crossing_times[order] = crossing_sorted
    residual = B @ X.T - y
    loss_grid = np.sum(residual * residual, axis=1) / (2 * n)
    return GDResult(
        t=record * dt,
        beta=B,
        s=SS / lam,
        loss=loss_grid,
        u=U,
        v=V,
        log_inv_alpha=lam,
        scales=k,
        crossing_levels=levels.copy(),
        crossing_times=crossing_times,
        nfev=n_iter,
        njev=0,
        nlu=0,
        n_steps=n_iter,
        status=0,
        message=f"{n_iter} gradient steps of size {step!r}",
        directions=c,
        rtol=float("nan"),
        method="gd",
        n_iterations=n_iter,
        step=step,
        alpha=alpha,
        iterations=record.copy(),
    )
