"""The saddles store: Algorithm 1's output (:class:`dln.saddles.SaddleResult`) as a Dataset,
back again, and the figures of the limit process (staircase, coordinates, support timeline).

Written by the rule ``solve_problem`` (``results/saddles/{problem}.zarr``); conventions in
:mod:`dln.io`. ``alpha`` is the initialisation scale of the network; the limit process is the
``alpha -> 0`` limit, in accelerated time.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import xarray as xr

from dln.io import feature_coords, global_attrs, var_attrs
from dln.plotstyle import LOSS_FLOOR, key_features, label, legend_outside, spans_decades

# Rows of the activation timeline beyond which only the key features are named.
MAX_NAMED_ROWS = 40

__all__ = [
    "ACTIVE_RTOL",
    "active_features",
    "from_dataset",
    "limit_steps",
    "moving_features",
    "plot_activation_timeline",
    "plot_limit_process",
    "plot_saddle_staircase",
    "support_intervals",
    "to_dataset",
]

# A coordinate counts as non-zero in a saddle when |beta_i| exceeds this fraction of the
# largest saddle entry (Algorithm 1 stores exact zeros; this only absorbs rounding).
ACTIVE_RTOL = 1e-9
# Colours of the activation timeline: positive and negative coordinates.
SIGN_COLORS = {1: "tab:red", -1: "tab:blue"}


def _events(activated, deactivated, n_saddles: int, d: int) -> np.ndarray:
    event = np.zeros((n_saddles, d), dtype=np.int8)
    for k, idx in enumerate(activated):
        event[k, np.asarray(idx, dtype=int)] = 1
    for k, idx in enumerate(deactivated):
        event[k, np.asarray(idx, dtype=int)] = -1
    return event


def to_dataset(result, *, feature_names=None, lp=None, problem: str = "") -> xr.Dataset:
    """Store layout of Algorithm 1's output, its certificate and the LP endpoint check.

    Parameters
    ----------
    result : dln.saddles.SaddleResult
        Output of :func:`dln.saddles.saddle_jumps`.
    feature_names : sequence of str, optional
    lp : dln.lp.L1Result, optional
        Minimum-(weighted-)l1 solution of the same problem; stored as ``lp_beta`` with the
        relative difference ``||beta_p - beta_lp||_inf / max(||beta_lp||_inf, tiny)``.
    problem : str
        Name of the problem (attr).
    """
    times = np.asarray(result.times, dtype=np.float64)
    betas = np.asarray(result.betas, dtype=np.float64)
    m, d = betas.shape
    coords = feature_coords(d, feature_names)
    coords["saddle"] = ("saddle", np.arange(m), var_attrs("saddle index k", description="k = 0..p"))
    event = _events(result.activated, result.deactivated, m, d)
    s = np.asarray(result.s, dtype=np.float64)
    data = {
        "jump_time": (
            ("saddle",),
            times,
            var_attrs("jump time t_k", "accelerated time", "time of the jump onto saddle k"),
        ),
        "beta": (("saddle", "feature"), betas, var_attrs("saddle beta_k")),
        "s": (("saddle", "feature"), s, var_attrs("dual variable s(t_k)")),
        "loss": (
            ("saddle",),
            np.asarray(result.losses, dtype=np.float64),
            var_attrs("loss L(beta_k)"),
        ),
        "event": (
            ("saddle", "feature"),
            event,
            var_attrs(
                "support event",
                description="+1: coordinate enters the support at jump k; -1: leaves it; 0: none",
            ),
        ),
        "n_active": (
            ("saddle",),
            np.count_nonzero(betas, axis=1).astype(np.int64),
            var_attrs("support size of beta_k"),
        ),
        "scales": (
            ("feature",),
            np.asarray(result.scales, dtype=np.float64),
            var_attrs("coordinate scales k_i", description="initialisation alpha**k_i"),
        ),
    }
    gradients = getattr(result, "gradients", None)
    if gradients is not None:
        data["gradient"] = (
            ("saddle", "feature"),
            np.asarray(gradients, dtype=np.float64),
            var_attrs(
                "gradient of L at beta_k", description="s moves as -gradient on (t_k, t_k+1)"
            ),
        )
    rho = getattr(result, "rho", None)
    if rho is not None:
        rho = np.asarray(rho, dtype=np.float64)
        coords["sample"] = ("sample", np.arange(rho.shape[0]), var_attrs("sample index"))
        data["rho"] = (
            ("sample",),
            rho,
            var_attrs("dual certificate rho", description="s_p = X^T rho"),
        )
    for name, long_name in (
        ("primal_objective", "weighted l1 norm of beta_p"),
        ("dual_objective", "dual objective rho^T X beta_p"),
        ("duality_gap", "duality gap of the certificate"),
        ("max_dual_violation", "max(|s_p| - k, 0)"),
        ("certificate_residual", "||X^T rho - s_p||_inf"),
    ):
        value = getattr(result, name, None)
        if value is not None:
            data[name] = ((), np.float64(value), var_attrs(long_name))
    attrs = global_attrs(
        f"Saddles and jump times (Algorithm 1) of {problem}".strip(),
        problem=problem,
        n_saddles=int(m - 1),
        status=int(getattr(result, "status", 0)),
        message=str(getattr(result, "message", "")),
        nnls_iterations=int(getattr(result, "nnls_iterations", 0)),
    )
    if lp is not None:
        beta_lp = np.asarray(lp.beta, dtype=np.float64)
        scale = max(float(np.max(np.abs(beta_lp))), np.finfo(float).tiny)
        rel = float(np.max(np.abs(betas[-1] - beta_lp))) / scale
        data["lp_beta"] = (
            ("feature",),
            beta_lp,
            var_attrs("minimum-l1 solution (LP)", description="basis pursuit solved by HiGHS"),
        )
        data["lp_objective"] = (
            (),
            np.float64(lp.objective),
            var_attrs("l1 norm of the LP solution"),
        )
        data["lp_relative_difference"] = (
            (),
            np.float64(rel),
            var_attrs(
                "relative difference of beta_p and the LP solution",
                description="||beta_p - beta_lp||_inf / ||beta_lp||_inf",
            ),
        )
        attrs["lp_status"] = int(getattr(lp, "status", 0))
        attrs["lp_message"] = str(getattr(lp, "message", ""))
    return xr.Dataset(data, coords=coords, attrs=attrs)


def from_dataset(ds: xr.Dataset):
    """Rebuild a :class:`dln.saddles.SaddleResult` from a saddles store.

    Fields the store does not hold get neutral values; ``activated`` / ``deactivated`` come
    from ``event``. Used to call :func:`dln.saddles.limit_process` on a stored result.
    """
    from dln.saddles import SaddleResult

    event = ds["event"].values
    d = ds.sizes["feature"]
    values: dict[str, Any] = {
        "times": ds["jump_time"].values,
        "betas": ds["beta"].values,
        "s": ds["s"].values,
        "losses": ds["loss"].values,
        "gradients": ds["gradient"].values if "gradient" in ds else None,
        "activated": tuple(np.flatnonzero(row == 1) for row in event),
        "deactivated": tuple(np.flatnonzero(row == -1) for row in event),
        "scales": ds["scales"].values if "scales" in ds else np.ones(d),
        "rho": ds["rho"].values if "rho" in ds else None,
        "status": int(ds.attrs.get("status", 0)),
        "message": str(ds.attrs.get("message", "")),
        "nnls_iterations": int(ds.attrs.get("nnls_iterations", 0)),
    }
    for name in (
        "primal_objective",
        "dual_objective",
        "duality_gap",
        "max_dual_violation",
        "certificate_residual",
    ):
        values[name] = float(ds[name]) if name in ds else math.nan
    kwargs = {}
    for f in dataclasses.fields(SaddleResult):
        if not f.init:
            continue
        if f.name in values:
            kwargs[f.name] = values[f.name]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kwargs[f.name] = None
    return SaddleResult(**kwargs)


def limit_steps(saddles, t_max: float):
    """Step-function coordinates (times, values) of beta° up to ``t_max``."""
    times = saddles["jump_time"].values
    betas = saddles["beta"].values
    keep = times <= t_max
    t = np.r_[times[keep], t_max]
    b = np.vstack([betas[keep], betas[keep][-1:]])
    return t, b


def plot_saddle_staircase(ds, ax, *, t_max: float | None = None, time_scale: str = "linear"):
    """Loss of the limit process ``L(beta°(t))``: a staircase with steps at the jump times.

    ``time_scale``: ``"linear"``, ``"log"`` (from a third of the first jump time), or
    ``"auto"``: logarithmic when the jump times span more than
    :data:`~dln.plotstyle.LOG_TIME_DECADES` decades (early jumps are not squashed).
    """
    times = ds["jump_time"].values
    losses = np.maximum(ds["loss"].values, LOSS_FLOOR * ds["loss"].values[0])
    t_end = float(t_max if t_max is not None else 1.25 * times[-1] if times[-1] > 0 else 1.0)
    if time_scale == "auto":
        time_scale = "log" if spans_decades(times[1:]) else "linear"
    log = time_scale == "log" and times.size > 1 and times[1] > 0
    t_start = float(times[1]) / 3 if log else None
    steps = np.r_[t_start, times[1:]] if log else times
    ax.step(np.r_[steps, t_end], np.r_[losses, losses[-1]], where="post", color="k")
    ax.plot(times[1:], losses[1:], "o", color="k", ms=3)
    ax.set_yscale("log")
    if log:
        ax.set_xscale("log")
        ax.set_xlim(t_start, t_end)
    ax.set_xlabel(label(ds["jump_time"]))
    ax.set_ylabel(label(ds["loss"]))
    ax.set_title(
        f"{ds.attrs.get('problem', '')}: {ds.sizes['saddle'] - 1} jumps", fontsize="medium"
    )
    return ax


def plot_limit_process(ds, ax, *, t_max: float, features=None, **kwargs):
    """Coordinates of the limit process ``beta°(t)`` (piecewise constant), black by default.

    ``features``: the coordinates to draw (default all).
    """
    t, b = limit_steps(ds, t_max)
    style = {"color": "k", "lw": 1.0, "where": "post"}
    style.update(kwargs)
    columns = range(b.shape[1]) if features is None else [int(j) for j in features]
    for i, j in enumerate(columns):
        ax.step(t, b[:, j], label=r"limit $\beta^\circ$" if i == 0 else None, **style)
    return ax


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

    Rows in order of entry (the first feature to enter on top). Red: ``beta_i > 0``, blue:
    ``beta_i < 0``; jump times are dotted vertical lines. ``t_max`` (default 1.25 t_p, 5 t_p
    on a log axis) ends the bars of features still active at the end. With more than
    :data:`MAX_NAMED_ROWS` rows only the key features (:func:`~dln.plotstyle.key_features`)
    are named on the axis, the other rows stay unlabelled.
    """
    from matplotlib.patches import Patch

    rows = support_intervals(saddles, feature_names=feature_names)
    times = saddles["jump_time"].values
    if t_max is None:
        t_max = (5.0 if time_scale == "log" else 1.25) * times[-1] if times[-1] > 0 else 1.0
    t_end = float(t_max)
    features = list(dict.fromkeys(r["feature"] for r in rows))  # in order of entry
    y_of = {j: i for i, j in enumerate(features)}
    many = len(features) > MAX_NAMED_ROWS
    for r in rows:
        right = min(r["leave_time"], t_end)
        ax.barh(
            y_of[r["feature"]],
            right - r["enter_time"],
            left=r["enter_time"],
            height=0.8 if many else 0.6,
            color=SIGN_COLORS[r["sign"]],
            edgecolor="none",
        )
    for tk in times[1:]:
        ax.axvline(tk, color="0.5", lw=0.4 if many else 0.6, linestyle=":", zorder=0)
    names = {r["feature"]: r["feature_name"] for r in rows}
    if many:
        named = sorted(y_of[int(j)] for j in key_features(saddles))
        ax.set_yticks(named, [names[features[i]] for i in named], fontsize="x-small")
        ax.set_ylabel(f"{len(features)} features in order of entry\n(key ones named)")
    else:
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
        legend_outside(ax, handles=handles, fontsize="x-small")
    return ax
