"""Where (S)GD ends: the mirror prediction with the run's own Gain against the minimum-l1 solution.

For each problem, alpha, step and batch size, (S)GD (dln.gradient_descent, exact dual
coordinates) runs to T_FACTOR times Algorithm 1's last jump time. For each end point that reached
interpolation (relative residual <= RESIDUAL_MAX) the script prints its relative distance

- d_pred: to beta_pred = dln.mirror_prediction(X, y, log_inv_alpha, gain=Gain_end), the
  hyperbolic-entropy interpolator with per-coordinate scales alpha exp(-Gain_i / 2);
- d_flow: to the same problem with Gain = 0 (the gradient flow's end point at this alpha), which
  separates what the steps and the noise move from what the finite alpha moves;
- d_wl1: to the weighted minimum-l1 solution with weights 1 + Gain_i / (2 log(1/alpha)) (the
  small-alpha limit of beta_pred, dln.weighted_l1_prediction);
- d_l1: to the plain minimum-l1 solution (dln.min_l1_solution),

and the median and worst of d_pred and d_l1 over the runs whose end point moved (d_l1 >=
MOVED), per problem family. Problems: five random Gaussian problems (n = 10, d = 30, 10
non-zeros), the diabetes data with pairwise interactions (n = 24 < d = 55), and the diabetes
data itself (n = 442 > d = 10: the minimiser of the loss is unique, so every prediction is the
least-squares solution and all distances are ~0; printed to show that case), both with steps
DIABETES_STEP_SCALE times smaller.

alpha is the initialisation scale. Run: python benchmarks/bench_endpoint_prediction.py
"""

from __future__ import annotations

import math

import numpy as np

from dln.gd import GradientDescentError, gradient_descent
from dln.implicit_bias import mirror_prediction, relative_distance, weighted_l1_prediction
from dln.lp import min_l1_solution
from dln.problems import make_preset, make_problem
from dln.saddles import saddle_jumps

T_FACTOR = 3.0
RESIDUAL_MAX = 1e-4
MOVED = 1e-2
LOG10_ALPHAS = (5, 10)
# (step, batch size as a fraction of n or None for full batch)
SETTINGS = ((1e-3, None), (1e-2, None), (2e-2, None), (1e-2, 0.25), (5e-3, "one"))
# The diabetes problems have larger coefficients (|beta| up to ~40 against ~10): steps of the
# random problems' grid times this (larger ones diverge or stall far from interpolation).
DIABETES_STEP_SCALE = 0.1


def _batch(n, spec):
    if spec is None:
        return None
    if spec == "one":
        return 1
    return max(1, int(n * spec))


def run_problem(name, X, y, rows, step_scale=1.0):
    n = X.shape[0]
    sad = saddle_jumps(X, y)
    l1 = min_l1_solution(X, y).beta
    t_max = T_FACTOR * float(sad.times[-1])
    for log10 in LOG10_ALPHAS:
        lam = log10 * math.log(10)
        flow_pred = mirror_prediction(X, y, log_inv_alpha=lam).beta
        for base_step, spec in SETTINGS:
            step = base_step * step_scale
            batch = _batch(n, spec)
            try:
                res = gradient_descent(
                    X, y, log_inv_alpha=lam, step=step, t_max=t_max, batch_size=batch, seed=0
                )
            except GradientDescentError:
                print(f"{name:24s} alpha=1e-{log10:<3d} step={step:<6g} batch={batch}: diverged")
                continue
            end = res.beta[-1]
            resid = float(np.linalg.norm(X @ end - y - (X @ l1 - y))) / float(np.linalg.norm(y))
            gain = res.gain[-1]
            line = (
                f"{name:24s} alpha=1e-{log10:<3d} step={step:<6g} batch={str(batch):5s} "
                f"max Gain={gain.max():8.2f} resid={resid:.1e}"
            )
            if resid > RESIDUAL_MAX or not np.all(gain > -2 * lam):
                print(line + "  (not at interpolation: no prediction)")
                continue
            pred = mirror_prediction(X, y, log_inv_alpha=lam, gain=gain).beta
            wl1 = weighted_l1_prediction(X, y, log_inv_alpha=lam, gain=gain).beta
            d = {
                "pred": relative_distance(end, pred),
                "flow": relative_distance(end, flow_pred),
                "wl1": relative_distance(end, wl1),
                "l1": relative_distance(end, l1),
            }
            rows.append((name, log10, step, batch, d))
            print(
                line + "  "
                f"d_pred={d['pred']:.2e} d_flow={d['flow']:.2e} d_wl1={d['wl1']:.2e} "
                f"d_l1={d['l1']:.2e}"
            )


def summary(label, rows):
    moved = [r[4] for r in rows if r[4]["l1"] >= MOVED]
    if not moved:
        print(f"{label}: no end point moved by >= {MOVED:g} from the minimum-l1 solution")
        return
    dp = np.array([m["pred"] for m in moved])
    dl = np.array([m["l1"] for m in moved])
    df = np.array([m["flow"] for m in moved])
    print(
        f"{label}: {len(moved)} runs moved (d_l1 >= {MOVED:g}) | d_pred median {np.median(dp):.2e}"
        f" worst {dp.max():.2e} | d_flow median {np.median(df):.2e} worst {df.max():.2e} | "
        f"d_l1 median {np.median(dl):.2e} worst {dl.max():.2e} | d_pred < d_l1 / 10 in "
        f"{int(np.sum(dp < dl / 10))}/{len(moved)}"
    )


def main():
    print(f"horizon {T_FACTOR:g} t_p, interpolation if residual <= {RESIDUAL_MAX:g}, seed 0")
    random_rows, inter_rows, diab_rows = [], [], []
    for seed in range(5):
        p = make_problem(n_samples=10, n_features=30, support_size=10, seed=seed)
        run_problem(f"random seed {seed}", p.X, p.y, random_rows)
    p = make_preset("diabetes_interactions")
    run_problem("diabetes_interactions", p.X, p.y, inter_rows, step_scale=DIABETES_STEP_SCALE)
    p = make_preset("diabetes")
    run_problem("diabetes (n > d)", p.X, p.y, diab_rows, step_scale=DIABETES_STEP_SCALE)
    summary("random (10 x 30)", random_rows)
    summary("diabetes_interactions (24 x 55)", inter_rows)
    worst = max((r[4]["pred"] for r in diab_rows), default=float("nan"))
    worst_l1 = max((r[4]["l1"] for r in diab_rows), default=float("nan"))
    print(f"diabetes (442 x 10, unique minimiser): worst d_pred {worst:.1e}, d_l1 {worst_l1:.1e}")


if __name__ == "__main__":
    main()
