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
    "active_features",
    "moving_features",
    "alpha_colors",
    "plot_paper_panel",
    "plot_loss_plateaus",
    "plot_trajectory_3d",
    "plot_losses_over_alpha",
    "plot_jump_time_errors",
    "plot_metric_over_alpha",
    "plot_coordinate_over_alpha",
    "plot_lasso_path",
    "support_intervals",
    "plot_activation_timeline",
    "plot_noise_agreement",
    "plot_noise_jump_times",
    "plot_direction_jump_errors",
    "plot_initialisation_agreement",
    "plot_weighted_endpoints",
    "plot_step_size_coordinates",
    "plot_step_size_errors",
    "plot_step_size_jumps",
    "plot_entry_orders",
    "plot_loss_versus_l1",
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


# --------------------------------------------------------------------------------------------
# The report's figures (rules in workflow/rules/paper.smk): the paper, the convergence in
# alpha, the Lasso comparison and the activation timeline.
# --------------------------------------------------------------------------------------------
# A coordinate counts as non-zero in a saddle when |beta_i| exceeds this fraction of the
# largest saddle entry (Algorithm 1 stores exact zeros; this only absorbs rounding).
ACTIVE_RTOL = 1e-9
# Colour of coordinates that are never active in the limit (drawn thin, one legend entry).
INACTIVE_COLOR = "0.65"
# Colour of a single flow's loss (distinct from the per-feature colours of the same figure).
LOSS_COLOR = "0.2"
LOSS_LABEL = r"training loss $L(\tilde\beta(t))$"
# Colours of the activation timeline: positive and negative coordinates.
SIGN_COLORS = {1: "tab:red", -1: "tab:blue"}


def _legend_outside(ax, **kwargs):
    """Legend to the right of the axes (never over the data); constrained layout makes room."""
    style = {"fontsize": "small", "frameon": False, "loc": "upper left"}
    style.update(kwargs)
    return ax.legend(bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **style)


def active_features(saddles) -> np.ndarray:
    """Indices of the features that are non-zero in at least one saddle ``beta_k``."""
    betas = np.abs(saddles["beta"].values)
    top = float(betas.max()) if betas.size else 0.0
    return np.flatnonzero(np.any(betas > ACTIVE_RTOL * top, axis=0)) if top > 0 else np.array([])


def moving_features(saddles, k: int = 3) -> np.ndarray:
    """The ``k`` features with the largest ``max_k |beta_k,i|`` over the saddles, sorted.

    Ties go to the lower index. Raises ``ValueError`` when the problem has fewer than ``k``
    features.
    """
    d = saddles.sizes["feature"]
    if d < k:
        raise ValueError(f"need at least {k} features, the problem has n_features = {d}")
    size = np.max(np.abs(saddles["beta"].values), axis=0)
    order = np.lexsort((np.arange(d), -size))  # largest first, then lowest index
    return np.sort(order[:k])


def alpha_colors(log_inv_alphas) -> list:
    """One colour per alpha, from light (large alpha) to dark (small alpha), log(1/alpha) scale."""
    import matplotlib as mpl

    lam = np.log(np.asarray(log_inv_alphas, dtype=float))
    span = float(lam.max() - lam.min()) if lam.size > 1 else 1.0
    x = (lam - lam.min()) / (span if span > 0 else 1.0)
    cmap = mpl.colormaps["viridis_r"]
    return [cmap(0.15 + 0.8 * v) for v in x]


def _set_time_axis(ax, t, time_scale: str):
    """Time axis over the grid ``t``: linear from t[0], or logarithmic (t[0] > 0)."""
    if time_scale == "log":
        ax.set_xscale("log")
    ax.set_xlim(float(t[0]), float(t[-1]))


