"""Plots of the pipeline's stores: each function takes a Dataset and an Axes and draws.

No file I/O here (the workflow scripts save the figures). Axis labels come from the
``long_name`` / ``units`` attrs of the stores. ``alpha`` is the initialisation scale of the
network; it is labelled by its base-10 exponent (``alpha = 10^{log10_alpha}``) and by
``log(1/alpha)``. All times are accelerated times (original time = ``log(1/alpha) * t``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "label",
    "alpha_label",
    "feature_colors",
    "plot_problem",
    "plot_saddle_staircase",
    "plot_limit_process",
    "plot_flow_coordinates",
    "plot_flow_loss",
    "plot_evaluation",
    "plot_convergence",
    "plot_convergence_metrics",
]

# Losses at or below this fraction of the initial loss are drawn at this floor on log axes
# (the last saddle interpolates: its loss is a rounding error, ~1e-30).
LOSS_FLOOR = 1e-12
# Distances below this fraction of the largest are drawn at this floor (the flow starts
# within alpha^2 of the limit, e.g. 1e-2000, far below anything visible).
DISTANCE_FLOOR = 1e-14
# Linestyles cycled over alphas in one panel (solid: smallest alpha).
LINESTYLES = ("-", "--", ":", "-.")


def label(var) -> str:
    """Axis label from a DataArray's ``long_name`` and ``units`` ("1": no unit shown)."""
    name = str(var.attrs.get("long_name", var.name))
    units = str(var.attrs.get("units", "1"))
    return name if units in ("1", "") else f"{name} [{units}]"


def alpha_label(ds) -> str:
    """Mathtext label ``alpha = 10^{e}`` of a store carrying ``log10_alpha``."""
    exponent = ds.attrs.get("log10_alpha")
    if exponent is None:
        exponent = f"{float(ds['log10_alpha']):g}"
    return rf"$\alpha = 10^{{{exponent}}}$"


def feature_colors(n_features: int) -> list:
    """One colour per feature (tab10, then tab20 for more than 10 features)."""
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10" if n_features <= 10 else "tab20"]
    return [cmap(j % cmap.N) for j in range(n_features)]


def _limit_steps(saddles, t_max: float):
    """Step-function coordinates (times, values) of beta° up to ``t_max``."""
    times = saddles["jump_time"].values
    betas = saddles["beta"].values
    keep = times <= t_max
    t = np.r_[times[keep], t_max]
    b = np.vstack([betas[keep], betas[keep][-1:]])
    return t, b


