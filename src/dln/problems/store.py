"""The problem store: layout of a :class:`dln.problems.Problem` as a Dataset, and its figure.

Written by the rule ``solve_problem`` (``results/problems/{problem}.zarr``); conventions in
:mod:`dln.io`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dln.io import feature_coords, global_attrs, to_json, var_attrs
from dln.plotstyle import MAX_LABELLED, label, thin_ticks

__all__ = ["plot_problem", "to_dataset"]


def to_dataset(problem) -> xr.Dataset:
    """Store layout of a regression problem (``X``, ``y``, ``beta_star`` when known).

    Parameters
    ----------
    problem : dln.problems.Problem
        Needs ``name``, ``X`` (n, d), ``y`` (n,), ``beta_star`` (d,) or None,
        ``feature_names``, ``params`` (JSON-serialisable) and ``target_name``.
    """
    X = np.asarray(problem.X, dtype=np.float64)
    y = np.asarray(problem.y, dtype=np.float64)
    n, d = X.shape
    coords = feature_coords(d, getattr(problem, "feature_names", None))
    coords["sample"] = ("sample", np.arange(n), var_attrs("sample index"))
    target = str(getattr(problem, "target_name", "y") or "y")
    data = {
        "X": (("sample", "feature"), X, var_attrs("design matrix", description="rows x_i")),
        "y": (
            ("sample",),
            y,
            var_attrs("target", description=f"regression target ({target})"),
        ),
    }
    beta_star = getattr(problem, "beta_star", None)
    if beta_star is not None:
        data["beta_star"] = (
            ("feature",),
            np.asarray(beta_star, dtype=np.float64),
            var_attrs("planted coefficients", description="beta* used to generate y"),
        )
    params = dict(getattr(problem, "params", {}) or {})
    return xr.Dataset(
        data,
        coords=coords,
        attrs=global_attrs(
            f"Regression problem {problem.name}",
            problem=str(problem.name),
            target_name=target,
            n_samples=int(n),
            n_features=int(d),
            generator_params=to_json(params),
        ),
    )


def plot_problem(ds, ax, *, saddles=None):
    """Stem plot of ``beta_star`` (or of ``b = X^T y / n`` when unknown) per feature.

    Up to :data:`~dln.plotstyle.MAX_LABELLED` features: bars named by feature; beyond, thin
    stems over the feature index (ticks thinned) and ``beta_p`` marked where non-zero.

    Parameters
    ----------
    ds : xarray.Dataset
        A problem store (``X``, ``y``, optionally ``beta_star``).
    ax : matplotlib.axes.Axes
    saddles : xarray.Dataset, optional
        The problem's saddles store: its minimum-l1 endpoint ``beta_p`` is overlaid.
    """
    d = ds.sizes["feature"]
    x = np.arange(d)
    if "beta_star" in ds:
        values = ds["beta_star"].values
        name = r"$\beta^*$"
    else:
        values = ds["X"].values.T @ ds["y"].values / ds.sizes["sample"]
        name = r"$b = X^\top y / n$"
    names = [str(n) for n in ds["feature_name"].values]
    if d > MAX_LABELLED:  # wide: thin bars, beta_p only where non-zero, index ticks thinned
        ax.vlines(x, 0.0, values, color="0.6", lw=1.0, label=name)
        if saddles is not None:
            end = saddles["beta"].values[-1]
            on = np.abs(end) > 1e-9 * max(float(np.abs(end).max()), 1e-300)
            ax.plot(x[on], end[on], "k_", markersize=6, mew=1.5, label=r"$\beta_p$ (non-zero)")
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_xlim(-0.5, d - 0.5)
        thin_ticks(ax.xaxis, d)
        ax.set_xlabel(label(ds["feature"]))
        ax.set_ylabel("coefficient")
        n = ds.sizes["sample"]
        ax.set_title(f"{ds.attrs.get('problem', '')}  (n={n}, d={d})", fontsize="medium")
        ax.legend(fontsize="small", frameon=False, loc="upper right")
        return ax
    ax.bar(x, values, color="0.7", label=name)
    if saddles is not None:
        ax.plot(x, saddles["beta"].values[-1], "k_", markersize=12, mew=2, label=r"$\beta_p$")
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xticks(x, names)
    ax.set_xlabel(label(ds["feature"]))
    ax.set_ylabel("coefficient")
    n = ds.sizes["sample"]
    ax.set_title(f"{ds.attrs.get('problem', '')}  (n={n}, d={d})", fontsize="medium")
    ax.legend(fontsize="small", frameon=False)
    return ax