def plot_paper_panel(
    flows: Sequence, saddles, ax, *, time_scale: str = "linear", linestyles=LINESTYLES
):
    """The paper's Figures 1-2: each coordinate of ``beta~(t)``, the limit ``beta°`` dotted black.

    Parameters
    ----------
    flows : sequence of xarray.Dataset
        Flow stores of one problem, drawn with ``linestyles`` in this order (the paper's
        Figure 2 left: ``alpha = 1e-100`` solid, ``alpha = 1e-10`` dashed).
    saddles : xarray.Dataset
        The problem's saddles store (Algorithm 1).
    ax : matplotlib.axes.Axes
    time_scale : {"linear", "log"}
        Time axis (Figure 2 right is logarithmic). The range is the flows' time grid.

    Features never active in the limit are drawn thin and grey with one legend entry; the
    legend sits to the right of the axes.
    """
    from matplotlib.lines import Line2D

    if not flows:
        raise ValueError("plot_paper_panel needs at least one flow store")
    t = flows[0]["time"].values
    active = set(active_features(saddles).tolist())
    colors = feature_colors(saddles.sizes["feature"])
    names = [str(n) for n in saddles["feature_name"].values]
    handles = []
    for i, flow in enumerate(flows):
        style = linestyles[i % len(linestyles)]
        beta = flow["beta"].values
        for j in range(beta.shape[1]):
            on = j in active
            ax.plot(
                flow["time"].values,
                beta[:, j],
                linestyle=style,
                color=colors[j] if on else INACTIVE_COLOR,
                lw=1.5 if on else 0.8,
                zorder=2 if on else 1.2,
            )
    # the limit dotted on top of the flows, so that both stay visible where they coincide
    plot_limit_process(saddles, ax, t_max=float(t[-1]), lw=1.2, linestyle=":", zorder=3)
    for j in sorted(active):
        handles.append(Line2D([], [], color=colors[j], lw=1.5, label=names[j]))
    if len(active) < len(names):
        handles.append(Line2D([], [], color=INACTIVE_COLOR, lw=0.8, label="others (never active)"))
    handles.append(
        Line2D([], [], color="k", lw=1.2, linestyle=":", label=r"limit $\beta^\circ(t)$")
    )
    if len(flows) > 1:
        for i, flow in enumerate(flows):
            style = linestyles[i % len(linestyles)]
            handles.append(Line2D([], [], color="0.3", linestyle=style, label=alpha_label(flow)))
    _set_time_axis(ax, t, time_scale)
    ax.set_xlabel(label(flows[0]["time"]))
    ax.set_ylabel(r"$\tilde\beta_i(t)$")
    ax.axhline(0.0, color="0.8", lw=0.5, zorder=1)
    _legend_outside(ax, handles=handles)
    return ax


def plot_loss_plateaus(flow, saddles, ax, *, time_scale: str = "linear", **kwargs):
    """Training loss ``L(beta~(t))`` of one flow with the limit's plateau levels ``L(beta_k)``.

    The plateau levels are dotted horizontal lines labelled ``L(beta_k)`` at the right edge,
    the limit staircase is black, the flow's loss coloured (log scale).
    """
    t = flow["time"].values
    loss = flow["loss"].values
    floor = LOSS_FLOOR * loss[0] if loss[0] > 0 else LOSS_FLOOR
    style = {"color": LOSS_COLOR, "lw": 1.5, "label": rf"flow, {alpha_label(flow)}"}
    style.update(kwargs)
    ax.plot(t, np.maximum(loss, floor), zorder=3, **style)
    levels = _plot_loss_staircase(
        ax, saddles, t_end=t[-1], floor=floor, lw=0.8, zorder=2, label=r"limit $L(\beta^\circ(t))$"
    )
    for k, level in enumerate(levels):
        if level > floor:
            ax.axhline(level, color="0.6", lw=0.6, linestyle=":", zorder=1)
            ax.annotate(
                rf"$L(\beta_{{{k}}})$",
                (1.0, level),
                xycoords=("axes fraction", "data"),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize="x-small",
            )
    ax.set_yscale("log")
    _set_time_axis(ax, t, time_scale)
    ax.set_xlabel(label(flow["time"]))
    ax.set_ylabel(LOSS_LABEL)
    return ax