def plot_problem(ds, ax, *, saddles=None):
    """Stem plot of ``beta_star`` (or of ``b = X^T y / n`` when unknown) per feature.

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
    ax.bar(x, values, color="0.7", label=name)
    if saddles is not None:
        ax.plot(x, saddles["beta"].values[-1], "k_", markersize=12, mew=2, label=r"$\beta_p$")
    ax.axhline(0.0, color="k", lw=0.5)
    names = [str(n) for n in ds["feature_name"].values]
    ax.set_xticks(x, names if d <= 12 else [""] * d)
    ax.set_xlabel(label(ds["feature"]))
    ax.set_ylabel("coefficient")
    n = ds.sizes["sample"]
    ax.set_title(f"{ds.attrs.get('problem', '')}  (n={n}, d={d})", fontsize="medium")
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_saddle_staircase(ds, ax, *, t_max: float | None = None):
    """Loss of the limit process ``L(beta°(t))``: a staircase with steps at the jump times."""
    times = ds["jump_time"].values
    losses = np.maximum(ds["loss"].values, LOSS_FLOOR * ds["loss"].values[0])
    t_end = float(t_max if t_max is not None else 1.25 * times[-1] if times[-1] > 0 else 1.0)
    ax.step(np.r_[times, t_end], np.r_[losses, losses[-1]], where="post", color="k")
    ax.plot(times[1:], losses[1:], "o", color="k", ms=3)
    ax.set_yscale("log")
    ax.set_xlabel(label(ds["jump_time"]))
    ax.set_ylabel(label(ds["loss"]))
    ax.set_title(
        f"{ds.attrs.get('problem', '')}: {ds.sizes['saddle'] - 1} jumps", fontsize="medium"
    )
    return ax


def plot_limit_process(ds, ax, *, t_max: float, **kwargs):
    """Coordinates of the limit process ``beta°(t)`` (piecewise constant), black by default."""
    t, b = _limit_steps(ds, t_max)
    style = {"color": "k", "lw": 1.0, "where": "post"}
    style.update(kwargs)
    for j in range(b.shape[1]):
        ax.step(t, b[:, j], label=r"limit $\beta^\circ$" if j == 0 else None, **style)
    return ax


def plot_flow_coordinates(ds, ax, *, linestyle: str = "-", legend: bool = True, **kwargs):
    """Each coordinate of ``beta~(t)`` of one flow store, one colour per feature."""
    t = ds["time"].values
    beta = ds["beta"].values
    colors = feature_colors(beta.shape[1])
    names = [str(n) for n in ds["feature_name"].values]
    for j in range(beta.shape[1]):
        ax.plot(
            t,
            beta[:, j],
            linestyle=linestyle,
            color=colors[j],
            label=names[j] if legend else None,
            **kwargs,
        )
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(r"$\tilde\beta(t)$")
    return ax


def plot_flow_loss(ds, ax, *, linestyle: str = "-", **kwargs):
    """Loss ``L(beta~(t))`` of one flow store on a log scale, labelled by its alpha."""
    loss = ds["loss"].values
    floor = LOSS_FLOOR * loss[0] if loss[0] > 0 else LOSS_FLOOR
    ax.plot(
        ds["time"].values,
        np.maximum(loss, floor),
        linestyle=linestyle,
        label=alpha_label(ds),
        **kwargs,
    )
    ax.set_yscale("log")
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(ds["loss"]))
    return ax


def plot_evaluation(ds, ax, **kwargs):
    """Distance ``||beta~(t) - beta°(t)||_inf`` of one evaluation store, windows shaded."""
    t = ds["time"].values
    dist = ds["distance"].values
    top = float(np.max(dist)) if dist.size and np.max(dist) > 0 else 1.0
    floor = DISTANCE_FLOOR * top
    (line,) = ax.semilogy(t, np.maximum(dist, floor), label=alpha_label(ds), **kwargs)
    if t.size > 1 and t[0] > 0 and t[-1] / t[0] > 100:
        ax.set_xscale("log")
    window = float(ds["window"])
    for tk in ds["jump_time"].values:
        ax.axvspan(tk - window, tk + window, color="0.9", zorder=0)
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(r"$\|\tilde\beta(t) - \beta^\circ(t)\|_\infty$")
    return line


def plot_convergence(ds, ax):
    """``|jump time error|`` against ``log(1/alpha)`` (log-log), with the fitted lines."""
    lam = ds["log_inv_alpha"].values
    errors = ds["jump_time_error"].values
    colors = feature_colors(max(ds.sizes["jump"], 1))
    for i, k in enumerate(ds["jump"].values):
        e = np.abs(errors[:, i])
        ok = np.isfinite(e) & (e > 0)
        if not np.any(ok):
            continue
        slope = float(ds["jump_slope"].values[i])
        ax.loglog(lam[ok], e[ok], "o", color=colors[i], ms=4, label=rf"$k={k}$, slope {slope:.2f}")
        intercept = float(ds["jump_intercept"].values[i])
        if np.isfinite(slope) and np.isfinite(intercept):
            ax.loglog(lam, np.exp(intercept) * lam**slope, "-", color=colors[i], lw=0.8)
    _reference_slope(ax, lam, errors)
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"$|t_k^\alpha - t_k|$ (accelerated time)")
    ax.set_title(f"{ds.attrs.get('problem', '')}: jump times", fontsize="medium")
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
    _reference_slope(ax, lam, values)
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel("error")
    ax.set_title(f"{ds.attrs.get('problem', '')}: metrics (slope)", fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False)
    return ax


def _reference_slope(ax, lam, values):
    """Dotted ``C / log(1/alpha)`` guide through the geometric middle of the data."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0 or lam.size < 2:
        return
    mid = np.exp(np.mean(np.log(v)))
    lam_mid = np.exp(np.mean(np.log(lam)))
    ax.loglog(lam, mid * lam_mid / lam, ":", color="0.4", lw=1, label=r"$\propto 1/\log(1/\alpha)$")
