"""The paper's figure presets and the real-data presets (scikit-learn's diabetes data).

* :func:`make_preset` builds the four setups of the paper's Figures 1 and 2 (Pesme and
  Flammarion, NeurIPS 2023, arXiv v1 Appendix A), see ``PRESETS`` and docs/theory.md, and the
  ``DATA_PRESETS`` on the diabetes data (:func:`load_diabetes`).
* :func:`pairwise_interactions` appends the products of pairs of columns.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dln._validation import check_array, check_positive
from dln.problems.data import _standardize
from dln.problems.problem import Problem, _check_seed, _default_feature_names, make_problem

__all__ = [
    "DATA_PRESETS",
    "DIABETES_INTERACTION_ROWS",
    "PRESETS",
    "load_diabetes",
    "make_preset",
    "pairwise_interactions",
]

#: Names accepted by :func:`make_preset`, one per panel of the paper's Figures 1 and 2.
PRESETS = ("fig1_left", "fig1_right", "fig2_left", "fig2_right")

# Gram matrix X^T X of Figure 2 (right); X is its symmetric square root.
_FIG2_RIGHT_GRAM = (
    (20.0, 6.0, -1.4),
    (6.0, 2.0, -0.4),
    (-1.4, -0.4, 0.12),
)

# Per preset: make_problem arguments (without seed), default seed, paper metadata.
# The default seeds and the fig1_right beta* were chosen with dln.saddles.saddle_jumps, see
# make_preset's docstring.
_PRESET_SPECS = {
    "fig1_left": {
        "problem": {
            "n_samples": 5,
            "n_features": 7,
            "covariance": None,
            "beta_star": (10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        },
        "default_seed": 12,
        "figure": "Figure 1 (left)",
        "log10_alphas": [-120],
        "time_range": [0.0, 0.8],
        "time_scale": "linear",
        "notes": "H = I, beta* as printed; default seed chosen so that Algorithm 1 gives 4 "
        "jumps with non-monotone coordinates, as in the paper's plot.",
    },
    "fig1_right": {
        "problem": {
            "n_samples": 6,
            "n_features": 6,
            "covariance": (1.0, 10.0, 10.0, 10.0, 10.0, 10.0),
            "beta_star": (1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        },
        "default_seed": 51,
        "figure": "Figure 1 (right)",
        "log10_alphas": [-10],
        "time_range": [0.0, 15.0],
        "time_scale": "linear",
        "notes": "beta* differs from the printed (10, 20, 0, ...), which cannot produce the "
        "plot: beta* = e_1 on the low-variance coordinate; default seed chosen so that the "
        "last jump deactivates several coordinates (x2, x4, x5) at once.",
    },
    "fig2_left": {
        "problem": {
            "n_samples": 7,
            "n_features": 2,
            "covariance": None,
            "beta_star": (10.0, 20.0),
        },
        "default_seed": 5,
        "figure": "Figure 2 (left)",
        "log10_alphas": [-100, -10],
        "time_range": [0.0, 0.15],
        "time_scale": "linear",
        "notes": "beta* = (10, 20) in R^2 (printed 'in R^7', a typo); seed chosen so that "
        "coordinate 1 activates first, as in the paper's plot.",
    },
    "fig2_right": {
        "default_seed": None,
        "figure": "Figure 2 (right)",
        "log10_alphas": [-100],
        "time_range": [1e-2, 1e2],
        "time_scale": "log",
        "notes": "deterministic: X = sqrtm(gram), symmetric, X^T X = gram; the last jump "
        "activates two coordinates at once.",
    },
}


def make_preset(name: str, *, seed: int | None = None) -> Problem:
    """Build one of the paper's figure setups (docs/theory.md), noiseless ``y = X beta*``.

    Parameters
    ----------
    name : {"fig1_left", "fig1_right", "fig2_left", "fig2_right"} or a ``DATA_PRESETS`` name
        The panel, see ``PRESETS``; or one of the real-data setups ``DATA_PRESETS``
        (``"diabetes"``, ``"diabetes_interactions"``, see :func:`load_diabetes`, whose
        ``seed`` draws the row subset of the interaction variant).
    seed : int, optional
        Seed of the Gaussian design; ``None`` uses the preset's fixed default seed. Must be
        ``None`` for ``"fig2_right"``, which is deterministic.

    Returns
    -------
    Problem
        ``name`` is the preset name. ``params`` holds the generator arguments (as
        :func:`make_problem` records them, including the seed), plus ``preset``, ``figure``,
        ``default_seed``, ``log10_alphas`` (the paper's initialisation scales ``alpha`` as
        base-10 exponents; ``alpha`` is the initialisation scale of the network),
        ``time_range`` (accelerated time, as plotted), ``time_scale`` and ``notes``.

    Notes
    -----
    The paper gives no seeds; ours were chosen (by a scan over seeds 0-59, checked with a
    prototype of Algorithm 1 and with the finite-alpha flow) so that Algorithm 1 reproduces
    the qualitative content of each panel. Saddles below are rounded; coordinates 1-based.

    - ``fig1_left``: n=5, d=7, H=I, beta*=(10,20,0,0,0,0,0), alpha=1e-120, t in [0, 0.8].
      Default seed 12: 4 jumps at t = 0.033, 0.189, 0.430, 0.554 through the saddles
      x2=16; (x2, x4)=(15.9, -4.8); (x2, x4, x5)=(15.1, -5.7, -4.0); (x1, x2)=(10, 20) = beta*.
      x2 and x4 are non-monotone and x4, x5 deactivate together at the last jump.
    - ``fig1_right``: n=6, d=6, H=diag(1,10,10,10,10,10), alpha=1e-10, t in [0, 15]. The
      printed beta*=(10,20,0,...) cannot give the plot (its final value is ~1 on one
      coordinate). We use beta* = (1,0,0,0,0,0): the only relevant feature has the smallest
      variance, so spurious high-variance features enter first and leave together when x1
      finally enters (n = d, so the last saddle is beta* itself). Default seed 51: 4 jumps
      at t = 0.655, 1.414, 2.338, 6.749; x4, then x2, then x5 enter; the last jump activates
      x1 and deactivates x2, x4, x5 at once. At alpha=1e-10 the flow is within 0.01 of
      beta* by t = 11, well inside the plotted range (seeds with a later last jump did not
      settle by t = 15 at this alpha).
    - ``fig2_left``: n=7, d=2, H=I, beta*=(10,20), alpha in {1e-100, 1e-10}, t in [0, 0.15]
      (the paper gives no range). Default seed 5: as in the paper, x1 jumps first (t = 0.033)
      to 17.8, then x2 jumps to 20 (t = 0.081) while x1 drops to 10.
    - ``fig2_right``: n=d=3, X = sqrtm([[20,6,-1.4],[6,2,-0.4],[-1.4,-0.4,0.12]]) (symmetric
      square root via ``numpy.linalg.eigh``), beta*=(1,9,10), alpha=1e-100, t in [1e-2, 1e2]
      on a log scale. No randomness. Jumps at t = 0.05, 1.05, 15: x1=3; x2=10 (x1 leaves);
      then x1 and x3 enter together at beta*.

    ``name`` stays the preset name when a non-default ``seed`` is given; the seed is in
    ``params``.

    The real-data presets: ``"diabetes"`` is scikit-learn's diabetes data (442 x 10),
    standardised (deterministic: ``seed`` must be ``None``); ``"diabetes_interactions"`` takes
    ``DIABETES_INTERACTION_ROWS`` rows drawn with ``seed`` (default 0) and the 10 + 45 features
    and pairwise products, standardised: ``n < d``, so the minimum-l1 solution interpolates.
    """
    if isinstance(name, str) and name in DATA_PRESETS:
        return _make_data_preset(name, seed)
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"name must be one of {PRESETS + DATA_PRESETS}, got {name!r}")
    spec = _PRESET_SPECS[name]
    meta = {
        "preset": name,
        "figure": spec["figure"],
        "default_seed": spec["default_seed"],
        "log10_alphas": list(spec["log10_alphas"]),
        "time_range": list(spec["time_range"]),
        "time_scale": spec["time_scale"],
        "notes": spec["notes"],
    }
    if name == "fig2_right":
        if seed is not None:
            raise ValueError("seed must be None for the deterministic preset 'fig2_right'")
        return _make_fig2_right(meta)
    if seed is None:
        seed = spec["default_seed"]
    problem = make_problem(**spec["problem"], seed=_check_seed(seed), name=name)
    return Problem(
        name=name,
        X=problem.X,
        y=problem.y,
        beta_star=problem.beta_star,
        feature_names=problem.feature_names,
        target_name=problem.target_name,
        params={**problem.params, **meta},
    )


def _make_fig2_right(meta: dict) -> Problem:
    gram = np.array(_FIG2_RIGHT_GRAM)
    eigval, eigvec = np.linalg.eigh(gram)
    # The Gram matrix is positive definite (smallest eigenvalue ~ 1.96e-2), so the symmetric
    # square root is real.
    X = (eigvec * np.sqrt(eigval)) @ eigvec.T
    X = (X + X.T) / 2
    beta = np.array([1.0, 9.0, 10.0])
    params = {
        "generator": "symmetric_sqrt",
        "gram": [list(row) for row in _FIG2_RIGHT_GRAM],
        "n_samples": 3,
        "n_features": 3,
        "beta_star": beta.tolist(),
        "noise_std": 0.0,
        "seed": None,
        **meta,
    }
    return Problem(
        name="fig2_right",
        X=X,
        y=X @ beta,
        beta_star=beta,
        feature_names=_default_feature_names(3),
        target_name="y",
        params=params,
    )


# --------------------------------------------------------------------------------------------
# Real data: scikit-learn's diabetes data (the classic LARS example)
# --------------------------------------------------------------------------------------------
#: Real-data setups accepted by :func:`make_preset` besides the paper's ``PRESETS``.
DATA_PRESETS = ("diabetes", "diabetes_interactions")

# Rows of the "diabetes_interactions" preset: 24 samples for 55 features (10 + 45 products), so
# that the minimum-l1 solution interpolates (seed 0: 36 jumps, 31 features ever active, last
# jump at t = 5.8) and a flow takes ~1.5 s (40 rows: 79 jumps, 3 s).
DIABETES_INTERACTION_ROWS = 24

_DIABETES_PRESET_NOTES = {
    "diabetes": "scikit-learn's diabetes data (Efron et al. 2004, the LARS example), 442 x 10, "
    "features standardised (ddof=0), target centred.",
    "diabetes_interactions": "rows drawn from scikit-learn's diabetes data, the 10 features and "
    "their 45 pairwise products, standardised on those rows; target centred. n < d.",
}


def _make_data_preset(name: str, seed: int | None) -> Problem:
    if name == "diabetes":
        if seed is not None:
            raise ValueError("seed must be None for the deterministic preset 'diabetes'")
        problem = load_diabetes(name=name)
    else:
        problem = load_diabetes(
            interactions=True,
            n_samples=DIABETES_INTERACTION_ROWS,
            seed=0 if seed is None else _check_seed(seed),
            name=name,
        )
    params = {**problem.params, "preset": name, "notes": _DIABETES_PRESET_NOTES[name]}
    return dataclasses.replace(problem, params=params)


def pairwise_interactions(X, feature_names=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """The columns of ``X`` followed by the products of every pair of distinct columns.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    feature_names : sequence of str, optional
        Default ``("x1", ..., "xd")``.

    Returns
    -------
    X_out : ndarray of shape (n_samples, n_features + n_features (n_features - 1) / 2)
        ``[x_1, ..., x_d, x_1 x_2, x_1 x_3, ..., x_{d-1} x_d]`` (pairs ``i < j`` in
        lexicographic order; no squares).
    names : tuple of str
        The input names, then ``"a*b"`` for the product of columns ``a`` and ``b``.
    """
    X = check_array(X, "X", ndim=2)
    d = X.shape[1]
    names = _default_feature_names(d) if feature_names is None else tuple(map(str, feature_names))
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} entries but X has {d} columns")
    i, j = np.triu_indices(d, k=1)
    out = np.hstack([X, X[:, i] * X[:, j]])
    return out, names + tuple(f"{names[a]}*{names[b]}" for a, b in zip(i, j, strict=True))


# scikit-learn's diabetes files and its names for the columns (sklearn.datasets.load_diabetes).
_DIABETES_FILES = ("datasets/data/diabetes_data_raw.csv.gz", "datasets/data/diabetes_target.csv.gz")
_DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


def _raw_diabetes() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``sklearn.datasets.load_diabetes(scaled=False)``'s data, target and feature names.

    Read from the two files scikit-learn ships, as its loader reads them (gzip, then
    ``np.loadtxt``: the same arrays, bit for bit, tested), without importing scikit-learn:
    its import takes ~0.9 s against ~3 ms for the read, and the diabetes presets are built in
    the workflow's configuration check and in every job of a diabetes problem or study. The
    package is located without importing it; if the files are not where they are expected
    (another scikit-learn layout), its loader is used.
    """
    import gzip
    import importlib.util
    from pathlib import Path

    def read(path):
        with gzip.open(path, mode="rt", encoding="utf-8") as text:
            return np.loadtxt(text)

    spec = importlib.util.find_spec("sklearn")
    roots = [] if spec is None else list(spec.submodule_search_locations or [])
    for root in roots:
        files = [Path(root) / name for name in _DIABETES_FILES]
        if all(f.is_file() for f in files):
            data, target = (read(f) for f in files)
            return data, target, _DIABETES_FEATURES
    from sklearn.datasets import load_diabetes as sklearn_diabetes

    bunch = sklearn_diabetes(scaled=False)
    return (
        np.asarray(bunch.data, dtype=np.float64),
        np.asarray(bunch.target, dtype=np.float64),
        tuple(str(f) for f in bunch.feature_names),
    )


