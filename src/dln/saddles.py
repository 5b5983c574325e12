"""Algorithm 1 of Pesme & Flammarion (2023): the saddles and jump times of the alpha -> 0 limit.

In accelerated time the gradient flow of a diagonal linear network with initialisation scale
``alpha -> 0`` converges to a piecewise-constant process that jumps from saddle to saddle
(docs/theory.md). Between jumps the dual variable ``s`` moves linearly,
``s(t) = s_k - (t - t_k) grad L(beta_k)``; a coordinate may enter the support only once
``|s_i|`` reaches its scale ``k_i`` (1 for the plain network), and each saddle is the
sign-constrained least-squares fit

    beta_{k+1} = argmin L(beta)  s.t.  beta_i >= 0 where s_i = +k_i,
                                       beta_i <= 0 where s_i = -k_i,
                                       beta_i  = 0 where |s_i| < k_i.

Each constrained problem is a non-negative least squares in the sign-flipped columns
``sigma_i x_i``. It is solved by the Lawson-Hanson active-set method warm-started from the
previous saddle (whose support is always feasible for the next problem), with an economic QR
factorisation of the active columns that is updated column by column with scipy's
``qr_insert`` / ``qr_delete``, as LARS updates its Cholesky factor; no problem is solved from
scratch. scipy's own ``nnls`` cannot be warm-started, which is why the active-set loop is here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
from scipy.linalg.blas import daxpy as _axpy
from scipy.linalg.lapack import dtrtrs as _trtrs

from dln._validation import check_positive, check_scales, check_X_y

__all__ = ["SaddleResult", "SaddleLimitError", "saddle_jumps", "limit_process"]

# scipy wraps qr_delete in a batching decorator (functools.wraps) that doubles the cost of a
# call on small factors; the undecorated routine is the same code without the batch loop.
_qr_delete = getattr(sla.qr_delete, "__wrapped__", sla.qr_delete)


# |x_j^T r| / (||x_j|| ||y||) below this is an exact zero of the gradient: at a least-squares
# saddle the gradient off the support carries a relative rounding error of ~1e-16 times the
# condition number of the active columns; 1e-12 leaves room for condition numbers up to ~1e4.
GRAD_RTOL = 1e-12
# A saddle with ||X beta - y|| below this fraction of ||y|| interpolates the data up to
# rounding (for condition numbers up to ~1e5): the algorithm stops there, since any further
# jump would happen at t ~ 1 / RESIDUAL_RTOL and change beta only at the rounding level.
RESIDUAL_RTOL = 1e-11
# A least-squares coefficient whose contribution |beta_i| ||x_i|| to the fit is below this
# fraction of ||y|| is a rounding-level zero: at the degenerate last saddle of noiseless data
# the exact coefficients of dropped coordinates are 0 and come out as +-1e-16 ||y|| / ||x_i||
# times the condition number; treating them as zero makes them leave the support.
COEF_RTOL = 1e-12
# Hitting times within this relative distance of the smallest one are simultaneous (ties):
# structured designs (orthogonal, Figure 2 right) make several coordinates hit at once in exact
# arithmetic, and the computed times then differ by rounding only.
TIE_RTOL = 1e-9
# Classical Gram-Schmidt is repeated when the new column kept less than this fraction of its
# norm after the projection: one pass loses orthogonality of order eps / fraction. Measured on
# the n=200, d=2000 benchmark: max|Q^T Q - I| = 2e-15 both at 0.5 and at the 1/sqrt(2) of
# Daniel, Gragg, Kaufman & Stewart (1976), 5e-14 at 0.1; 0.5 skips most second passes.
REORTH_RATIO = 0.5
# A column whose component orthogonal to the active columns is below this fraction of its norm
# is treated as linearly dependent on them (duplicate or collinear columns).
DEPENDENCE_RTOL = 1e-10
# From this size of X on, the gradient X^T r / n is computed from the column-major copy (one
# streaming dot product per column): X no longer fits in cache, and reading it column by column
# took 0.77-0.84 of the row-major product at 100 x 20000 and 500 x 5000 (18-20 MB) and 0.83 at
# 1000 x 10000, while below ~16 MB the row-major one was as fast or faster (0.95-1.10; measured
# with one BLAS thread, benchmarks/bench_saddles_vs_lars.py is where it shows).
STREAM_GRADIENT_BYTES = 16 * 2**20


class SaddleLimitError(RuntimeError):
    """Algorithm 1 exceeded its guard on the number of saddles, or its loss stopped decreasing.

    Under general position the loss strictly decreases from saddle to saddle, so no signed
    support repeats; a non-decreasing loss is how cycling would start, and is refused.
    """


@dataclass(frozen=True)
class SaddleResult:
    """Saddles and jump times of the alpha -> 0 limit process (Algorithm 1).

    Attributes
    ----------
    times : ndarray of shape (p + 1,)
        Jump times ``0 = t_0 < t_1 < ... < t_p`` in accelerated time.
    betas : ndarray of shape (p + 1, n_features)
        Saddles ``beta_0 = 0, beta_1, ..., beta_p``; ``beta_k`` is the value on ``(t_k, t_{k+1})``.
    s : ndarray of shape (p + 1, n_features)
        Dual variable ``s(t_k)`` at each jump time (``|s_i| <= k_i``).
    losses : ndarray of shape (p + 1,)
        ``L(beta_k) = ||X beta_k - y||^2 / (2 n)``, strictly decreasing.
    activated, deactivated : tuple of p + 1 int arrays
        Coordinates that enter / leave the support at jump ``k`` (entry 0 is empty).
    scales : ndarray of shape (n_features,)
        Per-coordinate scales ``k_i`` (initialisation ``alpha^{k_i}``).
    rho : ndarray of shape (n_samples,)
        Dual certificate with ``s[-1] = X^T rho``.
    primal_objective : float
        ``sum_i k_i |beta_p,i|``.
    dual_objective : float
        ``rho^T X beta_p`` (``= rho^T y`` when ``beta_p`` interpolates).
    duality_gap : float
        ``primal_objective - dual_objective``.
    max_dual_violation : float
        ``max_i max(|s_p,i| - k_i, 0)``; 0 for a feasible dual certificate.
    certificate_residual : float
        ``||X^T rho - s_p||_inf``.
    status : int
        0 when the gradient vanished (the algorithm finished).
    message : str
        Human-readable termination reason.
    nnls_iterations : int
        Active-set changes made by the warm-started NNLS solves, summed over saddles.
    """

    times: np.ndarray
    betas: np.ndarray
    s: np.ndarray
    losses: np.ndarray
    activated: tuple[np.ndarray, ...]
    deactivated: tuple[np.ndarray, ...]
    scales: np.ndarray
    rho: np.ndarray
    primal_objective: float
    dual_objective: float
    duality_gap: float
    max_dual_violation: float
    certificate_residual: float
    status: int = 0
    message: str = ""
    nnls_iterations: int = 0
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def n_saddles(self) -> int:
        """Number ``p`` of jumps (the saddle ``beta_0 = 0`` not counted)."""
        return len(self.times) - 1

    @property
    def gradients(self) -> np.ndarray:
        """``grad L(beta_k)`` as the dual variable sees it, shape (p + 1, n_features).

        ``s`` moves as ``-gradients[k]`` on ``(t_k, t_{k+1})``, so this is derived from ``s``
        and ``times``: exactly 0 on the support. The last row is 0: the algorithm stops when
        the gradient is numerically zero (``GRAD_RTOL``) or the saddle interpolates
        (``RESIDUAL_RTOL``), and ``s`` stays put after ``t_p``.
        """
        grads = np.zeros_like(self.s)
        grads[:-1] = (self.s[:-1] - self.s[1:]) / np.diff(self.times)[:, None]
        return grads

    @property
    def beta_end(self) -> np.ndarray:
        """The last saddle ``beta_p``: the (weighted) minimum-l1 minimiser of the loss."""
        return self.betas[-1]


def saddle_jumps(X, y, *, scales=None, max_saddles: int | None = None) -> SaddleResult:
    """Run Algorithm 1: the saddles and jump times of the limit flow.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Design matrix.
    y : array_like of shape (n_samples,)
        Targets.
    scales : array_like of shape (n_features,) or float, optional
        Per-coordinate scales ``k_i > 0``: the initialisation ``alpha^{k_i}`` (alpha is the
        initialisation scale) makes coordinate ``i`` activate when ``|s_i| = k_i``, and the last
        saddle minimises ``sum_i k_i |beta_i|``. Default: all ones (the paper's Algorithm 1).
    max_saddles : int, optional
        Guard on the number of jumps. Default ``max(1000, 10 * (n_samples + n_features))``;
        the algorithm provably terminates under general position, so reaching the guard means
        the data are degenerate beyond what the tolerances absorb.

    Returns
    -------
    SaddleResult

    Raises
    ------
    ValueError
        Bad arguments, or columns that are collinear in a way that makes a constrained
        least-squares problem singular.
    SaddleLimitError
        More than ``max_saddles`` jumps, or a jump that does not decrease the loss (the
        start of cycling: a signed support can only repeat if the loss stops decreasing).

    Notes
    -----
    ``t_1 = min_i k_i / |b_i|`` with ``b = X^T y / n`` (``1 / ||b||_inf`` for unit scales). Zero
    columns never activate. Exactly duplicated columns are handled: the second copy has zero
    gradient once the first is active, so it never enters (the minimum-l1 solution is then not
    unique, only its norm is).
    """
    X, y = check_X_y(X, y)
    n, d = X.shape
    k = check_scales(scales, d)
    if max_saddles is None:
        max_saddles = max(1000, 10 * (n + d))
    check_positive(max_saddles, "max_saddles", integer=True)
    return _SaddleSolver(X, y, k, max_saddles).run()


class _SaddleSolver:
    """State of Algorithm 1: support, signs, QR of the sign-flipped active columns, s, t."""

    def __init__(self, X: np.ndarray, y: np.ndarray, k: np.ndarray, max_saddles: int):
        self.X, self.y, self.k, self.max_saddles = X, y, k, max_saddles
        self.XF = np.asfortranarray(X)  # contiguous columns for the active-set updates
        n, d = X.shape
        self.n = n
        col_norms = np.linalg.norm(X, axis=0)
        y_norm = float(np.linalg.norm(y))
        # Per-coordinate gradient zero threshold (see GRAD_RTOL).
        self.grad_tol = GRAD_RTOL * col_norms * y_norm / n
        self.col_norms = col_norms
        # Coefficient threshold (see COEF_RTOL), in units of |beta_i|; zero columns never enter.
        with np.errstate(divide="ignore"):
            self.coef_tol = COEF_RTOL * y_norm / col_norms
        nonzero = self.coef_tol[np.isfinite(self.coef_tol)]
        self.coef_tol_max = float(nonzero.max()) if nonzero.size else 0.0
        self.support: list[int] = []  # active coordinates, in QR column order
        self.z = np.zeros(0)  # sign-flipped coefficients on the support, all > 0
        self.sigma = np.zeros(d)  # sign of s on the boundary, 0 inside
        self._in_support = np.zeros(d, dtype=bool)
        self._events: list[tuple[int, int]] = []  # (coordinate, +1 in / -1 out) in one jump
        # Thin QR factors of the active columns, in preallocated column-major buffers so that
        # appending a column is a write, not a copy: Q = Qbuf[:, :m], R = Rbuf[:m, :m].
        cap = min(n, d)
        self._Qbuf = np.zeros((n, cap), order="F")
        self._Rbuf = np.zeros((cap, cap), order="F")
        self._qty = np.zeros(cap)  # Q^T y, kept in step with Q
        self._tail = np.arange(cap)  # diagonal indices of the buffer (see _least_squares)
        self.nnls_iterations = 0

    # -- linear algebra on the support -------------------------------------------------------
    def _column(self, j: int) -> np.ndarray:
        return self.sigma[j] * self.XF[:, j]

    def _insert(self, j: int) -> None:
        """Append column ``sigma_j x_j`` to the thin QR factors.

        Appending at the end only needs one classical Gram-Schmidt step, repeated when
        cancellation is detected (DGKS; as orthogonal as Householder); written here
        because scipy's general ``qr_insert`` costs ~50 us a call in wrapper overhead, which
        dominated the run time on the n=200, d=2000 benchmark.
        """
        col = self._column(j)
        m = len(self.support)
        if m >= self.n:
            raise ValueError(
                f"cannot add column {j}: {m} columns already span all {self.n} samples "
                "(X is not in general position)"
            )
        Q = self.Q
        h = Q.T @ col
        q = col - Q @ h
        rnn = math.sqrt(q @ q)
        if rnn < REORTH_RATIO * self.col_norms[j]:  # cancellation: orthogonalise once more
            h2 = Q.T @ q
            q -= Q @ h2
            h += h2
            rnn = math.sqrt(q @ q)
        if rnn <= DEPENDENCE_RTOL * self.col_norms[j]:
            others = ", ".join(str(i) for i in self.support)
            raise ValueError(
                f"column {j} of X is linearly dependent on the active columns [{others}] "
                "while its gradient is non-zero; X is not in general position (collinear "
                "columns). Remove duplicated or collinear features."
            )
        self._in_support[j] = True
        self._events.append((j, 1))
        self._Qbuf[:, m] = q / rnn
        self._Rbuf[:m, m] = h
        self._Rbuf[m, :m] = 0.0
        self._Rbuf[m, m] = rnn
        self._qty[m] = self._Qbuf[:, m] @ self.y
        self.support.append(j)

    def _delete(self, pos: int) -> None:
        self._in_support[self.support[pos]] = False
        self._events.append((self.support[pos], -1))
        if pos == len(self.support) - 1:  # dropping the last column leaves the rest as is
            del self.support[pos]
            return
        # Downdate in place in the buffers (overwrite_qr); with n active columns Q is square
        # and scipy treats it as a full QR, whose leading m columns are the thin factor.
        Q, R = _qr_delete(
            self.Q, self.R, pos, 1, which="col", overwrite_qr=True, check_finite=False
        )
        m = R.shape[1]
        if not (np.shares_memory(Q, self._Qbuf) and np.shares_memory(R, self._Rbuf)):
            self._Qbuf[:, :m] = Q[:, :m]  # scipy made copies after all
            self._Rbuf[:m, :m] = R[:m, :m]
        self._qty[:m] = self._Qbuf[:, :m].T @ self.y
        del self.support[pos]

    @property
    def Q(self) -> np.ndarray:
        return self._Qbuf[:, : len(self.support)]

    @property
    def R(self) -> np.ndarray:
        return self._Rbuf[: len(self.support), : len(self.support)]

    def _least_squares(self) -> np.ndarray:
        """Unconstrained LS coefficients on the support, from the updated QR factors."""
        if not self.support:
            return np.zeros(0)
        m = len(self.support)
        cap = self._qty.size
        if 2 * m < cap:
            # The leading m x m block of the buffer is not contiguous: trtrs copies it first.
            z, info = _trtrs(self._Rbuf[:m, :m], self._qty[:m])
        else:
            # From half of the buffer on, solving with the whole (contiguous) buffer is cheaper
            # than that copy: with a unit diagonal and a zero right-hand side below row m, the
            # unknowns m.. are exactly 0 and the first m are those of the m x m system.
            tail = self._tail[m:]
            self._Rbuf[tail, tail] = 1.0
            self._qty[m:] = 0.0
            z, info = _trtrs(self._Rbuf, self._qty)
            z = z[:m]
        if info != 0:
            raise ValueError("singular triangular factor: the active columns of X are dependent")
        return z

    def _residual(self) -> np.ndarray:
        """``y - Z z = y - Q Q^T y`` for the LS solution ``z`` on the support (``Q R = Z``)."""
        m = len(self.support)
        return self.y - self._Qbuf[:, :m] @ self._qty[:m]

    # -- warm-started Lawson-Hanson NNLS on the boundary set ----------------------------------
    def _nnls(self, boundary: np.ndarray, r: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Solve the sign-constrained LS on ``boundary`` from the current support; return r.

        ``g`` is the gradient at the current support's solution (residual ``r``). Lawson-Hanson
        with the current support as the initial passive set: it is feasible (its coefficients
        have the right signs) and optimal on itself, so the usual case costs one insertion.
        """
        in_support = self._in_support
        # Columns whose least-squares coefficient came out <= 0 right after entering (possible
        # only through rounding when their gradient is barely above the threshold).
        excluded: list[int] = []
        cand = boundary[~in_support[boundary]]
        w = -self.sigma[cand] * g[cand]
        max_iter = 3 * len(boundary) + 10
        for _ in range(max_iter):
            if cand.size == 1:  # the usual case, in scalars
                j = int(cand[0])
                if not w[0] > self.grad_tol[j]:
                    return r
            else:
                ok = w > self.grad_tol[cand]
                if not ok.any():
                    return r
                j = int(cand[ok][np.argmax(w[ok] / self.col_norms[cand[ok]])])
            self._insert(j)
            self.nnls_iterations += 1
            dropped = False
            # Inner loop: move from the feasible z towards the LS solution on the support,
            # dropping the coordinates that reach zero first (Lawson-Hanson).
            first = True
            while True:
                z_ls = self._least_squares()
                # coefficients within rounding of zero count as zero (degenerate saddles)
                if z_ls.min() > self.coef_tol_max:  # fast accept: all clearly positive
                    self.z = z_ls
                    break
                tol = self.coef_tol[self.support]
                if np.all(z_ls > tol):
                    self.z = z_ls
                    break
                if first:
                    if z_ls[-1] <= tol[-1]:
                        excluded.append(j)  # the entering column does not help: skip it
                        self._delete(len(self.support) - 1)
                        break
                    self.z = np.append(self.z, 0.0)  # the entering coordinate starts at 0
                first, dropped = False, True
                neg = np.flatnonzero(z_ls <= tol)
                z_neg = np.minimum(z_ls[neg], 0.0)
                ratios = self.z[neg] / (self.z[neg] - z_neg)
                step = float(np.min(ratios))
                self.z = self.z + step * (z_ls - self.z)
                drop = set(neg[ratios <= step].tolist()) | set(np.flatnonzero(self.z <= 0).tolist())
                for pos in sorted(drop, reverse=True):
                    self._delete(pos)
                    self.z = np.delete(self.z, pos)
                    self.nnls_iterations += 1
                if not self.support:
                    break
            if dropped:
                r = self._residual()  # the rotations of the deletions changed Q
            elif self._in_support[j]:
                # j was appended and nothing left: the residual loses its component along the
                # new orthonormal column (O(n), where recomputing y - Q Q^T y costs O(n m)).
                m = len(self.support)
                r = r - self._qty[m - 1] * self._Qbuf[:, m - 1]
            # else j was taken out again at once: the support and r are as they were
            if cand.size == 1 and not dropped:
                return r  # the only candidate entered and nothing left: optimal
            cand = boundary[~in_support[boundary]]
            if excluded:
                cand = np.setdiff1d(cand, excluded)
            if cand.size == 0:
                return r
            w = self.sigma[cand] * (r @ self.XF[:, cand]) / self.n
        raise SaddleLimitError(
            f"the active-set NNLS did not converge in {max_iter} iterations on "
            f"{len(boundary)} boundary coordinates (degenerate design)"
        )

    # -- Algorithm 1 ---------------------------------------------------------------------------
    def run(self) -> SaddleResult:
        # Hitting times divide by gradients that are 0 where inactive; those entries are
        # masked right after, so the warnings are silenced once for the whole loop.
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._run()

    def _run(self) -> SaddleResult:
        X, y, k, n = self.X, self.y, self.k, self.n
        d = X.shape[1]
        stream = X.nbytes >= STREAM_GRADIENT_BYTES  # see STREAM_GRADIENT_BYTES
        XF = self.XF
        s = np.zeros(d)
        t = 0.0
        rho = np.zeros(n)
        r = y.copy()
        boundary = np.zeros(0, dtype=np.intp)  # coordinates with |s_i| = k_i
        times, losses = [0.0], [_loss(r, n)]
        hist = _History(d, capacity=2 * min(n, d) + 64)
        activated: list[np.ndarray] = [np.zeros(0, dtype=np.intp)]
        deactivated: list[np.ndarray] = [np.zeros(0, dtype=np.intp)]
        no_change = deactivated[0]
        y_norm = float(np.linalg.norm(y))
        status, message = 0, "gradient vanished: last saddle reached"
        support_idx = np.zeros(0, dtype=np.intp)
        loss = losses[0]
        while True:
            w = r * (-1.0 / n)
            g = w @ XF if stream else X.T @ w
            g[support_idx] = 0.0  # exact on the support of a least-squares saddle
            inactive = np.abs(g) <= self.grad_tol  # numerically zero gradient
            # Coordinate i moves towards -sign(g_i) * k_i, which it reaches after
            # (k_i + sign(g_i) s_i) / |g_i| (2 k_i / |g_i| from the opposite boundary).
            hit_times = np.copysign(k, g)
            hit_times += s
            hit_times /= g  # 0/0 and x/0 only where inactive (masked next); errstate is set
            np.putmask(hit_times, inactive, np.inf)
            delta = float(hit_times.min())
            if delta == np.inf or 2 * n * loss <= (RESIDUAL_RTOL * y_norm) ** 2:
                break  # numerically zero gradient: s stays put after t_p
            if len(times) > self.max_saddles:
                raise SaddleLimitError(
                    f"Algorithm 1 exceeded max_saddles={self.max_saddles} jumps "
                    f"(n={n}, d={d}); the design is probably degenerate"
                )
            delta = max(delta, 0.0)
            hits = np.flatnonzero(hit_times <= delta * (1.0 + TIE_RTOL))
            t += delta
            rho = _axpy(r, rho, a=delta / n)
            s = _axpy(g, s, a=-delta)  # s -= delta g, all of g: s = X^T rho to rounding
            # Moving boundary coordinates leave it; the hitting ones land on it exactly.
            moving = ~inactive[boundary]
            self.sigma[boundary[moving]] = 0.0
            sign_hits = -np.sign(g[hits])
            self.sigma[hits] = sign_hits
            s[hits] = sign_hits * k[hits]
            boundary = np.concatenate((boundary[~moving], hits))
            self._events = []
            r = self._nnls(boundary, r, g)
            support_idx = np.array(self.support, dtype=np.intp)
            hist.add(support_idx, self.sigma[support_idx] * self.z)
            new_loss = _loss(r, n)
            if not new_loss < loss:
                raise SaddleLimitError(
                    f"the loss did not decrease at jump {len(times)} (t={t:.6g}: "
                    f"{loss:.17g} -> {new_loss:.17g}); Algorithm 1 would cycle. The design "
                    "is not in general position to working precision (collinear columns?)"
                )
            loss = new_loss
            times.append(t)
            hist.s[hist.rows - 1] = s
            losses.append(loss)
            if len(self._events) == 1 and self._events[0][1] == 1:  # the usual single entry
                activated.append(np.array([self._events[0][0]], dtype=np.intp))
                deactivated.append(no_change)
                continue
            net: dict[int, int] = {}  # +1 entered, -1 left, 0 left and came back (or vice versa)
            for j, change in self._events:
                net[j] = net.get(j, 0) + change
            activated.append(np.array(sorted(j for j, c in net.items() if c > 0), dtype=np.intp))
            deactivated.append(np.array(sorted(j for j, c in net.items() if c < 0), dtype=np.intp))

        betas, ss = hist.dense_betas(), hist.s[: hist.rows]
        beta_end = betas[-1]
        s_end = ss[-1]
        primal = float(np.sum(k * np.abs(beta_end)))
        dual = float(rho @ (X @ beta_end))
        return SaddleResult(
            times=np.asarray(times),
            betas=betas,
            s=ss,
            losses=np.asarray(losses),
            activated=tuple(activated),
            deactivated=tuple(deactivated),
            scales=k,
            rho=rho,
            primal_objective=primal,
            dual_objective=dual,
            duality_gap=primal - dual,
            max_dual_violation=float(np.max(np.maximum(np.abs(s_end) - k, 0.0))),
            certificate_residual=float(np.max(np.abs(X.T @ rho - s_end))),
            status=status,
            message=message,
            nnls_iterations=self.nnls_iterations,
        )


class _History:
    """Saddles kept sparse (support, values) and the dual variables in a growing row buffer.

    The rows of ``s`` are written in place (no per-jump copies); ``np.empty`` leaves unwritten
    capacity untouched. The dense saddles are built once at the end.
    """

    def __init__(self, d: int, capacity: int):
        self.d = d
        self.s = np.empty((capacity, d))
        self.s[0] = 0.0  # s_0 = 0
        self.supports: list[np.ndarray] = [np.zeros(0, dtype=np.intp)]  # beta_0 = 0
        self.values: list[np.ndarray] = [np.zeros(0)]
        self.rows = 1

    def add(self, support: np.ndarray, values: np.ndarray) -> None:
        """Record the next saddle; the row ``rows - 1`` of ``s`` must then be written."""
        if self.rows == len(self.s):  # double the capacity, copying only written rows
            grown = np.empty((2 * len(self.s), self.d))
            grown[: self.rows] = self.s[: self.rows]
            self.s = grown
        self.supports.append(support)
        self.values.append(values)
        self.rows += 1

    def dense_betas(self) -> np.ndarray:
        betas = np.zeros((self.rows, self.d))
        sizes = [len(sup) for sup in self.supports]
        rows = np.repeat(np.arange(self.rows), sizes)
        betas[rows, np.concatenate(self.supports)] = np.concatenate(self.values)
        return betas


def _loss(r: np.ndarray, n: int) -> float:
    return float(r @ r) / (2 * n)


def limit_process(result: SaddleResult, t) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate the alpha -> 0 limit process at accelerated times ``t``.

    Parameters
    ----------
    result : SaddleResult
        Output of :func:`saddle_jumps`.
    t : array_like of shape (m,)
        Accelerated times, ``t >= 0``.

    Returns
    -------
    beta : ndarray of shape (m, n_features)
        ``beta_k`` for ``t in [t_k, t_{k+1})`` (right-continuous at the jumps).
    s : ndarray of shape (m, n_features)
        ``s_k - (t - t_k) grad L(beta_k)``: the limit dual variable, piecewise linear.
    """
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be a 1-D array of finite times >= 0")
    times = result.times
    idx = np.searchsorted(times, t, side="right") - 1
    beta = result.betas[idx]
    # s is linear between consecutive saddles (slope -grad L(beta_k)) and constant after t_p.
    nxt = np.minimum(idx + 1, len(times) - 1)
    span = times[nxt] - times[idx]
    frac = np.divide(t - times[idx], span, out=np.zeros_like(t), where=span > 0)
    s = result.s[idx] + frac[:, None] * (result.s[nxt] - result.s[idx])
    return beta, s
