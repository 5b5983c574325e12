"""Benchmark: saddle_jumps vs scikit-learn's lars_path(method="lasso") on the same data.

Equal work: lars_path gets ``max_iter`` large enough to reach the end of its path (its default
of 500 stops it early on big problems, while Algorithm 1 always runs to the last saddle), and
the numbers of knots and saddles are printed. Two ratios: the whole path (time / time) and per
step (time per saddle / time per knot). Issue targets: per-step ratio <= 1.0 at n=200/d=2000,
n=500/d=5000 and n=1000/d=10000 (``--n 1000 --d 10000 --k 200 --repeats 3``).

Both sides run in this one process, in pairs run back to back (same machine load), medians of
the pairs reported. BLAS runs on one thread (``--threads``), as in the pipeline's jobs: on a
shared machine several BLAS threads make both sides slower by amounts that depend on the load.

    python benchmarks/bench_saddles_vs_lars.py [--n 500 --d 5000 --k 100]
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import lars_path
from threadpoolctl import threadpool_limits

from dln import min_l1_solution, saddle_jumps


def make_data(n, d, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[rng.choice(d, k, replace=False)] = rng.uniform(1, 10, k) * rng.choice([-1, 1], k)
    return X, X @ beta, beta


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--d", type=int, default=2000)
    ap.add_argument("--k", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = ap.parse_args()
    with threadpool_limits(args.threads):
        run(args)


def run(args):
    X, y, beta = make_data(args.n, args.d, args.k, args.seed)
    # Enough iterations for lars_path to reach the end of its path (it stops at a zero
    # correlation or at n active features; drops make it take more than min(n, d) steps).
    max_iter = 20 * (args.n + args.d)

    def run_saddles():
        return saddle_jumps(X, y)

    def run_lars():
        return lars_path(X, y, method="lasso", max_iter=max_iter)

    run_saddles(), run_lars()  # warm up (imports, BLAS threads)
    # Pairs run back to back, so that both sides of a pair see the same machine load; the
    # process CPU time is reported as well, being less sensitive to other processes.
    wall_s, wall_l, cpu_s, cpu_l = [], [], [], []
    for _ in range(args.repeats):
        for fn, wall, cpu in ((run_saddles, wall_s, cpu_s), (run_lars, wall_l, cpu_l)):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    res = run_saddles()
    alphas, _, _ = run_lars()
    n_saddles, n_knots = res.n_saddles, len(alphas) - 1
    assert n_knots < max_iter, "lars_path stopped at max_iter"
    wall_s, wall_l = np.asarray(wall_s), np.asarray(wall_l)
    paired = np.median(wall_s / wall_l)
    per_step = np.median((wall_s / n_saddles) / (wall_l / n_knots))
    lp = min_l1_solution(X, y)
    err = np.linalg.norm(res.beta_end - lp.beta) / np.linalg.norm(lp.beta)
    print(f"data: n={args.n} d={args.d} support={args.k} seed={args.seed} noiseless")
    print(f"saddle_jumps : {np.median(wall_s):.4f} s  ({n_saddles} saddles)")
    print(f"               endpoint vs min-l1 LP: relative difference {err:.1e}")
    print(f"lars_path    : {np.median(wall_l):.4f} s  ({n_knots} knots, max_iter={max_iter})")
    print(f"ratio of best wall times        = {wall_s.min() / wall_l.min():.3f}")
    print(f"ratio of best process CPU times = {min(cpu_s) / min(cpu_l):.3f}")
    print(f"whole-path ratio saddle_jumps / lars_path = {paired:.3f}  (median of pairs)")
    print(f"per-step ratio (s per saddle) / (s per knot) = {per_step:.3f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