def load_diabetes(
    *,
    interactions: bool = False,
    n_samples: int | None = None,
    seed: int = 0,
    standardize: bool = True,
    name: str | None = None,
) -> Problem:
    """scikit-learn's diabetes data (442 patients, 10 baseline variables), standardised.

    The target is a measure of disease progression one year after baseline; the features are
    age, sex, body mass index (``bmi``), blood pressure (``bp``) and six serum measurements
    (``s1`` ... ``s6``). The raw data (``sklearn.datasets.load_diabetes(scaled=False)``, shipped
    with scikit-learn, no download) is used and standardised here as :func:`load_data` does.

    Parameters
    ----------
    interactions : bool, default False
        Append the 45 pairwise products of the (standardised) features (see
        :func:`pairwise_interactions`), then standardise all 55 columns again on the rows used.
    n_samples : int, optional
        Use this many rows, drawn without replacement with ``seed`` and kept in file order;
        default all 442.
    seed : int, default 0
        Seed of the row subset (ignored when all rows are used).
    standardize : bool, default True
        Centre the target and the features and scale the features to unit population variance.
    name : str, optional
        Default ``"diabetes"`` or ``"diabetes_interactions"``.

    Returns
    -------
    Problem
        ``beta_star`` is ``None``; ``target_name`` is ``"disease_progression"``; ``params`` holds
        ``loader``, ``interactions``, ``n_samples``, ``seed``, ``rows`` (when subsampled),
        ``standardize`` and the standardisation statistics.
    """
    if not isinstance(interactions, bool | np.bool_):
        raise ValueError(f"interactions must be a bool, got {interactions!r}")
    if not isinstance(standardize, bool | np.bool_):
        raise ValueError(f"standardize must be a bool, got {standardize!r}")
    seed = _check_seed(seed)
    X, y, names = _raw_diabetes()
    total = X.shape[0]
    rows = None
    if n_samples is not None:
        n = check_positive(n_samples, "n_samples", integer=True)
        if n > total:
            raise ValueError(f"n_samples must be <= {total} (rows of the diabetes data), got {n}")
        rows = np.sort(np.random.default_rng(seed).choice(total, size=int(n), replace=False))
        X, y = X[rows], y[rows]
    if name is None:
        name = "diabetes_interactions" if interactions else "diabetes"
    params = {
        "loader": "load_diabetes",
        "source": "sklearn.datasets.load_diabetes(scaled=False)",
        "interactions": bool(interactions),
        "n_samples": int(X.shape[0]),
        "seed": seed if rows is not None else None,
        "rows": None if rows is None else rows.tolist(),
        "standardize": bool(standardize),
    }
    if interactions:
        base = _standardize(X, y, None, names)[0] if standardize else X
        X, names = pairwise_interactions(base, names)
    if standardize:
        X, y, _, stats = _standardize(X, y, None, names)
        params.update(stats)
    return Problem(
        name=name,
        X=X,
        y=y,
        beta_star=None,
        feature_names=names,
        target_name="disease_progression",
        params=params,
    )
