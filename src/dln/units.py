"""Units of reported coefficients, and what a problem's data is (file and target).

Algorithm 1 and the flow run on the problem as stored. A problem read from a file or from
scikit-learn's diabetes data is usually standardised first (``y`` centred, the columns of ``X``
centred and scaled to unit population variance; :func:`dln.load_data`): its coefficients
``beta`` are then per standard deviation of each feature. Tables and the command line report
them, by default, in the **original units** of the columns, as scikit-learn's linear models
do::

    coef_j = beta_j / x_scale_j        intercept = y_mean - sum_j coef_j x_mean_j

(``x_scale``, ``x_mean`` and ``y_mean`` are the statistics the loader records in the problem's
``params``); ``units="standardized"`` keeps ``beta``. A problem that was not standardised (the
synthetic ones) has one set of units: its own.

Standard library at import, numpy inside the functions (the command line and the pipeline's
plan import it before they need numpy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "UNITS",
    "check_units",
    "coefficient_scale",
    "data_source",
    "problem_params",
    "source",
    "source_columns",
    "source_sentence",
    "to_units",
    "units_label",
    "units_sentence",
]

# The units a table or the command line can report coefficients in (the first is the default).
UNITS = ("original", "standardized")


def check_units(units) -> str:
    """``units`` if it is one of :data:`UNITS`, else a ``ValueError`` naming the choices."""
    if units not in UNITS:
        raise ValueError(f"units must be one of {list(UNITS)}, got {units!r}")
    return units


def _standardized(params: Mapping) -> bool:
    return bool(params.get("standardize")) and "x_scale" in params


def coefficient_scale(params: Mapping, units: str = "original") -> np.ndarray | None:
    """Divisor per feature that turns the problem's ``beta`` into ``units``, or ``None``.

    ``None`` when no conversion is needed: the problem was not standardised, or
    ``units="standardized"``.
    """
    check_units(units)
    if units == "standardized" or not _standardized(params):
        return None
    import numpy as np

    return np.asarray(params["x_scale"], dtype=np.float64)


def to_units(beta, params: Mapping, units: str = "original") -> np.ndarray:
    """``beta`` (features on the last axis) in ``units`` (see :func:`coefficient_scale`)."""
    import numpy as np

    beta = np.asarray(beta, dtype=np.float64)
    scale = coefficient_scale(params, units)
    return beta if scale is None else beta / scale


def units_label(params: Mapping, units: str = "original") -> str:
    """Short text for tables and captions: which units the coefficients are in."""
    check_units(units)
    return units if _standardized(params) else "original"


def units_sentence(params: Mapping, units: str = "original") -> str:
    """One sentence for captions and the command line's header."""
    check_units(units)
    if not _standardized(params):
        return (
            "coefficients in the original units of the data (not standardised: no centring, "
            "no intercept)"
        )
    if units == "original":
        return (
            "coefficients in the original units of the columns (the fit standardises: X "
            "centred and scaled to unit variance, y centred)"
        )
    return (
        "coefficients in standardised units (per standard deviation of each column; "
        "X centred and scaled to unit variance, y centred)"
    )


def data_source(params: Mapping) -> str:
    """Where a problem's data come from: the file's name, scikit-learn, or a generator."""
    if params.get("file_name"):
        return str(params["file_name"])
    if params.get("path"):
        return PurePath(str(params["path"])).name
    if params.get("source"):
        return str(params["source"])
    generator = params.get("generator") or params.get("loader")
    return f"synthetic ({generator})" if generator else "synthetic"


def problem_params(attrs: Mapping) -> dict:
    """The loader's ``params`` of a problem store (its ``generator_params`` attribute)."""
    return json.loads(attrs.get("generator_params", "{}") or "{}")


def source(params: Mapping, target: str, units: str = "original") -> dict:
    """``data_file``, ``target`` and ``coefficient_units`` of a problem, for a table row."""
    return {
        "data_file": data_source(params),
        "target": str(target),
        "coefficient_units": units_label(params, units),
    }


def source_columns(attrs: Mapping, units: str = "original") -> dict:
    """:func:`source` of a problem store (its attributes)."""
    return source(problem_params(attrs), attrs.get("target_name", "y"), units)


def source_sentence(attrs: Mapping, units: str = "original") -> str:
    """What a caption says of a problem store: name, data, target, size, coefficient units.

    Figures draw the coefficients of the problem as the network is trained on it (standardised
    when the loader standardised it); tables follow ``units``.
    """
    params = problem_params(attrs)
    cols = source_columns(attrs, units)
    text = (
        f"problem ``{attrs.get('problem', '')}``: data {cols['data_file']}, target "
        f"``{cols['target']}``, n = {attrs.get('n_samples', '?')}, "
        f"d = {attrs.get('n_features', '?')}; "
    )
    if not _standardized(params):
        return text + "coefficients in the original units of the data (not standardised)."
    return text + (
        "the network is trained on the standardised data (X centred and scaled to unit "
        "variance, y centred: an intercept), so the figures draw standardised coefficients; "
        + (
            "the tables give them in the original units of the columns (standardised "
            "coefficient / column standard deviation)."
            if units == "original"
            else "so do the tables (coefficient_units: standardized)."
        )
    )
