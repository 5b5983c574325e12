"""Finite step size: gradient descent on ``(u, v)`` against the flow at one alpha (``alpha`` is
the initialisation scale).

:func:`step_size_study`, the store layout of its result (:func:`to_dataset`, rule
``run_step_size_study``) and its figures live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dln._validation import check_array, check_positive, check_X_y
from dln.plotstyle import (
    MAX_LABELLED,
    alpha_colors,
    draw_others,
    feature_colors,
    key_colors,
    key_features,
    label,
    thin_ticks,
    tidy_log_ticks,
)
from dln.studies.common import TIME, loss_levels, study_dataset, study_time_grid

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "DEPARTURE_RTOL",
    "DIMS",
    "VARIABLES",
    "StepSizeStudy",
    "plot_step_size_coordinates",
    "plot_step_size_errors",
    "plot_step_size_jumps",
    "step_size_study",
    "to_dataset",
]

# Gradient descent has departed from the flow once sup_i |beta_gd - beta_flow| exceeds this
# fraction of the largest |beta| of the flow (5%: visible on a plot of the coordinates).
DEPARTURE_RTOL = 5e-2


@dataclass(frozen=True)
class StepSizeStudy:
    """Gradient descent on ``(u, v)`` with several step sizes against the flow at one alpha.

    Attributes
    ----------
    log_inv_alpha : float
        ``log(1/alpha)``, alpha the initialisation scale.
    steps : ndarray of shape (S,)
        Step sizes (original time).
    t : ndarray of shape (m,)
        Common accelerated-time grid (0, then log-spaced); GD is read at the iteration nearest
        to each grid time (the rounding is recorded in ``time_rounding``).
    flow_beta : ndarray of shape (m, d)
        The flow (``dln.flow.simulate_flow``) on the grid.
    gd_beta : ndarray of shape (S, m, d)
        Gradient descent on the grid (NaN after divergence).
    diverged : ndarray of shape (S,) of bool
    relative_error : ndarray of shape (S, m)
        ``||beta_gd(t) - beta_flow(t)||_inf / max_t ||beta_flow||_inf``.
    max_relative_error : ndarray of shape (S,)
    departure_time : ndarray of shape (S,)
        First grid time with ``relative_error > DEPARTURE_RTOL`` (``inf``: never).
    flow_crossing_time : ndarray of shape (p,)
    gd_crossing_time : ndarray of shape (S, p)
    limit_jump_times : ndarray of shape (p,)
    time_rounding : ndarray of shape (S,)
        Largest ``|t_gd - t|`` of the iterates used for the grid times.
    """

    log_inv_alpha: float
    steps: np.ndarray
    t: np.ndarray
    flow_beta: np.ndarray
    gd_beta: np.ndarray
    diverged: np.ndarray
    relative_error: np.ndarray
    max_relative_error: np.ndarray
    departure_time: np.ndarray
    flow_crossing_time: np.ndarray
    gd_crossing_time: np.ndarray
    limit_jump_times: np.ndarray
    time_rounding: np.ndarray


def step_size_study_cost(jump_times, *, log_inv_alpha: float, steps, t_max_factor=1.2) -> int:
    """Iterations of gradient descent a step-size study needs: ``t_max log(1/alpha) / step``
    summed over the steps, ``t_max = t_max_factor`` times the last jump time of Algorithm 1.

    The pipeline compares this with ``studies.step_size.max_iterations`` before any job.
    """
    t_max = float(t_max_factor) * float(np.max(jump_times))
    return int(sum(math.ceil(t_max * float(log_inv_alpha) / float(s)) for s in steps))


def step_size_study(
    X,
    y,
    *,
    log_inv_alpha: float,
    steps,
    num_times: int = 300,
    t_max_factor: float = 1.2,
    rtol: float = 1e-8,
    max_saddles: int | None = None,
    progress=None,
) -> StepSizeStudy:
    """Gradient descent with each step size against the flow at ``alpha = exp(-log_inv_alpha)``.

    The grid is 0 and :func:`study_time_grid` (log-spaced from ``t_1 / 5`` to
    ``t_max_factor * t_p``, ``t_p`` the last jump of Algorithm 1), ``num_times`` points in all;
    every grid time is rounded to the nearest iteration of each step (at most half of
    ``step / log(1/alpha)``, recorded in ``time_rounding``), and the flow is evaluated at the
    grid times. Gradient descent runs in exact dual coordinates (``dln.gd``), so any alpha
    works; its cost is :func:`step_size_study_cost` iterations. ``progress``, if given, is
    called before each step as ``progress(iterations_done, iterations_total)``.

    Returns
    -------
    StepSizeStudy
    """
    from dln.flow import simulate_flow
    from dln.gd import GradientDescentError, gradient_descent
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    lam = float(check_positive(log_inv_alpha, "log_inv_alpha"))
    steps = check_array(steps, "steps", ndim=1)
    if np.any(steps <= 0):
        raise ValueError("steps must be > 0")
    check_positive(num_times, "num_times", integer=True)
    limit = saddle_jumps(X, y, max_saddles=max_saddles)
    if limit.n_saddles == 0:
        raise ValueError("Algorithm 1 makes no jump on this problem (0 is optimal)")
    levels = loss_levels(limit)
    grid = study_time_grid(limit.times, num=int(num_times) - 1, t_max_factor=t_max_factor)
    t = np.r_[0.0, grid]
    m = t.size
    flow = simulate_flow(X, y, log_inv_alpha=lam, t=t, rtol=rtol, loss_levels=levels)
    top = float(np.abs(flow.beta).max()) or 1.0
    S, d = steps.size, X.shape[1]
    gd_beta = np.full((S, m, d), np.nan)
    diverged = np.zeros(S, dtype=bool)
    rel = np.full((S, m), np.nan)
    gd_cross = np.full((S, levels.size), np.nan)
    rounding = np.zeros(S)
    total = step_size_study_cost(
        limit.times, log_inv_alpha=lam, steps=steps, t_max_factor=t_max_factor
    )
    done = 0
    for i, step in enumerate(steps):
        if progress is not None:
            progress(done, total)
        done += math.ceil(t[-1] * lam / step)
        record = np.unique(np.rint(t * lam / step).astype(np.int64))
        if record[-1] == 0:  # a step longer than the whole grid: one iteration
            record = np.array([0, 1])
        t_gd = record * step / lam
        try:
            gd = gradient_descent(
                X,
                y,
                log_inv_alpha=lam,
                step=float(step),
                t_max=float(t_gd[-1]),
                t=t_gd,
                loss_levels=levels,
            )
        except GradientDescentError:
            diverged[i] = True
            continue
        # map every grid time to its nearest recorded iterate
        idx = np.clip(np.searchsorted(t_gd, t), 0, t_gd.size - 1)
        lower = np.clip(idx - 1, 0, t_gd.size - 1)
        idx = np.where(np.abs(t_gd[lower] - t) < np.abs(t_gd[idx] - t), lower, idx)
        rounding[i] = float(np.max(np.abs(t_gd[idx] - t)))
        gd_beta[i] = gd.beta[idx]
        gd_cross[i] = gd.crossing_times
        if not np.all(np.isfinite(gd.beta)):
            diverged[i] = True
        rel[i] = np.max(np.abs(gd_beta[i] - flow.beta), axis=1) / top
    with np.errstate(invalid="ignore"):
        over = rel > DEPARTURE_RTOL
    departure = np.array([t[np.argmax(over[i])] if np.any(over[i]) else math.inf for i in range(S)])
    departure[diverged] = math.nan
    return StepSizeStudy(
        log_inv_alpha=lam,
        steps=steps,
        t=t,
        flow_beta=flow.beta,
        gd_beta=gd_beta,
        diverged=diverged,
        relative_error=rel,
        max_relative_error=np.array(
            [np.nanmax(r) if np.any(np.isfinite(r)) else np.nan for r in rel]
        ),
        departure_time=departure,
        flow_crossing_time=flow.crossing_times,
        gd_crossing_time=gd_cross,
        limit_jump_times=limit.times[1:].copy(),
        time_rounding=rounding,
    )


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
# Long names, units (and descriptions) of the store variables, in the units of the study.
VARIABLES = {
    "step": ("step size (original time)", "1"),
    "time": ("time t", TIME),
    "flow_beta": ("flow beta~(t)", "1"),
    "gd_beta": ("gradient descent beta(t)", "1", "NaN after divergence"),
    "diverged": ("gradient descent diverged", "1"),
    "relative_error": ("||beta_gd - beta_flow||_inf / max ||beta_flow||_inf", "1"),
    "max_relative_error": ("largest relative error over the grid", "1"),
    "departure_time": ("first time the relative error exceeds the threshold", TIME),
    "flow_crossing_time": ("flow crossing time of the plateau midpoint", TIME),
    "gd_crossing_time": ("GD crossing time of the plateau midpoint", TIME),
    "limit_jump_time": ("jump time t_k of Algorithm 1", TIME),
    "time_rounding": ("largest rounding of grid times to iterations", TIME),
}
# Dimensions of each array field of the dataclass (scalars are not listed).
DIMS = {
    "flow_beta": ("time", "feature"),
    "gd_beta": ("step", "time", "feature"),
    "diverged": ("step",),
    "relative_error": ("step", "time"),
    "max_relative_error": ("step",),
    "departure_time": ("step",),
    "flow_crossing_time": ("jump",),
    "gd_crossing_time": ("step", "jump"),
    "limit_jump_times": ("jump",),
    "time_rounding": ("step",),
}


def to_dataset(study: StepSizeStudy, *, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a :class:`StepSizeStudy` (rule ``run_step_size_study``).

    Fields become variables and coords as described in :func:`dln.studies.common.study_dataset`
    (dims: :data:`DIMS`, long names and units: :data:`VARIABLES`); the global attr ``study`` is
    ``"step_size"``.
    """
    return study_dataset(
        study,
        StepSizeStudy,
        kind="step_size",
        variables=VARIABLES,
        dims=DIMS,
        feature_names=feature_names,
        problem=problem,
    )


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def plot_step_size_coordinates(ds, ax, *, step_index: int, features=None):
    """The flow's coordinates (solid) and gradient descent with one step size (dashed).

    With more than :data:`~dln.plotstyle.MAX_LABELLED` features only ``features`` (default
    :func:`~dln.plotstyle.key_features` of the flow) are coloured, the others drawn faint.
    """
    t = ds["time"].values
    flow = ds["flow_beta"].values
    gd = ds["gd_beta"].values[step_index]
    d = flow.shape[1]
    if d > MAX_LABELLED:
        key = [int(j) for j in (key_features(flow) if features is None else features)]
        colors = key_colors(d, key)
        others = np.setdiff1d(np.arange(d), key)
        draw_others(ax, t, flow[:, others])
        draw_others(ax, t, gd[:, others], linestyle="--")
        features = key
    else:
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
    thin_ticks(ax.xaxis, k.size)
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
    tidy_log_ticks(ax.xaxis)
    tidy_log_ticks(ax.yaxis)
    ax.set_xlabel(label(ds["step"]))
    ax.set_ylabel("error of GD against the flow")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left")
    return ax
