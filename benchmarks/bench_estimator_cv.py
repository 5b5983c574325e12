"""Benchmark: SaddleRegressorCV side by side with LassoLarsCV and LassoCV.

Held-out mean squared error (mean and std over the outer folds), support size and fit time of
each model under repeated K-fold (default 5 folds x 3 repeats), on scikit-learn's bundled
regression data: diabetes (442 x 10), a sparse wide make_regression problem (100 x 200,
10 informative features) and make_friedman1 (200 x 10, 5 informative, non-linear), plus
linnerud (20 x 3, target ``Weight``). Every model sees standardised features: the saddle
estimators standardise internally, the Lasso models run after a StandardScaler; every inner
cross-validation uses the same 5 folds. Two references: predicting the mean (DummyRegressor)
and the end of the saddle path (SaddleRegressor(): the minimum-l1 least-squares fit).

    python benchmarks/bench_estimator_cv.py [--folds 5] [--repeats 3] [--markdown]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_linnerud, make_friedman1, make_regression
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, LassoLarsCV
from sklearn.model_selection import KFold, RepeatedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dln import SaddleRegressor, SaddleRegressorCV


def datasets():
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", X, y
    X, y = make_regression(
        n_samples=100, n_features=200, n_informative=10, noise=10.0, random_state=0
    )
    yield "make_regression (sparse)", X, y
    X, y = make_friedman1(n_samples=200, n_features=10, noise=1.0, random_state=0)
    yield "friedman1", X, y
    data = load_linnerud()
    yield "linnerud (Weight)", data.data, data.target[:, 0]


def models(inner):
    return {
        "mean (DummyRegressor)": lambda: DummyRegressor(),
        "SaddleRegressor (end)": lambda: SaddleRegressor(),
        "SaddleRegressorCV": lambda: SaddleRegressorCV(cv=inner),
        "LassoLarsCV": lambda: make_pipeline(StandardScaler(), LassoLarsCV(cv=inner)),
        "LassoCV": lambda: make_pipeline(StandardScaler(), LassoCV(cv=inner, random_state=0)),
    }


def support_size(model) -> int:
    est = model[-1] if hasattr(model, "steps") else model
    coef = getattr(est, "coef_", None)
    return 0 if coef is None else int(np.count_nonzero(coef))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    outer = RepeatedKFold(n_splits=args.folds, n_repeats=args.repeats, random_state=args.seed)
    inner = KFold(5)
    rows = []
    for name, X, y in datasets():
        splits = list(outer.split(X))
        for label, make in models(inner).items():
            mse, size, secs = [], [], []
            for train, test in splits:
                model = make()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    model.fit(X[train], y[train])
                    secs.append(time.perf_counter() - start)
                mse.append(np.mean((model.predict(X[test]) - y[test]) ** 2))
                size.append(support_size(model))
            rows.append(
                (
                    f"{name} ({X.shape[0]}x{X.shape[1]})",
                    label,
                    np.mean(mse),
                    np.std(mse),
                    np.mean(size),
                    1e3 * np.median(secs),
                )
            )
    header = ("data", "model", "held-out MSE", "std", "support", "fit ms (median)")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(["---"] * 2 + ["---:"] * 4) + "|")
        for data, label, m, s, k, ms in rows:
            print(f"| {data} | {label} | {m:.4g} | {s:.3g} | {k:.1f} | {ms:.1f} |")
        return
    print(
        f"{header[0]:<32} {header[1]:<24} {header[2]:>12} {header[3]:>9} {header[4]:>8} "
        f"{header[5]:>16}"
    )
    for data, label, m, s, k, ms in rows:
        print(f"{data:<32} {label:<24} {m:12.4g} {s:9.3g} {k:8.1f} {ms:16.1f}")
    print(f"outer CV: RepeatedKFold({args.folds} folds x {args.repeats}), inner CV: KFold(5)")


if __name__ == "__main__":
    main()
