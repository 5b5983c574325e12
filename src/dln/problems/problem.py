"""The :class:`Problem` container and the synthetic generator :func:`make_problem`.

:func:`make_problem` draws ``x_i ~ N(0, H)`` and ``y = X beta* + noise`` from an explicit seed.
Its store layout and figure are in :mod:`dln.problems.store`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from dln._validation import check_array, check_positive

__all__ = ["DEFAULT_AMPLITUDE", "SYMMETRY_RTOL", "Problem", "make_problem"]

# A full covariance counts as symmetric when max|H - H^T| <= this times max|H|: it absorbs the
# rounding of matrices computed as A @ A.T or read from text, and nothing a typo would produce.
SYMMETRY_RTOL = 1e-10

# Default magnitudes of the non-zero entries of a drawn beta_star: Uniform[low, high].
DEFAULT_AMPLITUDE = (1.0, 10.0)


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
