"""scikit-learn estimators on the saddle-to-saddle path (Algorithm 1, docs/theory.md).

:class:`SaddleRegressor` runs Algorithm 1 (:func:`dln.saddle_jumps`) on centred and
standardised data and reads off one point of the path: a saddle ``beta_k`` picked by its index
(``saddle=``) or by an accelerated time (``time=``, ``beta(t) = beta_k`` for
``t_k <= t < t_{k+1}``); the default is the end of the path, the minimum-l1 minimiser of the
squared loss (the minimum-l1 interpolator when the data can be fitted exactly).
:class:`SaddleRegressorCV` picks the time by K-fold cross-validation, as
:class:`sklearn.linear_model.LassoLarsCV` picks the regularisation along the LARS path.

Preprocessing follows scikit-learn's linear models, with the same default as the pipeline
and :func:`dln.load_data`: ``fit_intercept=True`` centres ``X`` and ``y`` (so the fitted model
has an intercept) and ``standardize=True`` scales every column of ``X`` to unit variance.
Algorithm 1 compares correlations ``|x_i^T r| / n`` with the same threshold for every
feature, so without standardisation features in large units enter first. All fitted
coefficients (``coef_``, ``path_``) are in the original units of ``X`` and ``y``; the jump times
are those of the standardised problem.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from dln.saddles import saddle_jumps

__all__ = ["SaddleRegressor", "SaddleRegressorCV"]

# A column counts as constant when its standard deviation is <= this times its largest
# magnitude (as in dln.load_data): the computed std of a constant float column is 0 or a few
# ulps, and scaling those ulps to unit variance would turn rounding noise into a feature.
CONSTANT_COLUMN_RTOL = 1e-12


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool (True or False), got {value!r}")
    return bool(value)


def _check_optional_int(value, name: str, *, minimum: int):
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be None or an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be None or an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_time(value):
    if value is None:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"time must be None or a real number >= 0 (inf allowed), got {value!r}")
    if np.isnan(value) or value < 0:
        raise ValueError(f"time must be None or a real number >= 0 (inf allowed), got {value!r}")
    return float(value)


class _Path:
    """The saddle path of one data set, in original units (a private container)."""

    def __init__(self, X, y, *, fit_intercept: bool, standardize: bool, max_saddles):
        n = X.shape[0]
        if fit_intercept:
            x_offset = X.mean(axis=0)
            y_offset = float(y.mean())
            Xc = X - x_offset
            # constant columns become exact zeros (never active), not rounding noise
            constant = Xc.std(axis=0) <= CONSTANT_COLUMN_RTOL * np.abs(X).max(axis=0)
            Xc[:, constant] = 0.0
        else:
            x_offset = np.zeros(X.shape[1])
            y_offset = 0.0
            Xc = X
        if standardize:
            # unit root-mean-square columns: the unit variance when centred
            x_scale = np.sqrt(np.einsum("ij,ij->j", Xc, Xc) / n)
            x_scale[x_scale == 0.0] = 1.0  # zero columns stay zero
            Xs = Xc / x_scale
        else:
            x_scale = np.ones(X.shape[1])
            Xs = Xc
        ys = y - y_offset
        self.result = saddle_jumps(Xs, ys, max_saddles=max_saddles)
        self.x_offset, self.x_scale, self.y_offset = x_offset, x_scale, y_offset
        self.times = self.result.times
        self.coefs = self.result.betas / x_scale  # (p + 1, d), original units
        self.intercepts = y_offset - self.coefs @ x_offset  # (p + 1,)

    def index_at(self, times) -> np.ndarray:
        """Saddle index ``k`` with ``t_k <= t < t_{k+1}`` for every ``t`` in ``times``."""
        return np.searchsorted(self.times, times, side="right") - 1


class _BaseSaddleRegressor(RegressorMixin, BaseEstimator):
    """Shared validation, fitting of the path and prediction."""

    def _validate_common(self):
        fit_intercept = _check_bool(self.fit_intercept, "fit_intercept")
        standardize = _check_bool(self.standardize, "standardize")
        max_saddles = _check_optional_int(self.max_saddles, "max_saddles", minimum=1)
        return fit_intercept, standardize, max_saddles

    def _validate_X_y(self, X, y):
        return validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=False)

    def _set_path(self, path: _Path, k: int) -> None:
        res = path.result
        self.path_ = path.coefs
        self.intercepts_ = path.intercepts
        self.jump_times_ = path.times
        self.losses_ = res.losses
        self.n_saddles_ = res.n_saddles
        first = np.full(path.coefs.shape[1], np.inf)  # first activation time of each feature
        order: list[int] = []
        for t, entered in zip(res.times, res.activated, strict=True):
            for j in entered:
                if first[j] == np.inf:
                    first[j] = t
                    order.append(int(j))
        self.activation_order_ = np.asarray(order, dtype=np.intp)
        self.activation_times_ = first
        self.saddle_result_ = res
        self.x_offset_, self.x_scale_, self.y_offset_ = path.x_offset, path.x_scale, path.y_offset
        self.saddle_ = int(k)
        self.coef_ = path.coefs[k].copy()
        self.intercept_ = float(path.intercepts[k])

    def predict(self, X):
        """Predict with the selected point of the path: ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_

    def predict_path(self, X):
        """Predictions of every saddle of the path, shape (n_samples, n_saddles_ + 1)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.path_.T + self.intercepts_


class SaddleRegressor(_BaseSaddleRegressor):
    """Linear regression by the saddle-to-saddle path of a diagonal linear network.

    Gradient flow on a diagonal linear network started at scale ``alpha -> 0`` (``alpha`` is
    the initialisation scale) goes from saddle to saddle, adding (and sometimes removing) one
    feature at a time; its end is the minimum-l1 minimiser of the squared loss. ``fit`` runs
    Algorithm 1 (:func:`dln.saddle_jumps`), which computes this whole path exactly; ``saddle``
    or ``time`` stops it early, which regularises as the number of LARS steps does.

    Parameters
    ----------
    saddle : int >= 0, optional
        Use the saddle ``beta_k`` with ``k = saddle`` (``0`` is the null model ``beta = 0``), or
        the last saddle when the path has fewer jumps.
    time : float >= 0, optional
        Use the point of the path at accelerated time ``t`` (of the standardised problem):
        ``beta_k`` for ``t_k <= t < t_{k+1}``. ``inf`` is the end of the path.
        At most one of ``saddle`` and ``time`` may be given; by default the path runs to its
        end: the minimum-l1 minimiser of the squared loss (the minimum-l1 interpolator when
        ``n_samples <= n_features``).
    fit_intercept : bool, default True
        Centre ``X`` and ``y`` before running the path and fit an intercept.
    standardize : bool, default True
        Scale every column of ``X`` to unit variance (to unit root-mean-square when
        ``fit_intercept=False``) before running the path. Constant columns are left at zero.
        Coefficients are reported in the original units either way.
    max_saddles : int, optional
        Guard on the number of jumps (see :func:`dln.saddle_jumps`).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients of the selected saddle, in the original units of ``X`` and ``y``.
    intercept_ : float
        Intercept of the selected saddle (0 when ``fit_intercept=False``).
    saddle_ : int
        Index ``k`` of the selected saddle on the path.
    path_ : ndarray of shape (n_saddles_ + 1, n_features)
        Coefficients of every saddle ``beta_0 = 0, ..., beta_p``, in original units.
    intercepts_ : ndarray of shape (n_saddles_ + 1,)
        Intercept of every saddle.
    jump_times_ : ndarray of shape (n_saddles_ + 1,)
        Jump times ``0 = t_0 < t_1 < ... < t_p`` (accelerated time, standardised problem).
    losses_ : ndarray of shape (n_saddles_ + 1,)
        Training loss ``||X beta_k + b_k - y||^2 / (2 n)`` of every saddle.
    n_saddles_ : int
        Number of jumps ``p``.
    activation_order_ : ndarray of int
        Feature indices in the order they first enter the support (ties by index).
    activation_times_ : ndarray of shape (n_features,)
        Time at which each feature first enters (``inf`` if it never does).
    saddle_result_ : dln.SaddleResult
        The raw output of Algorithm 1 on the standardised data.
    x_offset_, x_scale_ : ndarray of shape (n_features,)
        Column means (0 without intercept) and scales (1 without standardisation) used.
    y_offset_ : float
        Mean of ``y`` (0 without intercept).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    SaddleRegressorCV : picks the time by cross-validation.
    dln.saddle_jumps : Algorithm 1 on arrays.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from dln import SaddleRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = SaddleRegressor(saddle=3).fit(X, y)
    >>> [str(model.feature_names_in_[j]) for j in model.activation_order_[:3]]
    ['bmi', 's5', 'bp']
    """

    def __init__(
        self,
        *,
        saddle=None,
        time=None,
        fit_intercept=True,
        standardize=True,
        max_saddles=None,
    ):
        self.saddle = saddle
        self.time = time
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.max_saddles = max_saddles

    def fit(self, X, y):
        """Run Algorithm 1 on ``(X, y)`` and select the point of the path.

        Parameters
        ----------
        X : array_like or DataFrame of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)

        Returns
        -------
        self
        """
        fit_intercept, standardize, max_saddles = self._validate_common()
        saddle = _check_optional_int(self.saddle, "saddle", minimum=0)
        time = _check_time(self.time)
        if saddle is not None and time is not None:
            raise ValueError(
                f"give at most one of saddle= and time=, got saddle={saddle!r} and time={time!r}"
            )
        X, y = self._validate_X_y(X, y)
        path = _Path(
            X, y, fit_intercept=fit_intercept, standardize=standardize, max_saddles=max_saddles
        )
        p = path.result.n_saddles
        if saddle is not None:
            k = min(saddle, p)
        elif time is not None:
            k = int(path.index_at(time))
        else:
            k = p
        self._set_path(path, k)
        return self


def _fold_mse(X, y, train, test, fit_intercept, standardize, max_saddles):
    """Jump times and held-out MSE of every saddle of the path fitted on the training fold."""
    path = _Path(
        X[train],
        y[train],
        fit_intercept=fit_intercept,
        standardize=standardize,
        max_saddles=max_saddles,
    )
    pred = X[test] @ path.coefs.T + path.intercepts  # (n_test, p + 1)
    mse = np.mean((pred - y[test, None]) ** 2, axis=0)
    return path.times, mse


class SaddleRegressorCV(_BaseSaddleRegressor):
    """Saddle-to-saddle regression with the stopping time chosen by cross-validation.

    For every fold the path is fitted on the training part (with its own centring and
    scaling) and its held-out mean squared error is evaluated at every jump time of every fold:
    the path is piecewise constant in time, so this grid catches every change of every fold's
    error. The time with the smallest mean error over the folds is kept (the earliest one on
    ties) and the path is refitted on all the data and read at that time, as
    :class:`sklearn.linear_model.LassoLarsCV` does with the regularisation strength.

    Parameters
    ----------
    cv : int, cross-validation generator or iterable, default 5
        As in scikit-learn (:func:`sklearn.model_selection.check_cv`): an int is the number of
        folds of a :class:`~sklearn.model_selection.KFold` without shuffling.
    fit_intercept : bool, default True
        Centre ``X`` and ``y`` and fit an intercept (per fold, and on the refit).
    standardize : bool, default True
        Scale the columns of ``X`` to unit variance (per fold, and on the refit).
    max_saddles : int, optional
        Guard on the number of jumps of each path (see :func:`dln.saddle_jumps`).
    max_n_times : int, default 1000
        At most this many grid times (a regular subsample of all the folds' jump times).
    n_jobs : int, optional
        Folds fitted in parallel (joblib), as in scikit-learn.

    Attributes
    ----------
    time_ : float
        Selected accelerated time: the geometric middle of the best interval of the grid
        (0 for the null model, ``inf`` when the end of the path is best).
    cv_times_ : ndarray of shape (n_times,)
        Grid of times (starting at 0) on which the folds are compared.
    mse_path_ : ndarray of shape (n_times, n_folds)
        Held-out mean squared error of each fold's path at each grid time.
    cv_scores_ : ndarray of shape (n_times,)
        Mean held-out mean squared error over the folds (lower is better).
    coef_, intercept_, saddle_, path_, intercepts_, jump_times_, losses_, n_saddles_, \
activation_order_, activation_times_, saddle_result_, x_offset_, x_scale_, y_offset_, \
n_features_in_, feature_names_in_
        As in :class:`SaddleRegressor`, for the refit on all the data.

    See Also
    --------
    SaddleRegressor : one point of the path, chosen by hand.
    sklearn.linear_model.LassoLarsCV : the same selection on the LARS path.
    """

    def __init__(
        self,
        *,
        cv=5,
        fit_intercept=True,
        standardize=True,
        max_saddles=None,
        max_n_times=1000,
        n_jobs=None,
    ):
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.max_saddles = max_saddles
        self.max_n_times = max_n_times
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Cross-validate the stopping time, then refit the path on all of ``(X, y)``.

        Parameters
        ----------
        X : array_like or DataFrame of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)

        Returns
        -------
        self
        """
        fit_intercept, standardize, max_saddles = self._validate_common()
        max_n_times = _check_optional_int(self.max_n_times, "max_n_times", minimum=2)
        if max_n_times is None:
            raise TypeError("max_n_times must be an integer >= 2, got None")
        X, y = self._validate_X_y(X, y)
        cv = check_cv(self.cv)
        folds = list(cv.split(X, y))
        fits = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_mse)(X, y, train, test, fit_intercept, standardize, max_saddles)
            for train, test in folds
        )
        grid = np.unique(np.concatenate([t for t, _ in fits]))  # sorted, starts at 0
        if len(grid) > max_n_times:
            grid = grid[np.unique(np.linspace(0, len(grid) - 1, max_n_times).round().astype(int))]
        mse_path = np.empty((len(grid), len(fits)))
        for f, (times, mse) in enumerate(fits):
            mse_path[:, f] = mse[np.searchsorted(times, grid, side="right") - 1]
        scores = mse_path.mean(axis=1)
        best = int(np.argmin(scores))  # the first (earliest, sparsest) on ties
        time = np.inf if best == len(grid) - 1 else float(np.sqrt(grid[best] * grid[best + 1]))
        path = _Path(
            X, y, fit_intercept=fit_intercept, standardize=standardize, max_saddles=max_saddles
        )
        self.cv_times_ = grid
        self.mse_path_ = mse_path
        self.cv_scores_ = scores
        self.time_ = time
        self._set_path(path, int(path.index_at(time)))
        return self
