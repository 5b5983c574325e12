"""The flow store: a finite-alpha flow (:class:`dln.flow.FlowResult`) as a Dataset, and the figures
of flows over the limit process (the paper's Figures 1-2 and the report's panels).

Written by the rules ``solve_problem`` and ``simulate_flows``
(``results/flow/{problem}/part{k}/log10_alpha={e}.zarr``); conventions in :mod:`dln.io`.
``alpha`` is the initialisation scale of the network, carried by its base-10 exponent; times are
accelerated times (original time = ``log(1/alpha) * t``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import xarray as xr

from dln.io import canonical_log10_alpha, feature_coords, global_attrs, to_json, var_attrs
from dln.plotstyle import (
    INACTIVE_COLOR,
    LINESTYLES,
    LOSS_FLOOR,
    MAX_LABELLED,
    alpha_colors,
    alpha_label,
    draw_others,
    feature_colors,
    key_colors,
    key_features,
    label,
    legend_outside,
    set_time_axis,
)
from dln.saddle_store import active_features, limit_steps, moving_features, plot_limit_process

__all__ = [
    "plot_coordinate_over_alpha",
    "plot_flow_coordinates",
    "plot_flow_loss",
    "plot_loss_plateaus",
    "plot_losses_over_alpha",
    "plot_paper_panel",
    "plot_trajectory_3d",
    "to_dataset",
]

# Colour of a single flow's loss (distinct from the per-feature colours of the same figure).
LOSS_COLOR = "0.2"
LOSS_LABEL = r"training loss $L(\tilde\beta(t))$"


def to_dataset(
    result,
    *,
    log10_alpha: str,
    feature_names=None,
    problem: str = "",
    solver: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Store layout of a finite-alpha flow in accelerated time.

    Parameters
    ----------
    result : dln.flow.FlowResult
        Output of :func:`dln.flow.simulate_flow` (or :func:`dln.gd.gradient_descent`).
    log10_alpha : str
        Canonical exponent string of the initialisation scale (``alpha = 10**log10_alpha``).
    feature_names : sequence of str, optional
    problem : str
    solver : mapping, optional
        Solver settings (method, rtol, ...) recorded as a JSON attr.
    """
    log10 = canonical_log10_alpha(log10_alpha)
    t = np.asarray(result.t, dtype=np.float64)
    beta = np.asarray(result.beta, dtype=np.float64)
    d = beta.shape[1]
    coords = feature_coords(d, feature_names)
    coords["time"] = ("time", t, var_attrs("time t", "accelerated time"))
    levels = np.asarray(getattr(result, "crossing_levels", np.zeros(0)), dtype=np.float64)
    crossings = np.asarray(getattr(result, "crossing_times", np.zeros(0)), dtype=np.float64)
    coords["jump"] = ("jump", np.arange(1, levels.shape[0] + 1), var_attrs("jump index k"))
    lam = float(result.log_inv_alpha)
    data = {
        "beta": (
            ("time", "feature"),
            beta,
            var_attrs("beta~(t)", description="accelerated iterate beta(log(1/alpha) t)"),
        ),
        "s": (
            ("time", "feature"),
            np.asarray(result.s, dtype=np.float64),
            var_attrs("dual variable s(t)", description="-int_0^t grad L(beta~(r)) dr"),
        ),
        "loss": (
            ("time",),
            np.asarray(result.loss, dtype=np.float64),
            var_attrs("loss L(beta~(t))"),
        ),
        "crossing_level": (
            ("jump",),
            levels,
            var_attrs(
                "loss level", description="midpoint of the loss plateaux before/after jump k"
            ),
        ),
        "crossing_time": (
            ("jump",),
            crossings,
            var_attrs(
                "crossing time",
                "accelerated time",
                "first downward crossing of crossing_level by the loss (NaN: not reached)",
            ),
        ),
        "log10_alpha": (
            (),
            np.float64(float(Decimal(log10))),
            var_attrs("log10 of the initialisation scale alpha", description=f"alpha = 1e{log10}"),
        ),
        "log_inv_alpha": ((), np.float64(lam), var_attrs("log(1/alpha)", description="Lam")),
        "scales": (
            ("feature",),
            np.asarray(result.scales, dtype=np.float64),
            var_attrs("coordinate scales k_i"),
        ),
    }
    attrs = global_attrs(
        f"Gradient flow of {problem} at alpha = 1e{log10}".strip(),
        problem=problem,
        log10_alpha=log10,
        log_inv_alpha=lam,
        status=int(getattr(result, "status", 0)),
        message=str(getattr(result, "message", "")),
        solver=to_json(dict(solver or {})),
    )
    for name in ("nfev", "njev", "nlu", "n_steps"):
        value = getattr(result, name, None)
        if value is not None:
            attrs[name] = int(value)
    return xr.Dataset(data, coords=coords, attrs=attrs)


