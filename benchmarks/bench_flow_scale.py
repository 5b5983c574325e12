"""Benchmark: simulate_flow on wide data (d >> n) against Algorithm 1 on the same data.

Everything is measured in this one process, side by side, as medians of paired runs (the
machine is shared: only ratios measured together mean something). BLAS runs on one thread, as
in the pipeline's jobs (Snakemake sets OPENBLAS_NUM_THREADS to the rule's threads, 1 here):
with several BLAS threads on a busy machine the small products of both sides get slower by an
amount that depends on the load, not on the code.

1. n=100, d=2000, 10-sparse truth plus noise (about 150 saddles), alpha = 1e-10: flow time /
   saddle_jumps time, for the default (method="auto": LSODA in this row-space form, with its
   tighter tolerance) and Radau, with the pipeline's settings (a 1001-point log-spaced grid to
   1.5 t_p, every plateau midpoint as a loss level, rtol 1e-8). Issue target: flow /
   Algorithm 1 <= 30 for the default.
2. n=100, d = 1000 .. 8000: the flow's time (default and Radau) and the fitted exponent of time
   against d (goal <= 1.2); the number of saddles is printed too, as it grows with d as well.
3. Peak RSS of a fresh process that runs the flow at n=100, d=8000 (no d x d matrix: it would
   take 512 MB by itself).
4. The paper's small problems (the default is Radau there): Radau against LSODA, and where
   d > n the form dln.flow picks against the other one.

alpha is the initialisation scale (log_inv_alpha = log(1/alpha)).

    python benchmarks/bench_flow_scale.py [--repeats 5] [--skip-memory]
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import time

import numpy as np
from scipy.stats import linregress
from threadpoolctl import threadpool_limits

import dln.flow as dln_flow
from dln.flow import simulate_flow
from dln.problems import PRESETS, make_preset
from dln.saddles import saddle_jumps

LOG_INV_ALPHA = 10 * math.log(10)  # alpha = 1e-10
RTOL = 1e-8
NUM_TIMES = 1001
TARGET_RATIO = 30.0
TARGET_EXPONENT = 1.2


def make_wide(n, d, *, support=10, noise=0.5, seed=0):
    """Standardised Gaussian design, sparse truth plus noise: the path runs to interpolation."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    idx = rng.choice(d, support, replace=False)
    beta[idx] = rng.uniform(1, 10, support) * rng.choice([-1, 1], support)
    y = X @ beta + noise * rng.standard_normal(n)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y - y.mean()


def flow_setup(X, y):
    """The pipeline's flow arguments: log grid from t_1 / 5 to 1.5 t_p, plateau midpoints."""
    sad = saddle_jumps(X, y)
    t = np.geomspace(sad.times[1] / 5, 1.5 * sad.times[-1], NUM_TIMES)
    levels = (sad.losses[:-1] + sad.losses[1:]) / 2
    return sad, t, levels


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def run_flow(X, y, t, levels, method, lam=LOG_INV_ALPHA):
    return simulate_flow(X, y, log_inv_alpha=lam, t=t, rtol=RTOL, loss_levels=levels, method=method)


def ratio_to_algorithm1(repeats):
    X, y = make_wide(100, 2000)
    sad, t, levels = flow_setup(X, y)
    print(f"[1] n=100 d=2000: {sad.n_saddles} saddles, t_p = {sad.times[-1]:.4g}, alpha=1e-10")
    for method in ("auto", "Radau"):
        run_flow(X, y, t, levels, method)  # warm up
        ratios, t_flow, t_alg = [], [], []
        for _ in range(repeats):
            ta, _ = timed(saddle_jumps, X, y)
            tf, res = timed(run_flow, X, y, t, levels, method)
            ratios.append(tf / ta)
            t_flow.append(tf)
            t_alg.append(ta)
        label = f"{method} ({res.method})" if method == "auto" else method
        print(
            f"    {label:12s}: flow {np.median(t_flow):.3f} s, Algorithm 1 "
            f"{np.median(t_alg) * 1e3:.1f} ms, flow / Algorithm 1 = {np.median(ratios):.1f} "
            f"(median of {repeats} pairs; target <= {TARGET_RATIO:g}); {res.n_steps} steps, "
            f"nfev={res.nfev}, nlu={res.nlu}"
        )


