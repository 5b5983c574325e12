"""Regression problems: synthetic Gaussian designs, the paper's figure presets, user data.

Every function here returns a :class:`Problem`, a frozen container of the data ``X`` (n, d),
``y`` (n,), the ground truth ``beta_star`` (d,) when there is one, names for the columns and a
JSON-serialisable ``params`` dict that records how the problem was made (generator arguments
including the seed, or the file it was read from and the preprocessing applied).

* :func:`make_problem` draws ``x_i ~ N(0, H)`` and ``y = X beta* + noise`` from an explicit seed.
* :func:`make_preset` builds the four setups of the paper's Figures 1 and 2 (Pesme and
  Flammarion, NeurIPS 2023, arXiv v1 Appendix A), see ``PRESETS`` and docs/theory.md.
* :func:`load_data` reads a user's regression data from CSV or NPZ with strict checks.

The arrays of a :class:`Problem` are read-only: copy them before modifying.

Nothing here depends on the initialisation scale ``alpha`` of the network; the presets only
record the paper's values of ``alpha`` (as base-10 exponents) in ``params`` for the pipeline.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dln._validation import check_array, check_positive

__all__ = [
    "DATA_PRESETS",
    "PRESETS",
    "Problem",
    "load_data",
    "load_diabetes",
    "make_preset",
    "make_problem",
    "pairwise_interactions",
]

# A full covariance counts as symmetric when max|H - H^T| <= this times max|H|: it absorbs the
# rounding of matrices computed as A @ A.T or read from text, and nothing a typo would produce.
SYMMETRY_RTOL = 1e-10

# A data column counts as constant when its population std is <= this times its largest
# magnitude: the std of a constant column computed in float64 is exactly 0 or a few ulps of it.
CONSTANT_COLUMN_RTOL = 1e-12

# File formats understood by load_data, keyed by lower-case extension.
_FORMATS = {".csv": "csv", ".npz": "npz"}

# Entries allowed in an NPZ file given to load_data.
_NPZ_REQUIRED = ("X", "y")
_NPZ_OPTIONAL = ("feature_names", "target_name", "beta_star")

# Default magnitudes of the non-zero entries of a drawn beta_star: Uniform[low, high].
DEFAULT_AMPLITUDE = (1.0, 10.0)


# --------------------------------------------------------------------------------------------
# The container
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Problem:
    """A regression problem ``y ~ X beta``.

    Attributes
    ----------
    name : str
        Short identifier (preset name, ``name`` argument, or the data file's stem).
    X : ndarray of shape (n_samples, n_features)
        Design matrix, float64, read-only.
    y : ndarray of shape (n_samples,)
        Targets, float64, read-only.
    beta_star : ndarray of shape (n_features,) or None
        Ground-truth coefficients for synthetic problems (``y = X beta_star`` when noiseless),
        ``None`` for user data without one. Read-only.
    feature_names : tuple of str, length n_features
        Column names, ``("x1", ..., "xd")`` for generated data.
    target_name : str
        Name of the target, ``"y"`` for generated data.
    params : dict
        JSON-serialisable record of how the problem was made. For :func:`make_problem` it holds
        every keyword argument (so ``make_problem(name=..., **params_without_generator)``
        reproduces the arrays), for presets also the paper's ``log10_alphas`` and time range,
        for :func:`load_data` the file name, its SHA-256, the target and the standardisation.

    Notes
    -----
    Equality is identity (``eq=False``): compare arrays with :func:`numpy.array_equal`.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    beta_star: np.ndarray | None
    feature_names: tuple[str, ...]
    target_name: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        X = np.array(self.X, dtype=np.float64, copy=True)
        y = np.array(self.y, dtype=np.float64, copy=True)
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(
                f"Problem needs X of shape (n, d) and y of shape (n,), got X {X.shape}, y {y.shape}"
            )
        names = tuple(str(f) for f in self.feature_names)
        if len(names) != X.shape[1]:
            raise ValueError(
                f"feature_names has {len(names)} entries but X has {X.shape[1]} columns"
            )
        X.flags.writeable = False
        y.flags.writeable = False
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "feature_names", names)
        if self.beta_star is not None:
            beta = np.array(self.beta_star, dtype=np.float64, copy=True)
            if beta.shape != (X.shape[1],):
                raise ValueError(f"beta_star must have shape ({X.shape[1]},), got {beta.shape}")
            beta.flags.writeable = False
            object.__setattr__(self, "beta_star", beta)

    @property
    def n_samples(self) -> int:
        """Number of rows of ``X``."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns of ``X``."""
        return self.X.shape[1]


