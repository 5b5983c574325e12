"""Per-iteration cost of dln.gradient_descent (exact dual coordinates) against the float64
(u, v) loop it replaced, measured in this process.

The reference is the hot loop of the former ``dln.gd`` (``u <- u - step v g``, ``v <- v - step
u g`` with ``g`` from ``G beta - b`` or ``X^T (X beta - y) / n``), copied here with its record
bookkeeping, at an alpha where it works (1e-30). The dual-coordinate run is the public function
called with the same step and horizon (so it also pays for validation and the returned
arrays), at alpha = 1e-30 and 1e-100. Each time is the best of REPEATS runs. Pass criterion:
time(dual) / time((u, v)) <= 1.5 per iteration on every problem, full batch. Mini-batch SGD
(batch sizes 1 and n/4) is timed against the same (u, v) loop for information.

alpha is the initialisation scale. Run: python benchmarks/bench_gd_speed.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: one thread, as the loops
os.environ.setdefault("OMP_NUM_THREADS", "1")

import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from dln.gd import gradient_descent
from dln.problems import make_preset, make_problem  # noqa: E402

REPEATS = 7
LIMIT = 1.5
STEP = 1e-3
T_MAX = 0.5


def uv_loop(X, y, alpha, step, n_iter, record_every=1000):
    """The former float64 (u, v) iteration (full batch), with its per-record bookkeeping."""
    n, d = X.shape
    b = X.T @ y / n
    use_x_products = 2 * n < d
    if use_x_products:
        Xs = np.ascontiguousarray(X)
        XtS = np.ascontiguousarray(X.T * (step / n))
        r = np.empty(n)
    else:
        Gs = np.ascontiguousarray(X.T @ X * (step / n))
        bs = b * step
    u = np.full(d, math.sqrt(2.0) * alpha)
    v = np.zeros(d)
    beta, g, du, dv, S = (np.empty(d) for _ in range(5))
    S[:] = 0.0
    out = []
    multiply, dot, subtract = np.multiply, np.dot, np.subtract
    for it in range(n_iter + 1):
        multiply(u, v, out=beta)
        if use_x_products:
            dot(Xs, beta, out=r)
            r -= y
            dot(XtS, r, out=g)
        else:
            dot(Gs, beta, out=g)
            g -= bs
        if it % record_every == 0:
            out.append(beta.copy())
        if it == n_iter:
            break
        multiply(v, g, out=du)
        multiply(u, g, out=dv)
        u -= du
        v -= dv
        subtract(S, g, out=S)
    return np.array(out)


def best_of_interleaved(fns):
    """Best CPU time of each function over REPEATS rounds, the functions alternating in each
    round (CPU time and interleaving make the ratios robust to other load on the machine)."""
    times = [np.inf] * len(fns)
    for _ in range(REPEATS):
        for i, fn in enumerate(fns):
            start = time.process_time()
            fn()
            times[i] = min(times[i], time.process_time() - start)
    return times


def main():
    problems = {
        "fig1_left (5 x 7)": make_preset("fig1_left"),
        "diabetes (442 x 10)": make_preset("diabetes"),
        "random (20 x 40)": make_problem(n_samples=20, n_features=40, support_size=4, seed=5),
        "random (100 x 400)": make_problem(n_samples=100, n_features=400, support_size=10, seed=5),
    }
    worst = 0.0
    print(f"step={STEP}, t_max={T_MAX}, CPU time, best of {REPEATS} interleaved rounds")
    lam30, lam100 = math.log(1e30), 100 * math.log(10)
    its30, its100 = math.ceil(T_MAX * lam30 / STEP), math.ceil(T_MAX * lam100 / STEP)
    for name, p in problems.items():
        X, y = p.X, p.y
        quarter = max(1, p.n_samples // 4)

        def gd(lam, batch=None, X=X, y=y):
            return gradient_descent(
                X, y, log_inv_alpha=lam, step=STEP, t_max=T_MAX, batch_size=batch, seed=0
            )

        ref, d30, d100, sgd1, sgdq = best_of_interleaved(
            [
                lambda X=X, y=y: uv_loop(X, y, 1e-30, STEP, its30),
                lambda: gd(lam30),
                lambda: gd(lam100),
                lambda: gd(lam30, 1),
                lambda q=quarter: gd(lam30, q),
            ]
        )
        per_ref = ref / its30
        r30, r100 = d30 / its30 / per_ref, d100 / its100 / per_ref
        worst = max(worst, r30, r100)
        print(
            f"{name:22s} (u, v) {per_ref * 1e6:6.2f} us/it | dual alpha=1e-30 "
            f"{d30 / its30 * 1e6:6.2f} us/it ratio {r30:4.2f} | alpha=1e-100 "
            f"{d100 / its100 * 1e6:6.2f} us/it ratio {r100:4.2f}"
        )
        print(
            f"{'':22s} SGD batch 1: {sgd1 / its30 * 1e6:6.2f} us/it (ratio {sgd1 / ref:4.2f}), "
            f"batch {quarter}: {sgdq / its30 * 1e6:6.2f} us/it (ratio {sgdq / ref:4.2f})"
        )
    print(f"largest full-batch ratio time(dual) / time((u, v)) per iteration: {worst:.2f}")
    print(f"PASS criterion <= {LIMIT:g}: {'PASS' if worst <= LIMIT else 'FAIL'}")


if __name__ == "__main__":
    main()
