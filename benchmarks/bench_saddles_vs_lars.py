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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--d", type=int, default=2000)
    ap.add_argument("--k", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=21)
    args = ap.parse_args()
    X, y, beta = make_data(args.n, args.d, args.k, args.seed)

    def run_saddles():
        return saddle_jumps(X, y)

    def run_lars():
        return lars_path(X, y, method="lasso")

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
    paired = np.median(np.asarray(wall_s) / np.asarray(wall_l))
    t_s, t_l = min(wall_s), min(wall_l)
    lp = min_l1_solution(X, y)
    err = np.linalg.norm(res.beta_end - lp.beta) / np.linalg.norm(lp.beta)
    print(f"data: n={args.n} d={args.d} support={args.k} seed={args.seed} noiseless")
    print(f"saddle_jumps : {t_s:.4f} s  ({res.n_saddles} saddles)")
    print(f"               endpoint vs min-l1 LP: relative difference {err:.1e}")
    print(f"lars_path    : {t_l:.4f} s  ({len(alphas) - 1} knots)")
    print(f"ratio of best wall times        = {t_s / t_l:.3f}")
    print(f"median ratio of paired runs     = {paired:.3f}")
    print(f"ratio of best process CPU times = {min(cpu_s) / min(cpu_l):.3f}")
    print(f"ratio saddle_jumps / lars_path = {paired:.3f}  (median of pairs; target <= 1.0)")


if __name__ == "__main__":
    main()
