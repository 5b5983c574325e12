"""Benchmark: saddle_jumps at n=1000, d=10000 completes; report time and peak memory.

Gaussian design, 100-sparse beta*, label noise 0.1 (so the path runs to interpolation).
Peak RSS is the process's (ru_maxrss) before and after, so the data's own share is visible.

    python benchmarks/bench_saddles_large.py [--n 1000 --d 10000]
"""

import argparse
import resource
import time

import numpy as np

from dln import saddle_jumps


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--d", type=int, default=10000)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.n, args.d))
    beta = np.zeros(args.d)
    beta[rng.choice(args.d, args.k, replace=False)] = rng.uniform(1, 10, args.k)
    y = X @ beta + args.noise * rng.standard_normal(args.n)
    rss_data = peak_rss_mb()
    t0 = time.perf_counter()
    res = saddle_jumps(X, y)
    elapsed = time.perf_counter() - t0
    rss_end = peak_rss_mb()
    print(f"data: n={args.n} d={args.d} support={args.k} noise={args.noise} seed={args.seed}")
    print(f"saddle_jumps: {elapsed:.1f} s, {res.n_saddles} saddles")
    print(f"final loss {res.losses[-1]:.2e}")
    print(f"certificate: gap {res.duality_gap:.2e}, residual {res.certificate_residual:.2e}")
    arrays_mb = (res.betas.nbytes + res.s.nbytes) / 2**20
    print(f"peak RSS: {rss_data:.0f} MB with the data, {rss_end:.0f} MB after the run")
    print(f"(result arrays betas + s: {arrays_mb:.0f} MB)")


if __name__ == "__main__":
    main()
