"""Figure: (S)GD with finite steps and mini-batches against Algorithm 1 on one problem."""

import json

import numpy as np

from dln import io
from dln.sgd_study import plot_sgd_study


def main(*, study: str, png: str, pdf: str, caption: str, template: str, dpi: int = 150):
    from _captions import fmt, write_caption
    from _helpers import new_figure, save_figure

    ds = io.read_dataset(study)
    fig, axes = new_figure(1, 3, width=5.2, height=3.8)
    plot_sgd_study(ds, list(axes[0]))
    smallest = json.loads(ds.attrs["log10_alpha"])[int(np.argmax(ds["log_inv_alpha"].values))]
    fig.suptitle(
        f"{ds.attrs.get('problem', '')}: gradient descent and SGD against Algorithm 1 "
        f"(alpha = 1e{smallest})",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    # A full-batch run is made once and copied to every seed: count it once.
    full = ds["batch_size"] == ds["batch_size"].max()
    unique = (~full | (ds["seed"] == ds["seed"][0])).broadcast_like(ds["diverged"])
    unique = unique.transpose(*ds["diverged"].dims).values
    ok = ~ds["diverged"].values & unique
    tau = ds["kendall_tau"].values[ok]
    shift = np.abs(ds["jump_time_shift"].values[ok])
    to_l1 = ds["distance_to_l1"].values[ok]
    to_pred = ds["distance_to_prediction"].values[ok]
    moved = to_l1 > 1e-2  # end points a finite step or noise moved away from min-l1
    alphas = json.loads(ds.attrs["log10_alpha"])  # canonical exponents, in the store's order
    lines = []
    for a, exponent in enumerate(alphas):
        for s, step in enumerate(ds["step"].values):
            sub = ds.isel(log_inv_alpha=a, step=s)
            once = unique[a, s]
            good = ~sub["diverged"].values & once
            n_div = int((sub["diverged"].values & once).sum())
            head = f"- α = 1e{exponent}, step {fmt(step)}: "
            if not good.any():
                lines.append(head + "every run diverged")
                continue
            shifts = np.abs(sub["jump_time_shift"].values[good])
            norms = sub["end_l1_norm"].values[good]
            lines.append(
                head + f"median |jump-time shift| {fmt(np.nanmedian(shifts), 3)}, "
                f"min τ_b {fmt(np.nanmin(sub['kendall_tau'].values[good]), 3)}, "
                f"end l1 norm {fmt(np.nanmin(norms), 4)}–{fmt(np.nanmax(norms), 4)}"
                + (f"; {n_div} of {int(once.sum())} runs diverged" if n_div else "")
            )
    write_caption(
        template,
        caption,
        problem=str(ds.attrs.get("problem", "")),
        n_runs=int(ok.sum()),
        n_diverged=int((ds["diverged"].values & unique).sum()),
        tau_min=fmt(np.nanmin(tau), 3) if tau.size else "nan",
        shift_max=fmt(np.nanmax(shift), 3) if shift.size else "nan",
        l1_norm=fmt(float(np.sum(np.abs(ds["l1_beta"].values))), 4),
        n_moved=int(moved.sum()),
        pred_median=fmt(np.nanmedian(to_pred[moved]), 3) if moved.any() else "nan",
        l1_median=fmt(np.nanmedian(to_l1[moved]), 3) if moved.any() else "nan",
        pred_worst=fmt(np.nanmax(to_pred[moved]), 3) if moved.any() else "nan",
        l1_worst=fmt(np.nanmax(to_l1[moved]), 3) if moved.any() else "nan",
        run_list="\n".join(lines),
    )
