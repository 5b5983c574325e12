"""What the studies share: their time grid, the plateau midpoints, and the store engine that
turns a study's frozen dataclass into a Dataset from the tables of its module.

xarray is imported only when a store is built, so the numerics of the studies stay pure.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from dln._validation import check_array, check_positive

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["TIME", "loss_levels", "study_dataset", "study_time_grid"]

# Units of accelerated time in the study tables.
TIME = "accelerated time"


def study_time_grid(jump_times, *, num: int, t_max_factor: float = 1.5) -> np.ndarray:
    """Log-spaced accelerated times from ``t_1 / 5`` to ``t_max_factor * t_p`` (``num`` points).

    Jump times of real data span decades (diabetes: 0.022 to 10.3), hence the log spacing.
    """
    t = check_array(jump_times, "jump_times", ndim=1)
    if t.size < 2:
        raise ValueError("need at least one jump (jump_times has only t_0 = 0)")
    check_positive(num, "num", integer=True)
    return np.geomspace(t[1] / 5.0, t_max_factor * t[-1], int(num))


def loss_levels(result) -> np.ndarray:
    """Midpoints of consecutive plateau losses of Algorithm 1 (where jumps are measured)."""
    return (result.losses[:-1] + result.losses[1:]) / 2


# Fields stored as coordinates rather than variables.
_COORD_FIELDS = {
    "noise_levels": "noise_level",
    "log_inv_alphas": "log_inv_alpha",
    "steps": "step",
    "seeds": "seed",
    "t": "time",
}


def study_dataset(
    study,
    cls: type,
    *,
    kind: str,
    variables: dict[str, tuple[str, ...]],
    dims: dict[str, tuple[str, ...]],
    feature_names=None,
    problem: str = "",
) -> xr.Dataset:
    """Store layout of a study (one dataclass, one store), from the tables of its module.

    Parameters
    ----------
    study : dataclass instance of ``cls``
    cls : type
        The study's dataclass (``NoiseStudy``, ``InitialisationStudy``, ``StepSizeStudy`` or
        ``BaselineComparison``); anything else raises ``ValueError``.
    kind : str
        Name of the study, the global attr ``study``.
    variables : dict
        Per store variable (or coord): ``(long_name, units[, description])``.
    dims : dict
        Per array field of the dataclass: its dims.
    feature_names : sequence of str, optional
    problem : str
        The problem the study was run on (attr).

    Array fields become variables with named dims (``feature``, ``noise_level``, ``seed``,
    ``jump``, ``log_inv_alpha``, ``direction``, ``scale_set``, ``step``, ``time``, ...);
    scalar fields become 0-d variables (floats) or attrs (ints, strings). ``inf`` marks a
    feature that never becomes active. The variable names drop the plural ``s`` of the
    dataclass fields where the store has one value per coordinate (``jump_times`` ->
    ``jump_time``).
    """
    import xarray as xr

    from dln.io import feature_coords, global_attrs, var_attrs

    if not isinstance(study, cls):
        raise ValueError(
            f"expected a {cls.__name__} for a {kind!r} store, got {type(study).__name__}"
        )
    values = {f.name: getattr(study, f.name) for f in dataclasses.fields(study)}
    d = None
    feature_arrays = [k for k, v in dims.items() if v and v[-1] == "feature"]
    if feature_arrays:
        d = np.asarray(values[feature_arrays[0]]).shape[-1]
    coords = feature_coords(d, feature_names) if d is not None else {}
    data: dict[str, Any] = {}
    attrs = global_attrs(f"Study '{kind}' on {problem}".strip(), problem=problem, study=kind)

    def field_attrs(name: str) -> dict[str, str]:
        entry = variables.get(name, (name.replace("_", " "), "1"))
        return var_attrs(*entry)

    for name, value in values.items():
        if name in _COORD_FIELDS:
            dim = _COORD_FIELDS[name]
            arr = np.asarray(value)
            arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float64)
            coords[dim] = (dim, arr, field_attrs(dim))
            continue
        if name in dims:
            arr = np.asarray(value)
            if arr.dtype == bool:
                arr = arr.astype(np.int8)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
            else:
                arr = arr.astype(np.float64)
            store_name = name[:-1] if name.endswith("_times") else name
            data[store_name] = (dims[name], arr, field_attrs(store_name))
        elif isinstance(value, bool | np.bool_):
            attrs[name] = int(value)
        elif isinstance(value, int | np.integer):
            attrs[name] = int(value)
        elif isinstance(value, float | np.floating):
            data[name] = ((), np.float64(value), field_attrs(name))
        elif isinstance(value, str):
            attrs[name] = value
    for dim in {dim for var_dims, *_ in data.values() for dim in var_dims}:
        if dim not in coords:
            size = next(v[1].shape[v[0].index(dim)] for v in data.values() if dim in v[0])
            coords[dim] = (dim, np.arange(size), var_attrs(f"{dim.replace('_', ' ')} index"))
    return xr.Dataset(data, coords=coords, attrs=attrs)
