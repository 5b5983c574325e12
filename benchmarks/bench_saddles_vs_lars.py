"""Benchmark: saddle_jumps vs scikit-learn's lars_path(method="lasso") on the same data.

Issue target: n=200, d=2000, 60-sparse beta*, noiseless, fixed seed: time ratio <= 1.0.
Both sides run in this one process, best of `--repeats` runs each, alternated.

    python benchmarks/bench_saddles_vs_lars.py
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import lars_path

from dln import min_l1_solution, saddle_jumps


def make_data(n, d, k, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[rng.choice(d, k, replace=False)] = rng.uniform(1, 10, k) * rng.choice([-1, 1], k)
    return X, X @ beta, beta


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--d", type=int, default=2000)
    ap.add_argument("--k", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    X, y, beta = make_data(args.n, args.d, args.k, args.seed)

    def run_saddles():
        return saddle_jumps(X, y)

    def run_lars():
        return lars_path(X, y, method="lasso")

    run_saddles(), run_lars()  # warm up (imports, BLAS threads)
    t_s, t_l = [], []
    for _ in range(args.repeats):
        t_s.append(best_time(run_saddles, 1)[0])
        t_l.append(best_time(run_lars, 1)[0])
    res = run_saddles()
    alphas, _, coefs = run_lars()
    lp = min_l1_solution(X, y)
    err = np.linalg.norm(res.beta_end - lp.beta) / np.linalg.norm(lp.beta)
    print(f"data: n={args.n} d={args.d} support={args.k} seed={args.seed} noiseless")
    print(f"saddle_jumps : {min(t_s):.4f} s  ({res.n_saddles} saddles)")
    print(f"               endpoint vs min-l1 LP: relative difference {err:.1e}")
    print(f"lars_path    : {min(t_l):.4f} s  ({len(alphas) - 1} knots)")
    print(f"ratio saddle_jumps / lars_path = {min(t_s) / min(t_l):.3f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