def _default_feature_names(n_features: int) -> tuple[str, ...]:
    return tuple(f"x{j + 1}" for j in range(n_features))


# --------------------------------------------------------------------------------------------
# Synthetic problems
# --------------------------------------------------------------------------------------------


def make_problem(
    *,
    n_samples: int,
    n_features: int,
    covariance=None,
    beta_star=None,
    support_size: int | None = None,
    amplitude: float | tuple[float, float] = DEFAULT_AMPLITUDE,
    random_signs: bool = True,
    noise_std: float = 0.0,
    seed: int,
    name: str = "custom",
) -> Problem:
    """Draw a Gaussian-design linear regression problem.

    Rows ``x_i ~ N(0, H)`` i.i.d., targets ``y = X beta_star + noise_std * eps`` with
    ``eps ~ N(0, I_n)``.

    Parameters
    ----------
    n_samples : int
        Number of samples ``n >= 1``.
    n_features : int
        Number of features ``d >= 1``.
    covariance : None, array of shape (n_features,) or (n_features, n_features)
        The covariance ``H`` of the rows. ``None`` is the identity; a (d,) vector gives the
        variances of a diagonal ``H`` (all > 0); a (d, d) matrix must be symmetric (relative
        tolerance ``SYMMETRY_RTOL``) and positive definite (its Cholesky factorisation must
        succeed).
    beta_star : array of shape (n_features,), optional
        Ground truth. If omitted it is drawn: a support of ``support_size`` coordinates chosen
        uniformly without replacement, magnitudes ``Uniform[low, high]`` where
        ``amplitude = (low, high)`` (a single number ``a`` means all magnitudes equal ``a``),
        independent uniformly random signs if ``random_signs`` (else all positive).
    support_size : int, optional
        Number of non-zeros of the drawn ``beta_star``, in ``[0, n_features]``. Default
        ``min(n_features, max(1, n_samples // 2))``: sparse enough that the minimum-l1
        interpolator typically recovers it. Must be omitted when ``beta_star`` is given.
    amplitude : float or (float, float), default (1.0, 10.0)
        Magnitude distribution of the drawn non-zeros, ``0 < low <= high``.
    random_signs : bool, default True
        Draw the signs of the non-zeros uniformly at random (otherwise all positive).
    noise_std : float, default 0.0
        Standard deviation of the Gaussian label noise, ``>= 0``.
    seed : int
        Required non-negative integer. The design, ``beta_star`` and the noise use three
        independent streams spawned from ``numpy.random.SeedSequence(seed)``, so changing
        e.g. ``support_size`` or ``noise_std`` leaves ``X`` unchanged.
    name : str, default "custom"
        Name of the problem.

    Returns
    -------
    Problem
        With ``feature_names = ("x1", ..., "xd")``, ``target_name = "y"`` and ``params`` holding
        every argument above (``support_size`` resolved, ``beta_star`` only if it was given) plus
        ``generator = "make_problem"`` and ``support`` (sorted indices of the non-zeros).

    Raises
    ------
    ValueError
        If an argument is invalid; the message names it.
    """
    n = check_positive(n_samples, "n_samples", integer=True)
    d = check_positive(n_features, "n_features", integer=True)
    seed = _check_seed(seed)
    noise_std = float(check_positive(noise_std, "noise_std", allow_zero=True))
    if not isinstance(random_signs, bool | np.bool_):
        raise ValueError(f"random_signs must be a bool, got {random_signs!r}")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    low, high = _check_amplitude(amplitude)
    cov_kind, cov = _check_covariance(covariance, int(d))

    if beta_star is not None:
        if support_size is not None:
            raise ValueError("support_size must be omitted when beta_star is given")
        beta = check_array(beta_star, "beta_star", ndim=1)
        if beta.shape != (d,):
            raise ValueError(f"beta_star must have shape ({d},) (n_features), got {beta.shape}")
        k = int(np.count_nonzero(beta))
    else:
        if support_size is None:
            k = min(int(d), max(1, int(n) // 2))
        else:
            if isinstance(support_size, bool) or not isinstance(support_size, numbers.Integral):
                raise ValueError(f"support_size must be an integer, got {support_size!r}")
            k = int(support_size)
            if not 0 <= k <= d:
                raise ValueError(f"support_size must be in [0, n_features={d}], got {k}")
        beta = None

    design_rng, beta_rng, noise_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3)
    )
    Z = design_rng.standard_normal((int(n), int(d)))
    if cov_kind == "identity":
        X = Z
    elif cov_kind == "diagonal":
        X = Z * np.sqrt(cov)
    else:
        X = Z @ np.linalg.cholesky(cov).T

    if beta is None:
        beta = np.zeros(int(d))
        support = np.sort(beta_rng.choice(int(d), size=k, replace=False))
        magnitudes = beta_rng.uniform(low, high, size=k) if high > low else np.full(k, low)
        signs = beta_rng.choice([-1.0, 1.0], size=k) if random_signs else np.ones(k)
        beta[support] = signs * magnitudes
        given_beta = None
    else:
        given_beta = [float(v) for v in beta]

    y = X @ beta
    if noise_std > 0:
        y = y + noise_std * noise_rng.standard_normal(int(n))

    params = {
        "generator": "make_problem",
        "n_samples": int(n),
        "n_features": int(d),
        "covariance": None if covariance is None else np.asarray(cov).tolist(),
        "beta_star": given_beta,
        # an argument only when beta_star is drawn (None reproduces a given beta_star)
        "support_size": None if given_beta is not None else k,
        "amplitude": [low, high] if high > low else low,
        "random_signs": bool(random_signs),
        "noise_std": noise_std,
        "seed": seed,
        "support": [int(j) for j in np.flatnonzero(beta)],
    }
    return Problem(
        name=name,
        X=X,
        y=y,
        beta_star=beta,
        feature_names=_default_feature_names(int(d)),
        target_name="y",
        params=params,
    )


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_amplitude(amplitude) -> tuple[float, float]:
    if isinstance(amplitude, numbers.Real) and not isinstance(amplitude, bool):
        low = high = amplitude
    else:
        try:
            low, high = amplitude
        except (TypeError, ValueError):
            raise ValueError(
                f"amplitude must be a number or a pair (low, high), got {amplitude!r}"
            ) from None
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise ValueError(f"amplitude must contain finite numbers, got {amplitude!r}")
    low, high = float(low), float(high)
    if not 0 < low <= high:
        raise ValueError(f"amplitude must satisfy 0 < low <= high, got {amplitude!r}")
    return low, high


