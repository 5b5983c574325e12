"""Argument checks shared by the public functions of :mod:`dln`.

Every public function validates its arguments here first and raises ``ValueError``
naming the offending argument, before any numerical work starts.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_X_y(X, y, *, X_name: str = "X", y_name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Return ``X`` (n, d) and ``y`` (n,) as finite float64 arrays, or raise ``ValueError``."""
    X = check_array(X, X_name, ndim=2)
    y = check_array(y, y_name, ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{X_name} has {X.shape[0]} rows (samples) but {y_name} has {y.shape[0]} entries; "
            "they must be equal"
        )
    return X, y


def check_array(a, name: str, *, ndim: int) -> np.ndarray:
    """Return ``a`` as a C-contiguous, non-empty, finite float64 array of dimension ``ndim``."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0 or 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf)")
    return np.ascontiguousarray(arr)


def check_scales(scales, n_features: int, name: str = "scales") -> np.ndarray:
    """Per-coordinate scales ``k_i > 0`` as a (d,) array; ``None`` means all ones."""
    if scales is None:
        return np.ones(n_features)
    k = np.asarray(scales, dtype=np.float64)
    if k.ndim == 0:
        k = np.full(n_features, float(k))
    if k.shape != (n_features,):
        raise ValueError(f"{name} must have shape ({n_features},), got {k.shape}")
    if not np.all(np.isfinite(k)) or np.any(k <= 0):
        raise ValueError(f"{name} must be finite and > 0, got min {np.min(k)!r}")
    return k


def check_positive(value, name: str, *, allow_zero: bool = False, integer: bool = False):
    """Return ``value`` if it is a finite real (integer) > 0 (>= 0 with ``allow_zero``)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return value


def check_loss_levels(loss_levels, name: str = "loss_levels") -> np.ndarray:
    """Loss levels as a finite 1-D float array; ``None`` means none."""
    if loss_levels is None:
        return np.zeros(0)
    levels = np.atleast_1d(np.asarray(loss_levels, dtype=np.float64))
    if levels.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {levels.shape}")
    if not np.all(np.isfinite(levels)):
        raise ValueError(f"{name} contains non-finite value(s) (NaN or inf)")
    return levels
