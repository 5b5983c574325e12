"""The evaluation store: one flow-versus-limit comparison (:class:`dln.evaluate.FlowEvaluation`) as
a Dataset, and its figure.

Written by the rules ``solve_problem`` and ``simulate_flows`` (one store per alpha); conventions
in :mod:`dln.io`. ``alpha`` is the initialisation scale of the network, carried by its base-10
exponent.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import xarray as xr

from dln.io import canonical_log10_alpha, global_attrs, log_inv_alpha_from_log10, var_attrs
from dln.plotstyle import DISTANCE_FLOOR, alpha_label, label

__all__ = ["plot_evaluation", "to_dataset"]


def to_dataset(
    evaluation, *, t, log10_alpha: str, problem: str = "", feature_names=None
) -> xr.Dataset:
    """Store layout of one flow-versus-limit comparison (:class:`dln.evaluate.FlowEvaluation`)."""
    log10 = canonical_log10_alpha(log10_alpha)
    ev = evaluation
    t = np.asarray(t, dtype=np.float64)
    p = np.asarray(ev.jump_times).shape[0]
    coords = {
        "time": ("time", t, var_attrs("time t", "accelerated time")),
        "jump": ("jump", np.arange(1, p + 1), var_attrs("jump index k")),
    }
    time_units = "accelerated time"
    data = {
        "jump_time": (("jump",), ev.jump_times, var_attrs("limit jump time t_k", time_units)),
        "crossing_time": (
            ("jump",),
            ev.crossing_times,
            var_attrs("flow crossing time", time_units, "loss crosses the plateau midpoint"),
        ),
        "jump_time_error": (
            ("jump",),
            ev.jump_time_errors,
            var_attrs("jump time error", time_units, "crossing_time - jump_time"),
        ),
        "distance": (
            ("time",),
            ev.distance,
            var_attrs("distance to the limit", description="||beta~(t) - beta°(t)||_inf"),
        ),
        "in_window": (
            ("time",),
            ev.in_window,
            var_attrs("inside a jump window", description="|t - t_k| <= window for some k >= 1"),
        ),
        "window": ((), np.float64(ev.window), var_attrs("window half-width delta", time_units)),
        "log10_alpha": (
            (),
            np.float64(float(Decimal(log10))),
            var_attrs("log10 of the initialisation scale alpha"),
        ),
        "log_inv_alpha": (
            (),
            np.float64(log_inv_alpha_from_log10(log10)),
            var_attrs("log(1/alpha)"),
        ),
    }
    from dln.evaluate import METRICS

    for name, (long_name, description) in METRICS.items():
        units = time_units if name == "integrated_distance" else "1"
        data[name] = ((), np.float64(getattr(ev, name)), var_attrs(long_name, units, description))
    return xr.Dataset(
        data,
        coords=coords,
        attrs=global_attrs(
            f"Flow versus limit process for {problem} at alpha = 1e{log10}".strip(),
            problem=problem,
            log10_alpha=log10,
        ),
    )


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
