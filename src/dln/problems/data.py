"""User data: :func:`load_data` reads a regression problem from CSV or NPZ with strict checks."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import numpy as np

from dln.problems.problem import Problem, _default_feature_names

__all__ = ["CONSTANT_COLUMN_RTOL", "load_data"]

# A data column counts as constant when its population std is <= this times its largest
# magnitude: the std of a constant column computed in float64 is exactly 0 or a few ulps of it.
CONSTANT_COLUMN_RTOL = 1e-12

# File formats understood by load_data, keyed by lower-case extension.
_FORMATS = {".csv": "csv", ".npz": "npz"}

# Entries allowed in an NPZ file given to load_data.
_NPZ_REQUIRED = ("X", "y")
_NPZ_OPTIONAL = ("feature_names", "target_name", "beta_star")


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