def exponent_in_d(dims, repeats):
    print("[2] n=100, time of the flow (alpha=1e-10) against d")
    times, times_default = [], []
    for d in dims:
        X, y = make_wide(100, d)
        sad, t, levels = flow_setup(X, y)
        tr = [timed(run_flow, X, y, t, levels, "Radau")[0] for _ in range(repeats)]
        tl = [timed(run_flow, X, y, t, levels, "auto")[0] for _ in range(repeats)]
        times.append(np.median(tr))
        times_default.append(np.median(tl))
        ta = np.median([timed(saddle_jumps, X, y)[0] for _ in range(repeats)])
        print(
            f"    d={d:5d}: {sad.n_saddles:4d} saddles, default {times_default[-1]:.3f} s, Radau "
            f"{times[-1]:.3f} s, Algorithm 1 {ta * 1e3:.1f} ms"
        )
    for name, ts in (("default", times_default), ("Radau", times)):
        fit = linregress(np.log(dims), np.log(ts))
        print(
            f"    fitted exponent of flow time vs d ({name}): {fit.slope:.2f} "
            f"(goal <= {TARGET_EXPONENT:g})"
        )


def peak_memory():
    """Peak RSS of a fresh process running the flow at n=100, d=8000."""
    # VmHWM (the peak of this process's own memory), not ru_maxrss: a child forked from this
    # process inherits its parent's ru_maxrss across exec, so after the other parts it read the
    # parent's peak (442 MB "before" Algorithm 1 where VmHWM says 140 MB).
    code = (
        "import sys\n"
        "def peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1]) / 1024\n"
        "    import resource\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "sys.path[:0] = " + repr(sys.path[:1]) + "\n"
        "from threadpoolctl import threadpool_limits\n"
        "from bench_flow_scale import make_wide, flow_setup, run_flow\n"
        "X, y = make_wide(100, 8000)\n"
        "sad, t, levels = flow_setup(X, y)\n"
        "before = peak()\n"
        "with threadpool_limits(1):\n"
        "    res = run_flow(X, y, t, levels, 'auto')\n"
        "after = peak()\n"
        "out = (res.beta.nbytes + res.s.nbytes + res.u.nbytes + res.v.nbytes) / 2**20\n"
        "print(f'{before:.0f} {after:.0f} {out:.0f} {sad.n_saddles}')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, out, saddles = proc.stdout.split()
    print(
        f"[3] n=100 d=8000 ({saddles} saddles): peak RSS {after} MB after the flow, {before} MB "
        f"with the data and Algorithm 1; the result's beta, s, u, v on {NUM_TIMES} times hold "
        f"{out} MB; a d x d float64 matrix alone would be {8000**2 * 8 / 2**20:.0f} MB"
    )


def paper_problems(repeats):
    print("[4] the paper's problems (preset seeds, their alphas, 400 times, rtol 1e-8)")
    for name in PRESETS:
        problem = make_preset(name)
        X, y = problem.X, problem.y
        n, d = X.shape
        sad = saddle_jumps(X, y)
        levels = (sad.losses[:-1] + sad.losses[1:]) / 2
        t = np.linspace(0.0, 1.5 * sad.times[-1], 400)
        lam = -min(problem.params["log10_alphas"]) * math.log(10)
        cases = [("Radau", None), ("LSODA", None)]
        if d > n:  # the other form, forced, for comparison
            other = not _DEFAULT_FORM(n, d)
            cases += [("Radau", other), ("LSODA", other)]
        line = f"    {name:10s} n={n} d={d} alpha=1e{-lam / math.log(10):.0f}:"
        for method, row in cases:
            if row is not None:
                dln_flow._use_row_space = _forced_form(row)
            tt = [timed(run_flow, X, y, t, levels, method, lam)[0] for _ in range(repeats)]
            dln_flow._use_row_space = _DEFAULT_FORM
            form = "" if row is None else (" (row-space form)" if row else " (dual form)")
            line += f" {method}{form} {np.median(tt) * 1e3:.1f} ms;"
        print(line)


_DEFAULT_FORM = dln_flow._use_row_space


def _forced_form(row_space):
    return lambda n_samples, n_features: row_space


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dims", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only", choices=["ratio", "exponent", "memory", "paper"], default=None)
    args = ap.parse_args()
    with threadpool_limits(1):
        if args.only in (None, "ratio"):
            ratio_to_algorithm1(args.repeats)
        if args.only in (None, "exponent"):
            exponent_in_d(args.dims, max(1, args.repeats // 2))
        if args.only in (None, "paper"):
            paper_problems(args.repeats)
    if args.only in (None, "memory") and not args.skip_memory:
        peak_memory()
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