def _check_covariance(covariance, d: int) -> tuple[str, np.ndarray | None]:
    """Return ("identity", None), ("diagonal", variances (d,)) or ("full", H (d, d))."""
    if covariance is None:
        return "identity", None
    try:
        H = np.asarray(covariance, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"covariance must be a numeric array: {exc}") from None
    if H.shape not in ((d,), (d, d)):
        raise ValueError(
            f"covariance must have shape ({d},) (variances) or ({d}, {d}) (matrix) "
            f"for n_features={d}, got {H.shape}"
        )
    if not np.all(np.isfinite(H)):
        raise ValueError("covariance contains non-finite values (NaN or inf)")
    if H.ndim == 1:
        if np.any(H <= 0):
            raise ValueError(f"covariance variances must all be > 0, got min {H.min()!r}")
        return "diagonal", H
    asym = np.max(np.abs(H - H.T))
    if asym > SYMMETRY_RTOL * np.max(np.abs(H)):
        raise ValueError(f"covariance matrix must be symmetric, max |H - H^T| = {asym:.3g}")
    H = (H + H.T) / 2
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        raise ValueError(
            "covariance matrix must be positive definite (Cholesky factorisation failed)"
        ) from None
    return "full", H


# --------------------------------------------------------------------------------------------
# The paper's presets
# --------------------------------------------------------------------------------------------

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
    from sklearn.datasets import load_diabetes as _sklearn_diabetes

    if not isinstance(interactions, bool | np.bool_):
        raise ValueError(f"interactions must be a bool, got {interactions!r}")
    if not isinstance(standardize, bool | np.bool_):
        raise ValueError(f"standardize must be a bool, got {standardize!r}")
    seed = _check_seed(seed)
    data = _sklearn_diabetes(scaled=False)
    X, y = np.asarray(data.data, dtype=np.float64), np.asarray(data.target, dtype=np.float64)
    names = tuple(str(f) for f in data.feature_names)
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


