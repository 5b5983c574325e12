"""The convergence store: the evaluations of one problem along ``log(1/alpha)`` with their
log-log fits (:class:`dln.evaluate.ConvergenceFit`) as a Dataset, and its figures.

Written by the rule ``fit_convergence``; conventions in :mod:`dln.io`. ``alpha`` is the
initialisation scale of the network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from dln.io import global_attrs, var_attrs
from dln.plotstyle import MAX_LABELLED, OTHER_STYLE, feature_colors, legend_outside, reference_slope

__all__ = [
    "plot_convergence",
    "plot_convergence_metrics",
    "plot_jump_time_errors",
    "plot_metric_over_alpha",
    "to_dataset",
]


def to_dataset(evaluations: Sequence[xr.Dataset], fit, *, problem: str = "") -> xr.Dataset:
    """Combine per-alpha evaluation stores along ``log_inv_alpha`` and attach the fits.

    Parameters
    ----------
    evaluations : sequence of xarray.Dataset
        Evaluation stores of one problem (any order; sorted here by ``log_inv_alpha``).
    fit : dln.evaluate.ConvergenceFit
        Output of :func:`dln.evaluate.fit_convergence` on the same data.
    """
    from dln.evaluate import METRICS

    evs = sorted(evaluations, key=lambda e: float(e["log_inv_alpha"]))
    lam = np.array([float(e["log_inv_alpha"]) for e in evs])
    log10 = np.array([float(e["log10_alpha"]) for e in evs])
    n_jumps = max(e.sizes["jump"] for e in evs)
    coords = {
        "log_inv_alpha": ("log_inv_alpha", lam, var_attrs("log(1/alpha)")),
        "jump": ("jump", np.arange(1, n_jumps + 1), var_attrs("jump index k")),
        "metric": ("metric", np.array(sorted(METRICS), dtype=object), var_attrs("metric name")),
    }

    def per_jump(name: str) -> np.ndarray:
        out = np.full((lam.size, n_jumps), np.nan)
        for i, e in enumerate(evs):
            out[i, : e.sizes["jump"]] = e[name].values
        return out

    metric_names = sorted(METRICS)
    data = {
        "log10_alpha": (
            ("log_inv_alpha",),
            log10,
            var_attrs("log10 of the initialisation scale alpha"),
        ),
        "jump_time": (
            ("jump",),
            per_jump("jump_time")[0],
            var_attrs("limit jump time t_k", "accelerated time"),
        ),
        "jump_time_error": (
            ("log_inv_alpha", "jump"),
            per_jump("jump_time_error"),
            var_attrs("jump time error", "accelerated time", "crossing_time - jump_time"),
        ),
        "metric_value": (
            ("log_inv_alpha", "metric"),
            np.array([[float(e[m]) for m in metric_names] for e in evs]),
            var_attrs("error metric"),
        ),
    }
    fit_attrs = {
        "slope": ("log-log slope", "d log|error| / d log log(1/alpha)"),
        "intercept": ("log-log intercept", "log|error| at log(1/alpha) = 1"),
        "rvalue": ("correlation of the log-log fit", None),
        "stderr": ("standard error of the slope", None),
        "constant": ("constant C", "error ~ C / log(1/alpha): median of error * log(1/alpha)"),
        "n_points": ("number of alphas in the fit", None),
    }
    for key, (long_name, description) in fit_attrs.items():
        data[f"jump_{key}"] = (
            ("jump",),
            np.asarray(getattr(fit.jumps, key), dtype=np.float64),
            var_attrs(f"{long_name} (jump time error)", "1", description),
        )
        data[f"metric_{key}"] = (
            ("metric",),
            np.asarray(getattr(fit.metrics, key), dtype=np.float64),
            var_attrs(f"{long_name} (metric)", "1", description),
        )
    return xr.Dataset(
        data,
        coords=coords,
        attrs=global_attrs(f"Convergence in alpha of {problem}".strip(), problem=problem),
    )


def _jump_colors(n_jumps: int) -> list:
    """One colour per jump for the first :data:`~dln.plotstyle.MAX_LABELLED` jumps (as
    always), the faint colour beyond."""
    if n_jumps <= MAX_LABELLED:
        return feature_colors(max(n_jumps, 1))
    return feature_colors(MAX_LABELLED) + [OTHER_STYLE["color"]] * (n_jumps - MAX_LABELLED)


def _others_entry(ax, n_jumps: int):
    """One legend entry for the unlabelled jumps (after the first MAX_LABELLED)."""
    if n_jumps > MAX_LABELLED:
        ax.plot(
            [],
            [],
            "o",
            ms=2,
            color=OTHER_STYLE["color"],
            label=f"jumps {MAX_LABELLED + 1}-{n_jumps}",
        )


def _draw_jump_errors(ds, ax, *, label: str) -> None:
    """Each jump's measured ``|t_k^alpha - t_k|`` against ``log(1/alpha)`` (markers) with its
    stored log-log fit (line), the first ``MAX_LABELLED`` jumps labelled by ``label`` (a format
    string of ``k`` and ``slope``), and a ``C / log(1/alpha)`` guide."""
    lam = ds["log_inv_alpha"].values
    errors = ds["jump_time_error"].values
    colors = _jump_colors(ds.sizes["jump"])
    for i, k in enumerate(ds["jump"].values):
        e = np.abs(errors[:, i])
        ok = np.isfinite(e) & (e > 0)
        if not np.any(ok):
            continue
        slope = float(ds["jump_slope"].values[i])
        intercept = float(ds["jump_intercept"].values[i])
        labelled = i < MAX_LABELLED
        ax.loglog(
            lam[ok],
            e[ok],
            "o",
            color=colors[i],
            ms=4 if labelled else 2,
            label=label.format(k=k, slope=slope) if labelled else None,
        )
        if np.isfinite(slope) and np.isfinite(intercept):
            ax.loglog(lam, np.exp(intercept) * lam**slope, "-", color=colors[i], lw=0.8)
    _others_entry(ax, ds.sizes["jump"])
    reference_slope(ax, lam, errors)


def plot_convergence(ds, ax):
    """``|jump time error|`` against ``log(1/alpha)`` (log-log), with the fitted lines."""
    _draw_jump_errors(ds, ax, label=r"$k={k}$, slope {slope:.2f}")
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"$|t_k^\alpha - t_k|$ (accelerated time)")
    ax.set_title(f"{ds.attrs.get('problem', '')}: jump times", fontsize="medium")
    if ds.sizes["jump"] > MAX_LABELLED:  # many artists: no search for the best place
        legend_outside(ax, fontsize="x-small")
    else:
        ax.legend(fontsize="x-small", frameon=False)
    return ax


def plot_convergence_metrics(ds, ax, *, metrics: Sequence[str] | None = None):
    """Scalar error metrics against ``log(1/alpha)`` (log-log), one marker style per metric."""
    lam = ds["log_inv_alpha"].values
    names = [str(m) for m in ds["metric"].values]
    values = ds["metric_value"].values
    for i, name in enumerate(names):
        if metrics is not None and name not in metrics:
            continue
        v = np.abs(values[:, i])
        ok = np.isfinite(v) & (v > 0)
        if not np.any(ok):
            continue
        slope = float(ds["metric_slope"].values[i])
        ax.loglog(lam[ok], v[ok], "s-", ms=3, lw=0.8, label=f"{name} ({slope:.2f})")
    reference_slope(ax, lam, values)
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel("error")
    ax.set_title(f"{ds.attrs.get('problem', '')}: metrics (slope)", fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False)
    return ax


def plot_jump_time_errors(ds, ax):
    """``|t_k^alpha - t_k|`` per jump against ``log(1/alpha)`` (log-log), fits and a guide.

    Markers: the measured errors of jump ``k``; solid lines: the stored log-log fits (slope in
    the legend); dotted: a ``C / log(1/alpha)`` reference line. Legend outside the axes.
    """
    _draw_jump_errors(ds, ax, label=r"jump $k={k}$: slope {slope:.2f}")
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"$|t_k^\alpha - t_k|$ (accelerated time)")
    ax.set_title(str(ds.attrs.get("problem", "")), fontsize="medium")
    legend_outside(ax, fontsize="x-small")
    return ax


def plot_metric_over_alpha(stores: Sequence, ax, *, metric: str):
    """One scalar error metric against ``log(1/alpha)`` (log-log), one series per problem.

    ``stores`` are convergence stores; the legend labels give each problem's fitted slope; a
    dotted ``C / log(1/alpha)`` guide runs through the first store's values.
    """
    markers = ("o", "s", "^", "D", "v")
    long_name = metric
    for i, ds in enumerate(stores):
        names = [str(m) for m in ds["metric"].values]
        if metric not in names:
            raise ValueError(f"metric must be one of {names}, got {metric!r}")
        j = names.index(metric)
        from dln.evaluate import METRICS

        long_name = METRICS.get(metric, (metric, ""))[0]
        lam = ds["log_inv_alpha"].values
        v = np.abs(ds["metric_value"].values[:, j])
        ok = np.isfinite(v) & (v > 0)
        if not np.any(ok):
            continue
        slope = float(ds["metric_slope"].values[j])
        ax.loglog(
            lam[ok],
            v[ok],
            marker=markers[i % len(markers)],
            ms=4,
            lw=0.8,
            color=f"C{i}",
            label=f"{ds.attrs.get('problem', '')}: slope {slope:.2f}",
        )
    if stores:
        first = stores[0]
        reference_slope(
            ax, first["log_inv_alpha"].values, first["metric_value"].sel(metric=metric).values
        )
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_title(long_name, fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return ax