def plot_trajectory_3d(flow, saddles, ax, *, features: Sequence[int] | None = None):
    """The flow's trajectory in the space of three coordinates, saddles ``beta_k`` marked.

    Parameters
    ----------
    flow, saddles : xarray.Dataset
        One flow store and its problem's saddles store.
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D
        A 3-D axes (``fig.add_subplot(projection="3d")``).
    features : three feature indices, optional
        Default :func:`moving_features` (the three coordinates that move the most).
    """
    idx = np.asarray(moving_features(saddles) if features is None else features, dtype=int)
    if idx.shape != (3,):
        raise ValueError(f"features must hold 3 feature indices, got {features!r}")
    names = [str(n) for n in saddles["feature_name"].values]
    beta = flow["beta"].values[:, idx]
    ax.plot(beta[:, 0], beta[:, 1], beta[:, 2], color="C0", lw=1.5, label=alpha_label(flow))
    sad = saddles["beta"].values[:, idx]
    ax.plot(sad[:, 0], sad[:, 1], sad[:, 2], "o", color="k", ms=5, label=r"saddles $\beta_k$")
    for k, point in enumerate(sad):
        ax.text(*point, rf"  $\beta_{{{k}}}$", fontsize="small")
    ax.set_xlabel(names[idx[0]])
    ax.set_ylabel(names[idx[1]])
    ax.set_zlabel(names[idx[2]])
    return ax


def plot_losses_over_alpha(flows: Sequence, saddles, ax, *, time_scale: str = "linear"):
    """Training losses for several alphas on one axis, the limit staircase in black.

    ``flows`` are drawn from the largest alpha (light) to the smallest (dark); the staircase
    of the limit (dashed black) emerges as ``alpha -> 0``. The legend is outside the axes.
    """
    if not flows:
        raise ValueError("plot_losses_over_alpha needs at least one flow store")
    flows = sorted(flows, key=lambda f: float(f["log_inv_alpha"]))
    colors = alpha_colors([float(f["log_inv_alpha"]) for f in flows])
    t = flows[0]["time"].values
    floor = LOSS_FLOOR * float(flows[0]["loss"].values[0])
    lowest = np.inf
    for flow, color in zip(flows, colors, strict=True):
        lam = float(flow["log_inv_alpha"])
        loss = np.maximum(flow["loss"].values, floor)
        lowest = min(lowest, float(loss.min()))
        ax.plot(
            flow["time"].values,
            loss,
            color=color,
            lw=1.4,
            label=rf"{alpha_label(flow)}, $\log(1/\alpha) = {lam:.4g}$",
        )
    levels = _plot_loss_staircase(
        ax, saddles, t_end=t[-1], floor=floor, lw=1.0, label=r"limit $\alpha \to 0$"
    )
    ax.set_yscale("log")
    # the limit's last plateau (loss 0 when the data are interpolated) lies below the axis
    top = float(np.max(levels))
    ax.set_ylim(max(lowest / 3, floor), 3 * top)
    _set_time_axis(ax, t, time_scale)
    ax.set_xlabel(label(flows[0]["time"]))
    ax.set_ylabel(LOSS_LABEL)
    _legend_outside(ax)
    return ax