# --------------------------------------------------------------------------------------------
# User data
# --------------------------------------------------------------------------------------------


def load_data(
    path,
    *,
    target: str | None = None,
    standardize: bool = False,
    name: str | None = None,
) -> Problem:
    """Read a user's regression data from a CSV or NPZ file.

    Parameters
    ----------
    path : str or path-like
        The file; its extension (case-insensitive) selects the format:

        ``.csv``
            Comma-separated, header row of unique column names (surrounding whitespace is
            stripped), one row per sample, every cell a finite number. The column named
            ``target`` is ``y``; every other column is a feature, in file order.
        ``.npz``
            Arrays ``X`` (n, d) and ``y`` (n,), optional ``feature_names`` (d,) of strings,
            ``target_name`` (a string) and ``beta_star`` (d,). No other entries. Read with
            ``allow_pickle=False``.
    target : str, optional
        CSV: the name of the target column; default ``"y"`` if there is such a column
        (otherwise an error listing the columns). NPZ: the name given to ``y``; default the
        file's ``target_name`` or ``"y"``.
    standardize : bool, default False
        Centre ``y`` and the columns of ``X`` and scale the columns of ``X`` to unit population
        variance (ddof=0). The means and scales go to ``params`` (``x_mean``, ``x_scale``,
        ``y_mean``). A constant feature column cannot be scaled and raises ``ValueError``
        (relative tolerance ``CONSTANT_COLUMN_RTOL``).
    name : str, optional
        Problem name; default the file's stem.

    Returns
    -------
    Problem
        ``beta_star`` is ``None`` (or the NPZ ``beta_star``, rescaled to the standardised
        features as ``beta_star * x_scale`` when ``standardize``). ``params`` holds ``loader``,
        ``format``, ``file_name``, ``sha256`` (of the file bytes), ``target``, ``standardize``,
        ``duplicate_features`` (groups of identical feature columns) and the standardisation
        statistics.

    Raises
    ------
    ValueError
        Missing file, unknown extension, missing target column (the message lists the
        available columns), duplicate or empty column names, ragged rows, empty cells or
        non-numeric cells (column and data row named), NaN or inf (column named), no rows, no
        feature column, inconsistent NPZ shapes, or a constant column with ``standardize``.

    Notes
    -----
    Constant columns are accepted without ``standardize`` (an all-zero column never becomes
    active). Duplicate feature columns (identical values under different names) are accepted
    and listed in ``params["duplicate_features"]``: they break the general-position assumption
    of the paper's Theorem 2. Algorithm 1 (``dln.saddles.saddle_jumps``) still runs: the copies
    have the same gradient, hence the same dual variable ``s``, at all times, and it puts the
    whole weight on one copy. The minimum-l1 solution is then not unique: any split of the
    weight between the copies with the same sign is optimal.
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ValueError(f"path must be a non-empty str or path-like, got {path!r}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"path {str(path)!r} has unsupported extension {path.suffix!r}; "
            f"supported: {', '.join(sorted(_FORMATS))}"
        )
    if not path.is_file():
        raise ValueError(f"path {str(path)!r} does not exist or is not a file")
    if target is not None and (not isinstance(target, str) or not target):
        raise ValueError(f"target must be a non-empty string, got {target!r}")
    if not isinstance(standardize, bool | np.bool_):
        raise ValueError(f"standardize must be a bool, got {standardize!r}")
    if name is None:
        name = path.stem
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")

    fmt = _FORMATS[suffix]
    if fmt == "csv":
        X, y, feature_names, target_name, beta_star = _read_csv(path, target)
    else:
        X, y, feature_names, target_name, beta_star = _read_npz(path, target)

    params = {
        "loader": "load_data",
        "format": fmt,
        "file_name": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "target": target_name,
        "standardize": bool(standardize),
        "duplicate_features": _duplicate_groups(X, feature_names),
    }
    if standardize:
        X, y, beta_star, stats = _standardize(X, y, beta_star, feature_names)
        params.update(stats)
    return Problem(
        name=name,
        X=X,
        y=y,
        beta_star=beta_star,
        feature_names=feature_names,
        target_name=target_name,
        params=params,
    )


def _read_csv(path: Path, target: str | None):
    import pandas as pd

    try:
        _check_csv_rows(path)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name}: not UTF-8 text: {exc}") from None
    try:
        # Everything as text with no NA guessing: the numeric conversion below is done and
        # checked here, cell by cell, rather than trusted to pandas' type inference.
        raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name}: the file is empty (no header row)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name}: ragged rows or malformed CSV: {exc}") from None

    columns = [str(c).strip() for c in raw.iloc[0].tolist()]
    body = raw.iloc[1:].reset_index(drop=True)
    empty = [j + 1 for j, c in enumerate(columns) if not c]
    if empty:
        raise ValueError(f"{path.name}: empty column name at header position(s) {empty}")
    seen, dups = set(), []
    for c in columns:
        if c in seen and c not in dups:
            dups.append(c)
        seen.add(c)
    if dups:
        raise ValueError(f"{path.name}: duplicate column names {dups}")

    if target is None:
        if "y" not in columns:
            raise ValueError(
                f"{path.name}: no target given and no column named 'y'; pass target= one of "
                f"the available columns {columns}"
            )
        target = "y"
    if target not in columns:
        raise ValueError(
            f"{path.name}: target column {target!r} not found; available columns: {columns}"
        )
    if body.shape[0] == 0:
        raise ValueError(f"{path.name}: no data rows (at least one row is required)")
    feature_names = tuple(c for c in columns if c != target)
    if not feature_names:
        raise ValueError(f"{path.name}: no feature column besides the target {target!r}")

    values = np.empty((body.shape[0], len(columns)))
    for j, col in enumerate(columns):
        values[:, j] = _parse_numeric_column(body.iloc[:, j], col, path.name)
    tj = columns.index(target)
    y = values[:, tj]
    X = np.delete(values, tj, axis=1)
    return X, y, feature_names, target, None


def _check_csv_rows(path: Path) -> None:
    """Reject rows whose number of fields differs from the header's (pandas pads short rows)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        n_fields = None
        for row in reader:
            if not row:  # blank line, skipped by pandas too
                continue
            if n_fields is None:
                n_fields = len(row)
            elif len(row) != n_fields:
                raise ValueError(
                    f"{path.name}: ragged rows: the header has {n_fields} fields but file "
                    f"line {reader.line_num} has {len(row)}"
                )


