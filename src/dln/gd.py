"""Gradient descent and SGD on a diagonal linear network, run in exact dual coordinates.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``, ``v0 = 0``), never a
regularisation strength; it is passed by its logarithm ``log_inv_alpha = Lam = log(1/alpha)`` and
never formed, so ``alpha = 1e-1000`` works as well as ``alpha = 1e-2``.

The iteration is the paper's, in original time, with a full-batch or mini-batch gradient
``g_k = X_B^T (X_B beta_k - y_B) / |B|`` and step ``gamma``::

    u <- u - gamma v g,   v <- v - gamma u g   (simultaneously).

It multiplies ``u + v`` by ``(1 - gamma g)`` and ``u - v`` by ``(1 + gamma g)``, coordinatewise, so
with ``P_k = prod_{j<k} (1 - gamma g_j)`` and ``Q_k = prod_{j<k} (1 + gamma g_j)``, exactly,

    u + v = sqrt(2) a P,   u - v = sqrt(2) a Q,   beta = u v = a^2 (P^2 - Q^2) / 2,

with ``a_i = alpha^{k_i} c_i`` the initialisation. In the dual coordinates of docs/theory.md,
``S_k = sum_{j<k} artanh(gamma g_j) = log|Q / P| / 2`` and ``Gain_k = -sum_{j<k} log(1 - gamma^2
g_j^2) = -log|P Q|``, this is ``beta_k = -a^2 exp(-Gain_k) sinh(2 S_k)``: a mirror descent on the
hyperbolic entropy whose scale shrinks per coordinate to ``a exp(-Gain / 2)``.

The state is ``(log|P|, log|Q|)`` (equivalently ``(S, Gain)``), each held as a float64 mantissa
times an exact power of two: the mantissas are multiplied by the exact factors ``1 -+ gamma g``
(relative rounding ``eps`` per step, as in the ``(u, v)`` loop, and no ``artanh`` or ``log`` in
the loop), and the powers of two are moved into an integer exponent every ``_RENORM_EVERY``
iterations. ``beta = (a P / sqrt 2)^2 - (a Q / sqrt 2)^2`` is then formed from the two scaled
products, which underflow only when their contribution to ``beta`` is below the smallest float.
Unlike the ``(u, v)`` loop, ``P`` and ``Q`` are kept separately, so the smaller of ``u + v`` and
``u - v`` is never lost to the rounding of the larger (a coordinate whose dual variable changes
sign after a long excursion is followed exactly), and ``alpha`` may be any positive number.

A factor ``1 -+ gamma g`` that is negative (``|gamma g| > 1``) flips the sign of ``P`` or ``Q``,
which ``beta`` (a difference of squares) does not see: such steps are followed exactly, with
``S = log|Q / P| / 2`` and ``Gain = -log|P Q|`` (which may then be negative). A factor that is
exactly zero makes ``P`` or ``Q`` zero for good (``S`` and ``Gain`` infinite, ``beta`` finite).

Iterate ``k`` sits at accelerated time ``k gamma / Lam``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from dln._validation import check_array, check_loss_levels, check_positive, check_scales, check_X_y
from dln.flow import FlowResult

__all__ = ["GDResult", "GradientDescentError", "gradient_descent", "minibatch_schedule"]

# With t=None, at most this many iterates (evenly strided) are returned.
DEFAULT_MAX_RECORDS = 2001
# Slack when converting t_max * Lam / step to an iteration count, so that a product that is an
# integer up to rounding does not add one iteration.
_ITERATION_RTOL = 1e-12
# Iterations between two renormalisations of the mantissas of P and Q. A mantissa changes by at
# most a factor (1 + |gamma g|) per step: in 32 steps with |gamma g| < 1 that is < 2^32, far from
# the float64 range (1e-308 ... 1e308); a run whose mantissas overflow in 32 steps is diverging.
_RENORM_EVERY = 32
_LN2 = math.log(2.0)
# log of the smallest normal float64 (2.2e-308): u and v are returned only when the initial
# weights sqrt(2) alpha^{k_i} c_i are normal floats.
_LOG_TINY = math.log(np.finfo(np.float64).tiny)


class GradientDescentError(RuntimeError):
    """Gradient descent diverged (the step is too large for the curvature it met)."""


@dataclass(frozen=True)
class GDResult(FlowResult):
    """(S)GD iterates, with the fields of :class:`dln.flow.FlowResult`.

    ``t`` holds the accelerated times ``k * step / Lam`` of the returned iterates; ``s`` is the
    dual variable ``-S_k / Lam = -(1 / Lam) sum_{j<k} artanh(step g_j)`` (for ``|step g| < 1``),
    so that ``beta = exp(-gain) * dln.flow.beta_from_s(s, Lam, scales=..., log_directions=...)``
    exactly; ``u`` and ``v`` are returned when the initial weights are normal floats (``None``
    otherwise; they are then formed from the dual state and lose the relative precision of
    their smaller sum or difference, as the ``(u, v)`` loop itself does); ``nfev = n_steps =
    n_iterations`` and ``njev = nlu = 0``.

    Attributes
    ----------
    n_iterations : int
        Number of gradient steps taken.
    step : float
        Step size ``gamma`` in original time.
    alpha : float
        ``exp(-log_inv_alpha)``: the initialisation scale (0.0 when it underflows float64).
    iterations : ndarray of shape (m,)
        Iteration index of each returned iterate.
    gain : ndarray of shape (m, d)
        ``Gain_k = -sum_{j<k} log|1 - step^2 g_j^2|`` at each returned iterate: the coordinate's
        effective initialisation scale is ``alpha^{k_i} c_i exp(-Gain / 2)``.
    batch_size : int
        Rows per mini-batch (``n_samples`` for full-batch gradient descent).
    seed : int or None
        Seed of the mini-batch draws (``None`` for full batch).
    """

    n_iterations: int = 0
    step: float = float("nan")
    alpha: float = float("nan")
    iterations: np.ndarray | None = None
    gain: np.ndarray | None = None
    batch_size: int = 0
    seed: int | None = None


def minibatch_schedule(n_samples: int, batch_size: int, seed: int):
    """Yield the row indices of each mini-batch, epoch after epoch, forever.

    Each epoch draws ``numpy.random.default_rng(seed).permutation(n_samples)`` (one generator
    for the whole run) and cuts it into consecutive batches of ``batch_size`` rows; the last
    batch of an epoch has ``n_samples mod batch_size`` rows when that is not zero. This is the
    sampling of :func:`gradient_descent` (which draws the permutations from the same generator
    in the same order), exposed so that a reference implementation can reproduce it.
    """
    rng = np.random.default_rng(seed)
    while True:
        perm = rng.permutation(n_samples)
        for lo in range(0, n_samples, batch_size):
            yield perm[lo : lo + batch_size]


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be None or a non-negative integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_batch_size(batch_size, n: int) -> int:
    if batch_size is None:
        return n
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise ValueError(f"batch_size must be None or an integer in [1, {n}], got {batch_size!r}")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [1, n_samples] = [1, {n}], got {batch_size!r}")
    return int(batch_size)


def gradient_descent(
    X,
    y,
    *,
    log_inv_alpha: float,
    step: float,
    t_max: float,
    batch_size: int | None = None,
    seed: int | None = None,
    t=None,
    scales=None,
    directions=None,
    loss_levels=None,
) -> GDResult:
    """Run (S)GD on ``(u, v)`` from ``u0 = sqrt(2) alpha^{k_i} c_i``, ``v0 = 0``, at any alpha.

    The iterates are those of the plain ``(u, v)`` iteration (see the module docstring),
    computed in exact dual coordinates, so that alpha (the initialisation scale) may be far
    below the float64 range.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Design matrix.
    y : array_like of shape (n_samples,)
        Targets.
    log_inv_alpha : float
        ``Lam = log(1/alpha) > 0`` (alpha = 1e-100 is ``Lam = 230.26``).
    step : float
        Step size ``gamma > 0`` in original time (accelerated time advances by ``step / Lam``).
    t_max : float
        Final accelerated time; ``ceil(t_max * Lam / step)`` iterations are run.
    batch_size : int, optional
        Rows per mini-batch, in ``[1, n_samples]``; ``None`` (default) or ``n_samples`` is full
        batch (then ``seed`` is not used). Mini-batches are drawn without replacement within
        each epoch, see :func:`minibatch_schedule`; the gradient of a batch ``B`` is
        ``X_B^T (X_B beta - y_B) / |B|``.
    seed : int, optional
        Non-negative seed of ``numpy.random.default_rng`` for the mini-batches. Default ``None``
        (fresh entropy: not reproducible).
    t : array_like of shape (m,), optional
        Accelerated times at which to return iterates, increasing, in ``[0, t_max]``; each is
        rounded to the nearest iteration (the returned ``t`` are the exact iteration times).
        Default: every iteration, strided to at most ``DEFAULT_MAX_RECORDS`` iterates.
    scales : array_like of shape (n_features,), optional
        Per-coordinate scales ``k_i > 0`` (initialisation ``alpha^{k_i}``).
    directions : array_like of shape (n_features,), optional
        Positive ``c_i`` (initialisation ``sqrt(2) alpha c_i``).
    loss_levels : array_like of shape (q,), optional
        Loss levels whose first downward crossing is located, by linear interpolation of the
        (full) loss between the two iterates around it.

    Returns
    -------
    GDResult

    Raises
    ------
    ValueError
        On a bad argument (the message names it), before any iteration.
    GradientDescentError
        If the iterates overflow (step too large).

    Notes
    -----
    Cost per iteration: one product with ``G = X^T X / n`` (or with ``X`` and ``X^T`` when
    ``2 n < d``; with ``X_B`` and ``X_B^T`` for mini-batches) and six element-wise operations
    on arrays of ``d`` or ``2 d`` entries (the ``(u, v)`` loop did seven on ``d`` entries), plus
    a renormalisation every ``_RENORM_EVERY`` iterations.
    """
    X, y = check_X_y(X, y)
    n, d = X.shape
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    step = float(check_positive(step, "step"))
    t_max = float(check_positive(t_max, "t_max"))
    batch = _check_batch_size(batch_size, n)
    seed = _check_seed(seed)
    k = check_scales(scales, d)
    c = check_scales(directions, d, name="directions")
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
    return _run(X, y, lam, step, n_iter, record, k, c, levels, batch, seed)


def _run(X, y, lam, step, n_iter, record, k, c, levels, batch, seed) -> GDResult:
    n, d = X.shape
    full = batch == n
    loss0 = float(y @ y) / (2 * n)
    b = X.T @ y / n

    # a_i / sqrt(2) = exp(log_scale) = mant0 * 2^e0, mant0 in [1, 2), e0 integer; P and Q start
    # at 1 and are held as mantissa m times 2^renorm_expo: w = (a P, a Q) / sqrt(2) = scale * m.
    log_scale = -lam * k + np.log(c) - 0.5 * _LN2
    e0 = np.floor(log_scale / _LN2)
    mant0 = np.tile(np.exp2(log_scale / _LN2 - e0), 2)
    expo = np.tile(e0, 2).astype(np.int64)
    renorm_expo = np.zeros(2 * d, dtype=np.int64)
    m = np.ones(2 * d)
    scale = np.ldexp(mant0, expo)
    f = np.empty(2 * d)  # the factors (1 - step g, 1 + step g) of (P, Q)
    w = np.empty(2 * d)
    beta = np.zeros(d)
    tmp = np.empty(d)
    fP, fQ, wP, wQ = f[:d], f[d:], w[:d], w[d:]
    multiply, dot, subtract, add, square = np.multiply, np.dot, np.subtract, np.add, np.square

    # One function per gradient kind; each runs `count` iterations with nothing but ufunc calls.
    if full and 2 * n < d:  # X^T (X beta - y) / n costs 2 n d flops, G beta costs d^2
        Xs = np.ascontiguousarray(X)
        XtS = np.ascontiguousarray(X.T * (step / n))
        r = np.empty(n)

        def advance(count):
            for _ in range(count):
                dot(Xs, beta, out=r)
                subtract(r, y, out=r)
                dot(XtS, r, out=tmp)
                subtract(1.0, tmp, out=fP)
                add(1.0, tmp, out=fQ)
                multiply(m, f, out=m)
                multiply(scale, m, out=w)
                square(w, out=w)
                subtract(wP, wQ, out=beta)

    elif full:
        Gs = np.ascontiguousarray(X.T @ X * (step / n))
        one_minus_bs = 1.0 - b * step  # f_Q = 1 + (Gs beta - bs), f_P = 1 - (Gs beta - bs)
        one_plus_bs = 1.0 + b * step

        def advance(count):
            for _ in range(count):
                dot(Gs, beta, out=tmp)
                add(one_minus_bs, tmp, out=fQ)
                subtract(one_plus_bs, tmp, out=fP)
                multiply(m, f, out=m)
                multiply(scale, m, out=w)
                square(w, out=w)
                subtract(wP, wQ, out=beta)

    else:
        rng = np.random.default_rng(seed)
        bounds = list(range(0, n, batch)) + [n]
        sizes = np.diff(bounds)
        row_scale = np.repeat(step / sizes, sizes)  # step / |B| for the rows of each batch
        epoch = {"batches": [], "next": 0}

        def new_epoch():  # the protocol of minibatch_schedule
            perm = rng.permutation(n)
            Xp = X[perm]
            yp = y[perm]
            XpS = Xp * row_scale[:, None]
            epoch["batches"] = [
                (Xp[lo:hi], yp[lo:hi], XpS[lo:hi], np.empty(hi - lo))
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
            ]
            epoch["next"] = 0

        def advance(count):
            batches = epoch["batches"]
            nxt = epoch["next"]
            for _ in range(count):
                if nxt == len(batches):
                    new_epoch()
                    batches, nxt = epoch["batches"], 0
                Xb, yb, XbS, rb = batches[nxt]
                nxt += 1
                dot(Xb, beta, out=rb)
                subtract(rb, yb, out=rb)
                dot(rb, XbS, out=tmp)
                subtract(1.0, tmp, out=fP)
                add(1.0, tmp, out=fQ)
                multiply(m, f, out=m)
                multiply(scale, m, out=w)
                square(w, out=w)
                subtract(wP, wQ, out=beta)
            epoch["next"] = nxt

    G_loss = X.T @ X / n if d <= n else None

    def full_loss():
        if G_loss is not None:
            return loss0 + 0.5 * float(beta @ (G_loss @ beta)) - float(dot(beta, b))
        res = X @ beta - y
        return float(dot(res, res)) / (2 * n)

    rec = record.size
    B = np.empty((rec, d))
    MANT = np.empty((rec, 2 * d))  # mantissas of (P, Q) at the returned iterates
    EXPO = np.empty((rec, 2 * d), dtype=np.int64)  # and their renormalisation exponents

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
    renorm_at = _RENORM_EVERY
    it = 0
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        while True:
            # beta holds iterate `it`
            if ptr < q:
                loss = full_loss()
                while ptr < q and loss < sorted_levels[ptr]:
                    level = sorted_levels[ptr]
                    frac = (loss_prev - level) / (loss_prev - loss) if it > 0 else 0.0
                    crossing_sorted[ptr] = (it - 1 + frac) * dt if it > 0 else 0.0
                    ptr += 1
                loss_prev = loss
            if j < rec and it == record[j]:
                if not np.all(np.isfinite(beta)):
                    raise GradientDescentError(
                        f"gradient descent diverged before iteration {it} (step={step!r}, "
                        f"log_inv_alpha={lam!r}): the step is too large, reduce it"
                    )
                B[j] = beta
                MANT[j] = m
                EXPO[j] = renorm_expo
                j += 1
            if it == n_iter:
                break
            nxt = min(renorm_at, n_iter)
            if j < rec:
                nxt = min(nxt, int(record[j]))
            if ptr < q:
                nxt = it + 1  # the loss is needed at every iterate until the last level
            advance(nxt - it)
            it = nxt
            if it == renorm_at:
                renorm_at += _RENORM_EVERY
                mant, e = np.frexp(m)
                if not np.all(np.isfinite(mant)):
                    raise GradientDescentError(
                        f"gradient descent diverged before iteration {it} (step={step!r}, "
                        f"log_inv_alpha={lam!r}): the step is too large, reduce it"
                    )
                m[:] = mant
                renorm_expo += e
                scale[:] = np.ldexp(mant0, expo + renorm_expo)

    crossing_times = np.empty(levels.shape)
    crossing_times[order] = crossing_sorted
    # log|P|, log|Q| relative to the initial scale a / sqrt(2): S' = (log|P| - log|Q|) / 2 is
    # -S, Gain = -(log|P| + log|Q|); the integer exponents cancel exactly before the logs.
    with np.errstate(divide="ignore", invalid="ignore"):
        absm = np.abs(MANT)
        logratio = np.log(absm[:, :d] / absm[:, d:]) + _LN2 * (EXPO[:, :d] - EXPO[:, d:])
        logprod = np.log(absm[:, :d] * absm[:, d:]) + _LN2 * (EXPO[:, :d] + EXPO[:, d:])
    s_dual = 0.5 * logratio / lam
    gain = -logprod
    residual = B @ X.T - y
    loss_grid = np.sum(residual * residual, axis=1) / (2 * n)
    u = v = None
    if np.all(log_scale + _LN2 >= _LOG_TINY):  # sqrt(2) a_i is a normal float
        # w = a P / sqrt(2), a Q / sqrt(2): u = wP + wQ, v = wP - wQ (signs of P and Q kept)
        wpq = MANT * np.ldexp(mant0, expo + EXPO)
        u, v = wpq[:, :d] + wpq[:, d:], wpq[:, :d] - wpq[:, d:]
    return GDResult(
        t=record * dt,
        beta=B,
        s=s_dual,
        loss=loss_grid,
        u=u,
        v=v,
        log_inv_alpha=lam,
        scales=k,
        crossing_levels=levels.copy(),
        crossing_times=crossing_times,
        nfev=n_iter,
        njev=0,
        nlu=0,
        n_steps=n_iter,
        status=0,
        message=(
            f"{n_iter} {'full-batch' if full else f'mini-batch (size {batch})'} gradient steps "
            f"of size {step!r}"
        ),
        directions=c,
        rtol=float("nan"),
        method="gd" if full else "sgd",
        n_iterations=n_iter,
        step=step,
        alpha=math.exp(-lam),
        iterations=record.copy(),
        gain=gain,
        batch_size=batch,
        seed=None if full else seed,
    )
