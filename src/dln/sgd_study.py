"""What finite steps and mini-batches do to the saddle-to-saddle path: the (S)GD study.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``), passed by
``log_inv_alpha = log(1/alpha)``.

:func:`sgd_study` runs :func:`dln.gd.gradient_descent` on one problem over a grid of alphas,
step sizes, batch sizes and seeds, and records per run: the order in which coordinates
activate (Kendall's tau-b against Algorithm 1), the shift of every jump time against
Algorithm 1's, the end point's l1 norm and support, its relative distance to the minimum-l1
solution and to the mirror-problem prediction with the run's own effective scales
(:func:`dln.implicit_bias.mirror_prediction`), and the effective scales ``kappa_i = 1 + Gain_i /
(2 log(1/alpha))``. :func:`sgd_study_to_dataset` and :func:`sgd_study_table` turn the result into
a store and a table, :func:`plot_sgd_study` draws its figures, and :func:`sgd_study_cost` counts
the iterations a configuration needs before anything runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dln._validation import check_positive, check_X_y

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = [
    "ACTIVATION_RTOL",
    "SGDStudy",
    "plot_sgd_study",
    "sgd_study",
    "sgd_study_cost",
    "sgd_study_table",
    "sgd_study_to_dataset",
]

# A coordinate has activated once |beta_i| reaches this fraction of the largest entry of
# Algorithm 1's saddles: for alpha -> 0 any fixed fraction gives the jump time (|beta_i| goes
# from alpha^2-small to O(1) within O(1 / log(1/alpha)) of it), and 1e-3 still sees the small
# coordinates of the paper's problems (0.05 on fig1_left, whose largest entry is 20).
ACTIVATION_RTOL = 1e-3
# End-point entries below this fraction of its largest entry are outside the support.
SUPPORT_RTOL = 1e-6
# Default horizon: this multiple of Algorithm 1's last jump time.
DEFAULT_T_MAX_FACTOR = 1.5


@dataclass(frozen=True)
class SGDStudy:
    """Results of :func:`sgd_study` on one problem; run arrays have leading shape
    ``(A, S, B, R)`` = (alphas, steps, batch sizes, seeds).

    Attributes
    ----------
    problem : str
    log_inv_alpha : ndarray of shape (A,)
    steps : ndarray of shape (S,)
        Step sizes in original time.
    batch_sizes : ndarray of shape (B,) of int
        Rows per mini-batch (``n_samples``: full batch, identical for every seed).
    seeds : ndarray of shape (R,) of int
    t_max : float
        Accelerated-time horizon of every run.
    limit_jump_times : ndarray of shape (p,)
        Algorithm 1's jump times ``t_1 < ... < t_p``.
    limit_activation_time : ndarray of shape (d,)
        First jump time at which Algorithm 1 activates each coordinate (``inf``: never).
    l1_beta : ndarray of shape (d,)
        Minimum-l1 minimiser of the loss (LP).
    diverged : ndarray of shape (A, S, B, R) of bool
        The run overflowed (step too large); its other entries are NaN.
    activation_time : ndarray of shape (A, S, B, R, d)
        First returned time with ``|beta_i| >= ACTIVATION_RTOL * max |saddle|`` (``inf``: never).
    kendall_tau : ndarray of shape (A, S, B, R)
        Kendall's tau-b of ``activation_time`` against ``limit_activation_time`` (ties and
        ``inf`` included; NaN when undefined).
    jump_time : ndarray of shape (A, S, B, R, p)
        Time the (full) loss first crosses the midpoint of Algorithm 1's plateaux ``k-1, k``.
    jump_time_shift : ndarray of shape (A, S, B, R, p)
        ``jump_time - limit_jump_times`` (NaN: not crossed by ``t_max``).
    end_beta : ndarray of shape (A, S, B, R, d)
        The iterate at ``t_max``.
    end_l1_norm, end_residual : ndarray of shape (A, S, B, R)
        ``||beta_end||_1`` and ``||X beta_end - y|| / ||y||``.
    end_support : ndarray of shape (A, S, B, R) of int
        Entries with ``|beta_i| > SUPPORT_RTOL ||beta_end||_inf`` (-1 for a diverged run).
    distance_to_l1, distance_to_prediction : ndarray of shape (A, S, B, R)
        Relative distances ``||beta_end - ref|| / ||ref||`` to ``l1_beta`` and to the mirror
        prediction with the run's effective scales (NaN when a scale is not positive: steps
        with ``|step g| > sqrt(2)`` made ``Gain`` negative, outside the mirror-descent regime).
    effective_scales : ndarray of shape (A, S, B, R, d)
        ``kappa_i = 1 + Gain_i / (2 log(1/alpha))`` at ``t_max``.
    max_gain : ndarray of shape (A, S, B, R)
        ``max_i Gain_i`` at ``t_max``.
    n_iterations : ndarray of shape (A, S, B, R) of int
    """

    problem: str
    log_inv_alpha: np.ndarray
    steps: np.ndarray
    batch_sizes: np.ndarray
    seeds: np.ndarray
    t_max: float
    limit_jump_times: np.ndarray
    limit_activation_time: np.ndarray
    l1_beta: np.ndarray
    diverged: np.ndarray
    activation_time: np.ndarray
    kendall_tau: np.ndarray
    jump_time: np.ndarray
    jump_time_shift: np.ndarray
    end_beta: np.ndarray
    end_l1_norm: np.ndarray
    end_residual: np.ndarray
    end_support: np.ndarray
    distance_to_l1: np.ndarray
    distance_to_prediction: np.ndarray
    effective_scales: np.ndarray
    max_gain: np.ndarray
    n_iterations: np.ndarray


def _check_grid(values, name, *, integer=False):
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got {values!r}")
    for v in arr.tolist():
        check_positive(v, name, integer=integer, allow_zero=integer and name == "seeds")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} has repeated values: {values!r}")
    return arr.astype(np.int64 if integer else np.float64)


def default_batch_sizes(n_samples: int) -> list[int]:
    """The study's default batch sizes: 1, n/4 and n (the full batch), without repeats."""
    return sorted({1, max(1, n_samples // 4), n_samples})


def _batch_sizes(batch_sizes, n):
    if batch_sizes is None:
        batch_sizes = default_batch_sizes(n)
    out = _check_grid(batch_sizes, "batch_sizes", integer=True)
    if np.any(out > n):
        raise ValueError(f"batch_sizes must be in [1, n_samples] = [1, {n}], got {batch_sizes!r}")
    return out


def sgd_study_cost(
    *, n_samples: int, t_max: float, log_inv_alphas, steps, batch_sizes, n_seeds: int
) -> int:
    """Iterations a study needs: ``t_max * log(1/alpha) / step`` summed over its runs.

    A full-batch run (``batch_size == n_samples``) is the same for every seed and counts once.
    The pipeline compares this with its budget before running anything.
    """
    n = check_positive(n_samples, "n_samples", integer=True)
    t_max = float(check_positive(t_max, "t_max"))
    lams = _check_grid(log_inv_alphas, "log_inv_alphas")
    steps = _check_grid(steps, "steps")
    batches = _batch_sizes(batch_sizes, n)
    check_positive(n_seeds, "n_seeds", integer=True)
    runs = sum(1 if b == n else n_seeds for b in batches.tolist())
    per_run = sum(math.ceil(t_max * lam / step) for lam in lams for step in steps)
    return int(per_run * runs)


def sgd_study(
    X,
    y,
    *,
    log_inv_alphas,
    steps,
    batch_sizes=None,
    seeds=(0, 1, 2),
    t_max: float | None = None,
    max_iterations: int | None = None,
    problem: str = "",
    progress=None,
) -> SGDStudy:
    """Run (S)GD over alphas x steps x batch sizes x seeds on one problem.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    log_inv_alphas : sequence of float
        ``log(1/alpha) > 0`` for each alpha (alpha the initialisation scale).
    steps : sequence of float
        Step sizes ``> 0`` in original time; a step too large for a run marks it ``diverged``.
    batch_sizes : sequence of int, optional
        In ``[1, n_samples]``; default ``(1, n // 4, n)`` (``n``: full batch, run once).
    seeds : sequence of int, default (0, 1, 2)
        Non-negative seeds of the mini-batch draws.
    t_max : float, optional
        Horizon in accelerated time; default ``DEFAULT_T_MAX_FACTOR`` times Algorithm 1's
        last jump.
    max_iterations : int, optional
        Refuse (``ValueError``, before any run) a configuration whose :func:`sgd_study_cost`
        exceeds this.
    problem : str
        Name recorded in the result.
    progress : callable, optional
        Called after each run as ``progress(iterations_done, iterations_total)``, with the
        estimate of :func:`sgd_study_cost` as the total (for logs with an ETA).

    Returns
    -------
    SGDStudy
    """
    from scipy.stats import kendalltau

    from dln.gd import GradientDescentError, gradient_descent
    from dln.implicit_bias import effective_scales, mirror_prediction, relative_distance
    from dln.lp import min_l1_solution
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n, d = X.shape
    lams = _check_grid(log_inv_alphas, "log_inv_alphas")
    steps = _check_grid(steps, "steps")
    batches = _batch_sizes(batch_sizes, n)
    seeds = _check_grid(seeds, "seeds", integer=True)
    if not isinstance(problem, str):
        raise ValueError(f"problem must be a string, got {problem!r}")
    limit = saddle_jumps(X, y)
    if limit.n_saddles == 0:
        raise ValueError("Algorithm 1 makes no jump on this problem (0 is optimal)")
    if t_max is None:
        t_max = DEFAULT_T_MAX_FACTOR * float(limit.times[-1])
    t_max = float(check_positive(t_max, "t_max"))
    cost = sgd_study_cost(
        n_samples=n,
        t_max=t_max,
        log_inv_alphas=lams,
        steps=steps,
        batch_sizes=batches,
        n_seeds=seeds.size,
    )
    if max_iterations is not None:
        check_positive(max_iterations, "max_iterations", integer=True)
        if cost > max_iterations:
            raise ValueError(
                f"the study needs {cost} iterations (sum of t_max * log(1/alpha) / step over "
                f"runs), more than max_iterations={max_iterations}: use fewer or larger steps, "
                "fewer seeds or a shorter t_max"
            )
    levels = (limit.losses[:-1] + limit.losses[1:]) / 2
    p = levels.size
    scale = float(np.max(np.abs(limit.betas))) or 1.0
    lim_act = np.full(d, np.inf)
    for k in range(limit.n_saddles, 0, -1):  # earliest activation wins
        lim_act[limit.activated[k]] = limit.times[k]
    l1 = min_l1_solution(X, y).beta

    shape = (lams.size, steps.size, batches.size, seeds.size)
    nan = np.full(shape, np.nan)
    out = {
        "diverged": np.zeros(shape, dtype=bool),
        "activation_time": np.full((*shape, d), np.nan),
        "kendall_tau": nan.copy(),
        "jump_time": np.full((*shape, p), np.nan),
        "end_beta": np.full((*shape, d), np.nan),
        "end_l1_norm": nan.copy(),
        "end_residual": nan.copy(),
        "end_support": np.full(shape, -1, dtype=np.int64),
        "distance_to_l1": nan.copy(),
        "distance_to_prediction": nan.copy(),
        "effective_scales": np.full((*shape, d), np.nan),
        "max_gain": nan.copy(),
        "n_iterations": np.zeros(shape, dtype=np.int64),
    }
    y_norm = float(np.linalg.norm(y)) or 1.0
    done = 0
    for a, lam in enumerate(lams.tolist()):
        for s, step in enumerate(steps.tolist()):
            for b, batch in enumerate(batches.tolist()):
                for r, seed in enumerate(seeds.tolist()):
                    idx = (a, s, b, r)
                    if batch == n and r > 0:  # full batch: the seed plays no part
                        for arr in out.values():
                            arr[idx] = arr[(a, s, b, 0)]
                        continue
                    if progress is not None:  # before the run: what is done so far
                        progress(done, cost)
                    done += math.ceil(t_max * lam / step)
                    try:
                        res = gradient_descent(
                            X,
                            y,
                            log_inv_alpha=lam,
                            step=step,
                            t_max=t_max,
                            batch_size=int(batch),
                            seed=int(seed),
                            loss_levels=levels,
                        )
                    except GradientDescentError:
                        out["diverged"][idx] = True
                        continue
                    end = res.beta[-1]
                    out["n_iterations"][idx] = res.n_iterations
                    above = np.abs(res.beta) >= ACTIVATION_RTOL * scale
                    first = np.argmax(above, axis=0)
                    act = np.where(above.any(axis=0), res.t[first], np.inf)
                    out["activation_time"][idx] = act
                    with np.errstate(invalid="ignore"):
                        tau = kendalltau(act, lim_act, variant="b").statistic
                    out["kendall_tau"][idx] = tau
                    out["jump_time"][idx] = res.crossing_times
                    out["end_beta"][idx] = end
                    out["end_l1_norm"][idx] = float(np.sum(np.abs(end)))
                    out["end_residual"][idx] = float(np.linalg.norm(X @ end - y)) / y_norm
                    top = float(np.max(np.abs(end)))
                    out["end_support"][idx] = int(np.sum(np.abs(end) > SUPPORT_RTOL * top))
                    out["distance_to_l1"][idx] = relative_distance(end, l1)
                    gain = res.gain[-1]
                    kappa = effective_scales(gain, lam) if np.all(np.isfinite(gain)) else None
                    out["effective_scales"][idx] = np.nan if kappa is None else kappa
                    out["max_gain"][idx] = float(np.max(gain))
                    # kappa <= 0 (steps with |step g| > sqrt(2) made Gain negative): the run
                    # left the mirror-descent regime and has no prediction (NaN)
                    if kappa is not None and np.all(kappa > 0):
                        try:
                            pred = mirror_prediction(X, y, log_inv_alpha=lam, kappa=kappa)
                        except RuntimeError:
                            pred = None
                        if pred is not None:
                            dist = relative_distance(end, pred.beta)
                            out["distance_to_prediction"][idx] = dist
    return SGDStudy(
        problem=problem,
        log_inv_alpha=lams,
        steps=steps,
        batch_sizes=batches,
        seeds=seeds,
        t_max=t_max,
        limit_jump_times=limit.times[1:].copy(),
        limit_activation_time=lim_act,
        l1_beta=l1,
        jump_time_shift=out["jump_time"] - limit.times[1:],
        **out,
    )


# --------------------------------------------------------------------------------------------
# Store and table
# --------------------------------------------------------------------------------------------
_RUN_DIMS = ("log_inv_alpha", "step", "batch_size", "seed")
_VARIABLES = {
    # name: (extra dims, long_name, units, description)
    "diverged": ((), "diverged", "1", "the run overflowed (step too large); NaN entries"),
    "activation_time": (
        ("feature",),
        "activation time",
        "accelerated time",
        "first time |beta_i| >= ACTIVATION_RTOL * max |saddle| (inf: never)",
    ),
    "kendall_tau": ((), "Kendall tau-b vs Algorithm 1", "1", "of the activation times"),
    "jump_time": (
        ("jump",),
        "jump time",
        "accelerated time",
        "first crossing of the midpoint of Algorithm 1's plateau losses k-1 and k",
    ),
    "jump_time_shift": (
        ("jump",),
        "jump-time shift",
        "accelerated time",
        "jump_time minus Algorithm 1's jump time (NaN: not reached)",
    ),
    "end_beta": (("feature",), "end point beta(t_max)", "1", None),
    "end_l1_norm": ((), "l1 norm of the end point", "1", None),
    "end_residual": ((), "relative residual of the end point", "1", "||X beta - y|| / ||y||"),
    "end_support": ((), "support size of the end point", "1", "-1: diverged"),
    "distance_to_l1": (
        (),
        "relative distance to the minimum-l1 solution",
        "1",
        "||beta_end - beta_l1|| / ||beta_l1||",
    ),
    "distance_to_prediction": (
        (),
        "relative distance to the mirror prediction",
        "1",
        "||beta_end - beta_pred|| / ||beta_pred||, beta_pred with alpha_i = alpha exp(-Gain_i/2)",
    ),
    "effective_scales": (
        ("feature",),
        "effective scale kappa",
        "1",
        "1 + Gain_i / (2 log(1/alpha)): coordinate i ends as if started at alpha^kappa_i",
    ),
    "max_gain": ((), "largest gain", "1", "max_i Gain_i at t_max"),
    "n_iterations": ((), "iterations", "1", None),
}


def sgd_study_to_dataset(study: SGDStudy, *, feature_names=None) -> xr.Dataset:
    """Store layout of an :class:`SGDStudy`: dims ``log_inv_alpha``, ``step``, ``batch_size``,
    ``seed``, ``feature``, ``jump``; every variable and coord has ``long_name`` and ``units``."""
    import xarray as xr

    from dln.io import feature_coords, global_attrs, var_attrs

    d = study.l1_beta.shape[0]
    coords = feature_coords(d, feature_names)
    coords.update(
        {
            "log_inv_alpha": (
                "log_inv_alpha",
                study.log_inv_alpha,
                var_attrs("log(1/alpha)", description="alpha is the initialisation scale"),
            ),
            "step": ("step", study.steps, var_attrs("step size", "original time")),
            "batch_size": (
                "batch_size",
                study.batch_sizes,
                var_attrs("batch size", description="rows per mini-batch; n_samples: full batch"),
            ),
            "seed": ("seed", study.seeds, var_attrs("seed of the mini-batch draws")),
            "jump": (
                "jump",
                np.arange(1, study.limit_jump_times.size + 1),
                var_attrs("jump index k"),
            ),
        }
    )
    data = {
        name: (_RUN_DIMS + extra, getattr(study, name), var_attrs(long, units, desc))
        for name, (extra, long, units, desc) in _VARIABLES.items()
    }
    data["limit_jump_time"] = (
        ("jump",),
        study.limit_jump_times,
        var_attrs("Algorithm 1 jump time", "accelerated time"),
    )
    data["limit_activation_time"] = (
        ("feature",),
        study.limit_activation_time,
        var_attrs("Algorithm 1 activation time", "accelerated time", "inf: never active"),
    )
    data["l1_beta"] = (("feature",), study.l1_beta, var_attrs("minimum-l1 solution"))
    data["t_max"] = ((), np.float64(study.t_max), var_attrs("horizon t_max", "accelerated time"))
    return xr.Dataset(
        data,
        coords=coords,
        attrs=global_attrs(
            "(S)GD over step and batch sizes on the saddle-to-saddle path",
            study="sgd",
            problem=study.problem,
            activation_rtol=ACTIVATION_RTOL,
            support_rtol=SUPPORT_RTOL,
        ),
    )


def sgd_study_table(study: SGDStudy) -> pd.DataFrame:
    """One row per run (pandas DataFrame): the scalar results of :class:`SGDStudy`."""
    import pandas as pd

    rows = []
    A, S, B, R = study.diverged.shape
    for idx in np.ndindex(A, S, B, R):
        a, s, b, r = idx
        shifts = study.jump_time_shift[idx]
        finite = shifts[np.isfinite(shifts)]
        rows.append(
            {
                "problem": study.problem,
                "log_inv_alpha": float(study.log_inv_alpha[a]),
                "log10_alpha": -float(study.log_inv_alpha[a]) / math.log(10),
                "step": float(study.steps[s]),
                "batch_size": int(study.batch_sizes[b]),
                "seed": int(study.seeds[r]),
                "diverged": bool(study.diverged[idx]),
                "kendall_tau": float(study.kendall_tau[idx]),
                "max_abs_jump_shift": float(np.max(np.abs(finite))) if finite.size else np.nan,
                "jumps_reached": int(finite.size),
                "end_l1_norm": float(study.end_l1_norm[idx]),
                "end_support": int(study.end_support[idx]),
                "end_residual": float(study.end_residual[idx]),
                "distance_to_l1": float(study.distance_to_l1[idx]),
                "distance_to_prediction": float(study.distance_to_prediction[idx]),
                "max_gain": float(study.max_gain[idx]),
                "max_effective_scale": float(np.max(study.effective_scales[idx])),
                "n_iterations": int(study.n_iterations[idx]),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def _label(var) -> str:
    units = var.attrs.get("units", "1")
    name = var.attrs.get("long_name", var.name)
    return name if units == "1" else f"{name} [{units}]"


def plot_sgd_study(ds, axes, *, log_inv_alpha: float | None = None) -> None:
    """Draw the study's three panels on ``axes`` (a sequence of three matplotlib Axes).

    1. Jump times against step size (log x), one marker series per batch size (median over
       seeds, nudged sideways so that the batch sizes do not hide each other), Algorithm 1's
       jump times as dashed reference lines; a log y axis when they span more than a decade.
    2. The end point's l1 norm against batch size (one colour per step, median over seeds), its
       support size on a twin axis (dotted), the minimum-l1 norm as a reference line.
    3. Effective scales ``kappa_i`` per coordinate for each batch size at the largest step at
       which that batch size did not diverge (median over seeds), 1 (gradient flow) as a
       reference line; a log y axis when some ``kappa_i`` exceeds 10.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`sgd_study_to_dataset`.
    axes : sequence of 3 matplotlib Axes
    log_inv_alpha : float, optional
        Which alpha to draw (default the smallest alpha, i.e. the largest ``log_inv_alpha``).
    """
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

    from dln.plotstyle import legend_outside

    def log_ticks(ax, values) -> None:  # major ticks of a log x axis at values, no minor labels
        ax.set_xticks(list(values))
        ax.set_xticklabels([f"{v:g}" for v in values])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())

    if len(axes) != 3:
        raise ValueError(f"axes must hold 3 Axes, got {len(axes)}")
    lam = float(ds["log_inv_alpha"].max()) if log_inv_alpha is None else float(log_inv_alpha)
    sub = ds.sel(log_inv_alpha=lam)
    keep = ["jump_time", "end_l1_norm", "end_support", "effective_scales"]
    med = sub[keep].astype(np.float64).where(~sub["diverged"]).median("seed", skipna=True)
    steps = ds["step"].values
    batch_sizes = ds["batch_size"].values
    n_full = int(batch_sizes.max())
    alpha_txt = f"alpha = 1e{-lam / math.log(10):.0f}"
    ref = {"color": "0.3", "ls": "--", "lw": 0.8}
    small = "x-small"

    ax = axes[0]
    limit_times = ds["limit_jump_time"].values
    for t in limit_times:
        ax.axhline(t, **ref)
    markers = "os^Dv<>"
    nb = len(batch_sizes)
    for j, b in enumerate(batch_sizes):
        jt = med["jump_time"].sel(batch_size=b)
        nudge = steps * 1.06 ** (j - (nb - 1) / 2)  # side by side on the log axis
        for k in range(jt.sizes["jump"]):
            ax.plot(
                nudge,
                jt.isel(jump=k).values,
                marker=markers[j % len(markers)],
                ms=4,
                color=f"C{j}",
                ls="-",
                lw=0.7,
                label=f"batch {int(b)}" + (" (full)" if b == n_full else "") if k == 0 else None,
            )
    ax.set_xscale("log")
    log_ticks(ax, steps)
    ax.tick_params(axis="x", labelrotation=45)
    positive = limit_times[limit_times > 0]
    if positive.size and positive.max() > 10 * positive.min():
        ax.set_yscale("log")  # plain numbers at 1, 2, 5 x 10^k
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(_label(ds["step"]))
    ax.set_ylabel(_label(ds["jump_time"]))
    ax.set_title(f"jump times vs step ({alpha_txt})", fontsize="medium")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], **ref))
    labels.append("Algorithm 1")
    legend_outside(ax, handles=handles, labels=labels, fontsize=small)

    ax = axes[1]
    ax.axhline(float(np.sum(np.abs(ds["l1_beta"].values))), **ref)
    twin = ax.twinx()
    cmap = colormaps["viridis"]
    for i, st in enumerate(steps):
        color = cmap(0.9 * i / max(len(steps) - 1, 1))
        ax.plot(
            batch_sizes,
            med["end_l1_norm"].sel(step=st).values,
            "o-",
            ms=4,
            color=color,
            label=f"step {st:g}",
        )
        twin.plot(batch_sizes, med["end_support"].sel(step=st).values, "s:", ms=3, color=color)
    ax.set_xscale("log")
    log_ticks(ax, batch_sizes)
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))
    for b in batch_sizes:  # a batch size with no run left at any step
        if bool(sub["diverged"].sel(batch_size=b).all()):
            ax.annotate(
                "all runs\ndiverged",
                (b, 0.05),
                xycoords=("data", "axes fraction"),
                xytext=(4, 0),
                textcoords="offset points",
                ha="left",
                fontsize=small,
                color="0.3",
            )
    ax.set_xlabel(_label(ds["batch_size"]))
    ax.set_ylabel(_label(ds["end_l1_norm"]) + " (solid)")
    twin.set_ylabel(_label(ds["end_support"]) + " (dotted)")
    ax.set_title(f"end point vs batch size ({alpha_txt})", fontsize="medium")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], **ref))
    labels.append("min-l1 norm")
    ax.legend(handles, labels, fontsize=small)

    ax = axes[2]
    ax.axhline(1.0, **ref)
    ok = ~sub["diverged"].all(dim="seed")  # (step, batch_size): some seed ran
    feats = ds["feature"].values
    drawn = 0
    largest = 1.0
    for j, b in enumerate(batch_sizes):
        stable = steps[ok.sel(batch_size=b).values]
        if not stable.size:
            continue
        st = stable.max()
        kappa = med["effective_scales"].sel(step=st, batch_size=b).values
        if np.isfinite(kappa).any():
            largest = max(largest, float(np.nanmax(kappa)))
        ax.plot(
            feats,
            kappa,
            marker=markers[j % len(markers)],
            ms=3,
            lw=0.7,
            color=f"C{j}",
            label=f"batch {int(b)}, step {st:g}",
        )
        drawn += 1
    if drawn:
        if largest > 10:
            ax.set_yscale("log")
        ax.set_title(f"effective scales ({alpha_txt})", fontsize="medium")
        legend_outside(ax, fontsize=small)
    else:
        ax.set_title("effective scales: every run diverged", fontsize="medium")
    ax.set_xlabel(_label(ds["feature"]))
    ax.set_ylabel(_label(ds["effective_scales"]))