def _parse_numeric_column(cells, column: str, file_name: str) -> np.ndarray:
    import pandas as pd

    text = cells.astype(str).str.strip()
    numbers_ = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    for r in np.flatnonzero(np.isnan(numbers_)):
        cell = text.iloc[r]
        if cell == "":
            raise ValueError(
                f"{file_name}: empty cell (missing value) in column {column!r}, data row {r + 1}"
            )
        if cell.lower().lstrip("+-") != "nan":
            raise ValueError(
                f"{file_name}: non-numeric value {cell!r} in column {column!r}, data row {r + 1}"
            )
    bad = ~np.isfinite(numbers_)
    if np.any(bad):
        rows = (np.flatnonzero(bad) + 1).tolist()
        raise ValueError(
            f"{file_name}: non-finite value (NaN or inf) in column {column!r}, "
            f"data row(s) {rows[:10]}"
        )
    return numbers_


def _read_npz(path: Path, target: str | None):
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except ValueError as exc:
        raise ValueError(f"{path.name}: cannot read NPZ without pickles: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path.name}: not a valid NPZ file: {exc}") from None
    missing = [k for k in _NPZ_REQUIRED if k not in arrays]
    if missing:
        raise ValueError(f"{path.name}: missing array(s) {missing}; found {sorted(arrays)}")
    unknown = sorted(set(arrays) - set(_NPZ_REQUIRED) - set(_NPZ_OPTIONAL))
    if unknown:
        raise ValueError(
            f"{path.name}: unexpected array(s) {unknown}; allowed: "
            f"{list(_NPZ_REQUIRED + _NPZ_OPTIONAL)}"
        )
    X, y = arrays["X"], arrays["y"]
    for key, arr, ndim in (("X", X, 2), ("y", y, 1)):
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{path.name}: {key} must be numeric, got dtype {arr.dtype}")
        if arr.ndim != ndim:
            raise ValueError(f"{path.name}: {key} must be {ndim}-dimensional, got {arr.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{path.name}: X has no rows (at least one row is required)")
    if X.shape[1] == 0:
        raise ValueError(f"{path.name}: X has no feature column")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{path.name}: shape mismatch, X has {X.shape[0]} rows but y has {y.shape[0]}"
        )
    X = X.astype(np.float64)
    y = y.astype(np.float64)
    d = X.shape[1]

    if "feature_names" in arrays:
        fn = arrays["feature_names"]
        if fn.dtype.kind not in "US" or fn.shape != (d,):
            raise ValueError(
                f"{path.name}: feature_names must be a ({d},) array of strings, got dtype "
                f"{fn.dtype} and shape {fn.shape}"
            )
        feature_names = tuple(str(s).strip() for s in fn.tolist())
        if any(not s for s in feature_names):
            raise ValueError(f"{path.name}: feature_names contains an empty name")
        if len(set(feature_names)) != d:
            dups = sorted({s for s in feature_names if feature_names.count(s) > 1})
            raise ValueError(f"{path.name}: duplicate column names in feature_names: {dups}")
    else:
        feature_names = _default_feature_names(d)

    if target is None:
        if "target_name" in arrays:
            tn = arrays["target_name"]
            if tn.dtype.kind not in "US" or tn.ndim != 0 or not str(tn).strip():
                raise ValueError(f"{path.name}: target_name must be a non-empty string")
            target = str(tn).strip()
        else:
            target = "y"
    if target in feature_names:
        raise ValueError(
            f"{path.name}: target name {target!r} is also a feature name (duplicate column)"
        )

    for j in np.flatnonzero(~np.all(np.isfinite(X), axis=0)):
        rows = (np.flatnonzero(~np.isfinite(X[:, j])) + 1).tolist()
        raise ValueError(
            f"{path.name}: non-finite value (NaN or inf) in column {feature_names[j]!r} of X, "
            f"row(s) {rows[:10]}"
        )
    if not np.all(np.isfinite(y)):
        rows = (np.flatnonzero(~np.isfinite(y)) + 1).tolist()
        raise ValueError(
            f"{path.name}: non-finite value (NaN or inf) in target column {target!r}, "
            f"row(s) {rows[:10]}"
        )

    beta_star = None
    if "beta_star" in arrays:
        b = arrays["beta_star"]
        if b.dtype.kind not in "biuf" or b.shape != (d,) or not np.all(np.isfinite(b)):
            raise ValueError(
                f"{path.name}: beta_star must be a finite numeric ({d},) array, got dtype "
                f"{b.dtype} and shape {b.shape}"
            )
        beta_star = b.astype(np.float64)
    return X, y, feature_names, target, beta_star


