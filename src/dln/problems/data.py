"""User data: :func:`load_data` reads a regression problem from CSV (pandas) or NPZ, strictly.

CSV files are read by :func:`pandas.read_csv` (separator, quoting, BOM, line endings); every
cell is then checked here, so that a refusal can name the column, the row and the option that
fixes it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dln.problems.problem import Problem, _default_feature_names

__all__ = ["CONSTANT_COLUMN_RTOL", "MISSING_POLICIES", "NA_VALUES", "SEPARATORS", "load_data"]

# A data column counts as constant when its population std is <= this times its largest
# magnitude: the std of a constant column computed in float64 is exactly 0 or a few ulps of it.
CONSTANT_COLUMN_RTOL = 1e-12

# File formats understood by load_data, keyed by lower-case extension.
_FORMATS = {".csv": "csv", ".npz": "npz"}

# Entries allowed in an NPZ file given to load_data.
_NPZ_REQUIRED = ("X", "y")
_NPZ_OPTIONAL = ("feature_names", "target_name", "beta_star")

# Cells that mark a missing value besides the empty cell: pandas.read_csv's default NA markers.
NA_VALUES = frozenset(
    {
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)

# Separators tried, in this order of preference, when none is given.
SEPARATORS = (",", ";", "\t", "|")
# The separator is sniffed from the header and this many following lines.
_SNIFF_LINES = 50

# What load_data does with a missing cell.
MISSING_POLICIES = ("error", "drop_rows")

# A number written with a decimal comma (European CSV), and with a decimal point.
_DECIMAL_COMMA = re.compile(r"[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?")
_DECIMAL_POINT = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?")
# pandas' name for a column with an empty header cell at 0-based position N.
_UNNAMED = re.compile(r"Unnamed: (\d+)")
# Leading blank lines, skipped before the header.
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\n|\r))*")

# Options that apply to CSV files only (NPZ arrays are numeric and named already).
_CSV_ONLY = ("index_col", "categorical", "sep", "decimal", "na_values", "encoding")


def load_data(
    path,
    *,
    target: str | None = None,
    standardize: bool = True,
    name: str | None = None,
    drop: Sequence[str] = (),
    index_col: str | int | None = None,
    categorical: Sequence[str] = (),
    missing: str = "error",
    sep: str | None = None,
    decimal: str | None = None,
    na_values: Sequence[str] = (),
    encoding: str = "utf-8",
) -> Problem:
    """Read a user's regression data from a CSV or NPZ file.

    Parameters
    ----------
    path : str or path-like
        The file; its extension (case-insensitive) selects the format:

        ``.csv``
            Read with :func:`pandas.read_csv`: a header row of unique column names (surrounding
            whitespace is stripped), one row per sample; fields may be quoted (``"..."``, with
            separators, line breaks or doubled quotes inside); a UTF-8 byte-order mark, CRLF
            line endings and blank lines are accepted. The column named ``target`` is ``y``;
            every other column that is not dropped is a feature, in file order. Every cell of
            a feature or the target must be a finite number, unless the column is
            ``categorical`` or the cell is missing and ``missing="drop_rows"``.
        ``.npz``
            Arrays ``X`` (n, d) and ``y`` (n,), optional ``feature_names`` (d,) of strings,
            ``target_name`` (a string) and ``beta_star`` (d,). No other entries. Read with
            ``allow_pickle=False``.
    target : str, optional
        CSV: the name of the target column; default ``"y"`` if there is such a column
        (otherwise an error listing the columns). NPZ: the name given to ``y``; default the
        file's ``target_name`` or ``"y"``.
    standardize : bool, default True
        Centre ``y`` and the columns of ``X`` and scale the columns of ``X`` to unit population
        variance (ddof=0): the centred ``y`` plays the role of an intercept. The means and
        scales go to ``params`` (``x_mean``, ``x_scale``, ``y_mean``); :mod:`dln.units` turns
        coefficients back into the columns' original units with them. A constant feature
        column (standard deviation <= ``CONSTANT_COLUMN_RTOL`` times its largest magnitude)
        is zero once centred: it gets scale 1, stays exactly zero and never becomes active
        (as with scikit-learn's ``StandardScaler``); its name goes to
        ``params["constant_features"]``. The same default as the pipeline's
        ``data`` shortcut, ``dln path`` and :class:`dln.SaddleRegressor` (whose
        ``fit_intercept=True, standardize=True`` is this). With ``standardize=False`` the data
        are used as they are: no centring, hence no intercept, and a constant column acts as
        one.
    name : str, optional
        Problem name; default the file's stem.
    drop : sequence of str, default ()
        Columns (CSV) or ``feature_names`` (NPZ) to leave out, e.g. an identifier. A column
        with an empty header cell at 0-based position ``j`` is named ``"Unnamed: j"``, as
        pandas names it. A single string is one column.
    index_col : str or int, optional
        CSV only: a column of row labels, left out of the features; a name, or a 0-based
        position. ``index_col=0`` reads the unnamed first column that ``DataFrame.to_csv``
        writes.
    categorical : sequence of str, default ()
        CSV only: feature columns to one-hot encode with :func:`pandas.get_dummies`
        (``drop_first=True``). The levels (the distinct stripped cell texts, numbers
        included) are sorted; the first one is the reference level and gets no column, each
        other level ``v`` of column ``c`` becomes a 0/1 feature named ``"c_v"``. Dropping one
        level avoids the exact collinearity of a full set of indicators (they sum to one)
        with the intercept that centring introduces; the coefficient of ``"c_v"`` is then the
        difference from the reference level. The levels and the reference go to
        ``params["categories"]``. A column with a single level gives no feature.
    missing : {"error", "drop_rows"}, default "error"
        What to do with a missing cell (empty, one of ``NA_VALUES`` such as ``NA`` or ``nan``,
        or one of ``na_values``) in the target or a feature: refuse the file, or leave out
        every row that has one (CSV: their file line numbers go to
        ``params["dropped_lines"]``; NPZ: a NaN is missing, the 1-based row numbers go to
        ``params["dropped_rows"]``). Missing cells in dropped columns and in the index column
        are ignored. Infinite values are refused either way.
    sep : str, optional
        CSV only: the one-character field separator. Default: sniffed from the first lines,
        the first of ``SEPARATORS`` (``,`` ``;`` tab ``|``) that splits the header and every
        line after it into the same number (> 1) of fields, else ``,``.
    decimal : {".", ","}, optional
        CSV only: the decimal mark. Default ``","`` when the separator is not ``,`` and a
        cell reads as a number with a decimal comma (``1,5``), else ``"."``. With ``","`` a
        cell with a decimal point is refused (no thousands separators).
    na_values : sequence of str, default ()
        CSV only: more cell texts that mark a missing value (``NA_VALUES`` always do), e.g.
        ``["?"]`` or ``["-999"]``.
    encoding : str, default "utf-8"
        CSV only: the text encoding (a UTF-8 byte-order mark is skipped), e.g. ``"latin-1"``.

    Returns
    -------
    Problem
        ``beta_star`` is ``None`` (or the NPZ ``beta_star``, rescaled to the standardised
        features as ``beta_star * x_scale`` when ``standardize``). ``params`` holds ``loader``,
        ``format``, ``file_name``, ``sha256`` (of the file bytes), ``target``, ``standardize``,
        ``duplicate_features`` (groups of identical feature columns), the reading options
        (``drop``, ``missing``, ``dropped_lines``; for CSV also ``sep``, ``decimal``,
        ``index_col``, ``categorical``, ``categories``, ``na_values``, ``encoding``) and the
        standardisation statistics.

    Raises
    ------
    ValueError
        Missing file, unknown extension, bad option, text in another encoding than
        ``encoding``, missing target column (the message lists the available columns),
        duplicate or empty column names, a ``DataFrame.to_csv`` index column, ragged rows, a
        missing, non-numeric or non-finite cell, no rows, no feature column, or inconsistent
        NPZ shapes. A message about a cell names the
        column, the data row and the line of the file (1-based, as an editor shows it) and
        the option that fixes it.

    Notes
    -----
    Constant columns are accepted: standardised, they are zero and never become active; with
    ``standardize=False`` a non-zero constant column acts as an intercept (an all-zero one never
    becomes active). Duplicate feature columns (identical values under different names) are
    accepted and listed in ``params["duplicate_features"]``: they break the general-position
    assumption of the paper's Theorem 2. Algorithm 1 (``dln.saddles.saddle_jumps``) still runs:
    the copies have the same gradient, hence the same dual variable ``s``, at all times, and it
    puts the whole weight on one copy. The minimum-l1 solution is then not unique: any split of
    the weight between the copies with the same sign is optimal.
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
    drop = _names(drop, "drop")
    categorical = _names(categorical, "categorical")
    na_values = _names(na_values, "na_values", allow_empty_strings=True)
    if index_col is not None and (
        isinstance(index_col, bool)
        or not isinstance(index_col, str | int | np.integer)
        or (isinstance(index_col, str) and not index_col)
        or (not isinstance(index_col, str) and index_col < 0)
    ):
        raise ValueError(
            f"index_col must be a column name or a 0-based position >= 0, got {index_col!r}"
        )
    if not isinstance(index_col, str | type(None)):
        index_col = int(index_col)
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {list(MISSING_POLICIES)}, got {missing!r}")
    if sep is not None and (
        not isinstance(sep, str) or len(sep) != 1 or sep in '\r\n"' or sep.isalnum()
    ):
        raise ValueError(f"sep must be one character such as ',', ';', '\\t' or '|', got {sep!r}")
    if decimal is not None and decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if decimal == "," and sep == ",":
        raise ValueError("decimal=',' needs another separator than ',' (e.g. sep=';')")
    if not isinstance(encoding, str):
        raise ValueError(f"encoding must be a string such as 'utf-8', got {encoding!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"encoding {encoding!r} is not a known text encoding") from None
    overlap = sorted(set(drop) & set(categorical))
    if overlap:
        raise ValueError(f"column(s) {overlap} are both in drop and in categorical; pick one")

    fmt = _FORMATS[suffix]
    data = path.read_bytes()
    if fmt == "csv":
        X, y, feature_names, target_name, beta_star, info = _read_csv(
            path,
            data,
            target=target,
            drop=drop,
            index_col=index_col,
            categorical=categorical,
            missing=missing,
            sep=sep,
            decimal=decimal,
            na_values=na_values,
            encoding=encoding,
        )
    else:
        given = {
            "index_col": index_col is not None,
            "categorical": bool(categorical),
            "sep": sep is not None,
            "decimal": decimal is not None,
            "na_values": bool(na_values),
            "encoding": encoding != "utf-8",
        }
        for option in _CSV_ONLY:
            if given[option]:
                raise ValueError(
                    f"{path.name}: {option} applies to CSV files only (an NPZ file holds "
                    "numeric arrays); leave it unset"
                )
        X, y, feature_names, target_name, beta_star, info = _read_npz(
            path, target, drop=drop, missing=missing
        )

    params = {
        "loader": "load_data",
        "format": fmt,
        "file_name": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "target": target_name,
        "standardize": bool(standardize),
        "duplicate_features": _duplicate_groups(X, feature_names),
        **info,
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


def _names(value, option: str, *, allow_empty_strings: bool = False) -> list[str]:
    """A list of strings from a sequence of strings or a single string."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence | set | frozenset | np.ndarray):
        raise ValueError(f"{option} must be a list of column names, got {value!r}")
    out = []
    for v in value:
        if not isinstance(v, str) or (not v and not allow_empty_strings):
            raise ValueError(f"{option} must be a list of non-empty strings, got {value!r}")
        if v not in out:
            out.append(v)
    return out


# ------------------------------------------------------------------------------------------ CSV
def _read_csv(
    path: Path,
    data: bytes,
    *,
    target,
    drop,
    index_col,
    categorical,
    missing,
    sep,
    decimal,
    na_values,
    encoding,
):
    import pandas as pd

    file = path.name
    text = _decode(file, data, encoding)
    lead = _LEADING_BLANK_LINES.match(text)
    first_line = 1 + lead.group().count("\n") + lead.group().replace("\r\n", "").count("\r")
    text = text[lead.end() :]
    if not text.strip():
        raise ValueError(f"{file}: the file is empty (no header row)")
    sniffed = sep is None
    if sniffed:
        sep = _sniff_separator(text)

    read = dict(
        sep=sep,
        header=None,
        dtype=object,
        keep_default_na=False,  # cells stay text: '' is an empty cell, None a missing field
        skip_blank_lines=False,  # every record counts, so that file lines can be told
        engine="python",  # it leaves short rows' missing fields None (the C engine, '')
        quotechar='"',
    )
    try:
        raw = pd.read_csv(io.StringIO(text), **read)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{file}: the file is empty (no header row)") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m is None:
            raise ValueError(f"{file}: malformed CSV: {exc}") from None
        record = int(m.group(2))
        before = pd.read_csv(io.StringIO(text), nrows=record - 1, **read)
        line = first_line + _lines_taken(before)
        raise ValueError(
            f"{file}: ragged rows: the header has {m.group(1)} fields but file line {line} has "
            f"{m.group(3)}{_separator_note(sep, sniffed)}"
        ) from None
    except csv.Error as exc:
        raise ValueError(f"{file}: malformed CSV: {exc}") from None

    cells = raw.to_numpy(dtype=object)
    lines = first_line + _record_offsets(raw, text)
    nonblank = ~_blank_records(raw)
    cells, lines = cells[nonblank], lines[nonblank]
    header = cells[0]
    columns = [str(c).strip() for c in header]
    cells, lines = cells[1:], lines[1:]
    n_fields = np.sum(np.not_equal(cells, None), axis=1) if cells.size else np.zeros(0, int)
    short = np.flatnonzero(n_fields < len(columns))
    if short.size:
        r = short[0]
        raise ValueError(
            f"{file}: ragged rows: the header has {len(columns)} fields but file line "
            f"{lines[r]} has {n_fields[r]}{_separator_note(sep, sniffed)}"
        )

    named = [c for c in columns if c]
    dups = sorted({c for c in named if named.count(c) > 1}, key=named.index)
    if dups:
        raise ValueError(f"{file}: duplicate column names {dups}")

    def position(col, option: str) -> int:
        if isinstance(col, int):
            if col >= len(columns):
                raise ValueError(
                    f"{file}: {option}={col} is past the last column (the file has "
                    f"{len(columns)} columns, positions 0 to {len(columns) - 1})"
                )
            return col
        if col in columns:
            return columns.index(col)
        m = _UNNAMED.fullmatch(col)
        if m and int(m.group(1)) < len(columns) and not columns[int(m.group(1))]:
            return int(m.group(1))
        raise ValueError(f"{file}: {option}: column {col!r} not found; available: {columns}")

    if target is None:
        if "y" not in columns:
            raise ValueError(
                f"{file}: no target given and no column named 'y'; pass target= one of "
                f"the available columns {columns}"
            )
        target = "y"
    if target not in columns:
        raise ValueError(
            f"{file}: target column {target!r} not found; available columns: {columns}"
        )
    t = columns.index(target)
    dropped = {position(c, "drop") for c in drop}
    index = None if index_col is None else position(index_col, "index_col")
    encoded = {position(c, "categorical") for c in categorical}
    for option, where in (("drop", dropped), ("index_col", {index}), ("categorical", encoded)):
        if t in where:
            raise ValueError(
                f"{file}: {option} names the column to predict, {target!r}; remove it there"
            )
    if index is not None and index in dropped | encoded:
        raise ValueError(f"{file}: the index column is also in drop or categorical")
    used = [j for j in range(len(columns)) if j not in dropped and j != index]

    for j in used:
        if not columns[j]:
            fix = (
                "the first column is usually the index written by DataFrame.to_csv: use "
                "index_col=0, or drop=['Unnamed: 0']"
                if j == 0
                else f"name it in the header, or use drop=['Unnamed: {j}']"
            )
            raise ValueError(f"{file}: empty column name at header position {j + 1}; {fix}")
        if _UNNAMED.fullmatch(columns[j]):
            raise ValueError(
                f"{file}: column {columns[j]!r} looks like a DataFrame index written by "
                f"to_csv; use index_col={columns[j]!r} or drop=[{columns[j]!r}]"
            )
    if cells.shape[0] == 0:
        raise ValueError(f"{file}: no data rows (at least one row is required)")
    features = [j for j in used if j != t]
    if not features:
        raise ValueError(f"{file}: no feature column besides the target {target!r}")

    if decimal is None:
        decimal = "." if sep == "," else _sniff_decimal(cells[:, used])
    markers = NA_VALUES | set(na_values)
    parsed = {j: _parse_column(cells[:, j], j in encoded, decimal, markers) for j in used}
    keep = np.ones(cells.shape[0], dtype=bool)
    if missing == "drop_rows":
        for j in used:
            keep &= ~parsed[j]["missing"]
        if not keep.any():
            raise ValueError(
                f"{file}: no data rows left: every row has a missing value (missing="
                "'drop_rows'); fill them, or drop the columns that are mostly missing"
            )
    for j in used:
        _check_column(file, columns[j], parsed[j], keep, lines, j == t, decimal, na_values)

    names, blocks, categories = [], [], {}
    for j in features:
        if j in encoded:
            levels, block = _one_hot(parsed[j]["text"][keep])
            categories[columns[j]] = {"levels": levels, "reference": levels[0]}
            names.extend(f"{columns[j]}_{v}" for v in levels[1:])
            blocks.append(block)
        else:
            names.append(columns[j])
            blocks.append(parsed[j]["values"][keep, None])
    clash = sorted({c for c in names if names.count(c) > 1})
    if clash:
        raise ValueError(
            f"{file}: one-hot encoding makes column names that already exist: {clash}; "
            "rename the columns"
        )
    if not names:
        raise ValueError(
            f"{file}: no feature column besides the target {target!r} (every categorical "
            "column has a single level)"
        )
    X = np.hstack(blocks).astype(np.float64)
    y = parsed[t]["values"][keep]
    info = {
        "sep": sep,
        "decimal": decimal,
        "encoding": encoding,
        "drop": [columns[j] or f"Unnamed: {j}" for j in sorted(dropped)],
        "index_col": None if index is None else (columns[index] or f"Unnamed: {index}"),
        "categorical": [columns[j] for j in sorted(encoded)],
        "categories": categories,
        "missing": missing,
        "na_values": list(na_values),
        "dropped_lines": lines[~keep].tolist(),
    }
    return X, y, tuple(names), target, None, info


def _decode(file: str, data: bytes, encoding: str) -> str:
    utf8 = codecs.lookup(encoding).name == "utf-8"
    try:
        text = data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        shown = "UTF-8" if utf8 else encoding
        raise ValueError(
            f"{file}: not {shown} text (byte {exc.start}, file line {line}: {exc.reason}); "
            "pass the file's encoding, e.g. encoding='latin-1' or encoding='cp1252'"
        ) from None
    return text.removeprefix("\ufeff")


def _sniff_separator(text: str) -> str:
    """The first of SEPARATORS that splits the first lines into equally many (> 1) fields."""
    head = text.splitlines(keepends=True)
    truncated = len(head) > _SNIFF_LINES + 1
    sample = "".join(head[: _SNIFF_LINES + 1])
    best, best_key = SEPARATORS[0], None
    for sep in SEPARATORS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=sep) if any(r)]
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # may be cut inside a quoted field
        if not rows:
            continue
        consistent = len({len(r) for r in rows}) == 1 and len(rows[0]) > 1
        key = (consistent, len(rows[0]))
        if best_key is None or key > best_key:
            best, best_key = sep, key
    return best


def _separator_note(sep: str, sniffed: bool) -> str:
    how = "detected" if sniffed else "given"
    return f" (fields split on {sep!r}, {how}; pass sep=... if the file uses another separator)"


def _sniff_decimal(cells) -> str:
    """',' when some cell reads as a number with a decimal comma, else '.'."""
    for v in cells.ravel():
        if isinstance(v, str) and _DECIMAL_COMMA.fullmatch(v.strip()):
            return ","
    return "."


def _record_offsets(raw, text: str) -> np.ndarray:
    """0-based line offset of each record: one line each, plus the line breaks quoted inside."""
    extra = np.zeros(raw.shape[0], dtype=np.int64)
    if '"' in text:  # a line break inside a field needs quotes
        extra = raw.map(lambda v: v.count("\n") if isinstance(v, str) else 0).to_numpy().sum(1)
    return np.arange(raw.shape[0]) + np.concatenate([[0], np.cumsum(extra)[:-1]]).astype(int)


def _lines_taken(raw) -> int:
    """Number of file lines the records of ``raw`` take."""
    return raw.shape[0] + int(
        raw.map(lambda v: v.count("\n") if isinstance(v, str) else 0).to_numpy().sum()
    )


def _blank_records(raw) -> np.ndarray:
    """Blank lines: no field at all, or only whitespace in a one-field record."""
    values = raw.to_numpy(dtype=object)
    rest_missing = np.all(np.equal(values[:, 1:], None), axis=1)
    first = values[:, 0]
    first_blank = np.array([v is None or not str(v).strip() for v in first], dtype=bool)
    return rest_missing & first_blank


def _parse_column(cells, categorical: bool, decimal: str, markers) -> dict:
    """Stripped text, numbers and masks (missing, not a number, infinite) of one column."""
    import pandas as pd

    text = np.array([str(v).strip() for v in cells], dtype=object)
    missing = np.array([v in markers or v == "" for v in text], dtype=bool)
    if categorical:
        none = np.zeros(text.shape, dtype=bool)
        return {"text": text, "missing": missing, "bad": none, "inf": none, "values": None}
    spelled = pd.Series(text, dtype=object)
    if decimal == ",":
        has_point = spelled.str.contains(".", regex=False).to_numpy(dtype=bool)
        spelled = spelled.str.replace(",", ".", regex=False)
    else:
        has_point = np.zeros(text.shape, dtype=bool)
    values = pd.to_numeric(spelled, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    nan_text = np.array([v.lower().lstrip("+-") == "nan" for v in text], dtype=bool)
    missing |= nan_text
    bad = (np.isnan(values) & ~missing) | (has_point & ~missing)
    return {
        "text": text,
        "missing": missing,
        "bad": bad,
        "inf": np.isinf(values) & ~bad,
        "values": values,
    }


def _check_column(file, column, parsed, keep, lines, is_target, decimal, na_values) -> None:
    """Refuse the first missing, non-numeric or infinite cell of a column in the kept rows."""
    problem = (parsed["missing"] | parsed["bad"] | parsed["inf"]) & keep
    if not problem.any():
        return
    r = int(np.flatnonzero(problem)[0])
    cell = parsed["text"][r]
    where = f"in column {column!r}, data row {r + 1} (file line {lines[r]})"
    if parsed["missing"][r]:
        fix = "use missing='drop_rows' to leave out the rows with a missing value, or fill it"
        if cell == "":
            raise ValueError(f"{file}: empty cell (missing value) {where}; {fix}")
        if cell.lower().lstrip("+-") == "nan":
            raise ValueError(
                f"{file}: non-finite value (NaN or inf) {where}: {cell!r} marks a missing "
                f"value; {fix}"
            )
        raise ValueError(f"{file}: missing value {cell!r} {where}; {fix}")
    if parsed["inf"][r]:
        fix = "replace it" + ("" if is_target else f", or leave the column out: drop=[{column!r}]")
        raise ValueError(f"{file}: non-finite value (NaN or inf) {where}: {cell!r}; {fix}")
    raise ValueError(
        f"{file}: non-numeric value {cell!r} {where}; "
        + _non_numeric_fix(column, cell, parsed, keep, is_target, decimal)
    )


def _non_numeric_fix(column, cell, parsed, keep, is_target, decimal) -> str:
    if decimal == "." and _DECIMAL_COMMA.fullmatch(cell):
        return "if ',' is the decimal mark, use decimal=',' (with sep=';' or another separator)"
    if decimal == "," and _DECIMAL_POINT.fullmatch(cell):
        return "the file was read with decimal=','; use decimal='.'"
    if not any(ch.isalnum() for ch in cell):
        return (
            f"if {cell!r} marks a missing value, use na_values=[{cell!r}] (and "
            "missing='drop_rows' to leave those rows out)"
        )
    if is_target:
        return "the column to predict must be numeric: fix the cell"
    present = keep & ~parsed["missing"]
    texts = parsed["text"][present]
    n_bad = int(np.sum(parsed["bad"] & present))
    if 2 * n_bad > texts.size:
        if texts.size >= 3 and len(set(texts)) == texts.size:
            return (
                f"it looks like an identifier (every value differs): use drop=[{column!r}] "
                f"or index_col={column!r}"
            )
        return f"use categorical=[{column!r}] to one-hot encode it, or drop=[{column!r}]"
    return (
        f"fix the cell, mark it as missing with na_values=[{cell!r}], or leave the column "
        f"out with drop=[{column!r}]"
    )


def _one_hot(text) -> tuple[list[str], np.ndarray]:
    """Sorted levels and the 0/1 indicators of all but the first (pandas.get_dummies)."""
    import pandas as pd

    dummies = pd.get_dummies(pd.Series(text, dtype=str), drop_first=True, dtype=np.float64)
    levels = sorted(set(text.tolist()))
    return levels, dummies.to_numpy().reshape(len(text), len(levels) - 1)


# ------------------------------------------------------------------------------------------ NPZ


def _read_npz(path: Path, target: str | None, *, drop, missing):
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except ValueError as exc:
        raise ValueError(f"{path.name}: cannot read NPZ without pickles: {exc}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path.name}: not a valid NPZ file: {exc}") from None
    absent = [k for k in _NPZ_REQUIRED if k not in arrays]
    if absent:
        raise ValueError(f"{path.name}: missing array(s) {absent}; found {sorted(arrays)}")
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

    unknown = [c for c in drop if c not in feature_names]
    if unknown:
        raise ValueError(
            f"{path.name}: drop: feature(s) {unknown} not found; available: {list(feature_names)}"
        )
    kept = [j for j, f in enumerate(feature_names) if f not in drop]
    if not kept:
        raise ValueError(f"{path.name}: drop leaves no feature column")
    X = X[:, kept]
    feature_names = tuple(feature_names[j] for j in kept)
    keep = np.ones(X.shape[0], dtype=bool)
    if missing == "drop_rows":
        keep = ~(np.any(np.isnan(X), axis=1) | np.isnan(y))
        if not keep.any():
            raise ValueError(
                f"{path.name}: no rows left: every row has a NaN (missing='drop_rows')"
            )
        X, y = X[keep], y[keep]
    fix = "use missing='drop_rows' to leave out rows with a NaN, or replace it"
    for j in np.flatnonzero(~np.all(np.isfinite(X), axis=0)):
        rows = (np.flatnonzero(~np.isfinite(X[:, j])) + 1).tolist()
        raise ValueError(
            f"{path.name}: non-finite value (NaN or inf) in column {feature_names[j]!r} of X, "
            f"row(s) {rows[:10]}; {fix if np.isnan(X[rows[0] - 1, j]) else 'replace it'}"
        )
    if not np.all(np.isfinite(y)):
        rows = (np.flatnonzero(~np.isfinite(y)) + 1).tolist()
        raise ValueError(
            f"{path.name}: non-finite value (NaN or inf) in target column {target!r}, "
            f"row(s) {rows[:10]}; {fix if np.isnan(y[rows[0] - 1]) else 'replace it'}"
        )

    beta_star = None
    if "beta_star" in arrays:
        b = arrays["beta_star"]
        if b.dtype.kind not in "biuf" or b.shape != (d,) or not np.all(np.isfinite(b)):
            raise ValueError(
                f"{path.name}: beta_star must be a finite numeric ({d},) array, got dtype "
                f"{b.dtype} and shape {b.shape}"
            )
        beta_star = b.astype(np.float64)[kept]
    info = {
        "drop": list(drop),
        "missing": missing,
        "dropped_rows": (np.flatnonzero(~keep) + 1).tolist(),
    }
    return X, y, feature_names, target, beta_star, info


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
    # A constant column is exactly zero once centred (its value is the intercept's business):
    # scale 1, so that it stays zero and never becomes active, as scikit-learn's StandardScaler
    # and dln.SaddleRegressor treat it.
    constant = x_scale <= CONSTANT_COLUMN_RTOL * magnitude
    x_scale = np.where(constant, 1.0, x_scale)
    y_mean = float(y.mean())
    Xs = (X - x_mean) / x_scale
    Xs[:, constant] = 0.0
    ys = y - y_mean
    if beta_star is not None:
        beta_star = beta_star * x_scale
    stats = {
        "x_mean": x_mean.tolist(),
        "x_scale": x_scale.tolist(),
        "y_mean": y_mean,
        "constant_features": [feature_names[j] for j in np.flatnonzero(constant)],
    }
    return Xs, ys, beta_star, stats