def plot_jump_time_errors(ds, ax):
    """``|t_k^alpha - t_k|`` per jump against ``log(1/alpha)`` (log-log), fits and a guide.

    Markers: the measured errors of jump ``k``; solid lines: the stored log-log fits (slope in
    the legend); dotted: a ``C / log(1/alpha)`` reference line. Legend outside the axes.
    """
    lam = ds["log_inv_alpha"].values
    errors = ds["jump_time_error"].values
    colors = feature_colors(max(ds.sizes["jump"], 1))
    for i, k in enumerate(ds["jump"].values):
        e = np.abs(errors[:, i])
        ok = np.isfinite(e) & (e > 0)
        if not np.any(ok):
            continue
        slope = float(ds["jump_slope"].values[i])
        intercept = float(ds["jump_intercept"].values[i])
        ax.loglog(
            lam[ok], e[ok], "o", color=colors[i], ms=4, label=rf"jump $k={k}$: slope {slope:.2f}"
        )
        if np.isfinite(slope) and np.isfinite(intercept):
            ax.loglog(lam, np.exp(intercept) * lam**slope, "-", color=colors[i], lw=0.8)
    _reference_slope(ax, lam, errors)
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"$|t_k^\alpha - t_k|$ (accelerated time)")
    ax.set_title(str(ds.attrs.get("problem", "")), fontsize="medium")
    _legend_outside(ax, fontsize="x-small")
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
        _reference_slope(
            ax, first["log_inv_alpha"].values, first["metric_value"].sel(metric=metric).values
        )
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_title(long_name, fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return ax


def plot_coordinate_over_alpha(flows: Sequence, saddles, ax, *, feature: int):
    """One coordinate ``beta~_i(t)`` for several alphas (light to dark as alpha shrinks) over
    the limit ``beta°_i(t)`` (black)."""
    flows = sorted(flows, key=lambda f: float(f["log_inv_alpha"]))
    colors = alpha_colors([float(f["log_inv_alpha"]) for f in flows])
    for flow, color in zip(flows, colors, strict=True):
        ax.plot(
            flow["time"].values,
            flow["beta"].values[:, feature],
            color=color,
            lw=1.3,
            label=alpha_label(flow),
        )
    t = flows[0]["time"].values
    times, betas = _limit_steps(saddles, float(t[-1]))
    ax.step(
        times,
        betas[:, feature],
        where="post",
        color="k",
        lw=1.0,
        linestyle="--",
        zorder=3,
        label=r"limit $\beta^\circ$ (dashed)",
    )
    ax.set_xlim(float(t[0]), float(t[-1]))
    ax.set_xlabel(label(flows[0]["time"]))
    name = str(saddles["feature_name"].values[feature])
    ax.set_ylabel(rf"$\tilde\beta(t)$, coordinate {name}")
    return ax


def plot_lasso_path(lasso, ax, *, time_scale: str = "linear", features=None):
    """Coordinates of the Lasso solution at ``lam = 1/t`` against ``t``, knots marked.

    ``features`` selects the coloured coordinates (default: those non-zero at a knot or at
    the end); the others are drawn thin and grey. Knots are dotted vertical lines.
    """
    t = lasso["time"].values
    beta = lasso["beta"].values
    d = beta.shape[1]
    colors = feature_colors(d)
    if features is None:
        every = np.vstack([lasso["knot_beta"].values, lasso["end_beta"].values[None]])
        top = float(np.abs(every).max()) or 1.0
        features = np.flatnonzero(np.any(np.abs(every) > ACTIVE_RTOL * top, axis=0))
    features = set(int(j) for j in features)
    for j in range(d):
        on = j in features
        ax.plot(
            t,
            beta[:, j],
            color=colors[j] if on else INACTIVE_COLOR,
            lw=1.5 if on else 0.8,
            zorder=2,
        )
    for tk in lasso["knot_time"].values:
        if t[0] <= tk <= t[-1]:
            ax.axvline(tk, color="0.4", lw=0.7, linestyle=":", zorder=1)
    ax.axhline(0.0, color="0.8", lw=0.5, zorder=1)
    _set_time_axis(ax, t, time_scale)
    ax.set_xlabel(r"$t = 1/\lambda$ (accelerated time)")
    ax.set_ylabel(r"Lasso $\hat\beta(\lambda = 1/t)$")
    return ax


def support_intervals(saddles, *, feature_names=None) -> list[dict]:
    """When each feature enters and leaves the support of the limit, and with which sign.

    One row per maximal run of saddles on which a feature is non-zero with a fixed sign (a
    feature that leaves and re-enters, or changes sign across a jump, has several rows).

    Returns
    -------
    list of dict
        Keys ``feature`` (index), ``feature_name``, ``sign`` (+1/-1), ``enter_jump`` and
        ``enter_time`` (jump ``k`` and ``t_k`` at which it enters), ``leave_jump`` and
        ``leave_time`` (``None`` and ``inf`` when it is still in the support of the last
        saddle), ``max_abs_beta`` (largest ``|beta_k,i|`` over the run). Sorted by entry time,
        then feature.
    """
    times = saddles["jump_time"].values
    betas = saddles["beta"].values
    names = (
        [str(n) for n in saddles["feature_name"].values]
        if feature_names is None
        else [str(n) for n in feature_names]
    )
    top = float(np.abs(betas).max()) if betas.size else 0.0
    sign = np.where(np.abs(betas) > ACTIVE_RTOL * top, np.sign(betas), 0.0).astype(int)
    rows = []
    m, d = sign.shape
    for j in range(d):
        k = 0
        while k < m:
            if sign[k, j] == 0:
                k += 1
                continue
            start = k
            while k + 1 < m and sign[k + 1, j] == sign[start, j]:
                k += 1
            leave = k + 1 if k + 1 < m else None
            rows.append(
                {
                    "feature": j,
                    "feature_name": names[j],
                    "sign": int(sign[start, j]),
                    "enter_jump": start,
                    "enter_time": float(times[start]),
                    "leave_jump": leave,
                    "leave_time": float(times[leave]) if leave is not None else float("inf"),
                    "max_abs_beta": float(np.max(np.abs(betas[start : k + 1, j]))),
                }
            )
            k += 1
    rows.sort(key=lambda r: (r["enter_time"], r["feature"]))
    return rows


def plot_activation_timeline(
    saddles,
    ax,
    *,
    t_max: float | None = None,
    time_scale: str = "linear",
    feature_names=None,
    legend: bool = True,
):
    """Support of the limit over time: one row per feature ever active, bars coloured by sign.

    Red: ``beta_i > 0``, blue: ``beta_i < 0``; jump times are dotted vertical lines. ``t_max``
    (default 1.25 t_p, 5 t_p on a log axis) ends the bars of features still active at the end.
    """
    from matplotlib.patches import Patch

    rows = support_intervals(saddles, feature_names=feature_names)
    times = saddles["jump_time"].values
    if t_max is None:
        t_max = (5.0 if time_scale == "log" else 1.25) * times[-1] if times[-1] > 0 else 1.0
    t_end = float(t_max)
    features = sorted({r["feature"] for r in rows})
    y_of = {j: i for i, j in enumerate(features)}
    for r in rows:
        right = min(r["leave_time"], t_end)
        ax.barh(
            y_of[r["feature"]],
            right - r["enter_time"],
            left=r["enter_time"],
            height=0.6,
            color=SIGN_COLORS[r["sign"]],
            edgecolor="none",
        )
    for tk in times[1:]:
        ax.axvline(tk, color="0.5", lw=0.6, linestyle=":", zorder=0)
    names = {r["feature"]: r["feature_name"] for r in rows}
    ax.set_yticks(range(len(features)), [names[j] for j in features])
    ax.set_ylim(len(features) - 0.5, -0.5)
    if time_scale == "log":
        ax.set_xscale("log")
        ax.set_xlim(max(float(times[1]) / 3 if times.size > 1 else 1e-2, 1e-12), t_end)
    else:
        ax.set_xlim(0.0, t_end)
    ax.set_xlabel(label(saddles["jump_time"]).replace("jump time t_k", "time t"))
    ax.set_title(
        f"{saddles.attrs.get('problem', '')}: {times.size - 1} jumps, "
        f"{len(features)} of {saddles.sizes['feature']} features ever active",
        fontsize="medium",
    )
    if legend:
        handles = [Patch(color=SIGN_COLORS[1], label=r"$\beta_i > 0$")]
        handles.append(Patch(color=SIGN_COLORS[-1], label=r"$\beta_i < 0$"))
        _legend_outside(ax, handles=handles, fontsize="x-small")
    return ax


# --------------------------------------------------------------------------------------------
# Studies (dln.studies stores, dln.io.study_to_dataset)
# --------------------------------------------------------------------------------------------
# Colours of the three feature selectors in the baseline figures.
METHOD_COLORS = {"saddles": "black", "lasso": "tab:orange", "omp": "tab:green"}
METHOD_LABELS = {"saddles": "saddles (Algorithm 1)", "lasso": "Lasso (LARS)", "omp": "OMP"}


def _log_alpha_axis(ax, lam):
    """Log x axis with one tick per log(1/alpha) value of the study, no minor tick labels."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_xticks(lam, [f"{v:.3g}" for v in lam])
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_noise_agreement(ds, ax):
    """Kendall's tau-b of the activation order under label noise, against the noise level.

    Dots: each seed against the clean order; line: their mean; dashed: mean agreement among
    the seeds at each level.
    """
    levels = ds["noise_level"].values
    agree = ds["agreement_clean"].values
    x = np.arange(levels.size)
    for s in range(agree.shape[1]):
        ax.plot(x, agree[:, s], "o", color="tab:blue", alpha=0.35, ms=4, lw=0)
    ax.plot(x, np.nanmean(agree, axis=1), "-", color="tab:blue", lw=1.8, label="vs the clean order")
    ax.plot(
        x, ds["agreement_seeds"].values, "--", color="tab:purple", lw=1.5, label="among the seeds"
    )
    ax.set_xticks(x, [f"{v:g}" for v in levels])
    ax.set_xlabel(r"label noise: std / std($y$)")
    ax.set_ylabel(r"Kendall $\tau_b$ of the activation order")
    ax.set_ylim(min(-0.05, float(np.nanmin(agree)) - 0.05), 1.05)
    ax.axhline(1.0, color="0.8", lw=0.6, zorder=0)
    ax.legend(fontsize="small", frameon=False, loc="lower left")
    return ax


def plot_noise_jump_times(ds, ax, *, max_jumps: int = 8):
    """The first ``max_jumps`` jump times of Algorithm 1 against the noise level (log scale).

    One colour per jump index; dots: seeds. The number of jumps is in the tick labels.
    """
    levels = ds["noise_level"].values
    jumps = ds["jump_time"].values
    x = np.arange(levels.size)
    k_max = min(max_jumps, jumps.shape[2])
    colors = feature_colors(k_max)
    S = jumps.shape[1]
    offsets = (np.arange(S) - (S - 1) / 2) * (0.5 / max(S, 1))
    for k in range(k_max):
        for s in range(S):
            ax.plot(x + offsets[s], jumps[:, s, k], "o", ms=3, color=colors[k], lw=0)
        ax.plot(
            x,
            np.nanmedian(jumps[:, :, k], axis=1),
            "-",
            color=colors[k],
            lw=1,
            label=f"$t_{{{k + 1}}}$",
        )
    n_jumps = ds["n_jumps"].values
    ax.set_xticks(
        x,
        [f"{v:g}\n{int(n_jumps[i].min())}-{int(n_jumps[i].max())}" for i, v in enumerate(levels)],
    )
    ax.set_xlabel(r"label noise: std / std($y$)  (number of jumps)")
    ax.set_yscale("log")
    ax.set_ylabel(r"jump time $t_k$ (accelerated time)")
    _legend_outside(ax, fontsize="x-small")
    return ax


def plot_direction_jump_errors(ds, ax):
    """Relative jump-time error of flows from random directions against log(1/alpha), log-log.

    Dots: ``|crossing time - t_k| / t_k`` for every jump and direction; line: the median over
    them; dotted: a ``1/log(1/alpha)`` guide through the first median.
    """
    lam = ds["log_inv_alpha"].values
    t_k = ds["limit_jump_time"].values
    cross = ds["crossing_time"].values
    rel = np.abs(cross - t_k[None, None, :]) / t_k[None, None, :]
    for a in range(lam.size):
        vals = rel[a].ravel()
        vals = vals[np.isfinite(vals)]
        ax.plot(
            np.full(vals.size, lam[a]),
            np.maximum(vals, 1e-12),
            "o",
            ms=3,
            color="tab:blue",
            alpha=0.3,
            lw=0,
        )
    med = np.array([np.nanmedian(rel[a]) for a in range(lam.size)])
    ax.plot(lam, med, "-o", color="tab:blue", lw=1.8, ms=4, label="median over jumps, directions")
    ax.plot(lam, med[0] * lam[0] / lam, ":", color="0.3", label=r"$\propto 1/\log(1/\alpha)$")
    _log_alpha_axis(ax, lam)
    ax.set_yscale("log")
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"$|t^{flow}_k - t_k| / t_k$")
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_initialisation_agreement(ds, ax):
    """Kendall's tau-b of the flow's activation order with the limit's, per direction."""
    lam = ds["log_inv_alpha"].values
    agree = ds["agreement"].values
    for c in range(agree.shape[1]):
        ax.plot(
            lam,
            agree[:, c],
            "o-",
            color="tab:green",
            alpha=0.5,
            ms=4,
            lw=0.8,
            label="random directions" if c == 0 else None,
        )
    _log_alpha_axis(ax, lam)
    ax.set_xlabel(r"$\log(1/\alpha)$")
    ax.set_ylabel(r"Kendall $\tau_b$, flow vs limit order")
    ax.set_ylim(min(0.0, float(np.nanmin(agree)) - 0.05), 1.05)
    ax.axhline(1.0, color="0.8", lw=0.6, zorder=0)
    ax.legend(fontsize="small", frameon=False, loc="lower right")
    return ax


def plot_weighted_endpoints(ds, ax):
    """Weighted endpoints against the weighted minimum-l1 LP, one marker per coefficient and
    one colour per scale vector: Algorithm 1 with scales ``k`` (circles) and the finite-alpha
    flow (crosses) lie on the diagonal; the unit-scale endpoint (grey dots) does not."""
    lp = ds["weighted_lp_beta"].values
    end = ds["weighted_end_beta"].values
    flow = ds["weighted_flow_end_beta"].values
    plain = ds["limit_end_beta"].values
    top = float(max(np.abs(lp).max(), np.abs(plain).max(), 1e-300))
    ax.plot([-top, top], [-top, top], color="0.8", lw=0.8, zorder=0)
    for j in range(lp.shape[0]):
        first = j == 0
        ax.plot(
            lp[j], plain, ".", ms=3, color="0.55", label="unit-scale endpoint" if first else None
        )
        ax.plot(
            lp[j],
            end[j],
            "o",
            ms=5,
            mfc="none",
            color=f"C{j}",
            label="Algorithm 1, scales k (colour)" if first else None,
        )
        ax.plot(
            lp[j], flow[j], "x", ms=4, color=f"C{j}", label="flow, smallest α" if first else None
        )
    ax.set_xlabel(r"weighted min-$\ell_1$ solution (LP), $\min \sum_i k_i |\beta_i|$")
    ax.set_ylabel("endpoint")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left")
    return ax


def plot_step_size_coordinates(ds, ax, *, step_index: int, features=None):
    """The flow's coordinates (solid) and gradient descent with one step size (dashed)."""
    t = ds["time"].values
    flow = ds["flow_beta"].values
    gd = ds["gd_beta"].values[step_index]
    d = flow.shape[1]
    colors = feature_colors(d)
    if features is None:
        features = range(d)
    for j in features:
        ax.plot(t, flow[:, j], "-", color=colors[j], lw=1.4)
        ax.plot(t, gd[:, j], "--", color=colors[j], lw=1.0)
    step = float(ds["step"].values[step_index])
    ax.set_xscale("log")
    ax.set_xlim(float(t[t > 0][0]), float(t[-1]))
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(r"$\beta(t)$: flow solid, GD dashed")
    ax.set_title(f"step = {step:g}", fontsize="medium")
    return ax


def plot_step_size_jumps(ds, ax):
    """Relative jump-time error of GD against the flow, per jump, one line per step size
    (log scale); a jump GD never makes is not drawn."""
    cross = ds["flow_crossing_time"].values
    gd = ds["gd_crossing_time"].values
    steps = ds["step"].values
    colors = alpha_colors(1.0 / steps)  # light: large step
    k = np.arange(1, cross.size + 1)
    for i, step in enumerate(steps):
        rel = np.abs(gd[i] - cross) / cross
        ax.plot(k, np.maximum(rel, 1e-12), "o-", ms=3, color=colors[i], label=f"step {step:g}")
    ax.set_yscale("log")
    ax.set_xticks(k)
    ax.set_xlabel("jump k")
    ax.set_ylabel(r"$|t^{GD}_k - t^{flow}_k| / t^{flow}_k$")
    ax.legend(fontsize="x-small", frameon=False)
    return ax


def plot_step_size_errors(ds, ax):
    """Largest relative deviation of GD from the flow and the jump-time errors, against the
    step size (log-log); diverged runs are marked at the top."""
    steps = ds["step"].values
    err = ds["max_relative_error"].values
    jump_err = np.abs(ds["gd_crossing_time"].values - ds["flow_crossing_time"].values[None, :])
    rel_jump = jump_err / ds["flow_crossing_time"].values[None, :]
    ax.plot(
        steps, err, "o-", color="tab:red", label=r"$\sup_t \|\beta_{GD} - \beta\|_\infty$ (rel.)"
    )
    ax.plot(
        steps,
        np.nanmedian(rel_jump, axis=1),
        "s-",
        color="tab:blue",
        label="median relative jump-time error",
    )
    ok = np.isfinite(err) & (err > 0)
    if np.count_nonzero(ok) >= 1:
        i = int(np.flatnonzero(ok)[0])
        ax.plot(steps, err[i] * steps / steps[i], ":", color="0.4", label=r"$\propto$ step")
    diverged = ds["diverged"].values.astype(bool)
    for s in steps[diverged]:
        ax.axvline(s, color="0.3", lw=0.8, linestyle="--")
        ax.text(s, 0.95, " diverged", transform=ax.get_xaxis_transform(), fontsize="x-small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(label(ds["step"]))
    ax.set_ylabel("error of GD against the flow")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left")
    return ax


def plot_entry_orders(ds, ax, *, max_positions: int = 10):
    """Entry order of the features for the saddles, the Lasso path and OMP, side by side.

    One row per method, one column per position; each feature keeps its colour across rows
    (features that later leave the support are underlined with a dotted bar).
    """
    names = [str(n) for n in ds["feature_name"].values]
    d = len(names)
    colors = feature_colors(d)
    rows = (("saddles", "saddle_rank"), ("lasso", "lasso_rank"), ("omp", "omp_rank"))
    for r, (method, var) in enumerate(rows):
        ranks = ds[var].values
        leaves_var = {"saddles": "saddle_leaves", "lasso": "lasso_leaves"}.get(method)
        leaves = ds[leaves_var].values.astype(bool) if leaves_var else np.zeros(d, dtype=bool)
        for j in range(d):
            pos = int(ranks[j])
            if pos < 1 or pos > max_positions:
                continue
            ax.text(
                pos,
                r,
                names[j],
                ha="center",
                va="center",
                fontsize="x-small",
                rotation=30,
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "fc": colors[j],
                    "alpha": 0.35,
                    "ec": "0.2" if leaves[j] else "none",
                    "ls": ":" if leaves[j] else "-",
                },
            )
    ax.set_yticks(range(3), [METHOD_LABELS[m] for m, _ in rows])
    ax.set_ylim(2.6, -0.6)
    ax.set_xlim(0.4, max_positions + 0.6)
    ax.set_xticks(range(1, max_positions + 1))
    ax.set_xlabel("entry position (dotted frame: leaves the support later)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def plot_loss_versus_l1(ds, ax):
    """Training loss against ``||beta||_1`` along the three paths; the minimum-l1 value dotted.

    The Lasso path is the lower envelope (least loss for its l1 norm); every path ends at the
    smallest loss, the saddles and the Lasso at the minimum-l1 value.
    """
    loss0 = float(ds["saddle_path_loss"].values[0])
    floor = LOSS_FLOOR * loss0
    for method, marker in (("saddles", "o"), ("lasso", "s"), ("omp", "^")):
        key = "saddle" if method == "saddles" else method
        l1 = ds[f"{key}_path_l1"].values
        loss = np.maximum(ds[f"{key}_path_loss"].values, floor)
        ax.plot(
            l1,
            loss,
            marker + "-",
            ms=3,
            lw=1.0,
            color=METHOD_COLORS[method],
            label=METHOD_LABELS[method],
            drawstyle="default",
        )
    ax.axvline(float(ds["lp_l1"]), color="0.4", lw=0.8, linestyle=":", label=r"min $\ell_1$ (LP)")
    losses = np.concatenate([ds[f"{k}_path_loss"].values for k in ("saddle", "lasso", "omp")])
    if losses.min() < 1e-2 * losses.max():  # a wide range (interpolation): log axis
        ax.set_yscale("log")
    ax.set_xlabel(r"$\|\beta\|_1$")
    ax.set_ylabel(r"training loss $L(\beta)$")
    ax.legend(fontsize="x-small", frameon=False)
    return ax


def _plot_loss_staircase(ax, saddles, *, t_end: float, floor: float, **style) -> np.ndarray:
    """Draw the limit's loss plateaux ``L(beta_k)`` up to ``t_end``; return them (>= floor)."""
    times = saddles["jump_time"].values
    levels = np.maximum(saddles["loss"].values, floor)
    keep = times <= t_end
    ax.step(
        np.r_[times[keep], t_end],
        np.r_[levels[keep], levels[keep][-1]],
        where="post",
        color="k",
        linestyle="--",
        **style,
    )
    return levels