def _duplicate_groups(X: np.ndarray, feature_names: tuple[str, ...]) -> list[list[str]]:
    """Groups (of >= 2 names) of feature columns with identical values, in column order."""
    groups: dict[bytes, list[str]] = {}
    for j, fname in enumerate(feature_names):
        groups.setdefault(np.ascontiguousarray(X[:, j]).tobytes(), []).append(fname)
    return [g for g in groups.values() if len(g) > 1]


def _standardize(X, y, beta_star, feature_names):
    x_mean = X.mean(axis=0)
    x_scale = X.std(axis=0)  # population std, ddof=0
    magnitude = np.max(np.abs(X), axis=0)
    constant = x_scale <= CONSTANT_COLUMN_RTOL * magnitude
    if np.any(constant):
        names = [feature_names[j] for j in np.flatnonzero(constant)]
        raise ValueError(
            f"cannot standardize: constant feature column(s) {names} (zero variance); "
            "drop them or use standardize=False"
        )
    y_mean = float(y.mean())
    Xs = (X - x_mean) / x_scale
    ys = y - y_mean
    if beta_star is not None:
        beta_star = beta_star * x_scale
    stats = {
        "x_mean": x_mean.tolist(),
        "x_scale": x_scale.tolist(),
        "y_mean": y_mean,
    }
    return Xs, ys, beta_star, stats
