"""Algorithm 1 of Pesme & Flammarion (2023): the saddles and jump times of the alpha -> 0 limit.

In accelerated time the gradient flow of a diagonal linear network with initialisation scale
``alpha -> 0`` converges to a piecewise-constant process that jumps from saddle to saddle
(PAPER.md section 4). Between jumps the dual variable ``s`` moves linearly,
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

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla

from dln._validation import check_positive, check_scales, check_X_y

__all__ = ["SaddleResult", "SaddleLimitError", "saddle_jumps", "limit_process"]

# |x_j^T r| / (||x_j|| ||y||) below this is an exact zero of the gradient: at a least-squares
# saddle the gradient off the support carries a relative rounding error of ~1e-16 times the
# condition number of the active columns; 1e-12 leaves room for condition numbers up to ~1e4.
GRAD_RTOL = 1e-12
# A saddle with ||X beta - y|| below this fraction of ||y|| interpolates the data up to
# rounding (for condition numbers up to ~1e5): the algorithm stops there, since any further
# jump would happen at t ~ 1 / RESIDUAL_RTOL and change beta only at the rounding level.
RESIDUAL_RTOL = 1e-11
# Hitting times within this relative distance of the smallest one are simultaneous (ties):
# structured designs (orthogonal, Figure 2 right) make several coordinates hit at once in exact
# arithmetic, and the computed times then differ by rounding only.
TIE_RTOL = 1e-9
# A column whose component orthogonal to the active columns is below this fraction of its norm
# is treated as linearly dependent on them (duplicate or collinear columns).
DEPENDENCE_RTOL = 1e-10


class SaddleLimitError(RuntimeError):
    """Algorithm 1 exceeded its guard on the number of saddles, or revisited a signed support."""


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
    gradients : ndarray of shape (p + 1, n_features)
        ``grad L(beta_k)``, exactly 0 on the support; ``s`` moves as ``-gradients[k]`` on
        ``(t_k, t_{k+1})``. The last row is 0: the algorithm stops when the gradient is
        numerically zero (``GRAD_RTOL``) or the saddle interpolates (``RESIDUAL_RTOL``).
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
    gradients: np.ndarray
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
        More than ``max_saddles`` jumps, or a signed support seen twice (cycling).

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
        n, d = X.shape
        self.n = n
        col_norms = np.linalg.norm(X, axis=0)
        y_norm = float(np.linalg.norm(y))
        # Per-coordinate gradient zero threshold (see GRAD_RTOL).
        self.grad_tol = GRAD_RTOL * col_norms * y_norm / n
        self.col_norms = col_norms
        self.support: list[int] = []  # active coordinates, in QR column order
        self.z = np.zeros(0)  # sign-flipped coefficients on the support, all > 0
        self.sigma = np.zeros(d)  # sign of s on the boundary, 0 inside
        self.Q = np.zeros((n, 0))
        self.R = np.zeros((0, 0))
        self.nnls_iterations = 0

    # -- linear algebra on the support -------------------------------------------------------
    def _column(self, j: int) -> np.ndarray:
        return self.sigma[j] * self.X[:, j]

    def _insert(self, j: int) -> None:
        col = self._column(j)
        m = len(self.support)
        resid = col - self.Q @ (self.Q.T @ col) if m else col
        if np.linalg.norm(resid) <= DEPENDENCE_RTOL * self.col_norms[j]:
            others = ", ".join(str(i) for i in self.support)
            raise ValueError(
                f"column {j} of X is linearly dependent on the active columns [{others}] "
                "while its gradient is non-zero; X is not in general position (collinear "
                "columns). Remove duplicated or collinear features."
            )
        if m >= self.n:
            raise ValueError(
                f"cannot add column {j}: {m} columns already span all {self.n} samples "
                "(X is not in general position)"
            )
        if m == 0:  # scipy's qr_insert returns an empty factor for a 1 x 0 start
            norm = float(np.linalg.norm(col))
            self.Q, self.R = (col / norm)[:, None], np.array([[norm]])
        else:
            self.Q, self.R = sla.qr_insert(
                self.Q, self.R, col, m, which="col", rcond=DEPENDENCE_RTOL, check_finite=False
            )
        self.support.append(j)

    def _delete(self, pos: int) -> None:
        Q, R = sla.qr_delete(self.Q, self.R, pos, 1, which="col", check_finite=False)
        m = R.shape[1]
        # With n active columns Q is square and scipy treats it as a full QR: keep it thin.
        self.Q, self.R = Q[:, :m], R[:m, :m]
        del self.support[pos]

    def _least_squares(self) -> np.ndarray:
        """Unconstrained LS coefficients on the support, with one refinement step."""
        if not self.support:
            return np.zeros(0)
        z = sla.solve_triangular(self.R, self.Q.T @ self.y, check_finite=False)
        resid = self.y - self._Z() @ z
        return z + sla.solve_triangular(self.R, self.Q.T @ resid, check_finite=False)

    def _Z(self) -> np.ndarray:
        idx = np.asarray(self.support, dtype=np.intp)
        return self.X[:, idx] * self.sigma[idx]

    def _residual(self) -> np.ndarray:
        return self.y - self._Z() @ self.z if self.support else self.y.copy()

    # -- warm-started Lawson-Hanson NNLS on the boundary set ----------------------------------
    def _nnls(self, boundary: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Solve the sign-constrained LS on ``boundary`` from the current support; return r."""
        in_support = np.zeros(self.X.shape[1], dtype=bool)
        in_support[self.support] = True
        # Columns whose least-squares coefficient came out <= 0 right after entering (possible
        # only through rounding when their gradient is barely above the threshold).
        excluded = np.zeros_like(in_support)
        max_iter = 3 * len(boundary) + 10
        for _ in range(max_iter):
            cand = boundary[~in_support[boundary] & ~excluded[boundary]]
            if cand.size == 0:
                return r
            w = self.sigma[cand] * (self.X[:, cand].T @ r) / self.n
            ok = w > self.grad_tol[cand]
            if not np.any(ok):
                return r
            j = int(cand[ok][np.argmax(w[ok] / self.col_norms[cand[ok]])])
            self._insert(j)
            in_support[j] = True
            self.z = np.append(self.z, 0.0)
            self.nnls_iterations += 1
            # Inner loop: move from the feasible z towards the LS solution on the support,
            # dropping the coordinates that reach zero first (Lawson-Hanson).
            first = True
            while True:
                z_ls = self._least_squares()
                if np.all(z_ls > 0):
                    self.z = z_ls
                    break
                if first and z_ls[-1] <= 0:
                    excluded[j] = True  # the entering column does not help: undo and skip it
                    in_support[j] = False
                    self._delete(len(self.support) - 1)
                    self.z = self.z[:-1]
                    break
                first = False
                neg = np.flatnonzero(z_ls <= 0)
                ratios = self.z[neg] / (self.z[neg] - z_ls[neg])
                step = float(np.min(ratios))
                self.z = self.z + step * (z_ls - self.z)
                drop = set(neg[ratios <= step].tolist()) | set(np.flatnonzero(self.z <= 0).tolist())
                for pos in sorted(drop, reverse=True):
                    in_support[self.support[pos]] = False
                    self._delete(pos)
                    self.z = np.delete(self.z, pos)
                    self.nnls_iterations += 1
                if not self.support:
                    break
            r = self._residual()
        raise SaddleLimitError(
            f"the active-set NNLS did not converge in {max_iter} iterations on "
            f"{len(boundary)} boundary coordinates (degenerate design)"
        )

    # -- Algorithm 1 ---------------------------------------------------------------------------
    def run(self) -> SaddleResult:
        X, y, k, n = self.X, self.y, self.k, self.n
        d = X.shape[1]
        s = np.zeros(d)
        t = 0.0
        rho = np.zeros(n)
        r = y.copy()
        on_boundary = np.zeros(d, dtype=bool)
        times, betas, ss, grads, losses = [0.0], [np.zeros(d)], [s.copy()], [], [_loss(r, n)]
        activated: list[np.ndarray] = [np.zeros(0, dtype=np.intp)]
        deactivated: list[np.ndarray] = [np.zeros(0, dtype=np.intp)]
        seen: set[bytes] = set()
        y_norm = float(np.linalg.norm(y))
        status, message = 0, "gradient vanished: last saddle reached"
        while True:
            g = -(X.T @ r) / n
            g[self.support] = 0.0  # exact on the support of a least-squares saddle
            active = np.abs(g) > self.grad_tol
            if not np.any(active) or np.linalg.norm(r) <= RESIDUAL_RTOL * y_norm:
                grads.append(np.zeros(d))  # numerically zero: s stays put after t_p
                break
            grads.append(g.copy())
            if len(times) > self.max_saddles:
                raise SaddleLimitError(
                    f"Algorithm 1 exceeded max_saddles={self.max_saddles} jumps "
                    f"(n={n}, d={d}); the design is probably degenerate"
                )
            idx = np.flatnonzero(active)
            direction = -np.sign(g[idx])
            hit_times = (k[idx] - direction * s[idx]) / np.abs(g[idx])
            hit_times = np.maximum(hit_times, 0.0)
            delta = float(hit_times.min())
            hits = idx[hit_times <= delta * (1.0 + TIE_RTOL)]
            t += delta
            rho += delta * r / n
            s -= delta * g  # all of g, so that s = X^T rho holds to rounding
            # Moving coordinates leave the boundary; the hitting ones land on it exactly.
            on_boundary[idx] = False
            s[hits] = direction[np.searchsorted(idx, hits)] * k[hits]
            on_boundary[hits] = True
            np.clip(s, -k, k, out=s)
            self.sigma = np.where(on_boundary, np.sign(s), 0.0)
            old_support = set(self.support)
            r = self._nnls(np.flatnonzero(on_boundary), r)
            beta = np.zeros(d)
            beta[self.support] = self.sigma[self.support] * self.z
            new_support = set(self.support)
            key = np.sort(np.asarray(self.support, dtype=np.int64) * 2 + (beta[self.support] > 0))
            if key.tobytes() in seen:
                raise SaddleLimitError(
                    f"signed support {sorted(self.support)} reached twice at t={t:.6g}: "
                    "Algorithm 1 is cycling (the design is not in general position)"
                )
            seen.add(key.tobytes())
            times.append(t)
            betas.append(beta)
            ss.append(s.copy())
            losses.append(_loss(r, n))
            activated.append(np.array(sorted(new_support - old_support), dtype=np.intp))
            deactivated.append(np.array(sorted(old_support - new_support), dtype=np.intp))

        beta_end = betas[-1]
        s_end = ss[-1]
        primal = float(np.sum(k * np.abs(beta_end)))
        dual = float(rho @ (X @ beta_end))
        return SaddleResult(
            times=np.asarray(times),
            betas=np.asarray(betas),
            s=np.asarray(ss),
            gradients=np.asarray(grads),
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
    idx = np.searchsorted(result.times, t, side="right") - 1
    beta = result.betas[idx]
    s = result.s[idx] - (t - result.times[idx])[:, None] * result.gradients[idx]
    return beta, s