def plot_flow_coordinates(
    ds, ax, *, linestyle: str = "-", legend: bool = True, features=None, **kwargs
):
    """Each coordinate of ``beta~(t)`` of one flow store, one colour per feature.

    With more than :data:`~dln.plotstyle.MAX_LABELLED` features only ``features`` (default
    :func:`~dln.plotstyle.key_features` of the flow) get a colour and a legend entry; the
    others are drawn faint, without one.
    """
    t = ds["time"].values
    beta = ds["beta"].values
    names = [str(n) for n in ds["feature_name"].values]
    d = beta.shape[1]
    if d > MAX_LABELLED:  # the key features in colour, the others faint and unlabelled
        key = [int(j) for j in (key_features(beta) if features is None else features)]
        colors = key_colors(d, key)
        draw_others(ax, t, beta[:, np.setdiff1d(np.arange(d), key)], linestyle=linestyle)
    else:
        key, colors = range(d), feature_colors(d)
    for j in key:
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
    legend sits to the right of the axes. When more than
    :data:`~dln.plotstyle.MAX_LABELLED` features are ever active (or there are more than 100
    features), only the key features (:func:`~dln.plotstyle.key_features`: first to enter,
    then largest) are coloured and labelled, in order of entry, with their limit; the others
    are drawn faint with one legend entry.
    """
    from matplotlib.lines import Line2D

    if not flows:
        raise ValueError("plot_paper_panel needs at least one flow store")
    t = flows[0]["time"].values
    active = set(active_features(saddles).tolist())
    d = saddles.sizes["feature"]
    if len(active) > MAX_LABELLED or d > 100:
        handles = _wide_paper_panel(flows, saddles, ax, t=t, linestyles=linestyles)
    else:
        handles = _small_paper_panel(flows, saddles, ax, t=t, active=active, linestyles=linestyles)
    if len(flows) > 1:
        for i, flow in enumerate(flows):
            style = linestyles[i % len(linestyles)]
            handles.append(Line2D([], [], color="0.3", linestyle=style, label=alpha_label(flow)))
    set_time_axis(ax, t, time_scale)
    ax.set_xlabel(label(flows[0]["time"]))
    ax.set_ylabel(r"$\tilde\beta_i(t)$")
    ax.axhline(0.0, color="0.8", lw=0.5, zorder=1)
    legend_outside(ax, handles=handles)
    return ax


def _small_paper_panel(flows, saddles, ax, *, t, active, linestyles) -> list:
    """Every feature coloured (never-active ones grey); return the legend handles."""
    from matplotlib.lines import Line2D

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
    return handles


def _wide_paper_panel(flows, saddles, ax, *, t, linestyles) -> list:
    """The key features (:func:`~dln.plotstyle.key_features`) coloured, in their order of
    entry, with their limit dotted; all others faint; return the legend handles."""
    from matplotlib.lines import Line2D

    d = saddles.sizes["feature"]
    key = [int(j) for j in key_features(saddles)]
    colors = key_colors(d, key)
    others = np.setdiff1d(np.arange(d), key)
    names = [str(n) for n in saddles["feature_name"].values]
    for i, flow in enumerate(flows):
        style = linestyles[i % len(linestyles)]
        beta = flow["beta"].values
        draw_others(ax, flow["time"].values, beta[:, others], linestyle=style)
        for j in key:
            ax.plot(flow["time"].values, beta[:, j], linestyle=style, color=colors[j], lw=1.5)
    plot_limit_process(
        saddles, ax, t_max=float(t[-1]), features=key, lw=1.2, linestyle=":", zorder=3
    )
    handles = [Line2D([], [], color=colors[j], lw=1.5, label=names[j]) for j in key]
    handles.append(Line2D([], [], lw=0.8, label=f"{others.size} others", **_faint()))
    handles.append(
        Line2D([], [], color="k", lw=1.2, linestyle=":", label=r"limit $\beta^\circ(t)$ (labelled)")
    )
    return handles


def _faint() -> dict:
    from dln.plotstyle import OTHER_STYLE

    return {"color": OTHER_STYLE["color"], "alpha": OTHER_STYLE["alpha"]}


def plot_loss_plateaus(flow, saddles, ax, *, time_scale: str = "linear", **kwargs):
    """Training loss ``L(beta~(t))`` of one flow with the limit's plateau levels ``L(beta_k)``.

    The plateau levels are dotted horizontal lines labelled ``L(beta_k)`` at the right edge
    (unlabelled and fainter when there are more than :data:`~dln.plotstyle.MAX_LABELLED`),
    the limit staircase is black, the flow's loss coloured (log scale).
    """
    t = flow["time"].values
    loss = flow["loss"].values
    floor = LOSS_FLOOR * loss[0] if loss[0] > 0 else LOSS_FLOOR
    style = {"color": LOSS_COLOR, "lw": 1.5, "label": rf"flow, {alpha_label(flow)}"}
    style.update(kwargs)
    ax.plot(t, np.maximum(loss, floor), zorder=3, **style)
    levels = plot_loss_staircase(
        ax, saddles, t_end=t[-1], floor=floor, lw=0.8, zorder=2, label=r"limit $L(\beta^\circ(t))$"
    )
    many = levels.size > MAX_LABELLED  # many plateaus: faint lines, only the first named
    for k, level in enumerate(levels):
        if level > floor:
            ax.axhline(level, color="0.6", lw=0.4 if many else 0.6, linestyle=":", zorder=1)
            if many:
                continue
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
    set_time_axis(ax, t, time_scale)
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
    for k, point in enumerate(sad[: MAX_LABELLED // 2]):  # the first saddles named
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
    levels = plot_loss_staircase(
        ax, saddles, t_end=t[-1], floor=floor, lw=1.0, label=r"limit $\alpha \to 0$"
    )
    ax.set_yscale("log")
    # the limit's last plateau (loss 0 when the data are interpolated) lies below the axis
    top = float(np.max(levels))
    ax.set_ylim(max(lowest / 3, floor), 3 * top)
    set_time_axis(ax, t, time_scale)
    ax.set_xlabel(label(flows[0]["time"]))
    ax.set_ylabel(LOSS_LABEL)
    legend_outside(ax)
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
    times, betas = limit_steps(saddles, float(t[-1]))
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


def plot_loss_staircase(ax, saddles, *, t_end: float, floor: float, **style) -> np.ndarray:
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
