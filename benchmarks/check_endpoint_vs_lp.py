"""Algorithm 1's endpoint against the linear-programming minimum-l1 solution, 1000 instances.

A seeded randomised check (not part of the test run): for each instance draw a Gaussian design
X (n, d) and a sparse beta*, with or without label noise, in one of three shapes (n < d,
n = d, n > d), run ``dln.saddle_jumps`` and ``dln.min_l1_solution`` and compare the last saddle
with the LP solution:

    ||beta_p - beta_lp||_inf <= RTOL * ||beta_lp||_inf.

For n < d this is basis pursuit (the minimum-l1 interpolator), for n = d the unique
interpolator, for n > d the least-squares solution (the minimum-l1 one among the least-squares
minimisers, which is unique for a full-column-rank X). Prints the counts per shape and noise
and the largest relative difference; exits with status 1 if any instance fails.

    python benchmarks/check_endpoint_vs_lp.py [--instances 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

import numpy as np

from dln.lp import min_l1_solution
from dln.saddles import saddle_jumps

RTOL = 1e-9
SHAPES = ("n<d", "n=d", "n>d")
NOISE = ("noiseless", "noisy")
# Label noise of the noisy instances, relative to the signal's standard deviation.
NOISE_LEVEL = 0.1


def draw(rng: np.random.Generator, shape: str, noisy: bool):
    """One instance: X (n, d), y (n,)."""
    if shape == "n<d":
        n = int(rng.integers(2, 31))
        d = int(rng.integers(n + 1, 3 * n + 2))
    elif shape == "n=d":
        n = d = int(rng.integers(1, 31))
    else:
        d = int(rng.integers(1, 21))
        n = int(rng.integers(d + 1, 3 * d + 2))
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    k = int(rng.integers(1, max(1, min(n, d) // 2) + 1))
    support = rng.choice(d, size=k, replace=False)
    beta[support] = rng.uniform(1, 10, k) * rng.choice([-1.0, 1.0], k)
    y = X @ beta
    if noisy:
        y = y + NOISE_LEVEL * max(float(np.std(y)), 1.0) * rng.standard_normal(n)
    return X, y


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    counts = defaultdict(lambda: {"instances": 0, "passed": 0, "max_rel": 0.0, "saddles": 0})
    failures = []
    root = np.random.SeedSequence(args.seed)
    start = time.perf_counter()
    for i, child in enumerate(root.spawn(args.instances)):
        rng = np.random.default_rng(child)
        shape = SHAPES[i % 3]
        noisy = bool((i // 3) % 2)
        X, y = draw(rng, shape, noisy)
        key = (shape, NOISE[noisy])
        entry = counts[key]
        entry["instances"] += 1
        try:
            result = saddle_jumps(X, y)
            lp = min_l1_solution(X, y)
        except Exception as exc:  # a failure to report, not to hide
            failures.append((i, key, X.shape, f"{type(exc).__name__}: {exc}"))
            continue
        scale = max(float(np.max(np.abs(lp.beta))), np.finfo(float).tiny)
        rel = float(np.max(np.abs(result.betas[-1] - lp.beta))) / scale
        entry["max_rel"] = max(entry["max_rel"], rel)
        entry["saddles"] += result.n_saddles
        if rel <= RTOL and np.all(np.isfinite(result.betas)):
            entry["passed"] += 1
        else:
            failures.append((i, key, X.shape, f"relative difference {rel:.3g}"))
    elapsed = time.perf_counter() - start

    print(f"Algorithm 1 endpoint vs LP (HiGHS), relative tolerance {RTOL:g}, seed {args.seed}")
    print(
        f"{'shape':<6} {'noise':<10} {'instances':>9} {'passed':>7} {'max rel diff':>13} "
        f"{'mean jumps':>10}"
    )
    total = passed = 0
    for shape in SHAPES:
        for noise in NOISE:
            e = counts[(shape, noise)]
            total += e["instances"]
            passed += e["passed"]
            mean = e["saddles"] / max(e["instances"], 1)
            print(
                f"{shape:<6} {noise:<10} {e['instances']:>9} {e['passed']:>7} "
                f"{e['max_rel']:>13.2e} {mean:>10.1f}"
            )
    print(f"total: {passed}/{total} passed, {len(failures)} failed, {elapsed:.1f} s")
    for i, key, shape, why in failures[:20]:
        print(f"  FAILED instance {i} {key} X{shape}: {why}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
